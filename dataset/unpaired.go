package dataset

import "fmt"

// Unpaired is one labelled completion (KTO's unpaired preference format):
// text records fill Prompt and Completion, conversational ones the two
// message lists; Desirable is the record's "label".
type Unpaired struct {
	ID   string
	Line int // as Pair.Line

	Prompt, Completion                 string
	PromptMessages, CompletionMessages []Message
	Desirable                          bool
}

// Conversational reports whether u holds messages rather than text.
func (u Unpaired) Conversational() bool { return u.CompletionMessages != nil }

// Pair returns u as a pair whose chosen and rejected responses are both
// its completion, for code that encodes pairs.
func (u Unpaired) Pair() Pair {
	return Pair{ID: u.ID, Line: u.Line, Prompt: u.Prompt, Chosen: u.Completion, Rejected: u.Completion,
		PromptMessages: u.PromptMessages, ChosenMessages: u.CompletionMessages, RejectedMessages: u.CompletionMessages}
}

// ReadUnpaired reads the unpaired records {"prompt", "completion",
// "label": bool} in the file at path (prompt and completion both strings,
// or both lists of messages).
func ReadUnpaired(path string, opts Options) ([]Unpaired, []Skipped, error) {
	if _, err := checkFormat(opts.Format, Explicit, Conversational); err != nil {
		return nil, nil, fmt.Errorf("unpaired records: %w", err)
	}
	src, err := open(path, opts.Kind)
	if err != nil {
		return nil, nil, err
	}
	defer src.close()
	return collect(src, opts.SkipInvalid, parseUnpaired)
}

func parseUnpaired(fields map[string]any, id string, line int) (Unpaired, error) {
	u := Unpaired{ID: id, Line: line}
	v, ok := fields["label"]
	switch label, isBool := v.(bool); {
	case !ok:
		return u, fieldErr("label", "missing (want true for a desirable completion, false for an undesirable one)%s", listFields(fields))
	case !isBool:
		return u, fieldErr("label", "%s, want true or false", describe(v))
	default:
		u.Desirable = label
	}
	var err *RecordError
	if c, _ := lookup(fields, "completion"); isList(c) {
		if u.PromptMessages, err = messages(fields, "prompt"); err != nil {
			return u, err
		}
		if len(u.PromptMessages) == 0 {
			return u, fieldErr("prompt", "empty list")
		}
		if u.CompletionMessages, err = messages(fields, "completion"); err != nil {
			return u, err
		}
		return u, nil
	}
	if u.Prompt, err = text(fields, "prompt"); err != nil {
		return u, err
	}
	if u.Completion, err = text(fields, "completion"); err != nil { // an empty completion is data, as an empty pair response
		return u, err
	}
	return u, nil
}
