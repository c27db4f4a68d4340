package score

import (
	"context"
	"fmt"
	"slices"
	"sync"

	"github.com/dpokit/dpokit/models"
)

// Options control how pairs are run through the models.
type Options struct {
	Rewarding
	// BatchTokens bounds the padded tokens of one forward pass (rows × length).
	BatchTokens int
	// NoPrefixSharing runs prompt+response as full sequences instead of
	// running each prompt once and continuing its KV cache twice.
	NoPrefixSharing bool
}

// DefaultBatchTokens keeps one batch's logits near 200 MB for a 50k vocabulary.
const DefaultBatchTokens = 1024

// Batches groups pairs into batches whose padded token count stays within
// budget, after sorting by length so that a batch holds similar lengths.
// Each batch lists indices into pairs. A pair that alone exceeds the budget
// forms its own batch.
func Batches(pairs []Encoded, budget int, sharing bool) [][]int {
	if budget <= 0 {
		budget = DefaultBatchTokens
	}
	order := make([]int, len(pairs))
	for i := range order {
		order[i] = i
	}
	size := func(i int) (int, int) {
		return len(pairs[i].Prompt), max(len(pairs[i].Chosen), len(pairs[i].Rejected))
	}
	slices.SortStableFunc(order, func(a, b int) int {
		pa, ra := size(a)
		pb, rb := size(b)
		if pa+ra != pb+rb {
			return (pb + rb) - (pa + ra)
		}
		return pb - pa
	})
	var out [][]int
	var cur []int
	maxP, maxR := 0, 0
	for _, i := range order {
		p, r := size(i)
		np, nr := max(maxP, p), max(maxR, r)
		k := len(cur) + 1
		cost := 2 * k * (np + nr)
		if sharing {
			cost = k*(np-1) + 2*k*(nr+1)
		}
		if len(cur) > 0 && cost > budget {
			out = append(out, cur)
			cur, np, nr = nil, p, r
		}
		cur = append(cur, i)
		maxP, maxR = np, nr
	}
	if len(cur) > 0 {
		out = append(out, cur)
	}
	return out
}

// Seq is a response to score after its prompt.
type Seq struct{ Prompt, Response []int }

// SeqLogps returns the summed log-probs of each response given its prompt
// under m, in one forward pass. With sharing, each distinct prompt (by
// identity of its backing array, or equal ids) runs once — minus its last
// token — and its rows continue that KV cache; otherwise prompt+response run
// as full sequences. Every prompt must have at least one token.
func SeqLogps(m *models.Model, seqs []Seq, sharing bool) ([]float64, error) {
	rows := make([]models.Row, 0, len(seqs))
	var cache *models.Cache
	if sharing {
		var prompts [][]int
		from := make([]int, len(seqs))
		for i, s := range seqs {
			from[i] = -1
			for k, p := range prompts {
				if len(p) == len(s.Prompt)-1 && slices.Equal(p, s.Prompt[:len(s.Prompt)-1]) {
					from[i] = k
					break
				}
			}
			if from[i] < 0 {
				from[i] = len(prompts)
				prompts = append(prompts, s.Prompt[:len(s.Prompt)-1])
			}
		}
		var err error
		if cache, err = m.Prefill(prompts); err != nil {
			return nil, err
		}
		for i, s := range seqs {
			rows = append(rows, models.Row{Tokens: slices.Concat(s.Prompt[len(s.Prompt)-1:], s.Response), Start: 1, From: from[i]})
		}
	} else {
		for _, s := range seqs {
			rows = append(rows, models.Row{Tokens: slices.Concat(s.Prompt, s.Response), Start: len(s.Prompt)})
		}
	}
	logits, err := m.Run(cache, rows, models.PadRight)
	if err != nil {
		return nil, err
	}
	lps, err := logits.ORTLogProbs()
	if err != nil {
		return nil, err
	}
	out := make([]float64, len(seqs))
	for i := range seqs {
		out[i] = sum(lps[i])
	}
	return out, nil
}

// ResponseLogps returns the summed log-probs of the chosen and rejected
// responses of each pair under m.
func ResponseLogps(m *models.Model, pairs []Encoded, sharing bool) (chosen, rejected []float64, err error) {
	n := len(pairs)
	seqs := make([]Seq, 0, 2*n)
	for _, p := range pairs {
		seqs = append(seqs, Seq{p.Prompt, p.Chosen})
	}
	for _, p := range pairs {
		seqs = append(seqs, Seq{p.Prompt, p.Rejected})
	}
	lps, err := SeqLogps(m, seqs, sharing)
	if err != nil {
		return nil, nil, err
	}
	return lps[:n], lps[n:], nil
}

func sum(x []float64) float64 {
	s := 0.0
	for _, v := range x {
		s += v
	}
	return s
}

// Plan splits pairs into batches (see Batches).
func Plan(pairs []Encoded, opts Options, sharing bool) [][]Encoded {
	var out [][]Encoded
	for _, b := range Batches(pairs, opts.BatchTokens, sharing) {
		batch := make([]Encoded, len(b))
		for i, j := range b {
			batch[i] = pairs[j]
		}
		out = append(out, batch)
	}
	return out
}

// Sharing reports whether prompts can share their KV cache on these models.
func Sharing(opts Options, policy, ref *models.Dir) bool {
	ok := func(d *models.Dir) bool { return d == nil || (d.Signature.HasCache() && d.Signature.PositionIDs != "") }
	return !opts.NoPrefixSharing && ok(policy) && (opts.RefFree || ok(ref))
}

// Run scores the batches and hands each batch's results (in the batch's
// order, each carrying its pair's Index) to emit. The policy and the
// reference run concurrently; ref may be nil when opts.RefFree. A batch's
// results depend only on the batch, so the same plan gives the same bytes.
func Run(ctx context.Context, policy, ref *models.Model, plan [][]Encoded, sharing bool, opts Options, emit func([]Indexed) error) error {
	if ref == nil && !opts.RefFree {
		return fmt.Errorf("a reference model is needed unless reference-free scoring is asked for")
	}
	for _, batch := range plan {
		if err := ctx.Err(); err != nil {
			return err
		}
		var pc, pr, rc, rr []float64
		var perr, rerr error
		var wg sync.WaitGroup
		if ref != nil && !opts.RefFree {
			wg.Go(func() { rc, rr, rerr = ResponseLogps(ref, batch, sharing) })
		}
		pc, pr, perr = ResponseLogps(policy, batch, sharing)
		wg.Wait()
		if perr != nil {
			return fmt.Errorf("policy: %w", perr)
		}
		if rerr != nil {
			return fmt.Errorf("reference: %w", rerr)
		}
		out := make([]Indexed, len(batch))
		for i, p := range batch {
			r := Result{ID: p.ID, PolicyChosenLogp: pc[i], PolicyRejectedLogp: pr[i],
				ChosenTokens: len(p.Chosen), RejectedTokens: len(p.Rejected)}
			if rc != nil {
				r.RefChosenLogp, r.RefRejectedLogp = rc[i], rr[i]
			}
			opts.Fill(&r)
			out[i] = Indexed{Index: p.Index, Result: r}
		}
		if err := emit(out); err != nil {
			return err
		}
	}
	return nil
}

// Indexed is a result with its pair's position in the input.
type Indexed struct {
	Index int `json:"index"`
	Result
}
