package score

import (
	"context"
	"fmt"
	"sync"

	"github.com/dpokit/dpokit/logprob"
	"github.com/dpokit/dpokit/models"
	"github.com/dpokit/dpokit/results"
	"github.com/dpokit/dpokit/tokenize"
)

// Options control how pairs are scored.
type Options struct {
	Rewarding
	// BatchTokens bounds the padded tokens of one forward pass (rows ×
	// length); 0 sizes passes by the vocabulary (logprob.BatchTokens).
	BatchTokens int
	// NoPrefixSharing runs prompt+response as full sequences instead of
	// running each prompt once and continuing its KV cache twice.
	NoPrefixSharing bool
}

// Indexed is a result with its pair's position in the input.
type Indexed struct {
	Index int `json:"index"`
	results.Result
}

// Run scores the batches and hands each batch's results (in the batch's
// order, each carrying its pair's Index) to emit. The policy and the
// reference run concurrently; ref may be nil when opts.RefFree. A batch's
// results depend only on the batch, so the same plan gives the same bytes.
func Run(ctx context.Context, policy, ref *models.Model, plan [][]tokenize.Encoded, sharing bool, opts Options, emit func([]Indexed) error) error {
	if ref == nil && !opts.RefFree {
		return fmt.Errorf("a reference model is needed unless reference-free scoring is asked for")
	}
	for _, batch := range plan {
		if err := ctx.Err(); err != nil {
			return err
		}
		var pc, pr, rc, rr, norms []float64
		var perr, rerr error
		var wg sync.WaitGroup
		if ref != nil && !opts.RefFree {
			wg.Go(func() { rc, rr, rerr = logprob.ResponseLogps(ref, batch, sharing) })
		}
		if opts.Tokens() {
			pc, pr, norms, perr = tokenLogps(policy, batch, sharing)
		} else {
			pc, pr, perr = logprob.ResponseLogps(policy, batch, sharing)
		}
		wg.Wait()
		if perr != nil {
			return fmt.Errorf("policy: %w", perr)
		}
		if rerr != nil {
			return fmt.Errorf("reference: %w", rerr)
		}
		out := make([]Indexed, len(batch))
		for i, p := range batch {
			r := results.Result{ID: p.ID, PolicyChosenLogp: pc[i], PolicyRejectedLogp: pr[i],
				ChosenTokens: len(p.Chosen), RejectedTokens: len(p.Rejected)}
			if rc != nil {
				r.RefChosenLogp, r.RefRejectedLogp = rc[i], rr[i]
			}
			if norms != nil {
				opts.Fill(&r, norms[2*i], norms[2*i+1])
			} else {
				opts.Fill(&r)
			}
			out[i] = Indexed{Index: p.Index, Result: r}
		}
		if err := emit(out); err != nil {
			return err
		}
	}
	return nil
}

// tokenLogps returns the summed log-probs of the chosen and rejected
// responses and their per-token norms (chosen, rejected for each pair).
func tokenLogps(m *models.Model, batch []tokenize.Encoded, sharing bool) (chosen, rejected, norms []float64, err error) {
	c, r, err := logprob.ResponseTokenLogps(m, batch, sharing)
	if err != nil {
		return nil, nil, nil, err
	}
	chosen, rejected, norms = make([]float64, len(batch)), make([]float64, len(batch)), make([]float64, 0, 2*len(batch))
	for i := range batch {
		for _, v := range c[i] {
			chosen[i] += v
		}
		for _, v := range r[i] {
			rejected[i] += v
		}
		norms = append(norms, Norm(c[i]), Norm(r[i]))
	}
	return chosen, rejected, norms, nil
}
