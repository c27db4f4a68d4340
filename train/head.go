package train

import (
	"slices"

	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/support/exceptions"

	"github.com/dpokit/dpokit/internal/onnxproto"
)

// findHead returns the LM head at the end of the graph when the logits are
// MatMul(hidden, weight) followed by nothing but Tanh and Mul / Div by
// constants (a Constant node or a one-element initializer); nil otherwise.
// That the constants are scalars is checked when the graph is built (Load's
// dry run falls back to full logits).
func findHead(f *onnxproto.Model, logits string) *headNode {
	prod := f.Producers()
	constant := func(name string) bool {
		if t, ok := f.Initializer(name); ok {
			return t.Elems() == 1
		}
		p := prod[name]
		return p != nil && p.Op == "Constant"
	}
	var tail []tailOp
	for name := logits; ; {
		n := prod[name]
		switch {
		case n == nil || n.Domain != "":
			return nil
		case n.Op == "MatMul" && len(n.Inputs) == 2:
			slices.Reverse(tail)
			return &headNode{hidden: n.Inputs[0], weight: n.Inputs[1], tail: tail}
		case n.Op == "Tanh" && len(n.Inputs) == 1:
			tail, name = append(tail, tailOp{op: n.Op}), n.Inputs[0]
		case (n.Op == "Mul" || n.Op == "Div") && len(n.Inputs) == 2 && constant(n.Inputs[1]):
			tail, name = append(tail, tailOp{op: n.Op, constant: n.Inputs[1]}), n.Inputs[0]
		case n.Op == "Mul" && len(n.Inputs) == 2 && constant(n.Inputs[0]):
			tail, name = append(tail, tailOp{op: n.Op, constant: n.Inputs[0]}), n.Inputs[1]
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
