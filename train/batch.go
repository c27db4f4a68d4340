package train

import "fmt"

// Example is one tokenized preference pair: the sequences trained on are
// Prompt+Chosen and Prompt+Rejected, and only response tokens are scored.
// RefChosen and RefRejected are the reference model's summed log-probs of
// the two responses (0 where no reference is used, as for SFT); with
// Config.LDAlpha they are LD-weighted as the policy's are (see LDWeighted).
//
// For KTO an Example is one unpaired completion: Chosen is the completion,
// Desirable its label, and Rejected the mismatched completion (another
// example's) whose log-ratio estimates the KL term (see KTOExamples).
type Example struct {
	Index                  int
	ID                     string
	Prompt                 []int
	Chosen, Rejected       []int
	RefChosen, RefRejected float64
	Desirable              bool
	// Margin is subtracted from the reward difference of a reward model's
	// Bradley–Terry loss (TRL's optional "margin" column).
	Margin float64
}

// Buckets are the padded lengths batches are rounded up to, so that only a
// few graph shapes are ever compiled: 16, 24, 32, 48, 64, 96, … (powers of
// two and their midpoints).
func bucket(n int) int {
	b := 16
	for b < n {
		if h := b + b/2; h >= n {
			return h
		}
		b *= 2
	}
	return b
}

// packed is one micro-batch as graph inputs: rows 0..P-1 are the chosen
// sequences of P pair slots, rows P..2P-1 the rejected ones, right-padded
// to T tokens. The response tokens of all rows are listed in N slots (the
// logits are computed only there): slot n is token tgt[n] predicted at
// position sel[n] = (row, position), and seg[r, n] is 1 when slot n belongs
// to row r (padding slots belong to none).
type packed struct {
	seqInputs
	P, N   int
	sel    []int32   // [N, 2]
	tgt    []int32   // [N, 1]
	seg    []float32 // [R, N]
	ref    []float32 // [R]: reference log-probs
	pairs  []float32 // [P]: 1 for real pairs
	tail   []float32 // [N]: 1 for a response token past the pair's shorter response (LD-DPO)
	labels []float32 // [P]: 1 for a desirable example (KTO)
	margin []float32 // [P]: Example.Margin
	n      int       // real pairs
	tokens int       // real tokens (prompt and response, both sequences)
}

// pack lays out exs (at most slots pairs) as a padded micro-batch in the
// buckets of bucket.
func pack(exs []Example, slots int) (*packed, error) {
	return packShaped(exs, slots, func(maxT, resp int) (int, int) { return bucket(maxT), bucket(resp) })
}

// newPacked allocates a zero micro-batch of slots pairs, T positions and N
// response slots.
func newPacked(slots, T, N int) *packed {
	R := 2 * slots
	return &packed{
		seqInputs: seqInputs{R: R, T: T, ids: make([]int64, R*T), mask: make([]int64, R*T), pos: make([]int64, R*T)},
		P:         slots, N: N,
		sel: make([]int32, N*2), tgt: make([]int32, N), seg: make([]float32, R*N),
		ref: make([]float32, R), pairs: make([]float32, slots),
		tail: make([]float32, N), labels: make([]float32, slots), margin: make([]float32, slots),
	}
}

// packShaped lays out exs (at most slots pairs) as a padded micro-batch of
// the shape fit gives for its longest sequence and response-token count.
// Padding rows hold one unmasked token so that no attention row is fully
// masked.
func packShaped(exs []Example, slots int, fit func(maxT, resp int) (T, N int)) (*packed, error) {
	if len(exs) > slots {
		return nil, fmt.Errorf("%d pairs in a micro-batch of %d", len(exs), slots)
	}
	R := 2 * slots
	maxT, resp := 1, 0
	for _, e := range exs {
		if len(e.Prompt) == 0 {
			return nil, fmt.Errorf("pair %s: empty prompt (the first response token needs context)", e.ID)
		}
		if len(e.Chosen) == 0 || len(e.Rejected) == 0 {
			return nil, fmt.Errorf("pair %s: empty response", e.ID)
		}
		maxT = max(maxT, len(e.Prompt)+max(len(e.Chosen), len(e.Rejected)))
		resp += len(e.Chosen) + len(e.Rejected)
	}
	T, N := fit(maxT, resp)
	p := newPacked(slots, T, N)
	p.n = len(exs)
	for r := range R {
		p.mask[r*T] = 1
		for j := range T {
			p.pos[r*T+j] = int64(j)
		}
	}
	k := 0 // next slot
	for i, e := range exs {
		p.pairs[i] = 1
		if e.Desirable {
			p.labels[i] = 1
		}
		p.margin[i] = float32(e.Margin)
		shared := min(len(e.Chosen), len(e.Rejected))
		for side, resp := range [2][]int{e.Chosen, e.Rejected} {
			r := i + side*slots
			n := 0
			for _, seq := range [2][]int{e.Prompt, resp} {
				for _, id := range seq {
					p.ids[r*T+n] = int64(id)
					p.mask[r*T+n] = 1
					n++
				}
			}
			p.tokens += n
			for j, id := range resp {
				p.sel[2*k], p.sel[2*k+1] = int32(r), int32(len(e.Prompt)+j-1)
				p.tgt[k] = int32(id)
				p.seg[r*N+k] = 1
				if j >= shared {
					p.tail[k] = 1
				}
				k++
			}
		}
		p.ref[i], p.ref[i+slots] = float32(e.RefChosen), float32(e.RefRejected)
	}
	return p, nil
}
