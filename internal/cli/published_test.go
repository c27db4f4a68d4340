package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestScorePublishedSchemas scores the fixtures in the published layouts of
// Anthropic HH (two empty assistant answers), UltraFeedback-binarized (chat
// template, one empty answer) and truthy-dpo: every pair is scored, none is
// skipped, and the empty responses are counted in the summary.
func TestScorePublishedSchemas(t *testing.T) {
	cases := []struct {
		file         string
		policy, ref  string
		pairs, empty int
	}{
		{"hh-rlhf.jsonl", gpt2Policy, gpt2Ref, 5, 2},
		{"hh-rlhf.parquet", gpt2Policy, gpt2Ref, 5, 2},
		{"ultrafeedback_binarized.parquet", llamaPolicy, llamaRef, 4, 1},
		{"truthy-dpo.jsonl", gpt2Policy, gpt2Ref, 3, 0},
	}
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			dir := t.TempDir()
			out, sum := filepath.Join(dir, "pairs.jsonl"), filepath.Join(dir, "summary.json")
			code, _, stderr := run("score", "--policy", c.policy, "--ref", c.ref, "--data", filepath.Join(dataDir, "published", c.file),
				"--out", out, "--summary", sum)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			s := readSummary(t, sum)
			if int(s["scored"].(float64)) != c.pairs || int(s["skipped"].(float64)) != 0 || int(s["empty_responses"].(float64)) != c.empty {
				t.Errorf("scored %v skipped %v empty %v, want %d, 0, %d", s["scored"], s["skipped"], s["empty_responses"], c.pairs, c.empty)
			}
			if rows := readJSONL(t, out); len(rows) != c.pairs {
				t.Errorf("%d result rows, want %d", len(rows), c.pairs)
			}
		})
	}
}

// TestScoreEmptyResponse: an empty response is scored as its EOS alone (one
// token), as TRL does; with --no-eos it cannot be scored and is refused,
// naming the line and field.
func TestScoreEmptyResponse(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "p.jsonl")
	if err := os.WriteFile(data, []byte(`{"id": "e", "prompt": "Hello there.", "chosen": "", "rejected": " Hi."}`+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "o.jsonl")
	code, _, stderr := run("score", "--policy", gpt2Policy, "--ref", gpt2Ref, "--data", data, "--out", out, "--summary", filepath.Join(dir, "s.json"))
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	row := readJSONL(t, out)[0]
	if row["chosen_tokens"].(float64) != 1 || row["policy_chosen_logp"].(float64) >= 0 {
		t.Errorf("empty chosen: %v tokens, logp %v; want its EOS alone", row["chosen_tokens"], row["policy_chosen_logp"])
	}
	code, _, stderr = run("score", "--policy", gpt2Policy, "--ref", gpt2Ref, "--data", data, "--out", filepath.Join(dir, "o2.jsonl"), "--no-eos")
	if code == 0 || !contains(stderr, "p.jsonl:1", "chosen", "no token to score") {
		t.Errorf("--no-eos with an empty response: exit %d, %s", code, stderr)
	}
}

func contains(s string, subs ...string) bool {
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			return false
		}
	}
	return true
}
