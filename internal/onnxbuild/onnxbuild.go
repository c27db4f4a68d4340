// Package onnxbuild writes small ONNX models (the ModelProto wire format)
// from Go: dpokit's in-memory log-prob graph and the experiment's exact
// reward model. It covers what those need — nodes with int, int-list and
// float attributes, typed graph inputs and outputs with symbolic or fixed
// dimensions, and float32 / int64 initializers — nothing more.
package onnxbuild

import (
	"encoding/binary"
	"math"

	"google.golang.org/protobuf/encoding/protowire"
)

// Element types (TensorProto.DataType).
const (
	Float  = 1
	Int64  = 7
	Double = 11
)

// Graph collects the parts of one ONNX graph.
type Graph struct {
	name    string
	nodes   [][]byte
	inits   [][]byte
	inputs  [][]byte
	outputs [][]byte
}

// New starts a graph.
func New(name string) *Graph { return &Graph{name: name} }

// Attr is a node attribute.
type Attr []byte

func str(b []byte, num protowire.Number, s string) []byte {
	b = protowire.AppendTag(b, num, protowire.BytesType)
	return protowire.AppendString(b, s)
}

func msg(b []byte, num protowire.Number, m []byte) []byte {
	b = protowire.AppendTag(b, num, protowire.BytesType)
	return protowire.AppendBytes(b, m)
}

func varint(b []byte, num protowire.Number, v uint64) []byte {
	b = protowire.AppendTag(b, num, protowire.VarintType)
	return protowire.AppendVarint(b, v)
}

// Int is an integer attribute.
func Int(name string, v int64) Attr {
	return Attr(varint(varint(str(nil, 1, name), 3, uint64(v)), 20, 2))
}

// Ints is an integer-list attribute.
func Ints(name string, vs ...int64) Attr {
	b := str(nil, 1, name)
	for _, v := range vs {
		b = varint(b, 8, uint64(v))
	}
	return Attr(varint(b, 20, 7))
}

// Node adds a node.
func (g *Graph) Node(op string, ins, outs []string, attrs ...Attr) {
	var n []byte
	for _, s := range ins {
		n = str(n, 1, s)
	}
	for _, s := range outs {
		n = str(n, 2, s)
	}
	n = str(n, 4, op)
	for _, a := range attrs {
		n = msg(n, 5, a)
	}
	g.nodes = append(g.nodes, n)
}

// value encodes a ValueInfoProto; a dim is a number or a symbolic name.
func value(name string, elem uint64, dims ...any) []byte {
	var shape []byte
	for _, d := range dims {
		var dim []byte
		switch d := d.(type) {
		case int:
			dim = varint(dim, 1, uint64(d))
		case string:
			dim = str(dim, 2, d)
		}
		shape = msg(shape, 1, dim)
	}
	tensor := msg(varint(nil, 1, elem), 2, shape)
	return msg(str(nil, 1, name), 2, msg(nil, 1, tensor))
}

// Input declares a graph input of the element type and dims (int or string).
func (g *Graph) Input(name string, elem uint64, dims ...any) {
	g.inputs = append(g.inputs, value(name, elem, dims...))
}

// Output declares a graph output.
func (g *Graph) Output(name string, elem uint64, dims ...any) {
	g.outputs = append(g.outputs, value(name, elem, dims...))
}

func tensor(name string, elem uint64, dims []int, raw []byte) []byte {
	var t []byte
	for _, d := range dims {
		t = varint(t, 1, uint64(d))
	}
	t = varint(t, 2, elem)
	t = str(t, 8, name)
	t = protowire.AppendTag(t, 9, protowire.BytesType)
	return protowire.AppendBytes(t, raw)
}

// Floats adds a float32 initializer.
func (g *Graph) Floats(name string, dims []int, v []float32) {
	raw := make([]byte, 4*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint32(raw[4*i:], math.Float32bits(x))
	}
	g.inits = append(g.inits, tensor(name, Float, dims, raw))
}

// Int64s adds an int64 initializer.
func (g *Graph) Int64s(name string, dims []int, v []int64) {
	raw := make([]byte, 8*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint64(raw[8*i:], uint64(x))
	}
	g.inits = append(g.inits, tensor(name, Int64, dims, raw))
}

// Model serializes the graph as a ModelProto (IR version 8) importing the
// default domain at opset.
func (g *Graph) Model(opset int) []byte {
	var b []byte
	for _, n := range g.nodes {
		b = msg(b, 1, n)
	}
	b = str(b, 2, g.name)
	for _, t := range g.inits {
		b = msg(b, 5, t)
	}
	for _, v := range g.inputs {
		b = msg(b, 11, v)
	}
	for _, v := range g.outputs {
		b = msg(b, 12, v)
	}
	var m []byte
	m = varint(m, 1, 8)
	m = str(m, 2, "dpokit")
	m = msg(m, 7, b)
	return msg(m, 8, varint(str(nil, 1, ""), 2, uint64(opset)))
}
