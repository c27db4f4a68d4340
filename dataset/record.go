package dataset

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
)

// Marker ends the prompt of an implicit-prompt (Anthropic HH) record.
const Marker = "\n\nAssistant:"

// pairParser parses pair records. With no format given, the first record
// that parses decides the format for the rest of the file.
type pairParser struct {
	format   Format // "" until detected
	kind     Kind
	detected int // line where the format was detected; 0 when forced
}

func (p *pairParser) parse(fields map[string]any, id string, line int) (Pair, error) {
	own, err := detectPair(fields)
	if err != nil {
		return Pair{}, err
	}
	format := p.format
	if format == "" {
		format = own
	}
	pair, err := parsePair(format, fields)
	if err != nil {
		if p.detected > 0 && own != format {
			err.Err = fmt.Errorf("%w (the record looks %s, but the file's records are %s, as detected at %s)",
				err.Err, own, format, position(p.kind, p.detected))
		}
		return Pair{}, err
	}
	if p.format == "" {
		p.format, p.detected = format, line
	}
	if pair.Margin, err = margin(fields); err != nil {
		return Pair{}, err
	}
	pair.ID, pair.Line = id, line
	return pair, nil
}

// margin reads a record's optional "margin" number.
func margin(fields map[string]any) (float64, *RecordError) {
	v, ok := lookup(fields, "margin")
	if !ok {
		return 0, nil
	}
	var f float64
	var err error
	switch v := v.(type) {
	case json.Number:
		f, err = v.Float64()
	case float64:
		f = v
	case float32:
		f = float64(v)
	case int64:
		f = float64(v)
	case int32:
		f = float64(v)
	default:
		return 0, fieldErr("margin", "%s, want a number", describe(v))
	}
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, fieldErr("margin", "%v is not a finite number", v)
	}
	return f, nil
}

// detectPair tells a pair record's format from its fields.
func detectPair(fields map[string]any) (Format, *RecordError) {
	prompt, hasPrompt := lookup(fields, "prompt")
	chosen, hasChosen := lookup(fields, "chosen")
	rejected, hasRejected := lookup(fields, "rejected")
	switch {
	case !hasPrompt && !hasChosen && !hasRejected:
		return "", fieldErr("", `no "prompt", "chosen" or "rejected" field%s`, listFields(fields))
	case isList(prompt) || isList(chosen) || isList(rejected):
		return Conversational, nil
	case hasPrompt:
		return Explicit, nil
	}
	return Implicit, nil
}

func parsePair(format Format, fields map[string]any) (Pair, *RecordError) {
	var p Pair
	var err *RecordError
	switch format {
	case Explicit:
		if p.Prompt, err = text(fields, "prompt"); err != nil {
			return p, err
		}
		// An empty or blank response is real data (scored as its EOS alone).
		if p.Chosen, err = text(fields, "chosen"); err != nil {
			return p, err
		}
		if p.Rejected, err = text(fields, "rejected"); err != nil {
			return p, err
		}
	case Implicit:
		chosen, err := text(fields, "chosen")
		if err != nil {
			return p, err
		}
		rejected, err := text(fields, "rejected")
		if err != nil {
			return p, err
		}
		var ok bool
		if p.Prompt, p.Chosen, p.Rejected, ok = SplitPrompt(chosen, rejected); !ok {
			return p, fieldErr("chosen", "no %q in the text chosen and rejected share, so there is no prompt to take", Marker)
		}
	case Conversational:
		prompt, chosen, rejected, err := conversation(fields)
		if err != nil {
			return p, err
		}
		p.PromptMessages, p.ChosenMessages, p.RejectedMessages = prompt, chosen, rejected
	default:
		return p, fieldErr("", "unknown record format %q", format)
	}
	return p, nil
}

// conversation reads a conversational pair. The prompt is a "prompt" list of
// messages; or, when chosen and rejected hold whole conversations (with or
// without a "prompt" string beside them, as UltraFeedback-binarized has), the
// messages they share at the start; or a "prompt" string alone becomes one
// user message.
func conversation(fields map[string]any) (prompt, chosen, rejected []Message, err *RecordError) {
	pv, hasPrompt := lookup(fields, "prompt")
	promptText, promptIsText := pv.(string)
	if hasPrompt && !promptIsText {
		if prompt, err = messages(fields, "prompt"); err != nil {
			return nil, nil, nil, err
		}
		if len(prompt) == 0 {
			return nil, nil, nil, fieldErr("prompt", "empty list")
		}
	}
	if chosen, err = messages(fields, "chosen"); err != nil {
		return nil, nil, nil, err
	}
	if rejected, err = messages(fields, "rejected"); err != nil {
		return nil, nil, nil, err
	}
	if prompt == nil {
		switch n := commonMessages(chosen, rejected); {
		case n > 0:
			prompt, chosen, rejected = chosen[:n:n], chosen[n:], rejected[n:]
		case promptIsText && !blank(promptText):
			prompt = []Message{{Role: "user", Content: promptText}}
		case promptIsText:
			return nil, nil, nil, fieldErr("prompt", "empty prompt, and chosen and rejected share no leading messages to take it from")
		default:
			return nil, nil, nil, fieldErr("chosen", "no prompt field, and chosen and rejected share no leading messages to take it from")
		}
	}
	if len(chosen) == 0 {
		return nil, nil, nil, fieldErr("chosen", "no response: no messages after the prompt")
	}
	if len(rejected) == 0 {
		return nil, nil, nil, fieldErr("rejected", "no response: no messages after the prompt")
	}
	return prompt, chosen, rejected, nil
}

// EmptyResponses counts p's responses (0, 1 or 2) that are empty or blank:
// real data, scored and trained as TRL does (the response is its EOS alone).
func (p Pair) EmptyResponses() int {
	n := 0
	if p.Conversational() {
		for _, ms := range [][]Message{p.ChosenMessages, p.RejectedMessages} {
			if !slices.ContainsFunc(ms, func(m Message) bool { return !blank(m.Content) }) {
				n++
			}
		}
		return n
	}
	for _, s := range []string{p.Chosen, p.Rejected} {
		if blank(s) {
			n++
		}
	}
	return n
}

// SplitPrompt splits the two full texts of an implicit-prompt record into
// the prompt and the two responses: the prompt is their longest common
// prefix cut just after the last Marker in it. ok is false when the common
// prefix holds no Marker.
func SplitPrompt(chosen, rejected string) (prompt, chosenResponse, rejectedResponse string, ok bool) {
	n := 0
	for n < len(chosen) && n < len(rejected) && chosen[n] == rejected[n] {
		n++
	}
	i := strings.LastIndex(chosen[:n], Marker)
	if i < 0 {
		return "", "", "", false
	}
	cut := i + len(Marker)
	return chosen[:cut], chosen[cut:], rejected[cut:], true
}

func commonMessages(a, b []Message) int {
	n := 0
	for n < len(a) && n < len(b) && a[n] == b[n] {
		n++
	}
	return n
}

// promptParser parses prompt records. With no format given, the first
// record that parses decides between text and messages for the file.
type promptParser struct {
	format   Format // Explicit (text), Conversational (messages) or "" until detected
	kind     Kind
	detected int
}

func (p *promptParser) parse(fields map[string]any, id string, line int) (Prompt, error) {
	key := "prompt"
	v, ok := lookup(fields, key)
	if !ok {
		key = "messages"
		if v, ok = lookup(fields, key); !ok {
			return Prompt{}, fieldErr("prompt", `missing, and no "messages" field either%s`, listFields(fields))
		}
	}
	own := Explicit
	if isList(v) || key == "messages" {
		own = Conversational
	}
	if p.format != "" && own != p.format {
		want := "a string"
		if p.format == Conversational {
			want = "a list of messages"
		}
		note := ""
		if p.detected > 0 {
			note = fmt.Sprintf(" like the file's first prompt at %s", position(p.kind, p.detected))
		}
		return Prompt{}, fieldErr(key, "%s, want %s%s", describe(v), want, note)
	}
	pr := Prompt{ID: id, Line: line}
	var err *RecordError
	if own == Explicit {
		s, isString := v.(string)
		switch {
		case !isString:
			return Prompt{}, fieldErr(key, "%s, want a string or a list of messages", describe(v))
		case blank(s):
			return Prompt{}, fieldErr(key, "empty prompt")
		}
		pr.Text = s
	} else {
		if pr.Messages, err = messages(fields, key); err != nil {
			return Prompt{}, err
		}
		if len(pr.Messages) == 0 {
			return Prompt{}, fieldErr(key, "empty list")
		}
	}
	if p.format == "" {
		p.format, p.detected = own, line
	}
	return pr, nil
}

// lookup returns a field's value; a null counts as missing.
func lookup(fields map[string]any, key string) (any, bool) {
	v, ok := fields[key]
	return v, ok && v != nil
}

func isList(v any) bool {
	_, ok := v.([]any)
	return ok
}

func blank(s string) bool { return strings.TrimSpace(s) == "" }

// text returns a string field, which may be empty.
func text(fields map[string]any, key string) (string, *RecordError) {
	v, ok := fields[key]
	switch {
	case !ok:
		return "", fieldErr(key, "missing")
	case v == nil:
		return "", fieldErr(key, "null, want a string")
	}
	s, ok := v.(string)
	if !ok {
		return "", fieldErr(key, "%s, want a string", describe(v))
	}
	return s, nil
}

// messages returns a field holding a list of {"role", "content"} messages.
func messages(fields map[string]any, key string) ([]Message, *RecordError) {
	v, ok := fields[key]
	switch {
	case !ok:
		return nil, fieldErr(key, "missing")
	case v == nil:
		return nil, fieldErr(key, "null, want a list of messages")
	}
	list, ok := v.([]any)
	if !ok {
		return nil, fieldErr(key, "%s, want a list of messages", describe(v))
	}
	out := make([]Message, 0, len(list))
	for i, e := range list {
		at := fmt.Sprintf("%s[%d]", key, i)
		m, ok := e.(map[string]any)
		if !ok {
			return nil, fieldErr(at, "%s, want a message object", describe(e))
		}
		role, err := text(m, "role")
		if err != nil {
			err.Field = at + ".role"
			return nil, err
		}
		if blank(role) {
			return nil, fieldErr(at+".role", "empty")
		}
		content, err := text(m, "content")
		if err != nil {
			err.Field = at + ".content"
			if isList(m["content"]) {
				err.Err = fmt.Errorf("%w (content made of parts is not supported)", err.Err)
			}
			return nil, err
		}
		out = append(out, Message{Role: role, Content: content})
	}
	return out, nil
}

// listFields writes the names of a record's fields for a message.
func listFields(fields map[string]any) string {
	if len(fields) == 0 {
		return " (the record is an empty object)"
	}
	names := make([]string, 0, len(fields))
	for k := range fields {
		names = append(names, fmt.Sprintf("%q", k))
	}
	sort.Strings(names)
	const most = 8
	if len(names) > most {
		names = append(names[:most], "...")
	}
	return " (the record has " + strings.Join(names, ", ") + ")"
}
