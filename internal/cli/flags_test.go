package cli

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/urfave/cli/v2"

	"github.com/dpokit/dpokit/bestofn"
	"github.com/dpokit/dpokit/dataset"
	"github.com/dpokit/dpokit/results"
	"github.com/dpokit/dpokit/score"
	"github.com/dpokit/dpokit/tokenize"
)

// parseWith runs the command line through the app with cmd's action
// replaced by parse, so that flags are turned into options and nothing
// runs. It returns parse's result and the app's error.
func parseWith[T any](t *testing.T, cmd *cli.Command, parse func(*cli.Context) (T, error), args ...string) (T, error) {
	t.Helper()
	var got T
	cmd.Action = func(c *cli.Context) error {
		var err error
		got, err = parse(c)
		return err
	}
	app := App(&bytes.Buffer{}, &bytes.Buffer{})
	app.Commands = []*cli.Command{cmd}
	setUsageErrors(app.Commands)
	err := app.Run(permute(app, append([]string{"dpokit", cmd.Name}, args...)))
	return got, err
}

func TestScoreFlags(t *testing.T) {
	job, err := parseWith(t, scoreCommand(), func(c *cli.Context) (*score.Job, error) {
		j, _, err := scoreOptions(c)
		return j, err
	}, "--policy", "P", "--data", "D", "--ref-free", "--beta", "0.5", "--length-norm", "avg", "--max-length", "64",
		"--max-prompt-length", "32", "--no-eos", "--batch-tokens", "99", "--no-prefix-sharing", "--out", "O", "--summary", "S",
		"--resume", "--shard", "1/3", "--skip-invalid", "--format", "implicit")
	if err != nil {
		t.Fatal(err)
	}
	want := score.Job{PolicyDir: "P", Data: "D", DataOpts: dataset.Options{Format: dataset.Implicit, SkipInvalid: true},
		Options: score.Options{Rewarding: score.Rewarding{Beta: 0.5, RefFree: true, LengthNorm: "avg"}, BatchTokens: 99, NoPrefixSharing: true},
		Pair:    tokenize.PairOptions{MaxLength: 64, MaxPromptLength: 32, NoEOS: true}, Out: "O", Summary: "S", Resume: true,
		Shard: results.Shard{I: 1, N: 3}}
	job.Stdout, job.Stderr = nil, nil
	if !reflect.DeepEqual(*job, want) {
		t.Fatalf("job\n%+v\nwant\n%+v", *job, want)
	}
	// --json without --out: stdout is the summary's, the pairs are not written there.
	job, err = parseWith(t, scoreCommand(), func(c *cli.Context) (*score.Job, error) {
		j, _, err := scoreOptions(c)
		return j, err
	}, "--policy", "P", "--ref", "R", "--data", "D", "--json")
	if err != nil || job.Stdout != nil {
		t.Fatalf("--json without --out: stdout %v, err %v", job.Stdout, err)
	}
}

// Bad values are usage errors that name the flag as typed, with two dashes.
func TestFlagErrorsNameTheFlag(t *testing.T) {
	sampleArgs := []string{"--model", "M", "--prompts", "P", "--out", "O"}
	trainArgs := []string{"--policy", "P", "--data", "D", "--out", filepath.Join(t.TempDir(), "o")}
	for _, tc := range []struct {
		name string
		cmd  func() *cli.Command
		args []string
		want string
	}{
		{"unknown flag", scoreCommand, []string{"--policy", "P", "--nope"}, "--nope"},
		{"not a number", sampleCommand, append(sampleArgs, "--top-p", "abc"), "--top-p"},
		{"top-p out of range", sampleCommand, append(sampleArgs, "--top-p", "1.5"), "--top-p"},
		{"min-p out of range", sampleCommand, append(sampleArgs, "--min-p", "-1"), "--min-p"},
		{"min-new-tokens above max", sampleCommand, append(sampleArgs, "--min-new-tokens", "200"), "--min-new-tokens"},
		{"empty stop string", sampleCommand, append(sampleArgs, "--stop", ""), "--stop"},
		{"n zero", bestofnCommand, append(sampleArgs, "--n", "0"), "--n"},
		{"rank", bestofnCommand, append(sampleArgs, "--rank", "oracle"), "--rank"},
		{"beta NaN", bestofnCommand, append(sampleArgs, "--beta", "NaN"), "--beta"},
		{"score beta zero", scoreCommand, []string{"--policy", "P", "--ref", "R", "--data", "D", "--beta", "0"}, "--beta"},
		{"max-length 1", scoreCommand, []string{"--policy", "P", "--ref", "R", "--data", "D", "--max-length", "1"}, "--max-length"},
		{"train lr", trainCommand, append(trainArgs, "--lr", "-1"), "--lr"},
		{"train lr Inf", trainCommand, append(trainArgs, "--lr", "Inf"), "--lr"},
		{"train loss", trainCommand, append(trainArgs, "--loss", "kto"), "--loss"},
		{"train smoothing", trainCommand, append(trainArgs, "--label-smoothing", "0.7"), "--label-smoothing"},
		{"train grad norm", trainCommand, append(trainArgs, "--max-grad-norm", "NaN"), "--max-grad-norm"},
		{"train batch zero", trainCommand, append(trainArgs, "--batch-size", "0"), "--batch-size"},
		{"train schedule", trainCommand, append(trainArgs, "--lr-schedule", "cosine"), "--lr-schedule"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{tc.cmd().Name}, tc.args...)
			code, _, stderr := run(args...)
			if code != 2 || !strings.Contains(stderr, tc.want) {
				t.Fatalf("exit %d, stderr %q; want exit 2 naming %s", code, stderr, tc.want)
			}
			if regexp.MustCompile(`(^|[ :])` + tc.want[1:] + `\b`).MatchString(stderr) {
				t.Errorf("flag written with one dash: %q", stderr)
			}
			if strings.Contains(stderr, "TopP") || strings.Contains(stderr, "MinNewTokens") {
				t.Errorf("error names a Go field: %q", stderr)
			}
		})
	}
}

// Flags may follow positional arguments.
func TestFlagsAfterArguments(t *testing.T) {
	app := App(&bytes.Buffer{}, &bytes.Buffer{})
	for _, tc := range []struct{ in, want []string }{
		{[]string{"dpokit", "models", "inspect", "DIR", "--json"}, []string{"dpokit", "models", "inspect", "--json", "DIR"}},
		{[]string{"dpokit", "report", "F", "--out", "D", "G"}, []string{"dpokit", "report", "--out", "D", "F", "G"}},
		{[]string{"dpokit", "--log-level", "debug", "score", "merge", "A", "--out", "O", "B"}, []string{"dpokit", "--log-level", "debug", "score", "merge", "--out", "O", "A", "B"}},
		{[]string{"dpokit", "tokenize", "-", "--model", "M"}, []string{"dpokit", "tokenize", "--model", "M", "-"}},
		{[]string{"dpokit", "tokenize", "--model", "M", "--", "--not-a-flag"}, []string{"dpokit", "tokenize", "--model", "M", "--", "--not-a-flag"}},
		{[]string{"dpokit", "report", "F", "--title=x"}, []string{"dpokit", "report", "--title=x", "F"}},
	} {
		if got := permute(app, tc.in); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("permute(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	code, stdout, stderr := run("models", "inspect", gpt2Policy, "--json")
	if code != 0 || !strings.HasPrefix(strings.TrimSpace(stdout), "{") {
		t.Fatalf("models inspect DIR --json: exit %d, stdout %.80q, stderr %q", code, stdout, stderr)
	}
	out := filepath.Join(t.TempDir(), "rep")
	code, _, stderr = run("report", filepath.Join("..", "..", "testdata", "report", "winrate.json"), "--out", out)
	if _, err := os.Stat(filepath.Join(out, "index.html")); code != 0 || err != nil {
		t.Fatalf("report FILE --out DIR: exit %d, %v, stderr %q", code, err, stderr)
	}
}

// failWriter fails every write, as a full disk does.
type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("no space left on device") }

// A write error on stdout fails the command.
func TestStdoutWriteErrorFails(t *testing.T) {
	var errb bytes.Buffer
	code := Main([]string{"dpokit", "tokenize", "--model", gpt2Policy, "hello world"}, failWriter{}, &errb)
	if code != 1 || !strings.Contains(errb.String(), "no space left") {
		t.Fatalf("exit %d, stderr %q; want 1 naming the write error", code, errb.String())
	}
	full, err := os.OpenFile("/dev/full", os.O_WRONLY, 0)
	if err != nil {
		t.Fatalf("/dev/full: %v", err)
	}
	defer full.Close()
	cmd := exec.Command(binary, "tokenize", "--model", gpt2Policy, "hello world")
	cmd.Stdout = full
	if err := cmd.Run(); err == nil {
		t.Fatal("dpokit tokenize > /dev/full exited 0")
	}
}

// score --json without --out: stdout holds the summary and nothing else.
func TestScoreJSONOnStdout(t *testing.T) {
	code, stdout, stderr := run("score", "--policy", gpt2Policy, "--ref", gpt2Ref, "--data", filepath.Join(dataDir, "pairs.jsonl"), "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var sum results.Summary
	dec := json.NewDecoder(strings.NewReader(stdout))
	if err := dec.Decode(&sum); err != nil || sum.Scored != 24 || dec.More() {
		t.Fatalf("stdout is not one summary (scored %d, err %v): %.200q", sum.Scored, err, stdout)
	}
}

func TestSampleBestofnTrainFlags(t *testing.T) {
	bj, err := parseWith(t, bestofnCommand(), func(c *cli.Context) (*bestofn.Job, error) {
		j, _, err := bestofnOptions(c)
		return j, err
	}, "--model", "M", "--prompts", "P", "--out", "O", "--n", "4", "--top-p", "0.9", "--stop", "\n\n", "--stop", "x, y", "--stop-token", "7",
		"--seed", "3", "--rank", "implicit", "--policy", "A", "--ref", "B", "--beta", "0.2", "--length-norm", "avg",
		"--baseline-out", "BO", "--ref-model", "R", "--resume")
	if err != nil {
		t.Fatal(err)
	}
	o := bj.Options
	if bj.Model != "M" || bj.Prompts != "P" || bj.Out != "O" || o.N != 4 || o.TopP != 0.9 || o.Seed != 3 || o.Batch != 16 ||
		!slices.Equal(o.StopStrings, []string{"\n\n", "x, y"}) || !slices.Equal(o.StopTokens, []int{7}) || !bj.Resume || bj.RefModel != "R" ||
		bj.Rank != "implicit" || bj.Policy != "A" || bj.Ref != "B" || bj.Beta != 0.2 || bj.LengthNorm != "avg" || bj.BaselineOut != "BO" {
		t.Fatalf("bestofn job %+v", bj)
	}
	tj, err := parseWith(t, trainCommand(), trainOptions, "--policy", "P", "--data", "D", "--out", filepath.Join(t.TempDir(), "o"),
		"--loss", "robust", "--label-smoothing", "0.1", "--lr", "1e-4", "--max-length", "64", "--max-prompt-length", "16",
		"--no-eos", "--format", "explicit", "--ref-cache", "C", "--epochs", "2", "--grad-accum", "2")
	if err != nil {
		t.Fatal(err)
	}
	if tj.Run.Loss != "robust" || tj.Run.LabelSmoothing != 0.1 || tj.Run.LR != 1e-4 || tj.Run.Epochs != 2 || tj.Run.GradAccum != 2 ||
		tj.Prep.Pair != (tokenize.PairOptions{MaxLength: 64, MaxPromptLength: 16, NoEOS: true}) || tj.Prep.DataOpts.Format != dataset.Explicit ||
		tj.Prep.RefCache != "C" || tj.Reference == nil {
		t.Fatalf("train job %+v", tj)
	}
}
