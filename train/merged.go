package train

import (
	"fmt"

	"google.golang.org/protobuf/encoding/protowire"

	"github.com/dpokit/dpokit/internal/onnxproto"
)

// A merged decoder (optimum's decoder_model_merged.onnx) holds the model
// twice, in the two branches of an If node on the use_cache_branch input:
// then with the KV cache, else without it. Training feeds an empty past and
// use_cache_branch false, so when no unmerged sibling is there (see
// trainable), Load builds the GoMLX graph from a copy of the file in which
// the If node is replaced by the nodes of its else branch (and Identity
// nodes that give the branch's outputs the If node's names). The weights
// are initializers of the outer graph that both branches read, so Export
// writes them into the original merged file and both branches use the
// trained values.

// noCacheBranch returns the model with a merged decoder's If node inlined
// (its else branch), or ok false when f has no such node.
func noCacheBranch(f *onnxproto.Model) (out []byte, ok bool, err error) {
	at := -1
	for i, n := range f.Graph.Nodes {
		if n.Op == "If" && n.Domain == "" && len(n.Inputs) == 1 && n.Inputs[0] == "use_cache_branch" {
			at = i
		}
	}
	if at < 0 {
		return nil, false, nil
	}
	n := f.Graph.Nodes[at]
	branch, err := nodeGraphAttribute(f, n, "else_branch")
	if err != nil {
		return nil, false, fmt.Errorf("%s: %w", n, err)
	}
	var nodes, inits [][]byte
	var outputs []string
	err = onnxproto.Walk(branch, 0, func(num protowire.Number, typ protowire.Type, v []byte, _ uint64, _ onnxproto.Span) error {
		switch {
		case typ != protowire.BytesType:
		case num == 1:
			nodes = append(nodes, v)
		case num == 5:
			inits = append(inits, v)
		case num == 12:
			outputs = append(outputs, fieldString(v, 1))
		}
		return nil
	})
	if err != nil || len(outputs) != len(n.Outputs) {
		return nil, false, fmt.Errorf("%s: else branch with %d outputs for %d (%v)", n, len(outputs), len(n.Outputs), err)
	}
	for k, o := range n.Outputs {
		nodes = append(nodes, identityNode(fmt.Sprintf("dpokit_else_%d", k), outputs[k], o))
	}
	out, err = f.Rewrite(onnxproto.Edit{SpliceNodes: map[int][][]byte{at: nodes}, AddInits: inits})
	return out, err == nil, err
}

// nodeGraphAttribute returns the GraphProto bytes of node n's attribute name.
func nodeGraphAttribute(f *onnxproto.Model, n onnxproto.Node, name string) ([]byte, error) {
	body, err := f.Body(n.Field)
	if err != nil {
		return nil, err
	}
	var found []byte
	err = onnxproto.Walk(body, 0, func(num protowire.Number, typ protowire.Type, v []byte, _ uint64, _ onnxproto.Span) error {
		if num != 5 || typ != protowire.BytesType || fieldString(v, 1) != name {
			return nil
		}
		return onnxproto.Walk(v, 0, func(num protowire.Number, typ protowire.Type, v []byte, _ uint64, _ onnxproto.Span) error {
			if num == 6 && typ == protowire.BytesType {
				found = v
			}
			return nil
		})
	})
	if err == nil && found == nil {
		err = fmt.Errorf("no graph attribute %q", name)
	}
	return found, err
}

// fieldString returns the last string field num of message b ("" if none
// or b is malformed).
func fieldString(b []byte, num protowire.Number) string {
	var s string
	_ = onnxproto.Walk(b, 0, func(n protowire.Number, typ protowire.Type, v []byte, _ uint64, _ onnxproto.Span) error {
		if n == num && typ == protowire.BytesType {
			s = string(v)
		}
		return nil
	})
	return s
}

// identityNode encodes the NodeProto out = Identity(in) called name.
func identityNode(name, in, out string) []byte {
	return onnxproto.AppendString(onnxproto.EncodeNode("Identity", "", []string{in}, []string{out}), 3, name)
}

// trainingGraph returns the model GoMLX builds: f itself, or for a merged
// decoder a copy with its no-cache branch inlined.
func trainingGraph(f *onnxproto.Model) (*onnxproto.Model, error) {
	inlined, ok, err := noCacheBranch(f)
	if err != nil || !ok {
		return f, err
	}
	return onnxproto.Parse(inlined)
}
