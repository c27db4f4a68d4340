package sample

import (
	"errors"
	"fmt"
	"math"
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

// Finish reasons.
const (
	FinishEOS    = "eos"    // the model produced an EOS id
	FinishStop   = "stop"   // a stop token or stop string
	FinishLength = "length" // MaxNewTokens, or the model's context length
)

// Completion is one generated continuation of a prompt.
type Completion struct {
	// Text is the decoded completion (special tokens skipped), without a
	// final EOS or stop token and cut before a stop string. Empty when no
	// Decoder was given.
	Text string `json:"text"`
	// TokenIDs are the generated ids, including a final EOS or stop token,
	// and for "stop" by stop string every token up to the one that completed
	// it (Text is cut; the tokens are what the model produced).
	TokenIDs []int `json:"token_ids"`
	// Logp is the sum of natural-log probabilities of TokenIDs under the
	// model's own next-token distribution: log-softmax of the raw logits,
	// before repetition penalty, temperature or any filter. It is what a
	// scoring pass (models Run, TokenLogProbs) gives for the same tokens,
	// not the probability of the draw under the filtered distribution.
	Logp         float64 `json:"logp"`
	FinishReason string  `json:"finish_reason"`
}

// Decoder turns token ids into text; tokenize's tokenizer satisfies it.
type Decoder interface {
	Decode(ids []int, skipSpecial bool) (string, error)
}

// Validate reports the first option out of range.
func (o Options) Validate() error {
	bad := func(f string, v any, want string) error {
		return fmt.Errorf("sample option %s = %v: want %s", f, v, want)
	}
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
			return errors.New("sample option StopStrings: empty stop string")
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
