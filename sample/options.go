package sample

import (
	"fmt"
	"math"

	"github.com/dpokit/dpokit/results"
)

// Options says how completions are drawn. The zero value of each filter
// turns it off; MaxNewTokens must be set.
type Options struct {
	MaxNewTokens int // tokens generated at most per completion (>= 1)
	MinNewTokens int // EOS and stop tokens are masked, and stop strings ignored, before this many

	Temperature       float64 // 0: greedy (argmax); otherwise logits are divided by it
	TopK              int     // keep the K highest-scoring tokens (ties at the K-th kept); 0: off
	TopP              float64 // nucleus: keep the smallest top set of probability >= TopP; 0 or 1: off
	MinP              float64 // drop tokens less likely than MinP × the most likely one; 0: off
	RepetitionPenalty float64 // HF's penalty on every token of prompt and completion; 0 or 1: off

	StopStrings []string // end a completion at the first occurrence; needs a Decoder
	StopTokens  []int    // end a completion after one of these (finish reason "stop")
	EOS         []int    // end-of-sequence ids, e.g. from generation_config.json (finish reason "eos")

	N           int    // completions per prompt; 0 means 1
	Seed        uint64 // with the prompt and sample index, fixes every draw
	FirstPrompt int    // index of prompts[0] in the whole prompt set, for seeding: a set generated in parts draws as if whole
	Batch       int    // rows (prompt × sample) decoded together; 0 means 8
}

// Completion is one generated continuation of a prompt (results'
// schema); Finish* are its finish reasons.
type Completion = results.Completion

// Finish reasons.
const (
	FinishEOS    = results.FinishEOS
	FinishStop   = results.FinishStop
	FinishLength = results.FinishLength
)

// Decoder turns token ids into text; tokenize's tokenizer satisfies it.
type Decoder interface {
	Decode(ids []int, skipSpecial bool) (string, error)
}

// OptionError is an option out of range; Option is the Options field.
type OptionError struct {
	Option string
	Value  any
	Want   string
}

func (e *OptionError) Error() string {
	return fmt.Sprintf("sample option %s = %v: want %s", e.Option, e.Value, e.Want)
}

// Validate reports the first option out of range as an *OptionError.
func (o Options) Validate() error {
	bad := func(f string, v any, want string) error { return &OptionError{Option: f, Value: v, Want: want} }
	switch {
	case o.MaxNewTokens < 1:
		return bad("MaxNewTokens", o.MaxNewTokens, ">= 1")
	case o.MinNewTokens < 0 || o.MinNewTokens > o.MaxNewTokens:
		return bad("MinNewTokens", o.MinNewTokens, "0..MaxNewTokens")
	case !(o.Temperature >= 0) || math.IsInf(o.Temperature, 0):
		return bad("Temperature", o.Temperature, "finite and >= 0")
	case o.TopK < 0:
		return bad("TopK", o.TopK, ">= 0")
	case !(o.TopP >= 0 && o.TopP <= 1):
		return bad("TopP", o.TopP, "0..1")
	case !(o.MinP >= 0 && o.MinP <= 1):
		return bad("MinP", o.MinP, "0..1")
	case !(o.RepetitionPenalty >= 0) || math.IsInf(o.RepetitionPenalty, 0):
		return bad("RepetitionPenalty", o.RepetitionPenalty, "finite and >= 0 (0 means off)")
	case o.FirstPrompt < 0:
		return bad("FirstPrompt", o.FirstPrompt, ">= 0")
	case o.N < 0:
		return bad("N", o.N, ">= 0")
	case o.Batch < 0:
		return bad("Batch", o.Batch, ">= 0")
	}
	for _, s := range o.StopStrings {
		if s == "" {
			return bad("StopStrings", `""`, "non-empty stop strings")
		}
	}
	for _, id := range o.StopTokens {
		if id < 0 {
			return bad("StopTokens", id, "token ids >= 0")
		}
	}
	return nil
}

// CheckVocab reports a stop token that is not an id of a vocabulary of
// vocab tokens, as an *OptionError.
func (o Options) CheckVocab(vocab int) error {
	for _, id := range o.StopTokens {
		if id < 0 || id >= vocab {
			return &OptionError{Option: "StopTokens", Value: id, Want: fmt.Sprintf("a token id of the model's vocabulary, 0..%d", vocab-1)}
		}
	}
	return nil
}

func (o Options) n() int {
	if o.N == 0 {
		return 1
	}
	return o.N
}

func (o Options) batch() int {
	if o.Batch == 0 {
		return 8
	}
	return o.Batch
}
