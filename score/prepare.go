package score

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/dpokit/dpokit/dataset"
	"github.com/dpokit/dpokit/tokenize"
)

// Encoded is a pair as token ids. Chosen and Rejected are the response
// tokens only; the sequence scored is Prompt followed by each.
type Encoded struct {
	Index            int // position in the input
	ID               string
	Line             int
	Prompt           []int
	Chosen           []int
	Rejected         []int
	Truncated        bool // --max-length / --max-prompt-length cut something
	BoundaryMismatch bool // tokenizing prompt+response jointly gives other ids
}

// Tokenization holds the settings that turn text into ids.
type Tokenization struct {
	MaxLength       int  // prompt+response tokens; 0 = no limit
	MaxPromptLength int  // prompt tokens kept (the end); 0 = no limit
	NoEOS           bool // do not append the EOS token to responses
	AllowEmpty      bool // an empty response is scored as EOS alone (judging generated text)
	Context         int  // the model's context length; 0 = unknown
	Vocab           int  // the models' vocabulary size
}

// ErrEmptyResponse, ErrTooLong and ErrNoContext describe pairs that cannot be scored.
var (
	ErrEmptyResponse = errors.New("response has no tokens")
	ErrTooLong       = errors.New("sequence is longer than the model's context")
	ErrNoContext     = errors.New("prompt has no tokens and the tokenizer adds no BOS token, so the first response token has no context")
)

// Encode tokenizes one pair the way current TRL does: the prompt (with the
// tokenizer's special tokens, e.g. BOS) and each response (without special
// tokens, EOS appended) are tokenized separately and concatenated, so the
// prompt/response boundary is exact by construction. Where tokenizing the
// joint text would have merged tokens across the boundary the pair is marked
// BoundaryMismatch (counted in the summary) and scored as concatenated.
func (t Tokenization) Encode(tok *tokenize.Tokenizer, p dataset.Pair, index int) (Encoded, error) {
	e := Encoded{Index: index, ID: p.ID, Line: p.Line}
	bad := func(field string, err error) (Encoded, error) {
		return e, &dataset.RecordError{Line: p.Line, Field: field, Err: fmt.Errorf("id %s: %w", p.ID, err)}
	}
	prompt, chosen, rejected := p.Prompt, p.Chosen, p.Rejected
	if p.Conversational() {
		var err error
		if prompt, chosen, rejected, err = renderConversation(tok, p); err != nil {
			return bad("prompt", err)
		}
	}
	var err error
	if e.Prompt, err = tok.EncodePrompt(prompt); err != nil {
		return bad("prompt", err)
	}
	eos := tok.EOS()
	resp := func(text string) ([]int, error) {
		ids, err := tok.Encode(text, false)
		if err != nil {
			return nil, err
		}
		if len(ids) == 0 && (!t.AllowEmpty || t.NoEOS || len(eos) == 0) {
			return nil, ErrEmptyResponse
		}
		if joint, err := tok.EncodePrompt(prompt + text); err == nil && !slices.Equal(joint, slices.Concat(e.Prompt, ids)) {
			e.BoundaryMismatch = true
		}
		if !t.NoEOS && len(eos) > 0 && (len(ids) == 0 || !slices.Contains(eos, ids[len(ids)-1])) {
			ids = append(ids, eos[0])
		}
		return ids, nil
	}
	if e.Chosen, err = resp(chosen); err != nil {
		return bad("chosen", err)
	}
	if e.Rejected, err = resp(rejected); err != nil {
		return bad("rejected", err)
	}
	if len(e.Prompt) == 0 {
		return bad("prompt", ErrNoContext)
	}
	t.truncate(&e)
	if t.Context > 0 {
		if n := len(e.Prompt) + max(len(e.Chosen), len(e.Rejected)); n > t.Context {
			return bad("chosen", fmt.Errorf("%w: %d tokens, context %d (use --max-length to truncate)", ErrTooLong, n, t.Context))
		}
	}
	if t.Vocab > 0 {
		for _, s := range [][]int{e.Prompt, e.Chosen, e.Rejected} {
			for _, id := range s {
				if id < 0 || id >= t.Vocab {
					return bad("prompt", fmt.Errorf("token id %d outside the model's vocabulary of %d: the tokenizer does not match the model", id, t.Vocab))
				}
			}
		}
	}
	return e, nil
}

// truncate applies TRL's rule: when the prompt plus the longer response
// exceeds MaxLength, first keep the last MaxPromptLength prompt tokens, then
// cut the responses to what is left.
func (t Tokenization) truncate(e *Encoded) {
	if t.MaxPromptLength > 0 && len(e.Prompt) > t.MaxPromptLength {
		e.Prompt = e.Prompt[len(e.Prompt)-t.MaxPromptLength:]
		e.Truncated = true
	}
	if t.MaxLength <= 0 {
		return
	}
	if len(e.Prompt)+max(len(e.Chosen), len(e.Rejected)) <= t.MaxLength {
		return
	}
	e.Truncated = true
	if len(e.Prompt) >= t.MaxLength {
		e.Prompt = e.Prompt[len(e.Prompt)-t.MaxLength+1:]
	}
	room := t.MaxLength - len(e.Prompt)
	if len(e.Chosen) > room {
		e.Chosen = e.Chosen[:room]
	}
	if len(e.Rejected) > room {
		e.Rejected = e.Rejected[:room]
	}
}

// renderConversation renders the conversation with the chat template and
// returns the prompt text (with the generation prompt) and each response as
// the text the full conversation adds after it.
func renderConversation(tok *tokenize.Tokenizer, p dataset.Pair) (prompt, chosen, rejected string, err error) {
	if !tok.HasChatTemplate() {
		return "", "", "", errors.New("conversational record but the tokenizer has no chat_template")
	}
	msgs := func(ms []dataset.Message) []tokenize.Message {
		out := make([]tokenize.Message, len(ms))
		for i, m := range ms {
			out[i] = tokenize.Message{Role: m.Role, Content: m.Content}
		}
		return out
	}
	pm := msgs(p.PromptMessages)
	if prompt, err = tok.ApplyChatTemplate(pm, true); err != nil {
		return
	}
	suffix := func(resp []dataset.Message) (string, error) {
		full, err := tok.ApplyChatTemplate(append(slices.Clip(pm), msgs(resp)...), false)
		if err != nil {
			return "", err
		}
		if !strings.HasPrefix(full, prompt) {
			return "", errors.New("the chat template renders the prompt differently when a response follows, so the response cannot be cut out")
		}
		return full[len(prompt):], nil
	}
	if chosen, err = suffix(p.ChosenMessages); err != nil {
		return
	}
	rejected, err = suffix(p.RejectedMessages)
	return
}
