package logprob

import (
	"testing"

	"github.com/dpokit/dpokit/tokenize"
)

func TestBatchesRespectBudget(t *testing.T) {
	var pairs []tokenize.Encoded
	for i := 0; i < 50; i++ {
		pairs = append(pairs, tokenize.Encoded{Index: i, Prompt: make([]int, 1+i%7*5), Chosen: make([]int, 1+i%5), Rejected: make([]int, 1+i%3*4)})
	}
	for _, sharing := range []bool{true, false} {
		seen := map[int]bool{}
		for _, b := range Batches(pairs, 120, sharing) {
			maxP, maxR := 0, 0
			for _, i := range b {
				if seen[i] {
					t.Fatalf("pair %d in two batches", i)
				}
				seen[i] = true
				maxP = max(maxP, len(pairs[i].Prompt))
				maxR = max(maxR, len(pairs[i].Chosen), len(pairs[i].Rejected))
			}
			cost := 2 * len(b) * (maxP + maxR)
			if sharing {
				cost = len(b)*(maxP-1) + 2*len(b)*(maxR+1)
			}
			if cost > 120 && len(b) > 1 {
				t.Errorf("sharing=%v: batch of %d costs %d > 120", sharing, len(b), cost)
			}
		}
		if len(seen) != len(pairs) {
			t.Errorf("sharing=%v: %d of %d pairs batched", sharing, len(seen), len(pairs))
		}
	}
}
