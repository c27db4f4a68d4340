package onnxproto

import (
	"bytes"
	"encoding/binary"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func readModel(t testing.TB, path string) *Model {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	m, err := Parse(data)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return m
}

// The gpt2 test model, exported by torch.onnx (testdata/models/make_models.py):
// input_ids first, logits first among the outputs, a MatMul LM head, and a
// float32 wte initializer of vocab × hidden (50257 × 32).
func TestParseTestModel(t *testing.T) {
	m := readModel(t, "../../testdata/models/gpt2-policy/model.onnx")
	if m.Graph.Inputs[0].Name != "input_ids" || m.Graph.Outputs[0].Name != "logits" || m.Opsets[""] != 14 {
		t.Fatalf("inputs %v outputs %v opsets %v", m.Graph.Inputs[0], m.Graph.Outputs[0], m.Opsets)
	}
	if got := ShapeString(m.Graph.Outputs[0].Shape); got != "[batch_size, sequence_length, 50257]" {
		t.Errorf("logits shape %s", got)
	}
	if n := m.Producers()["logits"]; n == nil || n.Op != "MatMul" {
		t.Errorf("logits producer %v, want a MatMul", n)
	}
	found := false
	for _, tn := range m.Graph.Inits {
		if tn.DType == Float && slices.Equal(tn.Dims, []int64{50257, 32}) {
			found = true
			raw, err := m.ReadTensor(".", &tn)
			if err != nil || len(raw) != 50257*32*4 {
				t.Fatalf("read %s: %d bytes, %v", tn.Name, len(raw), err)
			}
		}
	}
	if !found {
		t.Error("no 50257 × 32 embedding initializer")
	}
	out, err := m.Rewrite(Edit{})
	if err != nil || !bytes.Equal(out, m.Data) {
		t.Fatalf("an empty edit changed the file (err %v)", err)
	}
}

func TestBuildParseEdit(t *testing.T) {
	g := NewBuilder("tiny")
	g.Input("x", Float, "n", 3)
	g.Output("y", Float, "n", 3)
	g.Floats("w", []int{3}, []float32{1, -2, 0.5})
	g.Int64s("axes", []int{1}, []int64{1})
	g.Node("Mul", []string{"x", "w"}, []string{"y"}, IntAttr("k", 7))
	m, err := Parse(g.Model(13))
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Graph.Nodes) != 1 || m.Graph.Nodes[0].Op != "Mul" || m.Graph.Nodes[0].Ints["k"] != 7 || m.IRVersion != 8 {
		t.Fatalf("nodes %+v", m.Graph.Nodes)
	}
	if s := ShapeString(m.Graph.Inputs[0].Shape); s != "[n, 3]" || m.Graph.Inputs[0].DType != "float32" {
		t.Errorf("input %s %s", m.Graph.Inputs[0].DType, s)
	}
	w, _ := m.Initializer("w")
	raw, err := m.ReadTensor(".", w)
	if err != nil || math.Float32frombits(binary.LittleEndian.Uint32(raw[4:])) != -2 {
		t.Fatalf("w = %v, %v", raw, err)
	}
	// Move w to an external file, drop the node, add a renamed copy.
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "w.bin"), append(make([]byte, 8), raw...), 0o644)
	ext, err := m.TensorExternal(w, "w.bin", 8, int64(len(raw)))
	if err != nil {
		t.Fatal(err)
	}
	cp, err := m.TensorWithData(w, "w2", raw)
	if err != nil {
		t.Fatal(err)
	}
	out, err := m.Rewrite(Edit{DropNodes: map[int]bool{0: true}, ReplaceInits: map[int][]byte{0: ext}, AddInits: [][]byte{cp}})
	if err != nil {
		t.Fatal(err)
	}
	m2, err := Parse(out)
	if err != nil {
		t.Fatal(err)
	}
	if len(m2.Graph.Nodes) != 0 || len(m2.Graph.Inits) != 3 || m2.Graph.Inits[2].Name != "w2" {
		t.Fatalf("after edit: %d nodes, inits %+v", len(m2.Graph.Nodes), m2.Graph.Inits)
	}
	we, _ := m2.Initializer("w")
	if we.External == nil || we.External.Location != "w.bin" || we.External.Offset != 8 {
		t.Fatalf("w not external: %+v", we)
	}
	if got, err := m2.ReadTensor(dir, we); err != nil || !bytes.Equal(got, raw) {
		t.Fatalf("external w = %v, %v", got, err)
	}
	// Locations outside the directory and ranges past the file are refused.
	for _, e := range []External{{Location: "../w.bin", Length: 12}, {Location: "/etc/passwd", Length: 12}, {Location: "w.bin", Offset: 10, Length: 12}} {
		bad := *we
		bad.External = &e
		if _, err := m2.ReadTensor(dir, &bad); err == nil {
			t.Errorf("external %+v read", e)
		}
	}
}

func TestParseRefusesBadInput(t *testing.T) {
	data, err := os.ReadFile("../../testdata/train/evalmode-gpt2/model.onnx")
	if err != nil {
		t.Fatal(err)
	}
	for _, cut := range []int{0, 1, 100, len(data) / 2, len(data) - 1} {
		if _, err := Parse(data[:cut]); err == nil {
			t.Errorf("cut at %d parsed", cut)
		}
	}
	// Subgraphs nested deeper than MaxDepth.
	body := NewBuilder("g").Model(13)
	inner, _ := Parse(body)
	graph := inner.Data[inner.Graph.Span.From:inner.Graph.Span.To]
	for range MaxDepth + 2 {
		attr := AppendMessage(AppendString(nil, 1, "then_branch"), 6, graph)
		graph = AppendMessage(nil, 1, AppendMessage(AppendString(nil, 4, "If"), 5, attr))
	}
	if _, err := Parse(AppendMessage(nil, 7, graph)); err == nil || !strings.Contains(err.Error(), "nested deeper") {
		t.Errorf("deep nesting: %v", err)
	}
}
