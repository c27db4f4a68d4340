package train

import (
	"math"
	"testing"

	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
)

// cDPO by hand (Mitchell 2023; TRL's sigmoid loss with label smoothing ε):
// L = −(1−ε)·log σ(βz) − ε·log σ(−βz). With β = 1, ε = 0.25 and the pair
// below, z = (−2 − (−4)) − (−3 − (−3)) = 2:
//
//	log σ(2)  = −log(1 + e^−2) = −0.126928011042973
//	log σ(−2) = −log(1 + e^2)  = −2.126928011042973
//	L = 0.75·0.126928011042973 + 0.25·2.126928011042973 = 0.626928011042973
//
// Flipping the sign of the ε term gives −0.436...; dropping it 0.0952.
const cdpoByHand = 0.626928011042973

func TestCDPOLossByHand(t *testing.T) {
	if got := PairLoss(Sigmoid, 1, 0.25, -2, -4, -3, -3); math.Abs(got-cdpoByHand) > 1e-12 {
		t.Fatalf("PairLoss = %.15f, by hand %.15f", got, cdpoByHand)
	}
	// The training graph: one pair slot, rows (chosen, rejected).
	backend, err := NewBackend("")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		loss Loss
		eps  float64
		want float64
	}{
		{Sigmoid, 0.25, cdpoByHand},
		{Sigmoid, 0, 0.126928011042973}, // −log σ(2)
		// Robust DPO: ((1−ε)·(−log σ(βz)) + ε·log σ(−βz)) / (1−2ε)
		// = (0.75·0.126928011042973 − 0.25·2.126928011042973) / 0.5 = −0.873071988957027.
		{Robust, 0.25, -0.873071988957027},
	} {
		cfg, err := Config{Loss: tc.loss, Beta: 1, LabelSmoothing: tc.eps}.withDefaults()
		if err != nil {
			t.Fatal(err)
		}
		exec, err := graph.NewExec(backend, func(seq, lengths, ref, pairs *graph.Node) *graph.Node {
			z := graph.ZerosLike(seq)
			v := &batchValues{P: 1, logp: seq, rawLogp: seq, ref: ref, tokens: lengths, logitMean: z, entropy: z, correct: z,
				pairs: pairs, labels: graph.ZerosLike(pairs)}
			loss, _ := buildObjective(cfg, v)
			return loss
		})
		if err != nil {
			t.Fatal(err)
		}
		out, err := exec.Exec([]float32{-2, -4}, []float32{3, 5}, []float32{-3, -3}, []float32{1})
		if err != nil {
			t.Fatal(err)
		}
		if got := float64(tensors.ToScalar[float32](out[0])); math.Abs(got-tc.want) > 1e-6 {
			t.Errorf("%s ε=%g: graph loss %.7f, by hand %.7f", tc.loss, tc.eps, got, tc.want)
		}
	}
}
