package sample

// Record is one line of a `dpokit sample` or `dpokit bestofn` output file
// (stable JSON field names).
type Record struct {
	ID          string      `json:"id"`
	Prompt      string      `json:"prompt"`
	Completions []Candidate `json:"completions"`
	Best        *int        `json:"best,omitempty"` // bestofn: index of the chosen completion
}

// Candidate is a completion with, for best-of-N, its ranking score.
type Candidate struct {
	Completion
	// RefLogp is the log-prob of TokenIDs under a reference model, when one
	// was given (sample --ref-model): logp − ref_logp is the sample's term of
	// the KL(π‖π_ref) estimate.
	RefLogp *float64 `json:"ref_logp,omitempty"`
	Score   *float64 `json:"score,omitempty"`
}

// Chosen returns the completion a record stands for: the best one for
// best-of-N output, the first otherwise.
func (r Record) Chosen() (Candidate, bool) {
	i := 0
	if r.Best != nil {
		i = *r.Best
	}
	if i < 0 || i >= len(r.Completions) {
		return Candidate{}, false
	}
	return r.Completions[i], true
}
