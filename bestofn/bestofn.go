// Package bestofn draws N completions per prompt, sharing the prompt's
// prefill across the N rows ([Job], on sample's generation job), and ranks
// them with a Ranker: the DPO implicit reward, a policy's log-prob or an
// ONNX reward model (score's judges), or the sampling model's own log-prob.
// It keeps every candidate with its score and the index of the best, and
// can write the chosen completions as a baseline in sample's format.
package bestofn

import (
	"context"
	"fmt"
	"math"

	"github.com/dpokit/dpokit/results"
)

// Ranker gives each (prompt, response) a reward; score.ModelJudge is one.
type Ranker interface {
	Rewards(ctx context.Context, prompts, responses []string) ([]float64, error)
}

// Rank scores the candidates of each record in place and sets Best to the
// highest score (the first on ties). With r nil the score is the sampling
// model's own log-prob of the completion, which sampling already computed,
// divided by its token count when lengthNorm is "avg".
func Rank(ctx context.Context, r Ranker, lengthNorm string, recs []results.Record) error {
	var prompts, texts []string
	for _, rec := range recs {
		for _, c := range rec.Completions {
			prompts = append(prompts, rec.Prompt)
			texts = append(texts, c.Text)
		}
	}
	var scores []float64
	if r == nil {
		for _, rec := range recs {
			for _, c := range rec.Completions {
				s := c.Logp
				if lengthNorm == "avg" && len(c.TokenIDs) > 0 {
					s /= float64(len(c.TokenIDs))
				}
				scores = append(scores, s)
			}
		}
	} else {
		var err error
		if scores, err = r.Rewards(ctx, prompts, texts); err != nil {
			return err
		}
		if len(scores) != len(texts) {
			return fmt.Errorf("ranker gave %d scores for %d completions", len(scores), len(texts))
		}
	}
	k := 0
	for i := range recs {
		best := -1
		for j := range recs[i].Completions {
			s := scores[k]
			k++
			if math.IsNaN(s) {
				return fmt.Errorf("prompt %s: completion %d scored NaN", recs[i].ID, j)
			}
			recs[i].Completions[j].Score = &s
			if best < 0 || s > *recs[i].Completions[best].Score {
				best = j
			}
		}
		if best >= 0 {
			b := best
			recs[i].Best = &b
		}
	}
	return nil
}
