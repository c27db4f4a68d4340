package modeldir

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dpokit/dpokit/internal/fsutil"
	"github.com/dpokit/dpokit/internal/testmodel"
)

// skeletonOf is testmodel.Skeleton, failing t on an error.
func skeletonOf(t testing.TB, path string) []byte {
	out, err := testmodel.Skeleton(path)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// checkOpened holds what Open promises of a directory it accepts: a
// signature that agrees with itself, files inside the directory, a
// description that prints.
func checkOpened(t *testing.T, dir string, d *Dir) {
	s := d.Signature
	if s.Vocab <= 0 || s.Layers != len(s.PastKeys) || s.Layers != len(s.PresentKeys) ||
		s.Layout == KVSeparate && (len(s.PastValues) != s.Layers || len(s.PresentValues) != s.Layers) {
		t.Fatalf("inconsistent signature %+v", s)
	}
	if s.HasCache() && (s.KVHeads <= 0 || s.HeadDim <= 0) {
		t.Fatalf("cache without heads or head size: %+v", s)
	}
	for _, f := range d.Files() {
		rel, err := filepath.Rel(dir, f)
		if err != nil || strings.HasPrefix(rel, "..") {
			t.Fatalf("file %s outside %s", f, dir)
		}
		if _, err := fsutil.Inside(dir, rel); err != nil && !os.IsNotExist(err) {
			t.Fatalf("file %s: %v", f, err)
		}
	}
	in, err := Describe(d)
	if err != nil {
		t.Fatal(err)
	}
	in.WriteText(io.Discard)
}

// FuzzGenAIConfig: whatever genai_config.json holds, Open returns an error
// or a consistent directory whose decoder is inside it. Seeds: the shipped
// GenAI model's file and variants naming other layouts and files.
func FuzzGenAIConfig(f *testing.F) {
	src := filepath.Join(modelsDir, "llama-genai")
	cfg, err := os.ReadFile(filepath.Join(src, "genai_config.json"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(cfg)
	for _, s := range []string{`{}`, `{"model": {"decoder": {"filename": "../x.onnx"}}}`, `{"model": {"decoder": {"filename": "/etc/passwd"}}}`,
		`{"model": {"decoder": {"filename": "decoder.onnx", "inputs": {"past_key_names": "k.%d", "past_value_names": "v.%d"}, "outputs": {"present_key_names": "pk.%d"}}}}`,
		`{"model": {"vocab_size": -1, "eos_token_id": [1, "x", null], "decoder": {"inputs": {"input_ids": "nope", "past_names": "%d%d"}}}}`} {
		f.Add([]byte(s))
	}
	onnx := skeletonOf(f, filepath.Join(src, "decoder.onnx"))
	f.Fuzz(func(t *testing.T, genai []byte) {
		dir := t.TempDir()
		os.WriteFile(filepath.Join(dir, "decoder.onnx"), onnx, 0o644)
		os.WriteFile(filepath.Join(dir, "genai_config.json"), genai, 0o644)
		if d, err := Open(dir); err == nil {
			checkOpened(t, dir, d)
		}
	})
}

// FuzzReadGraph: whatever the ONNX file holds, Open returns an error or a
// consistent directory, and opens nothing outside it. Seeds: the
// skeletons of the shipped models.
func FuzzReadGraph(f *testing.F) {
	for _, m := range []string{"gpt2-ref/model.onnx", "llama-ref/model.onnx", "llama-genai/decoder.onnx", "rm-llama/model.onnx"} {
		f.Add(skeletonOf(f, filepath.Join(modelsDir, m)))
	}
	cfg, err := os.ReadFile(filepath.Join(modelsDir, "llama-ref", "config.json"))
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, onnx []byte) {
		dir := t.TempDir()
		os.WriteFile(filepath.Join(dir, "model.onnx"), onnx, 0o644)
		os.WriteFile(filepath.Join(dir, "config.json"), cfg, 0o644)
		if d, err := Open(dir); err == nil {
			checkOpened(t, dir, d)
		}
	})
}
