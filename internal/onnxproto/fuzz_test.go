package onnxproto

import (
	"os"
	"path/filepath"
	"testing"
)

// skeleton is m.Skeleton, failing t on an error.
func skeleton(t testing.TB, m *Model) []byte {
	out, err := m.Skeleton()
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// FuzzParse: whatever the bytes, Parse returns an error or a model that an
// empty edit rewrites into a file that parses to the same structure, and
// reading any initializer returns an error or its bytes, never a panic.
// Seeds: the small test models whole and every test model's skeleton.
func FuzzParse(f *testing.F) {
	models, _ := filepath.Glob("../../testdata/*/*/*.onnx")
	more, _ := filepath.Glob("../../testdata/*/*.onnx")
	if len(models) == 0 {
		f.Fatal("no ONNX files under testdata")
	}
	for _, p := range append(models, more...) {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		m, err := Parse(data)
		if err != nil {
			f.Fatalf("%s: %v", p, err)
		}
		f.Add(skeleton(f, m))
		if len(data) < 64<<10 {
			f.Add(data)
		}
	}
	f.Add(NewBuilder("empty").Model(13))
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := Parse(data)
		if err != nil {
			return
		}
		out, err := m.Rewrite(Edit{})
		if err != nil {
			t.Fatalf("parsed, but the empty edit failed: %v", err)
		}
		m2, err := Parse(out)
		if err != nil {
			t.Fatalf("rewritten model does not parse: %v", err)
		}
		if len(m2.Graph.Nodes) != len(m.Graph.Nodes) || len(m2.Graph.Inits) != len(m.Graph.Inits) || len(m2.Graph.Inputs) != len(m.Graph.Inputs) {
			t.Fatal("rewritten model has another structure")
		}
		for i := range m.Graph.Inits {
			m.ReadTensor(dir, &m.Graph.Inits[i])
			m.TensorWithData(&m.Graph.Inits[i], "x", nil)
		}
	})
}
