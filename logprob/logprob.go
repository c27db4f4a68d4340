// Package logprob is dpokit's batched log-prob engine: it sums the
// log-probabilities of response tokens after their prompts under an ONNX
// model, in batches planned under a padded-token budget, with or without
// sharing each prompt's KV cache. score, sample --ref-model, the judges of
// best-of-N and win rates, and train's reference log-probs all run on it.
//
// # Batching
//
// [Batches] sorts pairs by length (longest first) and cuts them into
// batches whose padded token count stays within the budget; a pair that
// alone exceeds it forms its own batch. With prefix sharing a prompt, minus
// its last token, runs once; the responses (each after the prompt's last
// token) continue its KV cache in one batch ([SeqLogps]).
package logprob

import (
	"slices"

	"github.com/dpokit/dpokit/modeldir"
	"github.com/dpokit/dpokit/models"
	"github.com/dpokit/dpokit/tokenize"
)

// DefaultBatchTokens is the budget of Batches when none is given and the
// vocabulary is unknown; commands size it by the vocabulary (BatchTokens).
const DefaultBatchTokens = 1024

// LogitsBudget is the default size in bytes of one pass's logits (padded
// tokens × vocabulary × 4). The logits and what ONNX Runtime computes them
// from take most of a pass's memory for models of the shipped kind, so
// peak memory follows the budget and the vocabulary, not the data (see
// the README's memory table, `make bench`).
const LogitsBudget = 32 << 20

// BatchTokens is budget when it is positive, else the padded tokens whose
// logits take LogitsBudget for a vocabulary of vocab, between 64 and
// DefaultBatchTokens (a reward model's one score per sequence counts as a
// vocabulary of 1: its passes stop at DefaultBatchTokens).
func BatchTokens(budget, vocab int) int {
	if budget > 0 {
		return budget
	}
	if vocab <= 0 {
		return DefaultBatchTokens
	}
	return min(DefaultBatchTokens, max(64, LogitsBudget/(4*vocab)))
}

// Batches groups pairs into batches whose padded token count stays within
// budget, after sorting by length so that a batch holds similar lengths.
// Each batch lists indices into pairs. A pair that alone exceeds the budget
// forms its own batch.
func Batches(pairs []tokenize.Encoded, budget int, sharing bool) [][]int {
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
	lps, err := SeqTokenLogps(m, seqs, sharing)
	if err != nil {
		return nil, err
	}
	out := make([]float64, len(seqs))
	for i := range seqs {
		out[i] = sum(lps[i])
	}
	return out, nil
}

// SeqTokenLogps returns the log-prob of every response token of each seq
// given its prompt under m (natural log, in response order), as SeqLogps
// runs them: the reference-free norms of RewardBench need them one by one.
func SeqTokenLogps(m *models.Model, seqs []Seq, sharing bool) ([][]float64, error) {
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
	return logits.ORTLogProbs()
}

// ResponseLogps returns the summed log-probs of the chosen and rejected
// responses of each pair under m.
func ResponseLogps(m *models.Model, pairs []tokenize.Encoded, sharing bool) (chosen, rejected []float64, err error) {
	lps, err := SeqLogps(m, pairSeqs(pairs), sharing)
	if err != nil {
		return nil, nil, err
	}
	return lps[:len(pairs)], lps[len(pairs):], nil
}

// ResponseTokenLogps returns the per-token log-probs of the chosen and
// rejected responses of each pair under m.
func ResponseTokenLogps(m *models.Model, pairs []tokenize.Encoded, sharing bool) (chosen, rejected [][]float64, err error) {
	lps, err := SeqTokenLogps(m, pairSeqs(pairs), sharing)
	if err != nil {
		return nil, nil, err
	}
	return lps[:len(pairs)], lps[len(pairs):], nil
}

// pairSeqs lists the chosen responses of the pairs, then the rejected ones.
func pairSeqs(pairs []tokenize.Encoded) []Seq {
	seqs := make([]Seq, 0, 2*len(pairs))
	for _, p := range pairs {
		seqs = append(seqs, Seq{p.Prompt, p.Chosen})
	}
	for _, p := range pairs {
		seqs = append(seqs, Seq{p.Prompt, p.Rejected})
	}
	return seqs
}

func sum(x []float64) float64 {
	s := 0.0
	for _, v := range x {
		s += v
	}
	return s
}

// Plan splits pairs into batches (see Batches).
func Plan(pairs []tokenize.Encoded, budget int, sharing bool) [][]tokenize.Encoded {
	var out [][]tokenize.Encoded
	for _, b := range Batches(pairs, budget, sharing) {
		batch := make([]tokenize.Encoded, len(b))
		for i, j := range b {
			batch[i] = pairs[j]
		}
		out = append(out, batch)
	}
	return out
}

// CanShare reports whether prompts can share their KV cache on every one
// of the models (nil ones are left out): each needs a KV cache and position
// ids.
func CanShare(dirs ...*modeldir.Dir) bool {
	for _, d := range dirs {
		if d != nil && !(d.Signature.HasCache() && d.Signature.PositionIDs != "") {
			return false
		}
	}
	return true
}

// SeqBatches groups sequences, longest first, under a padded-token budget;
// each batch lists indices into seqs.
func SeqBatches(seqs []Seq, budget int) [][]int {
	pairs := make([]tokenize.Encoded, len(seqs))
	for i, s := range seqs {
		pairs[i] = tokenize.Encoded{Index: i, Prompt: s.Prompt, Chosen: s.Response, Rejected: s.Response[:min(1, len(s.Response))]}
	}
	if budget <= 0 {
		budget = DefaultBatchTokens
	}
	// Batches counts a pair as two sequences; double the budget to match.
	return Batches(pairs, 2*budget, false)
}
