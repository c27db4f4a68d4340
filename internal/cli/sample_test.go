package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

type outRecord struct {
	ID          string
	Prompt      string
	Best        *int
	Completions []struct {
		Text         string
		TokenIDs     []int `json:"token_ids"`
		Logp         float64
		FinishReason string `json:"finish_reason"`
		Score        *float64
		RefLogp      *float64 `json:"ref_logp"`
	}
}

func readRecords(t *testing.T, path string) []outRecord {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []outRecord
	for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		var r outRecord
		if err := json.Unmarshal([]byte(l), &r); err != nil {
			t.Fatal(err)
		}
		out = append(out, r)
	}
	return out
}

// TestSampleSeedAndResume: the same seed gives the same bytes whatever the
// batch size, and a run resumed from a journal equals a whole run.
func TestSampleSeedAndResume(t *testing.T) {
	dir := t.TempDir()
	prompts := filepath.Join(dataDir, "prompts.jsonl")
	args := []string{"sample", "--model", llamaPolicy, "--prompts", prompts, "--n", "3", "--max-new-tokens", "12", "--temperature", "0.9", "--top-k", "50", "--seed", "7"}
	a, b := filepath.Join(dir, "a.jsonl"), filepath.Join(dir, "b.jsonl")
	if code, _, stderr := run(append(args, "--out", a, "--batch", "16")...); code != 0 {
		t.Fatal(stderr)
	}
	if code, _, stderr := run(append(args, "--out", b, "--batch", "5")...); code != 0 {
		t.Fatal(stderr)
	}
	// Same tokens and text; log-probs agree to float32 rounding (batch
	// shapes change the last bits of ONNX Runtime's sums).
	recs, recs5 := readRecords(t, a), readRecords(t, b)
	for i := range recs {
		for j, c := range recs[i].Completions {
			d := recs5[i].Completions[j]
			if !slices.Equal(c.TokenIDs, d.TokenIDs) || c.Text != d.Text || math.Abs(c.Logp-d.Logp) > 1e-4 {
				t.Fatalf("%s/%d: --batch 16 and --batch 5 differ for one seed", recs[i].ID, j)
			}
		}
	}
	if len(recs) != 12 || len(recs[0].Completions) != 3 || recs[0].ID != "q01" {
		t.Fatalf("%d records, first %+v", len(recs), recs[0])
	}
	for _, r := range recs {
		for _, c := range r.Completions {
			if len(c.TokenIDs) == 0 || len(c.TokenIDs) > 12 || c.Logp >= 0 || (c.FinishReason != "length" && c.FinishReason != "eos" && c.FinishReason != "stop") {
				t.Fatalf("bad completion %+v", c)
			}
		}
	}
	// Kill -9 a longer run part-way and resume it.
	many := filepath.Join(dir, "many.jsonl")
	var pb bytes.Buffer
	for i := 0; i < 400; i++ {
		b, _ := json.Marshal(map[string]string{"id": fmt.Sprintf("m%03d", i), "prompt": fmt.Sprintf("Tell me about the number %d.", i)})
		pb.Write(append(b, '\n'))
	}
	os.WriteFile(many, pb.Bytes(), 0o644)
	margs := []string{"sample", "--model", llamaPolicy, "--prompts", many, "--n", "2", "--max-new-tokens", "16", "--seed", "5", "--batch", "4"}
	whole, resumed := filepath.Join(dir, "whole.jsonl"), filepath.Join(dir, "resumed.jsonl")
	if code, _, stderr := run(append(margs, "--out", whole)...); code != 0 {
		t.Fatal(stderr)
	}
	killAfterJournalLines(t, append(margs, "--out", resumed), resumed+".partial", 20)
	if code, _, stderr := run(append(margs, "--out", resumed, "--resume")...); code != 0 {
		t.Fatal(stderr)
	}
	wb, _ := os.ReadFile(whole)
	rb, _ := os.ReadFile(resumed)
	if !bytes.Equal(wb, rb) {
		t.Fatal("resumed sampling differs from a whole run")
	}
}

func TestBestOfNAndWinRate(t *testing.T) {
	dir := t.TempDir()
	prompts := filepath.Join(dataDir, "prompts.jsonl")
	best, base := filepath.Join(dir, "best.jsonl"), filepath.Join(dir, "base.jsonl")
	code, _, stderr := run("bestofn", "--model", llamaRef, "--prompts", prompts, "--n", "6", "--max-new-tokens", "10",
		"--rank", "implicit", "--policy", llamaPolicy, "--ref", llamaRef, "--beta", "0.5", "--seed", "3", "--out", best, "--baseline-out", base)
	if code != 0 {
		t.Fatal(stderr)
	}
	recs := readRecords(t, best)
	baseRecs := readRecords(t, base)
	if len(recs) != 12 || len(baseRecs) != 12 {
		t.Fatalf("%d best-of-n records, %d baseline records", len(recs), len(baseRecs))
	}
	// Every candidate scored; best is the argmax; the baseline holds it.
	var pairs bytes.Buffer
	for i, r := range recs {
		if r.Best == nil || len(r.Completions) != 6 {
			t.Fatalf("record %s: best %v, %d completions", r.ID, r.Best, len(r.Completions))
		}
		for _, c := range r.Completions {
			if c.Score == nil || *c.Score > *r.Completions[*r.Best].Score {
				t.Fatalf("record %s: best %d is not the argmax", r.ID, *r.Best)
			}
		}
		if baseRecs[i].Completions[0].Text != r.Completions[*r.Best].Text || baseRecs[i].ID != r.ID {
			t.Fatalf("baseline %s does not hold the best completion", r.ID)
		}
		// The implicit reward of the best completion, recomputed by `score`.
		b, _ := json.Marshal(map[string]string{"id": r.ID, "prompt": r.Prompt, "chosen": r.Completions[*r.Best].Text, "rejected": r.Completions[0].Text})
		pairs.Write(append(b, '\n'))
	}
	pf := filepath.Join(dir, "pairs.jsonl")
	os.WriteFile(pf, pairs.Bytes(), 0o644)
	scored := filepath.Join(dir, "scored.jsonl")
	if code, _, stderr := run("score", "--policy", llamaPolicy, "--ref", llamaRef, "--beta", "0.5", "--data", pf, "--out", scored); code != 0 {
		t.Fatal(stderr)
	}
	for i, s := range readJSONL(t, scored) {
		r := recs[i]
		if d := math.Abs(s["chosen_reward"].(float64) - *r.Completions[*r.Best].Score); d > 1e-4 {
			t.Errorf("%s: bestofn score %g, score's implicit reward %g", r.ID, *r.Completions[*r.Best].Score, s["chosen_reward"])
		}
		if s["rejected_reward"].(float64) > s["chosen_reward"].(float64)+1e-9 {
			t.Errorf("%s: completion 0 outscores the chosen best", r.ID)
		}
	}

	// Win rate of a file against itself: all ties.
	res := filepath.Join(dir, "wr.json")
	judge := []string{"--judge", "implicit", "--policy", llamaPolicy, "--ref", llamaRef, "--beta", "0.5"}
	if code, _, stderr := run(append([]string{"score", "winrate", "--candidates", base, "--baseline", base, "--out", res, "--length-controlled"}, judge...)...); code != 0 {
		t.Fatal(stderr)
	}
	w := readSummary(t, res)
	if w["n"].(float64) != 12 || w["ties"].(float64) != 12 || w["win_rate"].(float64) != 0.5 || w["standard_error"].(float64) != 0 {
		t.Fatalf("self win rate %v", w)
	}
	// Best-of-6 against its own first sample (a plain sample of the same
	// model): it never loses, and swapping sides mirrors the rate.
	first := filepath.Join(dir, "first.jsonl")
	var fb bytes.Buffer
	for _, r := range recs {
		b, _ := json.Marshal(map[string]any{"id": r.ID, "prompt": r.Prompt, "completions": []any{map[string]any{"text": r.Completions[0].Text, "token_ids": r.Completions[0].TokenIDs}}})
		fb.Write(append(b, '\n'))
	}
	os.WriteFile(first, fb.Bytes(), 0o644)
	var rates [2]float64
	for k, pair := range [][2]string{{best, first}, {first, best}} {
		if code, _, stderr := run(append([]string{"score", "winrate", "--candidates", pair[0], "--baseline", pair[1], "--out", res}, judge...)...); code != 0 {
			t.Fatal(stderr)
		}
		w := readSummary(t, res)
		rates[k] = w["win_rate"].(float64)
		if k == 0 && w["losses"].(float64) != 0 {
			t.Errorf("best-of-6 lost to its own first sample: %v", w)
		}
	}
	if math.Abs(rates[0]+rates[1]-1) > 1e-12 || rates[0] <= 0.5 {
		t.Errorf("win rates %v: want mirrored and above ½", rates)
	}

	// A baseline missing prompts is an error naming them.
	short := filepath.Join(dir, "short.jsonl")
	os.WriteFile(short, fb.Bytes()[:bytes.IndexByte(fb.Bytes(), '\n')+1], 0o644)
	code, _, stderr = run(append([]string{"score", "winrate", "--candidates", best, "--baseline", short}, judge...)...)
	if code == 0 || !strings.Contains(stderr, "lacks prompts") || !strings.Contains(stderr, "q02") {
		t.Errorf("missing baseline prompts: exit %d %s", code, stderr)
	}
}

func TestRewardModelRankAndErrors(t *testing.T) {
	dir := t.TempDir()
	prompts := filepath.Join(dataDir, "prompts.jsonl")
	rm := "rm:../../testdata/models/rm-llama"
	out := filepath.Join(dir, "rm.jsonl")
	code, _, stderr := run("bestofn", "--model", llamaRef, "--prompts", prompts, "--n", "4", "--max-new-tokens", "8", "--rank", rm, "--out", out)
	if code != 0 {
		t.Fatal(stderr)
	}
	for _, r := range readRecords(t, out) {
		if r.Best == nil {
			t.Fatalf("%s: no best", r.ID)
		}
		distinct := map[float64]bool{}
		for _, c := range r.Completions {
			distinct[*c.Score] = true
			if *c.Score > *r.Completions[*r.Best].Score {
				t.Fatalf("%s: best is not the argmax", r.ID)
			}
		}
		if len(distinct) < 2 {
			t.Errorf("%s: reward model gave one score to all candidates", r.ID)
		}
	}
	code, _, stderr = run("score", "winrate", "--candidates", out, "--baseline", out, "--judge", "rm:../../testdata/models/rm-bad")
	if code == 0 || !strings.Contains(stderr, "one score per sequence") {
		t.Errorf("bad reward model: exit %d %s", code, stderr)
	}
	code, _, stderr = run("bestofn", "--model", llamaRef, "--prompts", longPrompt(t, dir), "--n", "2", "--max-new-tokens", "4", "--out", filepath.Join(dir, "x.jsonl"))
	if code == 0 || !strings.Contains(stderr, "context length") {
		t.Errorf("prompt longer than the context: exit %d %s", code, stderr)
	}
}

func longPrompt(t *testing.T, dir string) string {
	p := filepath.Join(dir, "long-prompts.jsonl")
	b, _ := json.Marshal(map[string]string{"id": "long", "prompt": strings.Repeat("word ", 1100)})
	if err := os.WriteFile(p, append(b, '\n'), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// --ref-model gives each completion's log-prob under the reference on its
// exact tokens: with the sampling model itself as reference it equals logp;
// with another model it equals what `score` gives for the same text.
func TestSampleRefModel(t *testing.T) {
	dir := t.TempDir()
	prompts := filepath.Join(dataDir, "prompts.jsonl")
	for _, ref := range []string{llamaPolicy, llamaRef} {
		out := filepath.Join(dir, filepath.Base(ref)+".jsonl")
		code, _, stderr := run("sample", "--model", llamaPolicy, "--ref-model", ref, "--prompts", prompts, "--n", "2", "--max-new-tokens", "6", "--seed", "4", "--out", out)
		if code != 0 {
			t.Fatal(stderr)
		}
		for _, r := range readRecords(t, out) {
			for _, c := range r.Completions {
				if ref == llamaPolicy {
					if c.RefLogp == nil || math.Abs(*c.RefLogp-c.Logp) > 1e-4 {
						t.Fatalf("%s: ref_logp %v under the sampling model itself, logp %g", r.ID, c.RefLogp, c.Logp)
					}
				} else if c.RefLogp == nil || math.Abs(*c.RefLogp-c.Logp) < 1e-6 {
					t.Fatalf("%s: ref_logp %v equals the policy's logp %g under another model", r.ID, c.RefLogp, c.Logp)
				}
			}
		}
	}
	code, _, stderr := run("sample", "--model", llamaPolicy, "--ref-model", gpt2Ref, "--prompts", prompts, "--max-new-tokens", "2", "--out", filepath.Join(dir, "x.jsonl"))
	if code == 0 || !strings.Contains(stderr, "another tokenizer") {
		t.Errorf("reference with another tokenizer: exit %d %s", code, stderr)
	}
}
