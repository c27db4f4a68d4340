package models

import (
	"fmt"
	"os"
	"sort"
	"syscall"

	"google.golang.org/protobuf/encoding/protowire"
)

// Graph is what dpokit reads from an ONNX file without ONNX Runtime: enough
// to describe a model and to check its signature. It is parsed directly from
// the protobuf wire format (field numbers of onnx.proto), which avoids
// generated code for the whole ONNX schema.
type Graph struct {
	IRVersion     int64
	Producer      string
	Opsets        map[string]int64 // domain ("" = ai.onnx) -> version
	Inputs        []ValueInfo
	Outputs       []ValueInfo
	OpCounts      map[string]int // "domain:OpType" (domain omitted for ai.onnx), subgraphs included
	Initializers  int
	Parameters    int64 // elements of floating-point initializers
	ExternalFiles []string
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
	return fmt.Sprint(d.Size)
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

var dtypeNames = map[uint64]string{
	1: "float32", 2: "uint8", 3: "int8", 4: "uint16", 5: "int16", 6: "int32", 7: "int64",
	8: "string", 9: "bool", 10: "float16", 11: "float64", 12: "uint32", 13: "uint64", 16: "bfloat16",
}

var floatTypes = map[uint64]bool{1: true, 10: true, 11: true, 16: true}

// ReadGraph parses the ONNX file at path.
func ReadGraph(path string) (*Graph, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if st.Size() == 0 {
		return nil, fmt.Errorf("%s: empty ONNX file", path)
	}
	data, err := syscall.Mmap(int(f.Fd()), 0, int(st.Size()), syscall.PROT_READ, syscall.MAP_SHARED)
	if err != nil {
		return nil, fmt.Errorf("%s: map file: %w", path, err)
	}
	defer syscall.Munmap(data)
	g := &Graph{Opsets: map[string]int64{}, OpCounts: map[string]int{}}
	if err := g.parseModel(data); err != nil {
		return nil, fmt.Errorf("%s: not a valid ONNX model: %w", path, err)
	}
	if len(g.Inputs) == 0 && len(g.Outputs) == 0 {
		return nil, fmt.Errorf("%s: not a valid ONNX model: no graph inputs or outputs", path)
	}
	sort.Strings(g.ExternalFiles)
	return g, nil
}

// field iterates over the fields of one protobuf message.
func fields(b []byte, fn func(num protowire.Number, typ protowire.Type, v []byte, n uint64) error) error {
	for len(b) > 0 {
		num, typ, l := protowire.ConsumeTag(b)
		if l < 0 {
			return protowire.ParseError(l)
		}
		b = b[l:]
		var v []byte
		var n uint64
		switch typ {
		case protowire.VarintType:
			n, l = protowire.ConsumeVarint(b)
		case protowire.Fixed32Type:
			var x uint32
			x, l = protowire.ConsumeFixed32(b)
			n = uint64(x)
		case protowire.Fixed64Type:
			n, l = protowire.ConsumeFixed64(b)
		case protowire.BytesType:
			v, l = protowire.ConsumeBytes(b)
		default:
			l = protowire.ConsumeFieldValue(num, typ, b)
		}
		if l < 0 {
			return protowire.ParseError(l)
		}
		b = b[l:]
		if err := fn(num, typ, v, n); err != nil {
			return err
		}
	}
	return nil
}

func (g *Graph) parseModel(b []byte) error {
	graphs := 0
	err := fields(b, func(num protowire.Number, typ protowire.Type, v []byte, n uint64) error {
		switch num {
		case 1:
			g.IRVersion = int64(n)
		case 2:
			g.Producer = string(v)
		case 7:
			graphs++
			return g.parseGraph(v, true)
		case 8:
			var dom string
			var ver int64
			if err := fields(v, func(num protowire.Number, _ protowire.Type, v []byte, n uint64) error {
				switch num {
				case 1:
					dom = string(v)
				case 2:
					ver = int64(n)
				}
				return nil
			}); err != nil {
				return err
			}
			if dom == "ai.onnx" {
				dom = ""
			}
			g.Opsets[dom] = ver
		}
		return nil
	})
	if err == nil && graphs == 0 {
		err = fmt.Errorf("no graph")
	}
	return err
}

func (g *Graph) parseGraph(b []byte, top bool) error {
	return fields(b, func(num protowire.Number, typ protowire.Type, v []byte, n uint64) error {
		switch num {
		case 1:
			return g.parseNode(v)
		case 5:
			return g.parseInitializer(v)
		case 11, 12:
			if !top {
				return nil
			}
			vi, err := parseValueInfo(v)
			if err != nil {
				return err
			}
			if num == 11 {
				g.Inputs = append(g.Inputs, vi)
			} else {
				g.Outputs = append(g.Outputs, vi)
			}
		}
		return nil
	})
}

func (g *Graph) parseNode(b []byte) error {
	var op, dom string
	err := fields(b, func(num protowire.Number, typ protowire.Type, v []byte, n uint64) error {
		switch num {
		case 4:
			op = string(v)
		case 7:
			dom = string(v)
		case 5: // attribute: look for subgraphs (If / Loop / Scan bodies)
			return fields(v, func(num protowire.Number, typ protowire.Type, v []byte, n uint64) error {
				if num == 6 || num == 11 {
					return g.parseGraph(v, false)
				}
				return nil
			})
		}
		return nil
	})
	if dom == "ai.onnx" {
		dom = ""
	}
	key := op
	if dom != "" {
		key = dom + ":" + op
	}
	g.OpCounts[key]++
	return err
}

func (g *Graph) parseInitializer(b []byte) error {
	elems := int64(1)
	var dtype uint64
	err := fields(b, func(num protowire.Number, typ protowire.Type, v []byte, n uint64) error {
		switch num {
		case 1:
			if typ == protowire.BytesType { // packed dims
				for len(v) > 0 {
					d, l := protowire.ConsumeVarint(v)
					if l < 0 {
						return protowire.ParseError(l)
					}
					v = v[l:]
					elems *= int64(d)
				}
			} else {
				elems *= int64(n)
			}
		case 2:
			dtype = n
		case 13:
			var key, val string
			if err := fields(v, func(num protowire.Number, _ protowire.Type, v []byte, _ uint64) error {
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
			if key == "location" {
				g.addExternal(val)
			}
		}
		return nil
	})
	g.Initializers++
	if floatTypes[dtype] {
		g.Parameters += elems
	}
	return err
}

func (g *Graph) addExternal(name string) {
	for _, f := range g.ExternalFiles {
		if f == name {
			return
		}
	}
	g.ExternalFiles = append(g.ExternalFiles, name)
}

func parseValueInfo(b []byte) (ValueInfo, error) {
	var vi ValueInfo
	err := fields(b, func(num protowire.Number, typ protowire.Type, v []byte, n uint64) error {
		switch num {
		case 1:
			vi.Name = string(v)
		case 2: // TypeProto
			return fields(v, func(num protowire.Number, typ protowire.Type, v []byte, n uint64) error {
				if num != 1 { // tensor_type
					return nil
				}
				return fields(v, func(num protowire.Number, typ protowire.Type, v []byte, n uint64) error {
					switch num {
					case 1:
						vi.DType = dtypeNames[n]
						if vi.DType == "" {
							vi.DType = fmt.Sprintf("type%d", n)
						}
					case 2: // TensorShapeProto
						vi.Shape = []Dim{}
						return fields(v, func(num protowire.Number, typ protowire.Type, v []byte, n uint64) error {
							if num != 1 {
								return nil
							}
							d := Dim{Size: -1}
							err := fields(v, func(num protowire.Number, typ protowire.Type, v []byte, n uint64) error {
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
			})
		}
		return nil
	})
	return vi, err
}
