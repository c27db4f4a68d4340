package iterate

import (
	"encoding/json"
	"io"

	"github.com/dpokit/dpokit/results"
)

// Pair is one explicit-prompt preference pair built from a prompt's ranked
// completions.
type Pair struct {
	ID       string  `json:"id"`
	Prompt   string  `json:"prompt"`
	Chosen   string  `json:"chosen"`
	Rejected string  `json:"rejected"`
	Margin   float64 `json:"margin"` // judge score of chosen minus rejected
}

// Pairs builds best-against-worst pairs from judged records: the completion
// with the highest score is chosen and the lowest rejected (the first on
// ties). A prompt is dropped when the two texts are equal or the margin is
// under minMargin. It also returns the mean score of the best completions.
func Pairs(recs []results.Record, minMargin float64) (pairs []Pair, dropped int, meanBest float64) {
	for _, r := range recs {
		hi, lo := -1, -1
		for i, c := range r.Completions {
			if c.Score == nil {
				continue
			}
			if hi < 0 || *c.Score > *r.Completions[hi].Score {
				hi = i
			}
			if lo < 0 || *c.Score < *r.Completions[lo].Score {
				lo = i
			}
		}
		if hi < 0 {
			dropped++
			continue
		}
		meanBest += *r.Completions[hi].Score
		best, worst := r.Completions[hi], r.Completions[lo]
		margin := *best.Score - *worst.Score
		if best.Text == worst.Text || margin < minMargin || margin == 0 {
			dropped++
			continue
		}
		pairs = append(pairs, Pair{ID: r.ID, Prompt: r.Prompt, Chosen: best.Text, Rejected: worst.Text, Margin: margin})
	}
	if n := len(pairs) + dropped; n > 0 {
		meanBest /= float64(n)
	}
	return pairs, dropped, meanBest
}

func writePairs(w io.Writer, pairs []Pair) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	for _, p := range pairs {
		if err := enc.Encode(p); err != nil {
			return err
		}
	}
	return nil
}
