package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// resumeCase is a resumed run with one input changed, which must be
// refused with the changed input named.
type resumeCase struct {
	name string
	args []string // appended to the interrupted run's arguments (later flags win)
	want string   // the input the refusal names
}

// checkRefusals resumes the interrupted run args once per case and wants
// each refused (exit 1, "--resume refused", the changed input named), its
// journal left as it was.
func checkRefusals(t *testing.T, args []string, journal string, cases []resumeCase) {
	t.Helper()
	before, err := os.ReadFile(journal)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, _, stderr := run(append(append(append([]string{}, args...), tc.args...), "--resume")...)
			if code != 1 || !strings.Contains(stderr, "--resume refused") || !strings.Contains(stderr, tc.want) {
				t.Fatalf("exit %d, stderr %q; want a refusal naming %s", code, stderr, tc.want)
			}
			if after, _ := os.ReadFile(journal); !bytes.Equal(before, after) {
				t.Fatal("a refused resume changed the journal")
			}
		})
	}
}

// TestScoreResumeIdentity: an interrupted score run resumes only with the
// same models, data (by content, wherever it lies) and settings.
func TestScoreResumeIdentity(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "pairs.jsonl")
	b, _ := os.ReadFile(filepath.Join(dataDir, "pairs.jsonl"))
	os.WriteFile(data, b, 0o644)
	changed := filepath.Join(dir, "changed.jsonl")
	os.WriteFile(changed, bytes.Replace(b, []byte("Paris"), []byte("Nice"), 1), 0o644)
	out := filepath.Join(dir, "out.jsonl")
	args := []string{"score", "--policy", gpt2Policy, "--ref", gpt2Ref, "--data", data, "--out", out}
	killAfterJournalLines(t, args, out+".partial", 1)
	checkRefusals(t, args, out+".partial", []resumeCase{
		{"data content", []string{"--data", changed}, "--data (contents differ)"},
		{"reference", []string{"--ref", gpt2Policy}, "--ref (contents differ)"},
		{"beta", []string{"--beta", "0.5"}, "--beta (0.1 → 0.5)"},
		{"length-norm", []string{"--length-norm", "avg"}, "--length-norm"},
		{"max-length", []string{"--max-length", "64"}, "--max-length (0 → 64)"},
		{"max-prompt-length", []string{"--max-prompt-length", "8"}, "--max-prompt-length"},
		{"no-eos", []string{"--no-eos"}, "--no-eos (false → true)"},
		{"format", []string{"--format", "explicit"}, "--format"},
		{"batch-tokens", []string{"--batch-tokens", "64"}, "--batch-tokens (166 → 64)"},
	})
	// The same bytes under another name resume.
	moved := filepath.Join(dir, "moved.jsonl")
	os.Rename(data, moved)
	if code, _, stderr := run(append(args, "--data", moved, "--resume")...); code != 0 {
		t.Fatalf("resume with the data moved: exit %d: %s", code, stderr)
	}
}

// TestSampleResumeIdentity: sample --resume after the prompts file changed
// is refused (its journal once keyed on the path).
func TestSampleResumeIdentity(t *testing.T) {
	dir := t.TempDir()
	prompts := filepath.Join(dir, "prompts.jsonl")
	b, err := os.ReadFile(filepath.Join(dataDir, "prompts.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(prompts, b, 0o644)
	out := filepath.Join(dir, "out.jsonl")
	args := []string{"sample", "--model", llamaPolicy, "--prompts", prompts, "--n", "2", "--max-new-tokens", "8", "--batch", "2", "--out", out}
	killAfterJournalLines(t, args, out+".partial", 1)
	journal, _ := os.ReadFile(out + ".partial")
	os.WriteFile(prompts, bytes.Replace(b, []byte("q01"), []byte("q99"), 1), 0o644)
	checkRefusals(t, args, out+".partial", []resumeCase{
		{"prompts content", nil, "--prompts (contents differ)"},
		{"temperature", []string{"--temperature", "0.5"}, "--temperature"},
		{"ref-model", []string{"--ref-model", llamaRef}, "--ref-model"},
	})
	os.WriteFile(prompts, b, 0o644)
	os.WriteFile(out+".partial", journal, 0o644)
	if code, _, stderr := run(append(args, "--resume")...); code != 0 {
		t.Fatalf("resume with the prompts restored: exit %d: %s", code, stderr)
	}
}

// TestBestofnResumeIdentity: the ranking's models and settings are part of
// a best-of-N run's identity.
func TestBestofnResumeIdentity(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "best.jsonl")
	args := []string{"bestofn", "--model", llamaRef, "--prompts", filepath.Join(dataDir, "prompts.jsonl"), "--n", "3", "--max-new-tokens", "8",
		"--rank", "implicit", "--policy", llamaPolicy, "--ref", llamaRef, "--out", out}
	killAfterJournalLines(t, args, out+".partial", 1)
	checkRefusals(t, args, out+".partial", []resumeCase{
		{"policy", []string{"--policy", llamaRef}, "--policy (contents differ)"},
		{"ref", []string{"--ref", llamaPolicy}, "--ref (contents differ)"},
		{"beta", []string{"--beta", "0.2"}, "--beta (0.1 → 0.2)"},
		{"length-norm", []string{"--length-norm", "avg"}, "--length-norm"},
		{"rank", []string{"--rank", "logprob"}, "--rank"},
	})
}

// TestTrainResumeIdentity: train --resume with another reference, data
// preparation or hyperparameter is refused before any work.
func TestTrainResumeIdentity(t *testing.T) {
	dir := t.TempDir()
	ckpt := filepath.Join(dir, "ckpt")
	args := []string{"train", "--policy", gpt2Policy, "--ref", gpt2Ref, "--data", filepath.Join(dataDir, "pairs.jsonl"),
		"--max-steps", "1", "--batch-size", "4", "--lr", "1e-3", "--checkpoint-dir", ckpt,
		"--ref-cache", filepath.Join(dir, "cache") + string(filepath.Separator)}
	if code, _, stderr := run(append(args, "--out", filepath.Join(dir, "first"))...); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	args = append(args, "--out", filepath.Join(dir, "second"))
	state, err := os.ReadFile(filepath.Join(ckpt, "step-00000001", "state.json"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []resumeCase{
		{"ref", []string{"--ref", gpt2Policy}, "--ref (contents differ)"},
		{"max-length", []string{"--max-length", "512"}, "--max-length (1024 → 512)"},
		{"max-prompt-length", []string{"--max-prompt-length", "100"}, "--max-prompt-length (512 → 100)"},
		{"no-eos", []string{"--no-eos"}, "--no-eos (false → true)"},
		{"format", []string{"--format", "explicit"}, "--format"},
		{"lr", []string{"--lr", "1e-2"}, "--lr"},
		{"loss", []string{"--loss", "ipo"}, "--loss"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, _, stderr := run(append(append(append([]string{}, args...), tc.args...), "--resume")...)
			if code != 1 || !strings.Contains(stderr, "--resume refused") || !strings.Contains(stderr, tc.want) {
				t.Fatalf("exit %d, stderr %q; want a refusal naming %s", code, stderr, tc.want)
			}
		})
	}
	if after, _ := os.ReadFile(filepath.Join(ckpt, "step-00000001", "state.json")); !bytes.Equal(state, after) {
		t.Fatal("a refused resume changed the checkpoint")
	}
	// (A resume with the same inputs continues: TestTrainResumeAfterKill.)
}

// TestOutputAliasesRefused: an output that is the same file as an input or
// another output is refused before any work, and the file is untouched.
func TestOutputAliasesRefused(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "pairs.jsonl")
	b, _ := os.ReadFile(filepath.Join(dataDir, "pairs.jsonl"))
	os.WriteFile(data, b, 0o644)
	link := filepath.Join(dir, "link.jsonl")
	os.Symlink(data, link)
	prompts := filepath.Join(dir, "prompts.jsonl")
	pb, _ := os.ReadFile(filepath.Join(dataDir, "prompts.jsonl"))
	os.WriteFile(prompts, pb, 0o644)
	same := filepath.Join(dir, "same.jsonl")
	score := []string{"score", "--policy", gpt2Policy, "--ref", gpt2Ref, "--data", data}
	sample := []string{"sample", "--model", llamaPolicy, "--prompts", prompts, "--max-new-tokens", "4"}
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"score out is data", append(score, "--out", data), "--out"},
		{"score out is data by symlink", append(score, "--out", link), "--data"},
		{"score out is summary", append(score, "--out", same, "--summary", filepath.Join(dir, ".", "same.jsonl")), "--summary"},
		{"sample out is prompts", append(sample, "--out", prompts), "--prompts"},
		{"bestofn out is baseline", []string{"bestofn", "--model", llamaPolicy, "--prompts", prompts, "--n", "2", "--max-new-tokens", "4", "--out", same, "--baseline-out", same}, "--baseline-out"},
		{"train log is data", []string{"train", "--policy", gpt2Policy, "--data", data, "--out", filepath.Join(dir, "m"), "--log", data}, "--log"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, _, stderr := run(tc.args...)
			if code != 2 || !strings.Contains(stderr, "is the same file as") || !strings.Contains(stderr, tc.want) {
				t.Fatalf("exit %d, stderr %q; want exit 2 naming %s", code, stderr, tc.want)
			}
			if got, _ := os.ReadFile(data); !bytes.Equal(got, b) {
				t.Fatal("the data file changed")
			}
			if got, _ := os.ReadFile(prompts); !bytes.Equal(got, pb) {
				t.Fatal("the prompts file changed")
			}
			if _, err := os.Stat(same); err == nil {
				t.Fatal("an output was written")
			}
		})
	}
}

// A run that fails before finishing anything leaves no journal behind to
// block a plain rerun.
func TestFailedStartLeavesNoJournal(t *testing.T) {
	out := filepath.Join(t.TempDir(), "out.jsonl")
	code, _, stderr := run("score", "--policy", gpt2Policy, "--ref", gpt2Ref, "--data", filepath.Join(dataDir, "bad.jsonl"), "--out", out)
	if code != 1 || !strings.Contains(stderr, "bad.jsonl:2") {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if _, err := os.Stat(out + ".partial"); err == nil {
		t.Fatal("a failed start left its journal")
	}
}
