package results

import (
	"encoding/json"
	"fmt"
	"io"

	"github.com/dpokit/dpokit/internal/fsutil"
)

// Record is one line of a `dpokit sample` or `dpokit bestofn` output file.
type Record struct {
	ID          string      `json:"id"`
	Prompt      string      `json:"prompt"`
	Completions []Candidate `json:"completions"`
	Best        *int        `json:"best,omitempty"` // bestofn: index of the chosen completion
	Line        int         `json:"-"`              // line of the file it was read from
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

// Finish reasons.
const (
	FinishEOS    = "eos"    // the model produced an EOS id
	FinishStop   = "stop"   // a stop token or stop string
	FinishLength = "length" // the new-token limit, or the model's context length
)

// Completion is one generated continuation of a prompt.
type Completion struct {
	// Text is the decoded completion (special tokens skipped), without a
	// final EOS or stop token and cut before a stop string.
	Text string `json:"text"`
	// TokenIDs are the generated ids, including a final EOS or stop token,
	// and for "stop" by stop string every token up to the one that completed
	// it (Text is cut; the tokens are what the model produced).
	TokenIDs []int `json:"token_ids"`
	// Logp is the sum of natural-log probabilities of TokenIDs under the
	// model's own next-token distribution: log-softmax of the raw logits,
	// before repetition penalty, temperature or any filter — what a scoring
	// pass gives for the same tokens, not the probability of the draw.
	Logp         float64 `json:"logp"`
	FinishReason string  `json:"finish_reason"`
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

// WriteRecords writes records as JSON lines.
func WriteRecords(w io.Writer, recs []Record) error { return writeLines(w, recs) }

// ReadRecords reads a sample or bestofn output file. Every record needs an
// id (outputs are matched by it), unique in the file, at least one
// completion, and a best index that names one.
func ReadRecords(path string) ([]Record, error) {
	var out []Record
	seen := map[string]int{}
	err := fsutil.ReadLines(path, func(line int, b []byte) error {
		var r Record
		if err := json.Unmarshal(b, &r); err != nil {
			return fmt.Errorf("%s:%d: %w", path, line, err)
		}
		r.Line = line
		switch {
		case r.ID == "":
			return fmt.Errorf("%s:%d: field \"id\": missing: outputs are matched by prompt id", path, line)
		case len(r.Completions) == 0:
			return fmt.Errorf("%s:%d: field \"completions\": empty", path, line)
		case r.Best != nil && (*r.Best < 0 || *r.Best >= len(r.Completions)):
			return fmt.Errorf("%s:%d: field \"best\": %d is not a completion index", path, line, *r.Best)
		}
		if first, ok := seen[r.ID]; ok {
			return fmt.Errorf("%s:%d: field \"id\": %q repeats line %d", path, line, r.ID, first)
		}
		seen[r.ID] = line
		out = append(out, r)
		return nil
	})
	return out, err
}
