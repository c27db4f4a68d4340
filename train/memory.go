package train

import (
	"fmt"
	"github.com/dpokit/dpokit/internal/onnxproto"
	"reflect"

	"github.com/gomlx/onnx-gomlx/onnx"
)

// After import, the weights live in GoMLX variables. Two other copies
// would stay in memory for the whole run — the ONNX file's bytes, kept for
// the export, and the protobuf that onnx-gomlx parsed — and with LoRA they
// are most of the memory that is not activations. Both are dropped: the
// file is kept as a skeleton whose imported float32 initializers have no
// data (the export writes each of them from its variable), and the
// protobuf's copies of those initializers are released.

// stripImported replaces m.file by a skeleton without the data of the
// inline float32 initializers that the import makes variables of (those
// that a node of the main graph reads), and records them in m.stripped.
func (m *Model) stripImported() error {
	read := map[string]bool{}
	for _, n := range m.file.Graph.Nodes {
		for _, in := range n.Inputs {
			read[in] = true
		}
	}
	e := onnxproto.Edit{ReplaceInits: map[int][]byte{}}
	m.stripped = nil
	for i := range m.file.Graph.Inits {
		t := &m.file.Graph.Inits[i]
		if t.DType != onnxproto.Float || t.External != nil || t.Elems() <= 1 || !read[t.Name] {
			continue
		}
		b, err := m.file.TensorWithData(t, t.Name, nil)
		if err != nil {
			return err
		}
		e.ReplaceInits[i] = b
		m.stripped = append(m.stripped, t.Name)
	}
	data, err := m.file.Rewrite(e)
	if err != nil {
		return err
	}
	f, err := onnxproto.Parse(data)
	if err != nil {
		return err
	}
	m.file = f
	return nil
}

// releaseProtoWeights drops onnx-gomlx's copies of the data of float32
// initializers too large to be read as constants while the graph is built
// (onnx-gomlx reads initializers of at most 10,000 elements that way): the
// graph reads them from their variables. The protobuf is reached by
// reflection (onnx-gomlx keeps its model type internal); if its layout is
// not the expected one, nothing is released.
func releaseProtoWeights(om onnx.Model) {
	defer func() { _ = recover() }()
	deref := func(v reflect.Value) reflect.Value {
		if v.IsValid() && v.Kind() == reflect.Pointer {
			return v.Elem()
		}
		return v
	}
	g := deref(deref(deref(reflect.ValueOf(om)).FieldByName("Proto")).FieldByName("Graph"))
	if !g.IsValid() {
		return
	}
	inits := g.FieldByName("Initializer")
	for i := range inits.Len() {
		t := inits.Index(i).Elem()
		if t.FieldByName("DataType").Int() != onnxproto.Float {
			continue
		}
		n := int64(1)
		dims := t.FieldByName("Dims")
		for d := range dims.Len() {
			n *= dims.Index(d).Int()
		}
		if n <= 10_000 {
			continue
		}
		for _, f := range []string{"RawData", "FloatData"} {
			if v := t.FieldByName(f); v.IsValid() && v.CanSet() {
				v.Set(reflect.Zero(v.Type()))
			}
		}
	}
}

// checkStripped verifies that every initializer whose data the skeleton
// dropped is held by a variable.
func (m *Model) checkStripped() error {
	for _, name := range m.stripped {
		if m.variable(name) == nil {
			return fmt.Errorf("initializer %q was not imported into a variable", name)
		}
	}
	return nil
}
