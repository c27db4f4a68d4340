package train

import (
	"slices"

	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/support/exceptions"
)

// findHead returns the LM head at the end of the graph when the logits are
// MatMul(hidden, weight) followed by nothing but Tanh and Mul / Div by
// constants (a Constant node or a one-element initializer); nil otherwise.
// That the constants are scalars is checked when the graph is built (Load's
// dry run falls back to full logits).
func (f *onnxFile) findHead(logits string) *headNode {
	prod := f.producers()
	constant := func(name string) bool {
		if t, ok := f.initializer(name); ok {
			return t.elems() == 1
		}
		p := prod[name]
		return p != nil && p.op == "Constant"
	}
	var tail []tailOp
	for name := logits; ; {
		n := prod[name]
		switch {
		case n == nil || n.domain != "":
			return nil
		case n.op == "MatMul" && len(n.inputs) == 2:
			slices.Reverse(tail)
			return &headNode{hidden: n.inputs[0], weight: n.inputs[1], tail: tail}
		case n.op == "Tanh" && len(n.inputs) == 1:
			tail, name = append(tail, tailOp{op: n.op}), n.inputs[0]
		case (n.op == "Mul" || n.op == "Div") && len(n.inputs) == 2 && constant(n.inputs[1]):
			tail, name = append(tail, tailOp{op: n.op, constant: n.inputs[1]}), n.inputs[0]
		case n.op == "Mul" && len(n.inputs) == 2 && constant(n.inputs[0]):
			tail, name = append(tail, tailOp{op: n.op, constant: n.inputs[0]}), n.inputs[1]
		default:
			return nil
		}
	}
}

// values lists the graph values the head needs: hidden, weight, then the
// tail's constants.
func (h *headNode) values() []string {
	out := []string{h.hidden, h.weight}
	for _, op := range h.tail {
		if op.constant != "" {
			out = append(out, op.constant)
		}
	}
	return out
}

// applyTail applies the tail to x; consts are the values of the tail's
// constants, in order.
func (h *headNode) applyTail(x *graph.Node, consts []*graph.Node) *graph.Node {
	k := 0
	for _, op := range h.tail {
		if op.op == "Tanh" {
			x = graph.Tanh(x)
			continue
		}
		c := consts[k]
		k++
		if c.Shape().Size() != 1 {
			exceptions.Panicf("logits %s by %q of shape %s, want a scalar", op.op, op.constant, c.Shape())
		}
		c = graph.ConvertDType(graph.Reshape(c), x.DType())
		if op.op == "Mul" {
			x = graph.Mul(x, c)
		} else {
			x = graph.Div(x, c)
		}
	}
	return x
}
