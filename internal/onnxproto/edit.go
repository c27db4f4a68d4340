package onnxproto

import (
	"encoding/binary"
	"fmt"
	"os"
	"strconv"

	"google.golang.org/protobuf/encoding/protowire"

	"github.com/dpokit/dpokit/internal/fsutil"
)

// Edit describes a rewrite of the main graph: nodes dropped, replaced or
// spliced (replaced by a run of nodes) and initializers replaced (by index
// into Graph.Nodes and Graph.Inits, with encoded NodeProto and TensorProto
// bodies), graph inputs dropped by name, the graph outputs dropped, and
// TensorProtos appended.
type Edit struct {
	DropNodes    map[int]bool
	ReplaceNodes map[int][]byte
	SpliceNodes  map[int][][]byte
	ReplaceInits map[int][]byte
	DropInputs   map[string]bool
	DropOutputs  bool // every graph output (AppendGraph declares the new ones)
	AddInits     [][]byte
	AppendGraph  []byte // encoded GraphProto fields appended at its end (nodes, inputs, outputs)
}

// Rewrite returns a copy of the model with the edit applied. Every other
// byte of the file is kept as it was, so an empty edit returns Data.
func (m *Model) Rewrite(e Edit) ([]byte, error) {
	g := m.Graph
	nodeAt := make(map[int]int, len(g.Nodes))
	for i, n := range g.Nodes {
		nodeAt[n.Field.From] = i
	}
	initAt := make(map[int]int, len(g.Inits))
	for i, t := range g.Inits {
		initAt[t.Field.From] = i
	}
	body := m.Data[g.Span.From:g.Span.To]
	size := len(body) + len(e.AppendGraph)
	for _, b := range e.AddInits {
		size += len(b) + 16
	}
	newGraph := make([]byte, 0, size)
	err := Walk(body, g.Span.From, func(num protowire.Number, typ protowire.Type, v []byte, _ uint64, field Span) error {
		if typ == protowire.BytesType && (num == 12 && e.DropOutputs || num == 11 && len(e.DropInputs) > 0) {
			if num == 12 {
				return nil
			}
			vi, err := parseValueInfo(v)
			if err != nil {
				return err
			}
			if e.DropInputs[vi.Name] {
				return nil
			}
		}
		if typ == protowire.BytesType && num == 1 {
			if i, ok := nodeAt[field.From]; ok {
				if e.DropNodes[i] {
					return nil
				}
				if b, ok := e.ReplaceNodes[i]; ok {
					newGraph = AppendMessage(newGraph, 1, b)
					return nil
				}
				if bs, ok := e.SpliceNodes[i]; ok {
					for _, b := range bs {
						newGraph = AppendMessage(newGraph, 1, b)
					}
					return nil
				}
			}
		}
		if typ == protowire.BytesType && num == 5 {
			if i, ok := initAt[field.From]; ok {
				if b, ok := e.ReplaceInits[i]; ok {
					newGraph = AppendMessage(newGraph, 5, b)
					return nil
				}
			}
		}
		newGraph = append(newGraph, m.Data[field.From:field.To]...)
		return nil
	})
	if err != nil {
		return nil, err
	}
	for _, b := range e.AddInits {
		newGraph = AppendMessage(newGraph, 5, b)
	}
	newGraph = append(newGraph, e.AppendGraph...)
	out := make([]byte, 0, len(m.Data)-len(body)+len(newGraph)+16)
	err = Walk(m.Data, 0, func(num protowire.Number, typ protowire.Type, _ []byte, _ uint64, field Span) error {
		if num == 7 && typ == protowire.BytesType {
			out = AppendMessage(out, 7, newGraph)
			return nil
		}
		out = append(out, m.Data[field.From:field.To]...)
		return nil
	})
	return out, err
}

// Filter returns the fields of message body for which keep is true, as
// they were encoded.
func Filter(body []byte, keep func(num protowire.Number) bool) ([]byte, error) {
	var out []byte
	err := Walk(body, 0, func(num protowire.Number, _ protowire.Type, _ []byte, _ uint64, field Span) error {
		if keep(num) {
			out = append(out, body[field.From:field.To]...)
		}
		return nil
	})
	return out, err
}

// TensorWithData re-encodes initializer t with name and inline raw data:
// its dims, data type and other metadata are kept; its data fields (typed,
// raw or external) are replaced.
func (m *Model) TensorWithData(t *Tensor, name string, raw []byte) ([]byte, error) {
	body, err := m.Body(t.Field)
	if err != nil {
		return nil, fmt.Errorf("initializer %q: %w", t.Name, err)
	}
	out, err := Filter(body, func(num protowire.Number) bool {
		switch num {
		case 4, 5, 6, 7, 8, 9, 10, 11, 13, 14: // data fields, name, external data
			return false
		}
		return true
	})
	if err != nil {
		return nil, fmt.Errorf("initializer %q: %w", t.Name, err)
	}
	out = AppendString(out, 8, name)
	return AppendBytes(out, 9, raw), nil
}

// ReadTensor returns the little-endian bytes of a float32 initializer:
// inline raw data, float_data, or its range of an external data file in
// dir (the ONNX file's directory). An external location must be a local
// path inside dir.
func (m *Model) ReadTensor(dir string, t *Tensor) ([]byte, error) {
	switch {
	case t.External != nil:
		return readExternal(dir, t)
	case t.Raw.To > t.Raw.From || !t.Typed:
		return m.Data[t.Raw.From:t.Raw.To], nil
	}
	if t.DType != Float {
		return nil, fmt.Errorf("initializer %q: typed data of ONNX type %d not supported", t.Name, t.DType)
	}
	body, err := m.Body(t.Field)
	if err != nil {
		return nil, fmt.Errorf("initializer %q: %w", t.Name, err)
	}
	out := make([]byte, 0, min(max(t.Elems(), 0)*4, int64(len(body))))
	err = Walk(body, 0, func(num protowire.Number, typ protowire.Type, v []byte, x uint64, _ Span) error {
		if num != 4 {
			return nil
		}
		if typ == protowire.BytesType { // packed float_data
			out = append(out, v...)
		} else {
			out = binary.LittleEndian.AppendUint32(out, uint32(x))
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("initializer %q: %w", t.Name, err)
	}
	return out, nil
}

func readExternal(dir string, t *Tensor) ([]byte, error) {
	e := t.External
	if _, err := fsutil.Inside(dir, e.Location); err != nil {
		return nil, &ExternalError{Tensor: t.Name, Location: e.Location, Dir: dir, Err: err}
	}
	root, err := os.OpenRoot(dir) // a symlink swapped in after the check cannot lead out either
	if err != nil {
		return nil, err
	}
	defer root.Close()
	fh, err := root.Open(e.Location)
	if err != nil {
		return nil, fmt.Errorf("initializer %q: %w", t.Name, err)
	}
	defer fh.Close()
	st, err := fh.Stat()
	if err != nil {
		return nil, err
	}
	n := e.Length
	if n < 0 {
		if n = t.Elems() * 4; n < 0 {
			return nil, fmt.Errorf("initializer %q: dims %v do not give a size", t.Name, t.Dims)
		}
	}
	if e.Offset > st.Size() || n > st.Size()-e.Offset {
		return nil, fmt.Errorf("initializer %q: %d bytes at offset %d of %s, which holds %d", t.Name, n, e.Offset, e.Location, st.Size())
	}
	buf := make([]byte, n)
	if _, err := fh.ReadAt(buf, e.Offset); err != nil {
		return nil, fmt.Errorf("initializer %q: read %s: %w", t.Name, e.Location, err)
	}
	return buf, nil
}

// AppendString appends a string field.
func AppendString(b []byte, num protowire.Number, s string) []byte {
	b = protowire.AppendTag(b, num, protowire.BytesType)
	return protowire.AppendString(b, s)
}

// AppendBytes appends a bytes field.
func AppendBytes(b []byte, num protowire.Number, v []byte) []byte {
	b = protowire.AppendTag(b, num, protowire.BytesType)
	return protowire.AppendBytes(b, v)
}

// AppendMessage appends an embedded message field.
func AppendMessage(b []byte, num protowire.Number, m []byte) []byte { return AppendBytes(b, num, m) }

// AppendVarint appends a varint field.
func AppendVarint(b []byte, num protowire.Number, v uint64) []byte {
	b = protowire.AppendTag(b, num, protowire.VarintType)
	return protowire.AppendVarint(b, v)
}

// TensorExternal re-encodes initializer t with its data in an external
// file: length bytes at offset of location (relative to the ONNX file's
// directory). Its name, dims and data type are kept.
func (m *Model) TensorExternal(t *Tensor, location string, offset, length int64) ([]byte, error) {
	body, err := m.Body(t.Field)
	if err != nil {
		return nil, fmt.Errorf("initializer %q: %w", t.Name, err)
	}
	out, err := Filter(body, func(num protowire.Number) bool {
		switch num {
		case 4, 5, 6, 7, 9, 10, 11, 13, 14: // data fields, external data
			return false
		}
		return true
	})
	if err != nil {
		return nil, fmt.Errorf("initializer %q: %w", t.Name, err)
	}
	for _, kv := range [][2]string{{"location", location}, {"offset", strconv.FormatInt(offset, 10)}, {"length", strconv.FormatInt(length, 10)}} {
		out = AppendMessage(out, 13, AppendString(AppendString(nil, 1, kv[0]), 2, kv[1]))
	}
	return AppendVarint(out, 14, 1), nil
}

// Externalize returns the model with the float32 initializers that move
// selects stored in one external data file at location (relative to the
// ONNX file's directory), and that file's bytes; dir is the ONNX file's
// directory, where initializers already external are read from.
func (m *Model) Externalize(dir, location string, move func(*Tensor) bool) (model, blob []byte, err error) {
	e := Edit{ReplaceInits: map[int][]byte{}}
	for i := range m.Graph.Inits {
		t := &m.Graph.Inits[i]
		if t.DType != Float || !move(t) {
			continue
		}
		raw, err := m.ReadTensor(dir, t)
		if err != nil {
			return nil, nil, err
		}
		off := int64(len(blob))
		blob = append(blob, raw...)
		if e.ReplaceInits[i], err = m.TensorExternal(t, location, off, int64(len(raw))); err != nil {
			return nil, nil, err
		}
	}
	model, err = m.Rewrite(e)
	return model, blob, err
}

// Skeleton returns the model with its initializers' data dropped (their
// names, dims and types kept): the structure of a model, small enough to
// seed a fuzzer or to describe a model without its weights.
func (m *Model) Skeleton() ([]byte, error) {
	e := Edit{ReplaceInits: map[int][]byte{}}
	for i := range m.Graph.Inits {
		tp, err := m.TensorWithData(&m.Graph.Inits[i], m.Graph.Inits[i].Name, nil)
		if err != nil {
			return nil, err
		}
		e.ReplaceInits[i] = tp
	}
	return m.Rewrite(e)
}
