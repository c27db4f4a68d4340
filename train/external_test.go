package train

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/dpokit/dpokit/internal/onnxproto"
)

// externalCopy writes the model directory src with every float initializer
// of its model.onnx moved to an external data file, as exports of models
// over 2 GB have them.
func externalCopy(t *testing.T, src string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(src, "model.onnx"))
	if err != nil {
		t.Fatal(err)
	}
	f, err := onnxproto.Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	var blob []byte
	e := onnxproto.Edit{ReplaceInits: map[int][]byte{}}
	for i := range f.Graph.Inits {
		in := &f.Graph.Inits[i]
		if in.DType != onnxproto.Float || in.Elems() < 64 {
			continue
		}
		raw, err := f.ReadTensor(src, in)
		if err != nil {
			t.Fatal(err)
		}
		blob = append(blob, make([]byte, 16)...) // not packed: offsets matter
		off := len(blob)
		blob = append(blob, raw...)
		if e.ReplaceInits[i], err = f.TensorExternal(in, "weights.onnx_data", int64(off), int64(len(raw))); err != nil {
			t.Fatal(err)
		}
	}
	out, err := f.Rewrite(e)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "model.onnx"), out, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "weights.onnx_data"), blob, 0o644); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(filepath.Join(src, "config.json"))
	os.WriteFile(filepath.Join(dir, "config.json"), b, 0o644)
	return dir
}

// TestExportExternalData: weights stored in an external data file are read,
// trained and written back into the output's copy of that file; the input
// directory is untouched.
func TestExportExternalData(t *testing.T) {
	src := externalCopy(t, filepath.Join("..", "testdata", "train", "evalmode-gpt2"))
	before, _ := os.ReadFile(filepath.Join(src, "weights.onnx_data"))
	m, err := Load(filepath.Join(src, "model.onnx"), LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	seq := [][]int{{1, 2, 3, 4, 5}}
	orig, _ := m.Logits(seq)
	tr, err := NewTrainer(m, Config{LR: 1e-2, BatchSize: 2, Schedule: "constant"})
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if _, err := tr.Step([][]Example{randomPairs(2, 64, 4)}); err != nil {
			t.Fatal(err)
		}
	}
	want, _ := m.Logits(seq)
	out := filepath.Join(t.TempDir(), "out")
	if _, err := m.Export(src, out, nil); err != nil {
		t.Fatal(err)
	}
	if after, _ := os.ReadFile(filepath.Join(src, "weights.onnx_data")); string(after) != string(before) {
		t.Fatal("the input's external data file changed")
	}
	back, err := Load(filepath.Join(out, "model.onnx"), LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	got, _ := back.Logits(seq)
	moved := false
	for i := range want[0] {
		if got[0][i] != want[0][i] {
			t.Fatalf("logit %d: exported model %g, trained model %g", i, got[0][i], want[0][i])
		}
		moved = moved || want[0][i] != orig[0][i]
	}
	if !moved {
		t.Fatal("training did not change the logits")
	}
}
