package logprob

import (
	"context"
	"fmt"
	"io"

	"github.com/dpokit/dpokit/internal/progress"
	"github.com/dpokit/dpokit/modeldir"
	"github.com/dpokit/dpokit/models"
	"github.com/dpokit/dpokit/tokenize"
)

// Reference computes pairs' response log-probs under a model on ONNX
// Runtime, which it opens only when asked (train's reference log-probs
// are usually cached) and closes before returning.
type Reference struct {
	Runtime func() (*models.Runtime, error)
	// Open, when set, is an ONNX Runtime already open in the process (one
	// is allowed per process): it is used instead of Runtime and left open.
	Open            *models.Runtime
	BatchTokens     int // padded tokens per pass; 0 sizes passes by the vocabulary (BatchTokens)
	NoPrefixSharing bool
	Progress        io.Writer // progress line; nil for none
}

// Logps returns the summed log-probs of each pair's chosen and rejected
// responses under the model, in the pairs' order.
func (r *Reference) Logps(ctx context.Context, dir *modeldir.Dir, pairs []tokenize.Encoded) (chosen, rejected []float64, err error) {
	rt := r.Open
	if rt == nil {
		var err error
		if rt, err = r.Runtime(); err != nil {
			return nil, nil, err
		}
		defer rt.Close()
	}
	m, err := rt.LoadContext(ctx, dir)
	if err != nil {
		return nil, nil, err
	}
	defer m.Close()
	at := make(map[int]int, len(pairs)) // pair Index -> position
	for i, p := range pairs {
		if _, dup := at[p.Index]; dup {
			return nil, nil, fmt.Errorf("pair index %d given twice", p.Index)
		}
		at[p.Index] = i
	}
	sharing := !r.NoPrefixSharing && CanShare(dir)
	chosen, rejected = make([]float64, len(pairs)), make([]float64, len(pairs))
	bar := progress.New(r.Progress, "reference log-probs", "pairs", len(pairs))
	defer bar.Finish()
	for _, batch := range Plan(pairs, BatchTokens(r.BatchTokens, dir.Signature.Vocab), sharing) {
		if err := ctx.Err(); err != nil {
			return nil, nil, err
		}
		c, rj, err := ResponseLogps(m, batch, sharing)
		if err != nil {
			return nil, nil, err
		}
		for i, e := range batch {
			chosen[at[e.Index]], rejected[at[e.Index]] = c[i], rj[i]
		}
		bar.Add(len(batch))
	}
	return chosen, rejected, nil
}
