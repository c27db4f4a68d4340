package sample

import (
	"math"
	"slices"
	"testing"
)

// Top-p on tied probabilities, worked by hand from Hugging Face's
// TopPLogitsWarper: sort ascending (ties: the higher id first), drop the
// tokens whose cumulative probability is at most 1−p. The lower ids of a
// tie are kept.
func TestTopPTies(t *testing.T) {
	for _, tc := range []struct {
		name   string
		logits []float32
		p      float64
		ids    []int
		probs  []float64
	}{
		// ¼ each (exact in floating point); ascending 3,2,1,0 with sums
		// ¼,½,¾,1: drop those at most ½ (ids 3, 2).
		{"all tied", []float32{0, 0, 0, 0}, 0.5, []int{0, 1}, []float64{0.5, 0.5}},
		// ⅖,⅕,⅕,⅕ (logits ln 2, 0, 0, 0); ascending 3,2,1,0 with sums
		// ⅕,⅖,⅗,1: drop those at most ½ (3, 2).
		{"tie below the top", []float32{float32(math.Ln2), 0, 0, 0}, 0.5, []int{0, 1}, []float64{2.0 / 3, 1.0 / 3}},
		// The top token last: ascending 2,1,0,3 with sums ⅕,⅖,⅗,1: drop 2 and 1.
		{"top token last", []float32{0, 0, 0, float32(math.Ln2)}, 0.5, []int{0, 3}, []float64{1.0 / 3, 2.0 / 3}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := NewSampler(Options{Temperature: 1, TopP: tc.p})
			ids, probs := s.Distribution(tc.logits, nil, nil)
			var keptIDs []int
			var kept []float64
			for i, id := range ids {
				if probs[i] > 0 {
					keptIDs, kept = append(keptIDs, id), append(kept, probs[i])
				}
			}
			if !slices.Equal(keptIDs, tc.ids) {
				t.Fatalf("kept %v, want %v", keptIDs, tc.ids)
			}
			for i := range kept {
				if math.Abs(kept[i]-tc.probs[i]) > 1e-6 {
					t.Errorf("probabilities %v, want %v", kept, tc.probs)
				}
			}
		})
	}
}
