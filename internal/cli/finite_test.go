package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dpokit/dpokit/internal/testmodel"
)

// TestNonFiniteWeightsReported: a policy whose weights hold NaN gives NaN
// log-probs; score (pairs and RewardBench 2 rows) and sample stop with an
// error naming the model file, the pair (row, prompt) id and the
// initializer before any output is
// written, and train refuses the policy before training (all used to end
// in "json: unsupported value: NaN" after the work, naming neither).
func TestNonFiniteWeightsReported(t *testing.T) {
	dir := t.TempDir()
	nanGPT2, nanLlama := filepath.Join(dir, "gpt2-nan"), filepath.Join(dir, "llama-nan")
	os.Mkdir(nanGPT2, 0o755)
	os.Mkdir(nanLlama, 0o755)
	tensor, err := testmodel.WithNaN(nanGPT2, gpt2Policy)
	if err != nil {
		t.Fatal(err)
	}
	ltensor, err := testmodel.WithNaN(nanLlama, llamaPolicy)
	if err != nil {
		t.Fatal(err)
	}
	out, sum := filepath.Join(dir, "out.jsonl"), filepath.Join(dir, "summary.json")
	for _, tc := range []struct {
		name   string
		args   []string
		want   []string
		tensor string
	}{
		{"score", []string{"score", "--policy", nanGPT2, "--ref", gpt2Ref, "--data", filepath.Join(dataDir, "pairs.jsonl"), "--out", out, "--summary", sum},
			[]string{"pair id", "policy log-prob", filepath.Join(nanGPT2, "model.onnx")}, tensor},
		{"score rankings", []string{"score", "--policy", nanLlama, "--ref", llamaRef, "--data", rewardBench2 + ".jsonl", "--out", out, "--summary", sum},
			[]string{"row id", "the policy log-prob of ", filepath.Join(nanLlama, "model.onnx")}, ltensor},
		{"sample", []string{"sample", "--model", nanLlama, "--prompts", filepath.Join(dataDir, "prompts.jsonl"), "--out", out, "--max-new-tokens", "2", "--temperature", "0"},
			[]string{"prompt id", "log-prob of completion", filepath.Join(nanLlama, "model.onnx")}, ltensor},
		{"train", []string{"train", "--policy", nanGPT2, "--ref", gpt2Ref, "--data", filepath.Join(dataDir, "pairs.jsonl"), "--out", filepath.Join(dir, "m"), "--max-steps", "1"},
			[]string{"NaN or infinite weights", filepath.Join(nanGPT2, "model.onnx")}, tensor},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, _, stderr := run(tc.args...)
			if code != 1 || !contains(stderr, append(tc.want, `"`+tc.tensor+`"`)...) {
				t.Fatalf("exit %d, stderr %q; want exit 1 naming %q and initializer %q", code, stderr, tc.want, tc.tensor)
			}
			if strings.Contains(stderr, "json: unsupported value") {
				t.Errorf("the NaN reached the JSON encoder: %q", stderr)
			}
			for _, f := range []string{out, sum, out + ".partial", filepath.Join(dir, "m")} {
				if _, err := os.Stat(f); err == nil {
					t.Errorf("%s was written", f)
				}
			}
		})
	}
}
