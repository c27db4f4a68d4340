package train

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"google.golang.org/protobuf/encoding/protowire"
)

// onnxFile is what train reads from an ONNX file itself, by walking the
// protobuf wire format (field numbers of onnx.proto): the nodes and
// initializers of the main graph, with their byte ranges, so that the
// exporter can rewrite the file without touching anything else.
type onnxFile struct {
	data      []byte
	graph     span // value of ModelProto.graph (field 7) in data
	nodes     []onnxNode
	inits     []onnxInit
	inputs    []string
	outputs   []string
	functions int // ModelProto.functions: local functions (not supported)
	sparse    int // GraphProto.sparse_initializer entries
}

// span is a byte range [from, to) of onnxFile.data.
type span struct{ from, to int }

type onnxNode struct {
	name, op, domain string
	inputs, outputs  []string
	ints             map[string]int64 // integer attributes
	field            span             // the whole field (tag included) within the graph
	subgraphs        []*onnxFile      // bodies of If / Loop / Scan (nodes only)
}

// String names a node the way errors show it.
func (n onnxNode) String() string {
	op := n.op
	if n.domain != "" {
		op = n.domain + ":" + op
	}
	name := n.name
	if name == "" && len(n.outputs) > 0 {
		name = "→" + n.outputs[0]
	}
	return fmt.Sprintf("%s node %q", op, name)
}

// ONNX TensorProto data types used here.
const (
	onnxFloat  = 1
	onnxDouble = 11
)

type onnxInit struct {
	name     string
	dims     []int64
	dtype    int64
	raw      span    // raw_data, when stored inline as raw bytes
	external *extRef // data stored in an external file
	typed    bool    // data in float_data/int64_data/... (not raw)
	field    span    // the whole field (tag included) within the graph
}

// extRef is where an initializer's data lives outside the ONNX file.
type extRef struct {
	location       string
	offset, length int64
}

func (t onnxInit) elems() int64 {
	n := int64(1)
	for _, d := range t.dims {
		n *= d
	}
	return n
}

// walk calls fn for each field of a protobuf message, with the field's
// value (bytes for length-delimited fields, the number otherwise) and the
// byte range of the whole field (tag included) relative to b.
func walk(b []byte, fn func(num protowire.Number, typ protowire.Type, v []byte, n uint64, field span) error) error {
	pos := 0
	for pos < len(b) {
		start := pos
		num, typ, l := protowire.ConsumeTag(b[pos:])
		if l < 0 {
			return protowire.ParseError(l)
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
			return protowire.ParseError(l)
		}
		pos += l
		if err := fn(num, typ, v, n, span{start, pos}); err != nil {
			return err
		}
	}
	return nil
}

// parseONNX reads the model structure from data (which it keeps).
func parseONNX(data []byte) (*onnxFile, error) {
	f := &onnxFile{data: data}
	graphs := 0
	err := walk(data, func(num protowire.Number, typ protowire.Type, v []byte, _ uint64, field span) error {
		switch {
		case num == 7 && typ == protowire.BytesType:
			graphs++
			f.graph = span{field.to - len(v), field.to}
			return f.parseGraph(v)
		case num == 25:
			f.functions++
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("not a valid ONNX model: %w", err)
	}
	if graphs != 1 {
		return nil, errors.New("not a valid ONNX model: no graph")
	}
	return f, nil
}

func (f *onnxFile) parseGraph(g []byte) error {
	base := f.graph.from
	return walk(g, func(num protowire.Number, typ protowire.Type, v []byte, _ uint64, field span) error {
		if typ != protowire.BytesType {
			return nil
		}
		switch num {
		case 1:
			n, err := parseNode(v)
			if err != nil {
				return err
			}
			n.field = field
			f.nodes = append(f.nodes, n)
		case 5:
			t, err := parseTensor(v, base+field.to-len(v))
			if err != nil {
				return err
			}
			t.field = field
			f.inits = append(f.inits, t)
		case 11, 12:
			name := ""
			if err := walk(v, func(num protowire.Number, _ protowire.Type, v []byte, _ uint64, _ span) error {
				if num == 1 {
					name = string(v)
				}
				return nil
			}); err != nil {
				return err
			}
			if num == 11 {
				f.inputs = append(f.inputs, name)
			} else {
				f.outputs = append(f.outputs, name)
			}
		case 15:
			f.sparse++
		}
		return nil
	})
}

func parseNode(b []byte) (onnxNode, error) {
	n := onnxNode{ints: map[string]int64{}}
	err := walk(b, func(num protowire.Number, _ protowire.Type, v []byte, _ uint64, _ span) error {
		switch num {
		case 1:
			n.inputs = append(n.inputs, string(v))
		case 2:
			n.outputs = append(n.outputs, string(v))
		case 3:
			n.name = string(v)
		case 4:
			n.op = string(v)
		case 7:
			n.domain = string(v)
		case 5:
			return n.parseAttribute(v)
		}
		return nil
	})
	if n.domain == "ai.onnx" {
		n.domain = ""
	}
	return n, err
}

func (n *onnxNode) parseAttribute(b []byte) error {
	var name string
	var i int64
	hasInt := false
	err := walk(b, func(num protowire.Number, typ protowire.Type, v []byte, x uint64, _ span) error {
		switch num {
		case 1:
			name = string(v)
		case 3:
			i, hasInt = int64(x), true
		case 6, 11: // graph, graphs
			sub := &onnxFile{}
			if err := walk(v, func(num protowire.Number, typ protowire.Type, v []byte, _ uint64, _ span) error {
				if num == 1 && typ == protowire.BytesType {
					sn, err := parseNode(v)
					if err != nil {
						return err
					}
					sub.nodes = append(sub.nodes, sn)
				}
				return nil
			}); err != nil {
				return err
			}
			n.subgraphs = append(n.subgraphs, sub)
		}
		return nil
	})
	if hasInt {
		n.ints[name] = i
	}
	return err
}

// parseTensor reads a TensorProto whose bytes start at offset base of the
// file (for the raw data's range).
func parseTensor(b []byte, base int) (onnxInit, error) {
	var t onnxInit
	var loc string
	var off, length int64 = 0, -1
	external := false
	err := walk(b, func(num protowire.Number, typ protowire.Type, v []byte, x uint64, field span) error {
		switch num {
		case 1:
			if typ == protowire.BytesType {
				for len(v) > 0 {
					d, l := protowire.ConsumeVarint(v)
					if l < 0 {
						return protowire.ParseError(l)
					}
					t.dims = append(t.dims, int64(d))
					v = v[l:]
				}
			} else {
				t.dims = append(t.dims, int64(x))
			}
		case 2:
			t.dtype = int64(x)
		case 8:
			t.name = string(v)
		case 9:
			t.raw = span{base + field.to - len(v), base + field.to}
		case 4, 5, 6, 7, 10, 11:
			t.typed = true
		case 13:
			var key, val string
			if err := walk(v, func(num protowire.Number, _ protowire.Type, v []byte, _ uint64, _ span) error {
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
			var err error
			switch key {
			case "location":
				loc = val
			case "offset":
				_, err = fmt.Sscan(val, &off)
			case "length":
				_, err = fmt.Sscan(val, &length)
			}
			if err != nil {
				return fmt.Errorf("external data %s %q: %w", key, val, err)
			}
		case 14:
			external = x == 1
		}
		return nil
	})
	if external {
		t.external = &extRef{location: loc, offset: off, length: length}
	}
	return t, err
}

// producers maps each value name to the node that outputs it.
func (f *onnxFile) producers() map[string]*onnxNode {
	m := make(map[string]*onnxNode, len(f.nodes))
	for i := range f.nodes {
		for _, o := range f.nodes[i].outputs {
			m[o] = &f.nodes[i]
		}
	}
	return m
}

// initializer returns the initializer called name.
func (f *onnxFile) initializer(name string) (*onnxInit, bool) {
	for i := range f.inits {
		if f.inits[i].name == name {
			return &f.inits[i], true
		}
	}
	return nil, false
}

// edit describes a rewrite of the main graph: nodes dropped or replaced
// (by index), initializers whose TensorProto is replaced (by index), and
// TensorProtos appended.
type edit struct {
	dropNodes    map[int]bool
	replaceNodes map[int][]byte // index into nodes -> encoded NodeProto
	replaceInits map[int][]byte // index into inits -> encoded TensorProto
	addInits     [][]byte       // encoded TensorProtos
	appendGraph  []byte         // encoded GraphProto fields appended at its end (nodes, inputs)
}

// rewrite returns a copy of the model with the edit applied. Every other
// byte of the file is kept as it was.
func (f *onnxFile) rewrite(e edit) []byte {
	g := f.data[f.graph.from:f.graph.to]
	nodeAt := map[int]int{}
	for i, n := range f.nodes {
		nodeAt[n.field.from] = i
	}
	initAt := map[int]int{}
	for i, t := range f.inits {
		initAt[t.field.from] = i
	}
	size := len(g) + len(e.appendGraph)
	for _, b := range e.addInits {
		size += len(b) + 16
	}
	newGraph := make([]byte, 0, size)
	_ = walk(g, func(num protowire.Number, typ protowire.Type, _ []byte, _ uint64, field span) error {
		if num == 1 && typ == protowire.BytesType {
			if i, ok := nodeAt[field.from]; ok {
				if e.dropNodes[i] {
					return nil
				}
				if b, ok := e.replaceNodes[i]; ok {
					newGraph = protowire.AppendTag(newGraph, 1, protowire.BytesType)
					newGraph = protowire.AppendBytes(newGraph, b)
					return nil
				}
			}
		}
		if num == 5 && typ == protowire.BytesType {
			if i, ok := initAt[field.from]; ok {
				if b, ok := e.replaceInits[i]; ok {
					newGraph = protowire.AppendTag(newGraph, 5, protowire.BytesType)
					newGraph = protowire.AppendBytes(newGraph, b)
					return nil
				}
			}
		}
		newGraph = append(newGraph, g[field.from:field.to]...)
		return nil
	})
	for _, b := range e.addInits {
		newGraph = protowire.AppendTag(newGraph, 5, protowire.BytesType)
		newGraph = protowire.AppendBytes(newGraph, b)
	}
	newGraph = append(newGraph, e.appendGraph...)
	out := make([]byte, 0, len(f.data)-len(g)+len(newGraph)+16)
	_ = walk(f.data, func(num protowire.Number, typ protowire.Type, _ []byte, _ uint64, field span) error {
		if num == 7 && typ == protowire.BytesType {
			out = protowire.AppendTag(out, 7, protowire.BytesType)
			out = protowire.AppendBytes(out, newGraph)
			return nil
		}
		out = append(out, f.data[field.from:field.to]...)
		return nil
	})
	return out
}

// tensorWithData re-encodes initializer t with name and inline raw data:
// its dims, data type and other metadata are kept; its data fields
// (typed, raw or external) are replaced.
func (f *onnxFile) tensorWithData(t *onnxInit, name string, raw []byte) []byte {
	src := f.data[f.graph.from:f.graph.to][t.field.from:t.field.to]
	_, _, l := protowire.ConsumeTag(src)
	body, _ := protowire.ConsumeBytes(src[l:])
	var out []byte
	_ = walk(body, func(num protowire.Number, _ protowire.Type, _ []byte, _ uint64, field span) error {
		switch num {
		case 4, 5, 6, 7, 8, 9, 10, 11, 13, 14: // data fields, name, external data
			return nil
		}
		out = append(out, body[field.from:field.to]...)
		return nil
	})
	out = protowire.AppendTag(out, 8, protowire.BytesType)
	out = protowire.AppendString(out, name)
	out = protowire.AppendTag(out, 9, protowire.BytesType)
	out = protowire.AppendBytes(out, raw)
	return out
}

// readTensor returns the little-endian bytes of initializer t: inline raw
// data, float_data, or its range of an external data file in dir.
func readTensor(f *onnxFile, dir string, t *onnxInit) ([]byte, error) {
	switch {
	case t.external != nil:
		e := t.external
		if filepath.IsAbs(e.location) || strings.Contains(e.location, "..") {
			return nil, fmt.Errorf("initializer %q: external data location %q outside the model directory", t.name, e.location)
		}
		fh, err := os.Open(filepath.Join(dir, e.location))
		if err != nil {
			return nil, err
		}
		defer fh.Close()
		n := e.length
		if n < 0 {
			n = t.elems() * 4
		}
		buf := make([]byte, n)
		if _, err := fh.ReadAt(buf, e.offset); err != nil {
			return nil, fmt.Errorf("initializer %q: read %s: %w", t.name, e.location, err)
		}
		return buf, nil
	case t.raw.to > t.raw.from || !t.typed:
		return f.data[t.raw.from:t.raw.to], nil
	}
	if t.dtype != onnxFloat {
		return nil, fmt.Errorf("initializer %q: typed data of ONNX type %d not supported", t.name, t.dtype)
	}
	// float_data (field 4), packed or not.
	src := f.data[f.graph.from:f.graph.to][t.field.from:t.field.to]
	_, _, l := protowire.ConsumeTag(src)
	body, _ := protowire.ConsumeBytes(src[l:])
	out := make([]byte, 0, t.elems()*4)
	err := walk(body, func(num protowire.Number, typ protowire.Type, v []byte, x uint64, _ span) error {
		if num != 4 {
			return nil
		}
		if typ == protowire.BytesType {
			out = append(out, v...)
		} else {
			out = binary.LittleEndian.AppendUint32(out, uint32(x))
		}
		return nil
	})
	return out, err
}
