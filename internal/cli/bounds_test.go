package cli

import (
	"fmt"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/urfave/cli/v2"

	"github.com/dpokit/dpokit/score"
)

// TestValuesCheckedAtTheBoundary: non-finite and out-of-range values, and
// zeros that used to mean "the default", exit 2 naming the flag before any
// work (--beta 1e308 used to end in "json: unsupported value" after
// scoring; --threads 1000 hung creating sessions; --batch-tokens 0 and
// train's zeros were replaced by defaults; --stop-token 99999999 was
// accepted).
func TestValuesCheckedAtTheBoundary(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dataDir, "pairs.jsonl")
	scoreArgs := []string{"score", "--policy", gpt2Policy, "--ref", gpt2Ref, "--data", data, "--out", filepath.Join(dir, "o.jsonl")}
	trainArgs := []string{"train", "--policy", gpt2Policy, "--data", data, "--out", filepath.Join(dir, "m")}
	sampleArgs := []string{"sample", "--model", llamaPolicy, "--prompts", filepath.Join(dataDir, "prompts.jsonl"), "--out", filepath.Join(dir, "s.jsonl")}
	winArgs := []string{"score", "winrate", "--candidates", "A", "--baseline", "B", "--judge", "logprob", "--policy", gpt2Policy}
	tooMany := fmt.Sprint(threadsPerCore*runtime.NumCPU() + 1)
	for _, tc := range []struct {
		name string
		args []string
		flag string
	}{
		{"score beta 1e308", append(scoreArgs, "--beta", "1e308"), "--beta"},
		{"score beta Inf", append(scoreArgs, "--beta", "Inf"), "--beta"},
		{"score beta NaN", append(scoreArgs, "--beta", "NaN"), "--beta"},
		{"score threads 1000", append(scoreArgs, "--threads", "1000"), "--threads"},
		{"score threads above cores×4", append(scoreArgs, "--threads", tooMany), "--threads"},
		{"score batch-tokens 0", append(scoreArgs, "--batch-tokens", "0"), "--batch-tokens"},
		{"score max-length huge", append(scoreArgs, "--max-length", "99999999999"), "--max-length"},
		{"score max-prompt-length negative", append(scoreArgs, "--max-prompt-length", "-3"), "--max-prompt-length"},
		{"train beta 0", append(trainArgs, "--beta", "0"), "--beta"},
		{"train beta 1e308", append(trainArgs, "--beta", "1e308"), "--beta"},
		{"train batch-size 0", append(trainArgs, "--batch-size", "0"), "--batch-size"},
		{"train grad-accum 0", append(trainArgs, "--grad-accum", "0"), "--grad-accum"},
		{"train epochs 0", append(trainArgs, "--epochs", "0"), "--epochs"},
		{"train lr Inf", append(trainArgs, "--lr", "Inf"), "--lr"},
		{"train max-grad-norm NaN", append(trainArgs, "--max-grad-norm", "NaN"), "--max-grad-norm"},
		{"train batch-tokens 0", append(trainArgs, "--batch-tokens", "0"), "--batch-tokens"},
		{"train threads 100000", append(trainArgs, "--threads", "100000"), "--threads"},
		{"sample stop-token -5", append(sampleArgs, "--stop-token", "-5"), "--stop-token"},
		{"sample stop-token beyond the vocabulary", append(sampleArgs, "--stop-token", "99999999"), "--stop-token"},
		{"sample n huge", append(sampleArgs, "--n", "100000000"), "--n"},
		{"sample batch 0", append(sampleArgs, "--batch", "0"), "--batch"},
		{"sample max-new-tokens huge", append(sampleArgs, "--max-new-tokens", "99999999"), "--max-new-tokens"},
		{"winrate batch-tokens 0", append(winArgs, "--batch-tokens", "0"), "--batch-tokens"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, _, stderr := run(tc.args...)
			if code != 2 || !strings.Contains(stderr, tc.flag) {
				t.Fatalf("exit %d, stderr %q; want exit 2 naming %s", code, stderr, tc.flag)
			}
		})
	}
}

// TestBatchTokensDefault: without --batch-tokens passes are sized by the
// vocabulary (0 in the options); a given value is kept as given.
func TestBatchTokensDefault(t *testing.T) {
	parse := func(c *cli.Context) (*score.Job, error) {
		j, _, err := scoreOptions(c)
		return j, err
	}
	j, err := parseWith(t, scoreCommand(), parse, "--policy", "P", "--ref", "R", "--data", "D")
	if err != nil || j.BatchTokens != 0 {
		t.Fatalf("unset: batch tokens %d, err %v; want 0 (by vocabulary)", j.BatchTokens, err)
	}
	j, err = parseWith(t, scoreCommand(), parse, "--policy", "P", "--ref", "R", "--data", "D", "--batch-tokens", "7")
	if err != nil || j.BatchTokens != 7 {
		t.Fatalf("--batch-tokens 7: %d, err %v", j.BatchTokens, err)
	}
}
