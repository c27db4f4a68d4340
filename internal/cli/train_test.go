package cli

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// runTrainCLI runs the app with the train command and returns its error
// and output.
func runTrainCLI(args ...string) (error, string, string) {
	var out, errb bytes.Buffer
	err := App(&out, &errb).Run(append([]string{"dpokit", "train"}, args...))
	return err, out.String(), errb.String()
}

func TestTrainEndToEnd(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "trained")
	cache := filepath.Join(dir, "refcache") + string(filepath.Separator)
	logf := filepath.Join(dir, "steps.jsonl")
	args := []string{"--policy", gpt2Policy, "--ref", gpt2Ref, "--data", filepath.Join(dataDir, "pairs.jsonl"),
		"--eval-data", filepath.Join(dataDir, "hh.jsonl"), "--eval-every", "2",
		"--max-steps", "4", "--batch-size", "4", "--lr", "1e-3", "--save-every", "2", "--ref-cache", cache}
	err, _, stderr := runTrainCLI(append(args, "--out", out, "--log", logf)...)
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	for _, f := range []string{"model.onnx", "config.json", "tokenizer.json", "tokenizer_config.json", "generation_config.json", "dpokit_train.json"} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Errorf("output lacks %s", f)
		}
	}
	recs := readJSONL(t, logf)
	train, eval := 0, 0
	for _, r := range recs {
		switch r["split"] {
		case "train":
			train++
			for _, k := range []string{"loss", "rewards/chosen", "rewards/rejected", "rewards/accuracies", "rewards/margins",
				"logps/chosen", "logps/rejected", "grad_norm", "learning_rate", "tokens_per_second"} {
				if _, ok := r[k].(float64); !ok {
					t.Errorf("train record lacks %s: %v", k, r)
				}
			}
		case "eval":
			eval++
			if _, ok := r["eval_rewards/accuracies"].(float64); !ok {
				t.Errorf("eval record lacks eval_rewards/accuracies: %v", r)
			}
		}
	}
	if train != 4 || eval != 2 {
		t.Errorf("%d train and %d eval records, want 4 and 2", train, eval)
	}
	if !strings.Contains(stderr, `reference log-probs computed" engine="ONNX Runtime"`) || !strings.Contains(stderr, "train step 4/4") {
		t.Errorf("stderr lacks the reference computation or progress lines:\n%s", stderr)
	}
	// A later run reuses the cached reference log-probs.
	err, stdout, stderr := runTrainCLI(append(args, "--out", filepath.Join(dir, "again"), "--max-steps", "1")...)
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	if !strings.Contains(stderr, "(cached)") || strings.Contains(stderr, `reference log-probs computed" engine="ONNX Runtime"`) {
		t.Errorf("second run did not reuse the reference cache:\n%s", stderr)
	}
	if !strings.Contains(stdout, `"split":"train"`) {
		t.Errorf("step log not on stdout: %q", stdout)
	}
	// The trained directory is a model directory score runs.
	code, _, serr := run("score", "--policy", out, "--ref", gpt2Ref, "--data", filepath.Join(dataDir, "pairs.jsonl"), "--out", filepath.Join(dir, "scored.jsonl"))
	if code != 0 {
		t.Fatalf("score on the trained model: exit %d: %s", code, serr)
	}
}

func TestTrainErrors(t *testing.T) {
	dir := t.TempDir()
	pairs := filepath.Join(dataDir, "pairs.jsonl")
	empty := filepath.Join(dir, "empty.jsonl")
	os.WriteFile(empty, []byte("{\"prompt\": \"a\", \"chosen\": 1, \"rejected\": \"b\"}\n"), 0o644) // malformed: skipped, leaving no pairs
	exists := filepath.Join(dir, "exists")
	os.Mkdir(exists, 0o755)
	base := []string{"--policy", gpt2Policy, "--ref-cache", filepath.Join(dir, "cache") + "/"}
	for _, tc := range []struct {
		name  string
		args  []string
		usage bool
		want  string
	}{
		{"tokenizer mismatch", []string{"--ref", llamaRef, "--data", pairs, "--out", filepath.Join(dir, "o1")}, false, "different tokenizers"},
		{"empty dataset", []string{"--data", empty, "--skip-invalid", "--out", filepath.Join(dir, "o2")}, false, "no pairs to train on"},
		{"out exists", []string{"--data", pairs, "--out", exists}, true, "already exists"},
		{"out is input", []string{"--data", pairs, "--out", gpt2Policy}, true, "already exists"},
		{"resume without checkpoint", []string{"--data", pairs, "--out", filepath.Join(dir, "o3"), "--resume"}, false, "no checkpoint"},
		{"bad loss", []string{"--data", pairs, "--out", filepath.Join(dir, "o4"), "--loss", "kto"}, true, "unknown loss"},
		{"smoothing with ipo", []string{"--data", pairs, "--out", filepath.Join(dir, "o5"), "--loss", "ipo", "--label-smoothing", "0.1"}, true, "label smoothing"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err, _, _ := runTrainCLI(append(append([]string{}, base...), tc.args...)...)
			var ue *UsageError
			if err == nil || !strings.Contains(err.Error(), tc.want) || errors.As(err, &ue) != tc.usage {
				t.Fatalf("err = %v; want a (usage %v) error mentioning %q", err, tc.usage, tc.want)
			}
		})
	}
}

// TestTrainResumeAfterKill: a `dpokit train` process killed with SIGKILL
// in the middle of a run, then resumed, logs the losses of a run that was
// never interrupted.
func TestTrainResumeAfterKill(t *testing.T) {
	dir := t.TempDir()
	args := []string{"--policy", gpt2Policy, "--ref", gpt2Ref, "--data", filepath.Join(dataDir, "pairs.jsonl"),
		"--max-steps", "12", "--batch-size", "2", "--lr", "1e-3", "--save-every", "2", "--seed", "7",
		"--ref-cache", filepath.Join(dir, "cache") + string(filepath.Separator)}
	want := filepath.Join(dir, "want.jsonl")
	if err, _, stderr := runTrainCLI(append(args, "--out", filepath.Join(dir, "want"), "--log", want)...); err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	got := filepath.Join(dir, "got.jsonl")
	out := filepath.Join(dir, "got")
	cmd := exec.Command(binary, append([]string{"train"}, append(args, "--out", out, "--log", got)...)...)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(2 * time.Minute)
	for {
		b, _ := os.ReadFile(got)
		if strings.Count(string(b), `"split":"train"`) >= 5 {
			break
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatal("the run logged no 5 steps in time")
		}
		time.Sleep(5 * time.Millisecond)
	}
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
	if _, err := os.Stat(out); err == nil {
		t.Skip("the run finished before it was killed")
	}
	if err, _, stderr := runTrainCLI(append(args, "--out", out, "--log", got, "--resume")...); err != nil {
		t.Fatalf("resume: %v\n%s", err, stderr)
	}
	w, g := readJSONL(t, want), readJSONL(t, got)
	if len(g) != len(w) {
		t.Fatalf("%d log records after resuming, want %d", len(g), len(w))
	}
	for i := range w {
		if g[i]["step"] != w[i]["step"] || g[i]["loss"] != w[i]["loss"] {
			t.Errorf("record %d: step %v loss %v, uninterrupted step %v loss %v", i, g[i]["step"], g[i]["loss"], w[i]["step"], w[i]["loss"])
		}
	}
}
