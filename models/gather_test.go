package models

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestLogProbsAtLargeVocab holds ONNX Runtime's log-prob graph to the
// textbook float64 log-softmax on vocabularies of today's families (up to
// Gemma-3's 262,208 tokens), logits spread like a random model's (std 3).
// The inputs are exact float32 values, so the only error left is float32
// rounding of x − max and of each exponential (relative 6e-8): 1e-6 nats per
// token leaves room, while a float32 sum over the vocabulary (ONNX Runtime's
// fused LogSoftmax) drifted by up to 1e-5.
func TestLogProbsAtLargeVocab(t *testing.T) {
	m := &Model{rt: testRuntime}
	rng := rand.New(rand.NewPCG(3, 4))
	for _, vocab := range []int{32000, 128256, 262208} {
		const rows = 6
		x := make([]float32, rows*vocab)
		for i := range x {
			x[i] = float32(rng.NormFloat64() * 3)
		}
		targets := make([]int, rows)
		for i := range targets {
			targets[i] = rng.IntN(vocab)
		}
		got, err := m.LogProbsAt(x, vocab, targets)
		if err != nil {
			t.Fatal(err)
		}
		for i, k := range targets {
			row := x[i*vocab : (i+1)*vocab]
			want := float64(row[k]) - refLogSumExp(row)
			if d := math.Abs(got[i] - want); d > 1e-6 {
				t.Errorf("vocab %d row %d: logp %.9f, float64 reference %.9f (diff %.2e)", vocab, i, got[i], want, d)
			}
		}
	}
}
