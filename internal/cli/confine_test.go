package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dpokit/dpokit/internal/testmodel"
)

// TestModelsLeadingOutRefused: a model whose ONNX file stores its weights
// at ../outside/w.bin, or behind a symlink in the directory that leads
// there, is refused by models inspect, score, sample and train: exit
// non-zero, the tensor and the location named, the file outside untouched
// (train used to overwrite it with the trained weights), no output.
func TestModelsLeadingOutRefused(t *testing.T) {
	for _, how := range []string{testmodel.DotDot, testmodel.Symlink} {
		top := t.TempDir()
		dir, outside, err := testmodel.Escaping(top, gpt2Policy, how)
		if err != nil {
			t.Fatal(err)
		}
		want, _ := os.ReadFile(outside)
		old := time.Now().Add(-time.Hour).Truncate(time.Second)
		os.Chtimes(outside, old, old)
		out := filepath.Join(top, "out")
		data, prompts := filepath.Join(dataDir, "pairs.jsonl"), filepath.Join(dataDir, "prompts.jsonl")
		for name, args := range map[string][]string{
			"inspect": {"models", "inspect", dir},
			"score":   {"score", "--policy", dir, "--ref", gpt2Ref, "--data", data, "--out", out},
			"sample":  {"sample", "--model", dir, "--prompts", prompts, "--out", out, "--max-new-tokens", "2"},
			"train":   {"train", "--policy", dir, "--ref", gpt2Ref, "--data", data, "--out", out, "--max-steps", "1", "--batch-size", "2"},
		} {
			t.Run(how+"/"+name, func(t *testing.T) {
				code, _, stderr := run(args...)
				if code == 0 || !strings.Contains(stderr, "external data location") || !strings.Contains(stderr, `tensor "`) {
					t.Fatalf("exit %d, stderr %q; want a refusal naming the tensor and its location", code, stderr)
				}
				got, _ := os.ReadFile(outside)
				st, _ := os.Stat(outside)
				if !bytes.Equal(got, want) || !st.ModTime().Equal(old) {
					t.Fatal("the file outside the model directory was changed")
				}
				if _, err := os.Stat(out); err == nil {
					t.Fatal("an output was written")
				}
			})
		}
	}
}
