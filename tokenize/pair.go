package tokenize

import (
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"

	"github.com/dpokit/dpokit/dataset"
)

// Encoded is a preference pair as token ids, the one form score and train
// share. Chosen and Rejected are the response tokens only; the sequence
// scored or trained on is Prompt followed by each.
type Encoded struct {
	Index            int // position in the input
	ID               string
	Line             int
	Prompt           []int
	Chosen           []int
	Rejected         []int
	Truncated        bool // MaxLength / MaxPromptLength cut something
	BoundaryMismatch bool // tokenizing prompt+response jointly gives other ids
}

// TruncatedToEqual reports whether truncation left both responses equal:
// the pair then carries no preference (its DPO gradient is zero).
func (e Encoded) TruncatedToEqual() bool {
	return e.Truncated && slices.Equal(e.Chosen, e.Rejected)
}

// PairOptions hold the settings that turn a pair's text into ids.
type PairOptions struct {
	MaxLength       int  // prompt+response tokens; 0 = no limit
	MaxPromptLength int  // prompt tokens kept (the end); 0 = no limit
	NoEOS           bool // do not append the EOS token to responses
	Context         int  // the model's context length; 0 = unknown
	Vocab           int  // the models' vocabulary size
}

// ForModel returns the options with the model's vocabulary size and, when
// Context is not set, its context length (0: unknown).
func (t PairOptions) ForModel(vocab, context int) PairOptions {
	t.Vocab = vocab
	if t.Context == 0 {
		t.Context = context
	}
	return t
}

// ErrEmptyResponse, ErrTooLong and ErrNoContext describe pairs that cannot be scored.
var (
	ErrEmptyResponse = errors.New("empty response with no EOS appended (--no-eos, or the tokenizer has none): no token to score")
	ErrTooLong       = errors.New("sequence is longer than the model's context")
	ErrNoContext     = errors.New("prompt has no tokens and the tokenizer adds no BOS token, so the first response token has no context")
)

// Encode tokenizes one pair the way current TRL does: the prompt (with the
// tokenizer's special tokens, e.g. BOS) and each response (without special
// tokens, EOS appended) are tokenized separately and concatenated, so the
// prompt/response boundary is exact by construction. Where tokenizing the
// joint text would have merged tokens across the boundary the pair is marked
// BoundaryMismatch (counted in the summary) and scored as concatenated.
func (t PairOptions) Encode(tok *Tokenizer, p dataset.Pair, index int) (Encoded, error) {
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
	if err := t.checkFits(tok, prompt, chosen, rejected); err != nil {
		return bad("chosen", err)
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
		if len(ids) == 0 && (t.NoEOS || len(eos) == 0) {
			// TRL scores an empty response as its EOS alone; without an EOS
			// there is no token to score.
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
func (t PairOptions) truncate(e *Encoded) {
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
func renderConversation(tok *Tokenizer, p dataset.Pair) (prompt, chosen, rejected string, err error) {
	if !tok.HasChatTemplate() {
		return "", "", "", errors.New("conversational record but the tokenizer has no chat_template")
	}
	pm := messages(p.PromptMessages)
	if prompt, err = tok.ApplyChatTemplate(pm, true); err != nil {
		return
	}
	suffix := func(resp []dataset.Message) (string, error) {
		full, err := tok.ApplyChatTemplate(append(slices.Clip(pm), messages(resp)...), false)
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

func messages(ms []dataset.Message) []Message {
	out := make([]Message, len(ms))
	for i, m := range ms {
		out[i] = Message{Role: m.Role, Content: m.Content}
	}
	return out
}

// PromptText renders a prompt record as the text a model continues: its
// text, or its messages through the chat template with the generation
// prompt.
func (t *Tokenizer) PromptText(p dataset.Prompt) (string, error) {
	if !p.Conversational() {
		return p.Text, nil
	}
	if !t.HasChatTemplate() {
		return "", errors.New("the prompt has messages but the tokenizer has no chat_template")
	}
	return t.ApplyChatTemplate(messages(p.Messages), true)
}

// PairCounts are what encoding a dataset noticed.
type PairCounts struct {
	BoundaryMismatches int // joint tokenization would merge tokens across the boundary
	Truncated          int // MaxLength / MaxPromptLength cut something
	TruncatedToEqual   int // truncation left both responses equal
	EmptyResponses     int // empty or blank responses, scored as TRL does (EOS alone for an empty one)
}

// EncodePairs encodes the pairs read from file; index0 is the position of
// pairs[0] in the file. A pair that cannot be encoded fails the call (its
// *dataset.RecordError names file, line and field) or, with skipInvalid,
// is listed among the skipped. Every skip and every pair that truncation
// left without a preference is logged as a warning, and the counts once.
func EncodePairs(tok *Tokenizer, opts PairOptions, file string, pairs []dataset.Pair, index0 int, skipInvalid bool) ([]Encoded, PairCounts, []dataset.Skipped, error) {
	var c PairCounts
	var skipped []dataset.Skipped
	out := make([]Encoded, 0, len(pairs))
	for i, p := range pairs {
		e, err := opts.Encode(tok, p, index0+i)
		if err != nil {
			var re *dataset.RecordError
			if errors.As(err, &re) {
				re.File = file
			}
			if !skipInvalid {
				return nil, c, nil, err
			}
			s := dataset.Skipped{Line: p.Line, ID: p.ID, Reason: err.Error()}
			s.Log(file)
			skipped = append(skipped, s)
			continue
		}
		if e.BoundaryMismatch {
			c.BoundaryMismatches++
		}
		c.EmptyResponses += p.EmptyResponses()
		if e.Truncated {
			c.Truncated++
		}
		if e.TruncatedToEqual() {
			c.TruncatedToEqual++
			slog.Warn("truncation left both responses equal: the pair carries no preference", "file", file, "line", p.Line, "id", p.ID,
				"max_length", opts.MaxLength, "max_prompt_length", opts.MaxPromptLength)
		}
		out = append(out, e)
	}
	if c.EmptyResponses > 0 {
		slog.Info("empty responses scored as TRL does (an empty one is its EOS alone)", "file", file, "responses", c.EmptyResponses)
	}
	if c.Truncated > 0 {
		slog.Info("truncated pairs", "file", file, "truncated", c.Truncated, "of", len(out), "left_equal", c.TruncatedToEqual,
			"max_length", opts.MaxLength, "max_prompt_length", opts.MaxPromptLength)
	}
	return out, c, skipped, nil
}
