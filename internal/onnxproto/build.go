package onnxproto

import (
	"encoding/binary"
	"math"
)

// Builder collects the parts of one small ONNX graph.
type Builder struct {
	name    string
	nodes   [][]byte
	inits   [][]byte
	inputs  [][]byte
	outputs [][]byte
}

// NewBuilder starts a graph.
func NewBuilder(name string) *Builder { return &Builder{name: name} }

// Attr is an encoded node attribute.
type Attr []byte

// IntAttr is an integer attribute.
func IntAttr(name string, v int64) Attr {
	return Attr(AppendVarint(AppendVarint(AppendString(nil, 1, name), 3, uint64(v)), 20, 2))
}

// IntsAttr is an integer-list attribute.
func IntsAttr(name string, vs ...int64) Attr {
	b := AppendString(nil, 1, name)
	for _, v := range vs {
		b = AppendVarint(b, 8, uint64(v))
	}
	return Attr(AppendVarint(b, 20, 7))
}

// Node adds a node of the default domain.
func (g *Builder) Node(op string, ins, outs []string, attrs ...Attr) {
	g.nodes = append(g.nodes, EncodeNode(op, "", ins, outs, attrs...))
}

// EncodeNode encodes a NodeProto.
func EncodeNode(op, domain string, ins, outs []string, attrs ...Attr) []byte {
	var n []byte
	for _, s := range ins {
		n = AppendString(n, 1, s)
	}
	for _, s := range outs {
		n = AppendString(n, 2, s)
	}
	n = AppendString(n, 4, op)
	for _, a := range attrs {
		n = AppendMessage(n, 5, a)
	}
	if domain != "" {
		n = AppendString(n, 7, domain)
	}
	return n
}

// EncodeValueInfo encodes a ValueInfoProto of a tensor of the element
// type; a dim is a number (int) or a symbolic name (string).
func EncodeValueInfo(name string, elem uint64, dims ...any) []byte {
	var shape []byte
	for _, d := range dims {
		var dim []byte
		switch d := d.(type) {
		case int:
			dim = AppendVarint(dim, 1, uint64(d))
		case string:
			dim = AppendString(dim, 2, d)
		}
		shape = AppendMessage(shape, 1, dim)
	}
	tensor := AppendMessage(AppendVarint(nil, 1, elem), 2, shape)
	return AppendMessage(AppendString(nil, 1, name), 2, AppendMessage(nil, 1, tensor))
}

// Input declares a graph input of the element type and dims (int or string).
func (g *Builder) Input(name string, elem uint64, dims ...any) {
	g.inputs = append(g.inputs, EncodeValueInfo(name, elem, dims...))
}

// Output declares a graph output.
func (g *Builder) Output(name string, elem uint64, dims ...any) {
	g.outputs = append(g.outputs, EncodeValueInfo(name, elem, dims...))
}

func tensor(name string, elem uint64, dims []int, raw []byte) []byte {
	var t []byte
	for _, d := range dims {
		t = AppendVarint(t, 1, uint64(d))
	}
	t = AppendVarint(t, 2, elem)
	t = AppendString(t, 8, name)
	return AppendBytes(t, 9, raw)
}

// Floats adds a float32 initializer.
func (g *Builder) Floats(name string, dims []int, v []float32) {
	g.inits = append(g.inits, EncodeFloats(name, dims, v))
}

// Int64s adds an int64 initializer.
func (g *Builder) Int64s(name string, dims []int, v []int64) {
	g.inits = append(g.inits, EncodeInt64s(name, dims, v))
}

// EncodeFloats encodes a float32 TensorProto with raw data.
func EncodeFloats(name string, dims []int, v []float32) []byte {
	raw := make([]byte, 4*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint32(raw[4*i:], math.Float32bits(x))
	}
	return tensor(name, Float, dims, raw)
}

// EncodeInt64s encodes an int64 TensorProto with raw data.
func EncodeInt64s(name string, dims []int, v []int64) []byte {
	raw := make([]byte, 8*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint64(raw[8*i:], uint64(x))
	}
	return tensor(name, Int64, dims, raw)
}

// Model serializes the graph as a ModelProto (IR version 8) importing the
// default domain at opset.
func (g *Builder) Model(opset int) []byte {
	var b []byte
	for _, n := range g.nodes {
		b = AppendMessage(b, 1, n)
	}
	b = AppendString(b, 2, g.name)
	for _, t := range g.inits {
		b = AppendMessage(b, 5, t)
	}
	for _, v := range g.inputs {
		b = AppendMessage(b, 11, v)
	}
	for _, v := range g.outputs {
		b = AppendMessage(b, 12, v)
	}
	var m []byte
	m = AppendVarint(m, 1, 8)
	m = AppendString(m, 2, "dpokit")
	m = AppendMessage(m, 7, b)
	return AppendMessage(m, 8, AppendVarint(AppendString(nil, 1, ""), 2, uint64(opset)))
}
