package train

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
)

// TestDotGeneralVJP holds the DotGeneral gradient registered by this
// package to GoMLX's own on contractions with batch, free and several
// contracting axes in unusual orders. The reference is GoMLX's gradient of
// the same contraction with its operands first transposed to [batch, free,
// contracted] in matching order: GoMLX v0.28.8's own DotGeneral gradient
// gets the operand's shape wrong when the contracted axes are paired in
// another order (case 4).
func TestDotGeneralVJP(t *testing.T) {
	registerVJPs()
	backend, err := NewBackend("")
	if err != nil {
		t.Fatal(err)
	}
	type tc struct {
		lhs, rhs       []int
		lc, lb, rc, rb []int
	}
	cases := []tc{
		{lhs: []int{3, 4}, rhs: []int{4, 5}, lc: []int{1}, rc: []int{0}},                                               // matmul
		{lhs: []int{2, 3, 4}, rhs: []int{4, 5}, lc: []int{2}, rc: []int{0}},                                            // dense layer
		{lhs: []int{2, 3, 4}, rhs: []int{5, 4}, lc: []int{2}, rc: []int{1}},                                            // x·Wᵀ
		{lhs: []int{2, 6, 3, 4}, rhs: []int{2, 6, 5, 4}, lc: []int{3}, lb: []int{0, 1}, rc: []int{3}, rb: []int{0, 1}}, // attention scores
		{lhs: []int{4, 2, 3}, rhs: []int{3, 5, 2}, lc: []int{1, 2}, rc: []int{2, 0}},                                   // two contracted axes, crossed order
		{lhs: []int{3, 2, 4}, rhs: []int{4, 3, 5}, lc: []int{2}, lb: []int{0}, rc: []int{0}, rb: []int{1}},             // batch axis not first on rhs
		{lhs: []int{5}, rhs: []int{5, 2}, lc: []int{0}, rc: []int{0}},                                                  // vector
	}
	rng := rand.New(rand.NewPCG(1, 2))
	random := func(dims []int) *tensors.Tensor {
		n := 1
		for _, d := range dims {
			n *= d
		}
		v := make([]float32, n)
		for i := range v {
			v[i] = float32(rng.NormFloat64())
		}
		return tensors.FromFlatDataAndDimensions(v, dims...)
	}
	for i, c := range cases {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			lhs, rhs := random(c.lhs), random(c.rhs)
			var outDims []int
			run := func(vjp graph.VJP, canonical bool) []*tensors.Tensor {
				saved := graph.VJPRegistration[graph.NodeTypeDotGeneral]
				graph.VJPRegistration[graph.NodeTypeDotGeneral] = vjp
				defer func() { graph.VJPRegistration[graph.NodeTypeDotGeneral] = saved }()
				e := graph.MustNewExec(backend, func(l, r *graph.Node) []*graph.Node {
					var out *graph.Node
					if canonical {
						out = canonicalDot(l, c.lc, c.lb, r, c.rc, c.rb)
					} else {
						out = graph.DotGeneral(l, c.lc, c.lb, r, c.rc, c.rb)
					}
					outDims = out.Shape().Dimensions
					// A non-uniform weighting so every output element matters.
					w := graph.Sin(graph.IotaFull(l.Graph(), shapes.Make(out.DType(), out.Shape().Dimensions...)))
					loss := graph.ReduceAllSum(graph.Mul(out, w))
					return graph.Gradient(loss, l, r)
				})
				defer e.Finalize()
				return e.MustExec(lhs, rhs)
			}
			want := run(baseDotVJP, true)
			got := run(dotGeneralVJP, false)
			for k := range 2 {
				if !got[k].Shape().Equal(want[k].Shape()) {
					t.Fatalf("operand %d: gradient shape %s, want %s", k, got[k].Shape(), want[k].Shape())
				}
				g, w := tensors.MustCopyFlatData[float32](got[k]), tensors.MustCopyFlatData[float32](want[k])
				for j := range w {
					if math.Abs(float64(g[j]-w[j])) > 1e-4*max(1, math.Abs(float64(w[j]))) {
						t.Fatalf("operand %d (output %v): gradient[%d] = %g, GoMLX's %g", k, outDims, j, g[j], w[j])
					}
				}
			}
		})
	}
	// The registered gradient really is this package's.
	n := graph.VJPRegistration[graph.NodeTypeDotGeneral]
	if fmt.Sprintf("%p", n) != fmt.Sprintf("%p", graph.VJP(dotGeneralVJP)) {
		t.Error("DotGeneral gradient not registered")
	}
}

// canonicalDot is DotGeneral(l, lc, lb, r, rc, rb) computed on operands
// transposed to [batch, free, contracted], contracted axes in pairing order.
func canonicalDot(l *graph.Node, lc, lb []int, r *graph.Node, rc, rb []int) *graph.Node {
	lFree, rFree := freeAxes(l.Rank(), lc, lb), freeAxes(r.Rank(), rc, rb)
	lt := graph.TransposeAllAxes(l, slices.Concat(lb, lFree, lc)...)
	rt := graph.TransposeAllAxes(r, slices.Concat(rb, rFree, rc)...)
	nb, nc := len(lb), len(lc)
	return graph.DotGeneral(lt, seqInts(nb+len(lFree), nc), seqInts(0, nb), rt, seqInts(nb+len(rFree), nc), seqInts(0, nb))
}

// TestReadDotAxes: the axes are read from GoMLX's node (by reflection, so a
// change of GoMLX's internals shows here first).
func TestReadDotAxes(t *testing.T) {
	backend, err := NewBackend("")
	if err != nil {
		t.Fatal(err)
	}
	g := graph.NewGraph(backend, "axes")
	defer g.Finalize()
	l := graph.Parameter(g, "l", shapes.Make(dtypes.Float32, 3, 2, 4))
	r := graph.Parameter(g, "r", shapes.Make(dtypes.Float32, 4, 3, 5))
	n := graph.DotGeneral(l, []int{2}, []int{0}, r, []int{0}, []int{1})
	a, ok := readDotAxes(n)
	if !ok {
		t.Fatal("axes not readable")
	}
	want := dotAxes{lhsContract: []int{2}, lhsBatch: []int{0}, rhsContract: []int{0}, rhsBatch: []int{1}}
	if fmt.Sprint(a) != fmt.Sprint(want) {
		t.Errorf("axes %+v, want %+v", a, want)
	}
}
