// Package onnxproto reads, edits and builds ONNX models in the protobuf wire
// format (the field numbers of onnx.proto), without generated code for the
// whole ONNX schema. It is dpokit's one ONNX codec: models describes a model
// directory with it, train checks, unties and rewrites weights with it, and
// the in-memory log-prob graph and the experiment's reward model are built
// with it.
//
// # Reading
//
// [Parse] walks a ModelProto and keeps, for the main graph, every node and
// initializer with the byte range of its field in [Model].Data, so that an
// [Edit] can replace a few of them and keep every other byte as it was.
// Subgraphs (If, Loop and Scan bodies) are parsed too. Nothing is trusted:
// a truncated or malformed file is an error, never a panic, and nesting is
// bounded ([MaxDepth]).
//
// # Building
//
// [Builder] writes a small graph: nodes with integer attributes, typed inputs
// and outputs with fixed or symbolic dimensions, float32 and int64
// initializers.
package onnxproto

import (
	"errors"
	"fmt"
	"strconv"

	"google.golang.org/protobuf/encoding/protowire"
)

// Element types (TensorProto.DataType) dpokit names.
const (
	Float    = 1
	Int64    = 7
	Float16  = 10
	Double   = 11
	BFloat16 = 16
)

// IsFloat reports whether an element type is floating point.
func IsFloat(dtype int64) bool {
	return dtype == Float || dtype == Float16 || dtype == Double || dtype == BFloat16
}

var dtypeNames = map[uint64]string{
	1: "float32", 2: "uint8", 3: "int8", 4: "uint16", 5: "int16", 6: "int32", 7: "int64",
	8: "string", 9: "bool", 10: "float16", 11: "float64", 12: "uint32", 13: "uint64", 16: "bfloat16",
}

// MaxDepth bounds the nesting of subgraphs Parse follows.
const MaxDepth = 32

// Span is the byte range [From, To) of a field within Model.Data.
type Span struct{ From, To int }

// FieldFunc receives one field of a message: its number and wire type, its
// value (the bytes of a length-delimited field, the number otherwise) and
// the range of the whole field, tag included.
type FieldFunc func(num protowire.Number, typ protowire.Type, v []byte, n uint64, field Span) error

// Walk calls fn for each field of the protobuf message b, whose first byte
// is at offset base of the enclosing buffer (the spans fn gets are offset
// by base). It stops at the first error, fn's or the wire format's.
func Walk(b []byte, base int, fn FieldFunc) error {
	pos := 0
	for pos < len(b) {
		start := pos
		num, typ, l := protowire.ConsumeTag(b[pos:])
		if l < 0 {
			return fmt.Errorf("offset %d: %w", base+pos, protowire.ParseError(l))
		}
		pos += l
		var v []byte
		var n uint64
		switch typ {
		case protowire.VarintType:
			n, l = protowire.ConsumeVarint(b[pos:])
		case protowire.Fixed32Type:
			var x uint32
			x, l = protowire.ConsumeFixed32(b[pos:])
			n = uint64(x)
		case protowire.Fixed64Type:
			n, l = protowire.ConsumeFixed64(b[pos:])
		case protowire.BytesType:
			v, l = protowire.ConsumeBytes(b[pos:])
		default:
			l = protowire.ConsumeFieldValue(num, typ, b[pos:])
		}
		if l < 0 {
			return fmt.Errorf("offset %d: field %d: %w", base+pos, num, protowire.ParseError(l))
		}
		pos += l
		if err := fn(num, typ, v, n, Span{base + start, base + pos}); err != nil {
			return err
		}
	}
	return nil
}

// valueStart is the offset of a length-delimited field's value.
func valueStart(field Span, v []byte) int { return field.To - len(v) }

// Model is a parsed ModelProto. Its spans index Data, which it keeps.
type Model struct {
	Data      []byte
	IRVersion int64
	Producer  string
	Opsets    map[string]int64 // domain ("" = ai.onnx) -> version
	Functions int              // ModelProto.functions (local functions)
	Graph     *Graph           // the main graph
}

// Graph is a parsed GraphProto.
type Graph struct {
	Span    Span // the GraphProto's bytes (its value, without the tag)
	Nodes   []Node
	Inits   []Tensor
	Inputs  []ValueInfo
	Outputs []ValueInfo
	Sparse  int // sparse_initializer entries
	// SparseParts are the values and indices tensors of the sparse
	// initializers.
	SparseParts []Tensor
}

// Node is a parsed NodeProto.
type Node struct {
	Name, Op, Domain string // Domain "" for ai.onnx
	Inputs, Outputs  []string
	Ints             map[string]int64 // integer attributes
	Field            Span             // the whole field, tag included
	Subgraphs        []*Graph         // bodies of If / Loop / Scan
	Tensors          []Tensor         // tensor attributes (a Constant's value), sparse ones as values and indices
}

// String names a node the way errors show it.
func (n Node) String() string {
	name := n.Name
	if name == "" && len(n.Outputs) > 0 {
		name = "→" + n.Outputs[0]
	}
	return fmt.Sprintf("%s node %q", n.OpType(), name)
}

// OpType is "domain:Op", or "Op" for the default domain.
func (n Node) OpType() string {
	if n.Domain != "" {
		return n.Domain + ":" + n.Op
	}
	return n.Op
}

// Tensor is a parsed TensorProto (an initializer).
type Tensor struct {
	Name     string
	Dims     []int64
	DType    int64
	Raw      Span      // raw_data, when stored inline as raw bytes
	External *External // data stored in an external file
	Typed    bool      // data in float_data/int64_data/... (not raw)
	Field    Span      // the whole field, tag included
}

// External is where an initializer's data lives outside the ONNX file.
type External struct {
	Location       string
	Offset, Length int64 // Length -1 when not given
	entries        int   // external_data entries read
}

// Elems is the number of elements (-1 when a dimension is negative or the
// product overflows).
func (t Tensor) Elems() int64 {
	n := int64(1)
	for _, d := range t.Dims {
		if d < 0 || d > 0 && n > (1<<62)/d {
			return -1
		}
		n *= d
	}
	return n
}

// ValueInfo is a graph input or output.
type ValueInfo struct {
	Name  string `json:"name"`
	DType string `json:"dtype"`
	Shape []Dim  `json:"shape"`
}

// Dim is one dimension: a fixed size or a symbolic name (Size -1).
type Dim struct {
	Size  int64  `json:"size"`
	Param string `json:"param,omitempty"`
}

func (d Dim) String() string {
	if d.Param != "" {
		return d.Param
	}
	if d.Size < 0 {
		return "?"
	}
	return strconv.FormatInt(d.Size, 10)
}

// ShapeString formats a shape as [a, b, c].
func ShapeString(s []Dim) string {
	out := "["
	for i, d := range s {
		if i > 0 {
			out += ", "
		}
		out += d.String()
	}
	return out + "]"
}

// Parse reads the model structure of data, which the Model keeps.
func Parse(data []byte) (*Model, error) {
	m := &Model{Data: data, Opsets: map[string]int64{}}
	graphs := 0
	err := Walk(data, 0, func(num protowire.Number, typ protowire.Type, v []byte, n uint64, field Span) error {
		switch {
		case num == 1 && typ == protowire.VarintType:
			m.IRVersion = int64(n)
		case num == 2 && typ == protowire.BytesType:
			m.Producer = string(v)
		case num == 7 && typ == protowire.BytesType:
			graphs++
			g, err := parseGraph(v, valueStart(field, v), 0)
			m.Graph = g
			return err
		case num == 8 && typ == protowire.BytesType:
			return m.parseOpset(v)
		case num == 25:
			m.Functions++
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("not a valid ONNX model: %w", err)
	}
	if graphs != 1 {
		return nil, fmt.Errorf("not a valid ONNX model: %d graphs", graphs)
	}
	return m, nil
}

func (m *Model) parseOpset(b []byte) error {
	var dom string
	var ver int64
	err := Walk(b, 0, func(num protowire.Number, _ protowire.Type, v []byte, n uint64, _ Span) error {
		switch num {
		case 1:
			dom = string(v)
		case 2:
			ver = int64(n)
		}
		return nil
	})
	if dom == "ai.onnx" {
		dom = ""
	}
	m.Opsets[dom] = ver
	return err
}

// parseGraph reads a GraphProto whose bytes b start at offset base.
func parseGraph(b []byte, base, depth int) (*Graph, error) {
	if depth > MaxDepth {
		return nil, fmt.Errorf("subgraphs nested deeper than %d", MaxDepth)
	}
	g := &Graph{Span: Span{base, base + len(b)}}
	err := Walk(b, base, func(num protowire.Number, typ protowire.Type, v []byte, _ uint64, field Span) error {
		if typ != protowire.BytesType {
			return nil
		}
		switch num {
		case 1:
			n, err := parseNode(v, valueStart(field, v), depth)
			n.Field = field
			g.Nodes = append(g.Nodes, n)
			return err
		case 5:
			t, err := parseTensor(v, valueStart(field, v))
			t.Field = field
			g.Inits = append(g.Inits, t)
			return err
		case 11, 12:
			vi, err := parseValueInfo(v)
			if num == 11 {
				g.Inputs = append(g.Inputs, vi)
			} else {
				g.Outputs = append(g.Outputs, vi)
			}
			return err
		case 15:
			g.Sparse++
			ts, err := sparseParts(v, valueStart(field, v))
			g.SparseParts = append(g.SparseParts, ts...)
			return err
		}
		return nil
	})
	return g, err
}

// sparseParts reads the values and indices tensors of a SparseTensorProto.
func sparseParts(b []byte, base int) ([]Tensor, error) {
	var out []Tensor
	err := Walk(b, base, func(num protowire.Number, typ protowire.Type, v []byte, _ uint64, field Span) error {
		if (num == 1 || num == 2) && typ == protowire.BytesType {
			t, err := parseTensor(v, valueStart(field, v))
			t.Field = field
			out = append(out, t)
			return err
		}
		return nil
	})
	return out, err
}

func parseNode(b []byte, base, depth int) (Node, error) {
	n := Node{Ints: map[string]int64{}}
	err := Walk(b, base, func(num protowire.Number, typ protowire.Type, v []byte, _ uint64, field Span) error {
		switch num {
		case 1:
			n.Inputs = append(n.Inputs, string(v))
		case 2:
			n.Outputs = append(n.Outputs, string(v))
		case 3:
			n.Name = string(v)
		case 4:
			n.Op = string(v)
		case 7:
			n.Domain = string(v)
		case 5:
			if typ == protowire.BytesType {
				return n.parseAttribute(v, valueStart(field, v), depth)
			}
		}
		return nil
	})
	if n.Domain == "ai.onnx" {
		n.Domain = ""
	}
	return n, err
}

func (n *Node) parseAttribute(b []byte, base, depth int) error {
	var name string
	var i int64
	hasInt := false
	err := Walk(b, base, func(num protowire.Number, typ protowire.Type, v []byte, x uint64, field Span) error {
		switch {
		case num == 1:
			name = string(v)
		case num == 3 && typ == protowire.VarintType:
			i, hasInt = int64(x), true
		case (num == 6 || num == 11) && typ == protowire.BytesType: // graph, graphs
			g, err := parseGraph(v, valueStart(field, v), depth+1)
			if g != nil {
				n.Subgraphs = append(n.Subgraphs, g)
			}
			return err
		case (num == 5 || num == 10) && typ == protowire.BytesType: // t, tensors
			t, err := parseTensor(v, valueStart(field, v))
			t.Field = field
			n.Tensors = append(n.Tensors, t)
			return err
		case (num == 22 || num == 23) && typ == protowire.BytesType: // sparse_tensor, sparse_tensors
			ts, err := sparseParts(v, valueStart(field, v))
			n.Tensors = append(n.Tensors, ts...)
			return err
		}
		return nil
	})
	if hasInt {
		n.Ints[name] = i
	}
	return err
}

// parseTensor reads a TensorProto whose bytes b start at offset base.
func parseTensor(b []byte, base int) (Tensor, error) {
	var t Tensor
	ext := External{Length: -1}
	external := false
	err := Walk(b, base, func(num protowire.Number, typ protowire.Type, v []byte, x uint64, field Span) error {
		switch num {
		case 1:
			return t.addDims(typ, v, x)
		case 2:
			t.DType = int64(x)
		case 8:
			t.Name = string(v)
		case 9:
			t.Raw = Span{valueStart(field, v), field.To}
		case 4, 5, 6, 7, 10, 11:
			t.Typed = true
		case 13:
			return ext.parseEntry(v)
		case 14:
			external = x == 1
		}
		return nil
	})
	if external || ext.entries > 0 {
		// ONNX Runtime reads a tensor's data from the file when
		// data_location says EXTERNAL, onnx-gomlx whenever external_data
		// entries are present: either way it is external to the checks.
		t.External = &ext
	}
	return t, err
}

func (t *Tensor) addDims(typ protowire.Type, v []byte, x uint64) error {
	if typ != protowire.BytesType { // unpacked
		t.Dims = append(t.Dims, int64(x))
		return nil
	}
	for len(v) > 0 {
		d, l := protowire.ConsumeVarint(v)
		if l < 0 {
			return protowire.ParseError(l)
		}
		t.Dims = append(t.Dims, int64(d))
		v = v[l:]
	}
	return nil
}

// parseEntry reads one StringStringEntryProto of external_data.
func (e *External) parseEntry(b []byte) error {
	var key, val string
	if err := Walk(b, 0, func(num protowire.Number, _ protowire.Type, v []byte, _ uint64, _ Span) error {
		switch num {
		case 1:
			key = string(v)
		case 2:
			val = string(v)
		}
		return nil
	}); err != nil {
		return err
	}
	e.entries++
	var err error
	switch key {
	case "location":
		if e.Location != "" {
			return fmt.Errorf("external data location given twice (%q and %q)", e.Location, val)
		}
		e.Location = val
	case "offset":
		e.Offset, err = strconv.ParseInt(val, 10, 64)
	case "length":
		e.Length, err = strconv.ParseInt(val, 10, 64)
	}
	if err != nil || e.Offset < 0 || e.Length < -1 {
		return fmt.Errorf("external data %s %q: not a valid byte count", key, val)
	}
	return nil
}

func parseValueInfo(b []byte) (ValueInfo, error) {
	var vi ValueInfo
	err := Walk(b, 0, func(num protowire.Number, _ protowire.Type, v []byte, _ uint64, _ Span) error {
		switch num {
		case 1:
			vi.Name = string(v)
		case 2: // TypeProto
			return Walk(v, 0, func(num protowire.Number, _ protowire.Type, v []byte, _ uint64, _ Span) error {
				if num != 1 { // tensor_type
					return nil
				}
				return vi.parseTensorType(v)
			})
		}
		return nil
	})
	return vi, err
}

func (vi *ValueInfo) parseTensorType(b []byte) error {
	return Walk(b, 0, func(num protowire.Number, _ protowire.Type, v []byte, n uint64, _ Span) error {
		switch num {
		case 1:
			vi.DType = dtypeNames[n]
			if vi.DType == "" {
				vi.DType = fmt.Sprintf("type%d", n)
			}
		case 2: // TensorShapeProto
			vi.Shape = []Dim{}
			return Walk(v, 0, func(num protowire.Number, _ protowire.Type, v []byte, _ uint64, _ Span) error {
				if num != 1 {
					return nil
				}
				d := Dim{Size: -1}
				err := Walk(v, 0, func(num protowire.Number, _ protowire.Type, v []byte, n uint64, _ Span) error {
					switch num {
					case 1:
						d.Size = int64(n)
					case 2:
						d.Param = string(v)
					}
					return nil
				})
				vi.Shape = append(vi.Shape, d)
				return err
			})
		}
		return nil
	})
}

// Initializer returns the main graph's initializer called name.
func (m *Model) Initializer(name string) (*Tensor, bool) {
	for i := range m.Graph.Inits {
		if m.Graph.Inits[i].Name == name {
			return &m.Graph.Inits[i], true
		}
	}
	return nil, false
}

// Producers maps each value of the main graph to the node that outputs it.
func (m *Model) Producers() map[string]*Node {
	out := make(map[string]*Node, len(m.Graph.Nodes))
	for i := range m.Graph.Nodes {
		for _, o := range m.Graph.Nodes[i].Outputs {
			out[o] = &m.Graph.Nodes[i]
		}
	}
	return out
}

// Body returns the value of the length-delimited field at span (its bytes
// without the tag and length).
func (m *Model) Body(field Span) ([]byte, error) {
	if field.From < 0 || field.To > len(m.Data) || field.From > field.To {
		return nil, errors.New("field outside the model's bytes")
	}
	return FieldBody(m.Data[field.From:field.To])
}

// FieldBody returns the value of one encoded length-delimited field.
func FieldBody(field []byte) ([]byte, error) {
	_, typ, l := protowire.ConsumeTag(field)
	if l < 0 {
		return nil, protowire.ParseError(l)
	}
	if typ != protowire.BytesType {
		return nil, fmt.Errorf("field of wire type %d is not length-delimited", typ)
	}
	v, n := protowire.ConsumeBytes(field[l:])
	if n < 0 {
		return nil, protowire.ParseError(n)
	}
	return v, nil
}
