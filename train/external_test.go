package train

import (
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"google.golang.org/protobuf/encoding/protowire"
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
	f, err := parseONNX(data)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	var blob []byte
	e := edit{replaceInits: map[int][]byte{}}
	for i := range f.inits {
		in := &f.inits[i]
		if in.dtype != onnxFloat || in.elems() < 64 {
			continue
		}
		raw, err := readTensor(f, src, in)
		if err != nil {
			t.Fatal(err)
		}
		blob = append(blob, make([]byte, 16)...) // not packed: offsets matter
		off := len(blob)
		blob = append(blob, raw...)
		tp := f.tensorWithData(in, in.name, nil)
		tp = tp[:len(tp)-2] // drop the empty raw_data field (tag + zero length)
		for _, kv := range [][2]string{{"location", "weights.onnx_data"}, {"offset", strconv.Itoa(off)}, {"length", strconv.Itoa(len(raw))}} {
			var entry []byte
			entry = protowire.AppendTag(entry, 1, protowire.BytesType)
			entry = protowire.AppendString(entry, kv[0])
			entry = protowire.AppendTag(entry, 2, protowire.BytesType)
			entry = protowire.AppendString(entry, kv[1])
			tp = protowire.AppendTag(tp, 13, protowire.BytesType)
			tp = protowire.AppendBytes(tp, entry)
		}
		tp = protowire.AppendTag(tp, 14, protowire.VarintType)
		tp = protowire.AppendVarint(tp, 1)
		e.replaceInits[i] = tp
	}
	if err := os.WriteFile(filepath.Join(dir, "model.onnx"), f.rewrite(e), 0o644); err != nil {
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
