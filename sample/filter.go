package sample

import (
	"math"
	"math/rand/v2"
	"slices"

	"github.com/dpokit/dpokit/internal/fastmath"
)

// Sampler applies Options' logits filters to one row of logits and picks
// the next token. It keeps scratch space between calls, so one Sampler
// serves many rows in turn but must not be shared between goroutines.
type Sampler struct {
	opts   Options
	scores []float64
	tmp    []float64
	cand   []candidate
	order  []int
	stamp  []uint32 // repetition penalty: stamp[id] == gen once id is penalised
	gen    uint32
}

// candidate is a token that may still be drawn; w is its unnormalised
// probability exp(score - max score).
type candidate struct {
	id int
	w  float64
}

// NewSampler returns a Sampler for the options' filters.
func NewSampler(opts Options) *Sampler { return &Sampler{opts: opts} }

// Next returns the next token after logits. history holds the prompt and
// the completion so far (for the repetition penalty); banned ids are masked
// first (EOS and stop tokens before MinNewTokens). Greedy decoding
// (Temperature 0) takes the highest score, the lowest id on ties, and draws
// nothing from rng; otherwise exactly one rng.Float64 is drawn.
func (s *Sampler) Next(logits []float32, history, banned []int, rng *rand.Rand) int {
	o := s.opts
	if o.Temperature == 0 && !s.penalised() && len(banned) == 0 {
		return argmax32(logits)
	}
	s.process(logits, history, banned)
	if o.Temperature == 0 {
		return argmax(s.scores)
	}
	s.filter()
	u := rng.Float64()
	if len(s.cand) == 0 { // every token banned
		return argmax32(logits)
	}
	total := 0.0
	for _, c := range s.cand {
		total += c.w
	}
	u *= total
	acc := 0.0
	for _, c := range s.cand {
		acc += c.w
		if u < acc {
			return c.id
		}
	}
	return s.cand[len(s.cand)-1].id
}

// Distribution returns the tokens Next can pick after logits, ids in
// increasing order, with their probabilities: the filtered distribution.
func (s *Sampler) Distribution(logits []float32, history, banned []int) (ids []int, probs []float64) {
	s.process(logits, history, banned)
	if s.opts.Temperature == 0 {
		return []int{argmax(s.scores)}, []float64{1}
	}
	s.filter()
	total := 0.0
	for _, c := range s.cand {
		total += c.w
	}
	for _, c := range s.cand {
		ids = append(ids, c.id)
		probs = append(probs, c.w/total)
	}
	return ids, probs
}

func (s *Sampler) penalised() bool {
	return s.opts.RepetitionPenalty != 0 && s.opts.RepetitionPenalty != 1
}

// process fills s.scores with the logits after the repetition penalty, the
// banned ids and the temperature.
func (s *Sampler) process(logits []float32, history, banned []int) {
	V := len(logits)
	s.scores = slices.Grow(s.scores[:0], V)[:V]
	for i, x := range logits {
		s.scores[i] = float64(x)
	}
	if p := s.opts.RepetitionPenalty; s.penalised() {
		// As HF's RepetitionPenaltyLogitsProcessor: once per distinct id,
		// negative scores multiplied by the penalty, others divided.
		if len(s.stamp) < V {
			s.stamp = make([]uint32, V)
			s.gen = 0
		}
		s.gen++
		if s.gen == 0 { // wrapped: clear
			clear(s.stamp)
			s.gen = 1
		}
		for _, id := range history {
			if id < 0 || id >= V || s.stamp[id] == s.gen {
				continue
			}
			s.stamp[id] = s.gen
			if x := s.scores[id]; x < 0 {
				s.scores[id] = x * p
			} else {
				s.scores[id] = x / p
			}
		}
	}
	for _, id := range banned {
		if id >= 0 && id < V {
			s.scores[id] = math.Inf(-1)
		}
	}
	if t := s.opts.Temperature; t != 0 && t != 1 {
		for i := range s.scores {
			s.scores[i] /= t
		}
	}
}

// filter turns s.scores into s.cand (ids increasing) after top-k, top-p and
// min-p, in that order, each as Hugging Face's warper of the same name.
func (s *Sampler) filter() {
	o := s.opts
	threshold := math.Inf(-1)
	finite := 0
	hi := math.Inf(-1)
	for _, x := range s.scores {
		if x > math.Inf(-1) {
			finite++
			hi = max(hi, x)
		}
	}
	if o.TopK > 0 && o.TopK < finite {
		// TopKLogitsWarper: drop scores below the K-th highest (ties kept).
		s.tmp = s.tmp[:0]
		for _, x := range s.scores {
			if x > math.Inf(-1) {
				s.tmp = append(s.tmp, x)
			}
		}
		threshold = nthLargest(s.tmp, o.TopK)
	}
	s.cand = s.cand[:0]
	for id, x := range s.scores {
		if x >= threshold && x > math.Inf(-1) {
			s.cand = append(s.cand, candidate{id: id, w: float64(fastmath.Exp32(float32(x - hi)))})
		}
	}
	if o.TopP > 0 && o.TopP < 1 {
		s.topP(o.TopP)
	}
	if o.MinP > 0 {
		// MinPLogitsWarper: drop tokens below MinP × the top probability.
		top := 0.0
		for _, c := range s.cand {
			top = max(top, c.w)
		}
		for i := range s.cand {
			if s.cand[i].w < o.MinP*top {
				s.cand[i].w = 0
			}
		}
	}
	s.cand = slices.DeleteFunc(s.cand, func(c candidate) bool { return c.w == 0 })
}

// nthLargest returns the k-th largest value of a (1-based), reordering a.
func nthLargest(a []float64, k int) float64 {
	lo, hi, want := 0, len(a)-1, k-1
	for lo < hi {
		// Median of three as pivot, then a three-way partition (descending).
		mid := lo + (hi-lo)/2
		p := median3(a[lo], a[mid], a[hi])
		lt, i, gt := lo, lo, hi
		for i <= gt {
			switch {
			case a[i] > p:
				a[lt], a[i] = a[i], a[lt]
				lt++
				i++
			case a[i] < p:
				a[i], a[gt] = a[gt], a[i]
				gt--
			default:
				i++
			}
		}
		switch {
		case want < lt:
			hi = lt - 1
		case want > gt:
			lo = gt + 1
		default:
			return p
		}
	}
	return a[want]
}

func median3(a, b, c float64) float64 {
	if a > b {
		a, b = b, a
	}
	if b > c {
		b = c
	}
	return max(a, b)
}

func argmax32(x []float32) int {
	best := 0
	for i, v := range x {
		if v > x[best] {
			best = i
		}
	}
	return best
}

func argmax(x []float64) int {
	best := 0
	for i, v := range x {
		if v > x[best] {
			best = i
		}
	}
	return best
}
