package cli

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestOutputsThatCannotBeWritten: an --out that is a directory or whose
// directory is missing is found before any work (it used to be found after
// all the scoring), exit 2 naming the flag.
func TestOutputsThatCannotBeWritten(t *testing.T) {
	dir := t.TempDir()
	data, prompts := filepath.Join(dataDir, "pairs.jsonl"), filepath.Join(dataDir, "prompts.jsonl")
	missing := filepath.Join(dir, "no", "such", "out.jsonl")
	for _, tc := range []struct {
		name, flag string
		args       []string
	}{
		{"score out is a directory", "--out", []string{"score", "--policy", gpt2Policy, "--ref", gpt2Ref, "--data", data, "--out", dir}},
		{"score summary in a missing directory", "--summary", []string{"score", "--policy", gpt2Policy, "--ref", gpt2Ref, "--data", data, "--summary", missing}},
		{"sample out in a missing directory", "--out", []string{"sample", "--model", llamaPolicy, "--prompts", prompts, "--out", missing}},
		{"bestofn baseline-out is a directory", "--baseline-out", []string{"bestofn", "--model", llamaPolicy, "--prompts", prompts, "--out", filepath.Join(dir, "b.jsonl"), "--baseline-out", dir}},
		{"train log in a missing directory", "--log", []string{"train", "--policy", gpt2Policy, "--data", data, "--out", filepath.Join(dir, "m"), "--log", missing}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := run(tc.args...)
			if code != 2 || !strings.Contains(stderr, tc.flag) {
				t.Fatalf("exit %d, stderr %q; want exit 2 naming %s", code, stderr, tc.flag)
			}
			if strings.Contains(stderr, "pairs/s") || strings.Contains(stderr, "prompts") && strings.Contains(stderr, "eta") || stdout != "" {
				t.Fatalf("work was done before the refusal: %q", stderr)
			}
		})
	}
}

// TestFailedStartLeavesNothing: a run that fails before any pair is scored
// (here a tokenizer whose ids do not fit the model) used to leave a
// header-only OUT.partial that made the plain rerun fail with "unfinished
// results exist"; now the rerun fails the same way, and nothing is left.
func TestFailedStartLeavesNothing(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "out.jsonl")
	args := []string{"score", "--policy", mixedModel(t, dir), "--ref-free", "--data", filepath.Join(dataDir, "pairs.jsonl"), "--out", out}
	for i := range 2 {
		code, _, stderr := run(args...)
		if code != 1 || !strings.Contains(stderr, "outside the model's vocabulary") {
			t.Fatalf("run %d: exit %d, stderr %q", i+1, code, stderr)
		}
		left, _ := filepath.Glob(out + "*")
		if len(left) > 0 {
			t.Fatalf("run %d left %v", i+1, left)
		}
	}
}

// TestConcurrentRunsOnOneOutput: a second run on an output another run is
// writing is refused at once by the output's lock (two --resume runs used
// to both do the whole work), and the first run finishes undisturbed.
func TestConcurrentRunsOnOneOutput(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "out.jsonl")
	args := []string{"score", "--policy", gpt2Policy, "--ref", gpt2Ref, "--data", manyPairs(t, dir, 4), "--out", out, "--batch-tokens", "64"}
	first := exec.Command(binary, args...)
	if err := first.Start(); err != nil {
		t.Fatal(err)
	}
	defer first.Process.Kill()
	deadline := time.Now().Add(60 * time.Second)
	for {
		if _, err := os.Stat(out + ".lock"); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the first run took no lock")
		}
		time.Sleep(5 * time.Millisecond)
	}
	for _, extra := range [][]string{nil, {"--resume"}} {
		code, _, stderr := run(append(args, extra...)...)
		if code != 1 || !strings.Contains(stderr, "another run") || !strings.Contains(stderr, out+".lock") {
			t.Fatalf("second run %v: exit %d, stderr %q; want a refusal naming the lock", extra, code, stderr)
		}
	}
	if err := first.Wait(); err != nil {
		t.Fatalf("first run: %v", err)
	}
	if recs := readJSONL(t, out); len(recs) != 4*24 {
		t.Fatalf("%d results, want %d", len(recs), 4*24)
	}
	if _, err := os.Stat(out + ".lock"); err == nil {
		t.Error("lock file left after the run")
	}
}
