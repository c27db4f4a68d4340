package train

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
)

// TestSumSquaresFloat64 holds sumSquares to a float64 sum on a gradient of
// an embedding's shape (262,144 × 16, either way round): one row of large
// values, the other rows small, as the gradient of a vocabulary is. Each
// square is rounded once (u = 2⁻²⁴) and each float32 partial sum has at
// most 16 positive terms (relative error ≤ 15u), so the result is within
// 16u ≈ 9.5e-7 relative. A single float32 sum of the same squares rounds
// each of the 4 million small terms against a running total of about 20.
func TestSumSquaresFloat64(t *testing.T) {
	backend, err := NewBackend("")
	if err != nil {
		t.Fatal(err)
	}
	const V, H = 262144, 16
	rng := rand.New(rand.NewPCG(1, 2))
	data := make([]float32, V*H)
	var want float64
	for i := range data {
		v := float32(1e-3 * rng.NormFloat64())
		if i/H == 1000 {
			v = 1
		}
		data[i] = v
		want += float64(v) * float64(v)
	}
	for _, dims := range [][]int{{V, H}, {H, V}} {
		exec, err := graph.NewExec(backend, func(g *graph.Node) []*graph.Node {
			return []*graph.Node{sumSquares(g), graph.ReduceAllSum(graph.Square(g))}
		})
		if err != nil {
			t.Fatal(err)
		}
		out, err := exec.Exec(tensors.FromFlatDataAndDimensions(data, dims...))
		if err != nil {
			t.Fatal(err)
		}
		got := tensors.ToScalar[float64](out[0])
		f32 := float64(tensors.ToScalar[float32](out[1]))
		rel := math.Abs(got-want) / want
		t.Logf("%v: sumSquares relative error %.1e; one float32 sum %.1e", dims, rel, math.Abs(f32-want)/want)
		if rel > 16*0x1p-24 {
			t.Errorf("%v: sumSquares %.9g, float64 sum %.9g (relative %.1e > 16u)", dims, got, want, rel)
		}
	}
}
