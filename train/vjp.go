package train

import (
	"reflect"
	"slices"
	"sync"

	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/graph"
)

// GoMLX v0.27.3 had two gaps on the training path of an ONNX model, which
// this file fills from the outside through graph.VJPRegistration:
//
//   - Identity (an ONNX Identity node, and StopGradient's building block) has
//     no gradient at all (still so in v0.28.8);
//   - the gradient of DotGeneral multiplies the incoming gradient by the other
//     operand broadcast to batch×M×N×K and reduce-sums it, which materialises a
//     tensor K times larger than either result and took 95% of a DPO step.
//     The gradient of a contraction is itself a contraction: two DotGenerals.
//     v0.28.8 does the same, but always transposes each result back to the
//     operand's axis order, which dotGeneralVJP avoids where it can.

var registerVJPs = sync.OnceFunc(func() {
	baseDotVJP = graph.VJPRegistration[graph.NodeTypeDotGeneral]
	graph.VJPRegistration[graph.NodeTypeDotGeneral] = dotGeneralVJP
	graph.VJPRegistration[graph.NodeTypeIdentity] = identityVJP
})

// baseDotVJP is GoMLX's own DotGeneral gradient, used for the cases
// dotGeneralVJP does not handle (a non-default accumulator or output dtype).
var baseDotVJP graph.VJP

func identityVJP(_ *graph.Node, v []*graph.Node, _ shapes.Shape) []*graph.Node {
	return []*graph.Node{v[0]}
}

// dotAxes are the axes of a DotGeneral node.
type dotAxes struct {
	lhsContract, lhsBatch, rhsContract, rhsBatch []int
}

// readDotAxes reads the axes of a DotGeneral node. GoMLX keeps them in an
// unexported struct, so they are read by reflection; ok is false when the
// layout is not the expected one or the node has a non-default dtype
// configuration.
func readDotAxes(n *graph.Node) (a dotAxes, ok bool) {
	defer func() {
		if recover() != nil {
			ok = false
		}
	}()
	in := reflect.ValueOf(n).Elem().FieldByName("inputs")
	if !in.IsValid() || in.IsNil() {
		return a, false
	}
	s := in.Elem()
	if s.Kind() == reflect.Pointer {
		s = s.Elem()
	}
	ints := func(name string) []int {
		f := s.FieldByName(name)
		out := make([]int, f.Len())
		for i := range out {
			out[i] = int(f.Index(i).Int())
		}
		return out
	}
	a.lhsContract, a.lhsBatch = ints("lhsContractingAxes"), ints("lhsBatchAxes")
	a.rhsContract, a.rhsBatch = ints("rhsContractingAxes"), ints("rhsBatchAxes")
	if cfg := s.FieldByName("config"); !cfg.IsValid() || !cfg.IsZero() {
		return a, false
	}
	return a, true
}

// freeAxes lists the axes of a rank-r operand that are neither contracted
// nor batch, in order: DotGeneral's output holds them after the batch axes.
func freeAxes(rank int, contract, batch []int) []int {
	var out []int
	for i := range rank {
		if !slices.Contains(contract, i) && !slices.Contains(batch, i) {
			out = append(out, i)
		}
	}
	return out
}

func seqInts(from, n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = from + i
	}
	return out
}

// dotGeneralVJP: for out[b, l, r] = Σ_k lhs[b, l, k]·rhs[b, r, k] (axes
// grouped as batch, free, contracted), the gradient with respect to lhs is
// Σ_r v[b, l, r]·rhs[b, r, k] and with respect to rhs Σ_l v[b, l, r]·lhs[b, l, k]:
// each a DotGeneral of v with the other operand over the other operand's
// free axes, then a transpose back to the operand's axis order.
func dotGeneralVJP(node *graph.Node, vs []*graph.Node, outShape shapes.Shape) []*graph.Node {
	a, ok := readDotAxes(node)
	if !ok || node.DType() != node.Inputs()[0].DType() || node.Inputs()[0].DType() != node.Inputs()[1].DType() {
		return baseDotVJP(node, vs, outShape)
	}
	v := vs[0]
	lhs, rhs := node.Inputs()[0], node.Inputs()[1]
	nb := len(a.lhsBatch)
	lFree := freeAxes(lhs.Rank(), a.lhsContract, a.lhsBatch)
	rFree := freeAxes(rhs.Rank(), a.rhsContract, a.rhsBatch)
	vBatch := seqInts(0, nb)
	vL := seqInts(nb, len(lFree))
	vR := seqInts(nb+len(lFree), len(rFree))
	// grad computes Σ over v's axes vOther of v·other, as the operand of
	// the given layout: its batch axes, its free axes (from v) and its
	// contracted axes (the other operand's paired contracted axes). Of the
	// two operand orders it uses the one whose result needs no transpose,
	// if any: a transposed copy of a large gradient costs as much as
	// producing it.
	grad := func(other *graph.Node, otherFree, otherBatch, vOther []int,
		rank int, batch, free, contract, otherContract []int) *graph.Node {
		sorted := slices.Sorted(slices.Values(otherContract))
		nf, nc := len(free), len(contract)
		// vFirst: result axes are batch, free (from v), then the other's
		// remaining axes — its contracted ones in increasing order.
		vFirst := make([]int, rank)
		// otherFirst: batch, the other's contracted axes, then free.
		otherFirst := make([]int, rank)
		for i, ax := range batch {
			vFirst[ax], otherFirst[ax] = i, i
		}
		for j, ax := range free {
			vFirst[ax], otherFirst[ax] = nb+j, nb+nc+j
		}
		for k, ax := range contract {
			at := slices.Index(sorted, otherContract[k])
			vFirst[ax], otherFirst[ax] = nb+nf+at, nb+at
		}
		identity := func(p []int) bool {
			for i, x := range p {
				if i != x {
					return false
				}
			}
			return true
		}
		if !identity(vFirst) && identity(otherFirst) {
			return graph.DotGeneral(other, otherFree, otherBatch, v, vOther, vBatch)
		}
		g := graph.DotGeneral(v, vOther, vBatch, other, otherFree, otherBatch)
		if identity(vFirst) {
			return g
		}
		return graph.TransposeAllAxes(g, vFirst...)
	}
	return []*graph.Node{
		grad(rhs, rFree, a.rhsBatch, vR, lhs.Rank(), a.lhsBatch, lFree, a.lhsContract, a.rhsContract),
		grad(lhs, lFree, a.lhsBatch, vL, rhs.Rank(), a.rhsBatch, rFree, a.rhsContract, a.lhsContract),
	}
}
