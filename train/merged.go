package train

import (
	"fmt"

	"google.golang.org/protobuf/encoding/protowire"
)

// A merged decoder (optimum's decoder_model_merged.onnx) holds the model
// twice, in the two branches of an If node on the use_cache_branch input:
// then with the KV cache, else without it. Training feeds an empty past and
// use_cache_branch false, so Load builds the GoMLX graph from a copy of the
// file in which the If node is replaced by the nodes of its else branch
// (and Identity nodes that give the branch's outputs the If node's names).
// The weights are initializers of the outer graph that both branches read,
// so Export writes them into the original merged file and both branches use
// the trained values.

// noCacheBranch returns the model with a merged decoder's If node inlined
// (its else branch), or ok false when f has no such node.
func (f *onnxFile) noCacheBranch() (out []byte, ok bool, err error) {
	at := -1
	for i, n := range f.nodes {
		if n.op == "If" && n.domain == "" && len(n.inputs) == 1 && n.inputs[0] == "use_cache_branch" {
			at = i
		}
	}
	if at < 0 {
		return nil, false, nil
	}
	n := f.nodes[at]
	branch, err := f.nodeGraphAttribute(at, "else_branch")
	if err != nil {
		return nil, false, fmt.Errorf("%s: %w", n, err)
	}
	var nodes, inits [][]byte
	var outputs []string
	err = walk(branch, func(num protowire.Number, typ protowire.Type, v []byte, _ uint64, _ span) error {
		switch {
		case typ != protowire.BytesType:
		case num == 1:
			nodes = append(nodes, v)
		case num == 5:
			inits = append(inits, v)
		case num == 12:
			outputs = append(outputs, valueInfoName(v))
		}
		return nil
	})
	if err != nil || len(outputs) != len(n.outputs) {
		return nil, false, fmt.Errorf("%s: else branch with %d outputs for %d (%v)", n, len(outputs), len(n.outputs), err)
	}
	for k, o := range n.outputs {
		nodes = append(nodes, identityNode(fmt.Sprintf("dpokit_else_%d", k), outputs[k], o))
	}
	return f.rewrite(edit{spliceNodes: map[int][][]byte{at: nodes}, addInits: inits}), true, nil
}

// nodeGraphAttribute returns the GraphProto bytes of node i's attribute name.
func (f *onnxFile) nodeGraphAttribute(i int, name string) ([]byte, error) {
	field := f.data[f.graph.from:f.graph.to][f.nodes[i].field.from:f.nodes[i].field.to]
	_, _, l := protowire.ConsumeTag(field)
	body, _ := protowire.ConsumeBytes(field[l:])
	var found []byte
	err := walk(body, func(num protowire.Number, typ protowire.Type, v []byte, _ uint64, _ span) error {
		if num != 5 || typ != protowire.BytesType {
			return nil
		}
		var attr string
		var g []byte
		_ = walk(v, func(num protowire.Number, _ protowire.Type, v []byte, _ uint64, _ span) error {
			switch num {
			case 1:
				attr = string(v)
			case 6:
				g = v
			}
			return nil
		})
		if attr == name {
			found = g
		}
		return nil
	})
	if err == nil && found == nil {
		err = fmt.Errorf("no graph attribute %q", name)
	}
	return found, err
}

func valueInfoName(b []byte) string {
	var name string
	_ = walk(b, func(num protowire.Number, _ protowire.Type, v []byte, _ uint64, _ span) error {
		if num == 1 {
			name = string(v)
		}
		return nil
	})
	return name
}

// identityNode encodes the NodeProto out = Identity(in).
func identityNode(name, in, out string) []byte {
	var b []byte
	b = protowire.AppendTag(b, 1, protowire.BytesType)
	b = protowire.AppendString(b, in)
	b = protowire.AppendTag(b, 2, protowire.BytesType)
	b = protowire.AppendString(b, out)
	b = protowire.AppendTag(b, 3, protowire.BytesType)
	b = protowire.AppendString(b, name)
	b = protowire.AppendTag(b, 4, protowire.BytesType)
	return protowire.AppendString(b, "Identity")
}

// trainingGraph returns the file GoMLX builds: f itself, or for a merged
// decoder a copy with its no-cache branch inlined.
func (f *onnxFile) trainingGraph() (*onnxFile, error) {
	inlined, ok, err := f.noCacheBranch()
	if err != nil || !ok {
		return f, err
	}
	return parseONNX(inlined)
}
