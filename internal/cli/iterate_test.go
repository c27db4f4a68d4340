package cli

import (
	"bytes"
	"encoding/json"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dpokit/dpokit/internal/synth"
	"github.com/dpokit/dpokit/results"
)

// TestIterateRaisesTrueReward runs iterative on-policy DPO on the controlled
// experiment's task: a reference trained by SFT on the task's language, the
// exact reward model as judge, 3 rounds. The true reward (internal/synth's Go
// formula, not the judge) of the evaluation samples rises round over round,
// a rerun resumes to the same result, and a rerun with another --beta is
// refused.
func TestIterateRaisesTrueReward(t *testing.T) {
	dir := t.TempDir()
	at := func(name string) string { return filepath.Join(dir, name) }
	for _, args := range [][]string{
		{"corpus", "--n", "600", "--seed", "1", "--out", at("sft.jsonl")},
		{"prompts", "--n", "48", "--seed", "2", "--out", at("prompts.jsonl")},
		{"reward-model", at("rm")},
	} {
		if code := synth.Main(args, io.Discard, os.Stderr); code != 0 {
			t.Fatalf("synth %v: exit %d", args, code)
		}
	}
	if code, _, stderr := run("train", "--loss", "sft", "--policy", "../../testdata/experiment/init", "--data", at("sft.jsonl"),
		"--out", at("ref"), "--epochs", "2", "--lr", "3e-3", "--batch-size", "16", "--max-length", "64", "--seed", "1", "--log", at("sft.log")); code != 0 {
		t.Fatalf("sft: exit %d: %s", code, stderr)
	}
	args := []string{"iterate", "--policy", at("ref"), "--prompts", at("prompts.jsonl"), "--judge", "rm:" + at("rm"), "--rounds", "3",
		"--n", "4", "--max-new-tokens", "24", "--lr", "1e-3", "--epochs", "2", "--batch-size", "16", "--max-length", "64", "--out", at("out")}
	code, _, stderr := run(args...)
	if code != 0 {
		t.Fatalf("iterate: exit %d: %s", code, stderr)
	}
	first, err := os.ReadFile(at("out/iterate.json"))
	if err != nil {
		t.Fatal(err)
	}
	var it results.Iteration
	if err := json.Unmarshal(first, &it); err != nil || len(it.Rounds) != 4 {
		t.Fatalf("iterate.json: %v, %d rounds", err, len(it.Rounds))
	}
	var means, ses []float64
	for k := range 4 {
		recs, err := results.ReadRecords(filepath.Join(dir, "out", "round-"+string(rune('0'+k)), "eval.jsonl"))
		if err != nil {
			t.Fatal(err)
		}
		var r []float64
		for _, rec := range recs {
			r = append(r, synth.Reward(rec.Completions[0].Text))
		}
		m, se := results.MeanStdErr(r)
		means, ses = append(means, m), append(ses, se)
		if k > 0 && it.Rounds[k].Pairs == 0 {
			t.Errorf("round %d trained on no pairs", k)
		}
	}
	t.Logf("true reward per round: %.3f", means)
	if gain := means[3] - means[0]; gain < 3*math.Hypot(ses[3], ses[0]) || means[2] <= means[0] {
		t.Errorf("true reward did not rise: %.3f (± %.3f)", means, ses)
	}
	if it.Rounds[3].WinRate <= 0.5 {
		t.Errorf("round 3 win rate against round 0: %.3f", it.Rounds[3].WinRate)
	}

	// A rerun finds every step done and gives the same summary.
	if code, _, stderr := run(args...); code != 0 {
		t.Fatalf("rerun: exit %d: %s", code, stderr)
	}
	if again, _ := os.ReadFile(at("out/iterate.json")); !bytes.Equal(again, first) {
		t.Error("a resumed run changed iterate.json")
	}
	code, _, stderr = run(append(args, "--beta", "0.2")...)
	if code == 0 || !strings.Contains(stderr, "--beta") {
		t.Errorf("rerun with another --beta: exit %d, %s", code, stderr)
	}
	// The report plots the rounds.
	if code, _, stderr := run("report", "--out", at("report"), at("out/iterate.json")); code != 0 {
		t.Fatalf("report: exit %d: %s", code, stderr)
	}
	if page, _ := os.ReadFile(at("report/index.html")); !bytes.Contains(page, []byte("Mean reward per round")) {
		t.Error("the report has no per-round plot")
	}
}

// TestIterateShardedSampling: a round sampled by an array of --shard runs
// (one task lost) and merged by the run without --shard equals the round
// one run samples, byte for byte; a task of the next array before the
// round is trained is refused, saying what to run.
func TestIterateShardedSampling(t *testing.T) {
	dir := t.TempDir()
	at := func(name string) string { return filepath.Join(dir, name) }
	for _, args := range [][]string{
		{"prompts", "--n", "12", "--seed", "3", "--out", at("prompts.jsonl")},
		{"reward-model", at("rm")},
	} {
		if code := synth.Main(args, io.Discard, os.Stderr); code != 0 {
			t.Fatalf("synth %v: exit %d", args, code)
		}
	}
	args := func(out string, more ...string) []string {
		return append([]string{"iterate", "--policy", "../../testdata/experiment/init", "--prompts", at("prompts.jsonl"),
			"--judge", "rm:" + at("rm"), "--rounds", "1", "--n", "3", "--batch", "4", "--max-new-tokens", "12",
			"--epochs", "1", "--batch-size", "12", "--max-length", "64", "--out", out}, more...)
	}
	if code, _, stderr := run(args(at("whole"))...); code != 0 {
		t.Fatalf("unsharded: exit %d: %s", code, stderr)
	}
	// Task 1 of 3 never ran; the merging run finishes it.
	for _, s := range []string{"0/3", "2/3"} {
		if code, _, stderr := run(args(at("sharded"), "--shard", s)...); code != 0 {
			t.Fatalf("shard %s: exit %d: %s", s, code, stderr)
		}
	}
	if _, err := os.Stat(at("sharded/round-1/samples.jsonl")); err == nil {
		t.Fatal("a shard wrote the merged samples")
	}
	for _, part := range []string{"samples-shard-00000-of-00003.jsonl.done", "samples-shard-00002-of-00003.jsonl.done"} {
		if _, err := os.Stat(at("sharded/round-1/" + part)); err != nil {
			t.Fatalf("the shards' parts: %v", err)
		}
	}
	if code, _, stderr := run(args(at("sharded"))...); code != 0 {
		t.Fatalf("merging run: exit %d: %s", code, stderr)
	}
	whole, err := os.ReadFile(at("whole/round-1/samples.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	merged, err := os.ReadFile(at("sharded/round-1/samples.jsonl"))
	if err != nil || !bytes.Equal(merged, whole) {
		t.Fatalf("merged samples (%v) differ from one run's", err)
	}
	if a, b := readJSONL(t, at("whole/round-1/eval.jsonl")), readJSONL(t, at("sharded/round-1/eval.jsonl")); len(a) != 12 || len(b) != 12 {
		t.Fatalf("evaluation samples: %d and %d, want 12", len(a), len(b))
	}
	// Round 2's array may start once round 1 is trained; remove the model
	// to see the refusal.
	os.RemoveAll(at("sharded/round-1/model"))
	code, _, stderr := run(args(at("sharded"), "--rounds", "2", "--shard", "0/3")...)
	if code == 0 || !strings.Contains(stderr, "round 1 is sampled but not trained yet") || !strings.Contains(stderr, "without --shard") {
		t.Fatalf("a shard before its round's policy exists: exit %d: %s", code, stderr)
	}
}
