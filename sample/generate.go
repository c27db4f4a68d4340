package sample

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"runtime"
	"slices"
	"sync"

	"github.com/dpokit/dpokit/models"
)

// row is one (prompt, sample) sequence being generated.
type row struct {
	prompt, sample int
	ids            []int // prompt + completion so far
	start          int   // len(prompt)
	logp           float64
	rng            *rand.Rand
	minEnd         int // stop strings must end after this byte of the text; -1: not known yet
}

func (r *row) completion() []int { return r.ids[r.start:] }

// Generate draws opts.N completions for each prompt (token ids, each at
// least one token) and returns them as out[prompt][sample].
//
// Rows (prompt × sample) are decoded opts.Batch at a time, longest prompts
// first; the samples of a prompt in one batch share its prefill. Finished
// rows leave the batch at once. Sample j of prompt i draws from its own
// random source, seeded by (opts.Seed, i, j), so the output does not depend
// on opts.Batch. dec may be nil unless opts.StopStrings are set; when given
// it also fills each Completion's Text.
func Generate(ctx context.Context, m *models.Model, dec Decoder, prompts [][]int, opts Options) ([][]Completion, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	if len(opts.StopStrings) > 0 && dec == nil {
		return nil, errors.New("sample: stop strings need a Decoder")
	}
	ctxLen, _ := m.Dir.ConfigInt("max_position_embeddings", "n_positions", "n_ctx")
	for i, p := range prompts {
		if len(p) == 0 {
			return nil, fmt.Errorf("prompt %d is empty: generation needs at least one token (for example BOS)", i)
		}
		if ctxLen > 0 && len(p) >= ctxLen {
			return nil, fmt.Errorf("prompt %d has %d tokens; the model's context length is %d", i, len(p), ctxLen)
		}
	}
	N := opts.n()
	out := make([][]Completion, len(prompts))
	order := make([]int, len(prompts))
	for i := range order {
		order[i] = i
		out[i] = make([]Completion, N)
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(len(prompts[b]), len(prompts[a])) })
	// Equal-length batches only when the model cannot take padding.
	padOK := m.Sig.PositionIDs != "" && m.Sig.AttentionMask != ""
	g := &generator{m: m, dec: dec, opts: opts, ctxLen: ctxLen, out: out}
	for range runtime.GOMAXPROCS(0) {
		g.samplers = append(g.samplers, NewSampler(opts))
	}
	var batch []*row
	for _, p := range order {
		for j := range N {
			if len(batch) > 0 && (len(batch) == opts.batch() || !padOK && len(prompts[p]) != batch[0].start) {
				if err := g.run(ctx, batch); err != nil {
					return nil, err
				}
				batch = batch[:0]
			}
			ids := make([]int, len(prompts[p]), len(prompts[p])+opts.MaxNewTokens)
			copy(ids, prompts[p])
			batch = append(batch, &row{prompt: p, sample: j, ids: ids, start: len(ids), rng: rowRNG(opts.Seed, opts.FirstPrompt+p, j), minEnd: -1})
		}
	}
	if len(batch) > 0 {
		if err := g.run(ctx, batch); err != nil {
			return nil, err
		}
	}
	return out, nil
}

type generator struct {
	m        *models.Model
	dec      Decoder
	opts     Options
	ctxLen   int
	samplers []*Sampler // one per worker
	out      [][]Completion
}

// run decodes one batch of rows to the end; rows of one prompt are adjacent.
func (g *generator) run(ctx context.Context, rows []*row) error {
	var uniq [][]int
	src := make([]int, len(rows))
	for i, r := range rows {
		if i == 0 || r.prompt != rows[i-1].prompt {
			uniq = append(uniq, r.ids[:r.start])
		}
		src[i] = len(uniq) - 1
	}
	d, err := g.m.StartDecoding(uniq)
	if err != nil {
		return err
	}
	defer d.Close()
	if len(uniq) < len(rows) {
		if err := d.Select(src); err != nil {
			return err
		}
	}
	d.Reserve(g.opts.MaxNewTokens)
	active := slices.Clone(rows)
	minBan := slices.Concat(g.opts.EOS, g.opts.StopTokens)
	picks := make([]int, len(rows))
	lps := make([]float64, len(rows))
	var saved []float32 // this step's logits, kept while the next step runs
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		// Choosing each row's token reads the whole vocabulary: rows are
		// spread over the workers.
		parallel(len(active), len(g.samplers), func(w, i int) {
			r := active[i]
			var banned []int
			if len(r.completion()) < g.opts.MinNewTokens {
				banned = minBan
			}
			picks[i] = g.samplers[w].Next(d.Logits(i), r.ids, banned, r.rng)
		})
		// The picked tokens' log-probs (a log-sum-exp over the vocabulary
		// each) are computed on a copy of the logits while ONNX Runtime runs
		// the next step.
		V := len(d.Logits(0))
		saved = slices.Grow(saved[:0], len(active)*V)[:len(active)*V]
		for i := range active {
			copy(saved[i*V:(i+1)*V], d.Logits(i))
		}
		n := len(active)
		lpDone := make(chan struct{})
		var lpErr error
		go func() {
			defer close(lpDone)
			var got []float64
			if got, lpErr = g.m.LogProbsAt(saved, V, picks[:n]); lpErr == nil {
				copy(lps, got)
			}
		}()
		var keep, toks []int
		var ended []*row
		for i, r := range active {
			r.ids = append(r.ids, picks[i])
			done, err := g.finish(r)
			if err != nil {
				<-lpDone
				return err
			}
			if done {
				ended = append(ended, r)
			} else {
				keep = append(keep, i)
				toks = append(toks, picks[i])
			}
		}
		stepped := active
		var stepErr error
		if len(keep) > 0 {
			if len(keep) < len(active) {
				stepErr = d.Select(keep)
				next := make([]*row, len(keep))
				for j, i := range keep {
					next[j] = active[i]
				}
				active = next
			}
			if stepErr == nil {
				stepErr = d.Step(toks)
			}
		}
		<-lpDone
		if lpErr != nil {
			return lpErr
		}
		for i, r := range stepped {
			r.logp += lps[i]
		}
		for _, r := range ended { // finish wrote the completion before its last log-prob was known
			g.out[r.prompt][r.sample].Logp = r.logp
		}
		if stepErr != nil {
			return stepErr
		}
		if len(keep) == 0 {
			return nil
		}
	}
}

// parallel calls f(w, i) for i in 0..n-1 on up to workers goroutines; w
// (the worker) is below workers, and each worker's calls run in turn.
func parallel(n, workers int, f func(w, i int)) {
	workers = min(workers, n)
	if workers <= 1 {
		for i := range n {
			f(0, i)
		}
		return
	}
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := w; i < n; i += workers {
				f(w, i)
			}
		})
	}
	wg.Wait()
}
