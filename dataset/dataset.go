package dataset

import (
	"fmt"
	"log/slog"
	"strings"
)

// Message is one chat message of a conversational record.
type Message struct {
	Role    string
	Content string
}

// Pair is one preference pair. Text records fill Prompt, Chosen and
// Rejected; conversational records fill the three message lists instead.
type Pair struct {
	ID string
	// Line is the record's 1-based position: its line in a JSON Lines file,
	// its index in a JSON array, its row in a Parquet file.
	Line int

	Prompt           string
	Chosen, Rejected string

	PromptMessages, ChosenMessages, RejectedMessages []Message

	// Margin is the record's optional "margin" (0 when absent): how much
	// the chosen response is preferred, as TRL's reward trainer reads it.
	Margin float64
}

// Conversational reports whether p holds messages rather than text.
func (p Pair) Conversational() bool { return p.ChosenMessages != nil }

// Prompt is one prompt to sample from: Text, or Messages for a
// conversational prompt.
type Prompt struct {
	ID       string
	Line     int // as Pair.Line
	Text     string
	Messages []Message
}

// Conversational reports whether p holds messages rather than text.
func (p Prompt) Conversational() bool { return p.Messages != nil }

// Format is a record format. The zero value means Auto.
type Format string

// Record formats.
const (
	Explicit       Format = "explicit"
	Implicit       Format = "implicit"
	Conversational Format = "conversational"
)

// Kind is a file kind. The zero value means Auto.
type Kind string

// File kinds.
const (
	JSONL   Kind = "jsonl"
	JSON    Kind = "json" // one JSON array of records
	Parquet Kind = "parquet"
)

// Auto asks for the format or kind to be detected; it is the meaning of
// the zero Format and Kind too.
const Auto = "auto"

// Options controls ReadPairs and ReadPrompts.
type Options struct {
	// Format forces a record format. ReadPrompts accepts Explicit (text
	// prompts) and Conversational (message prompts).
	Format Format
	// Kind forces a file kind instead of detecting it.
	Kind Kind
	// SkipInvalid leaves bad records out, listing each in the returned
	// Skipped slice, instead of failing on the first one.
	SkipInvalid bool
}

// Skipped describes a record left out under Options.SkipInvalid.
type Skipped struct {
	Line   int    // as Pair.Line
	ID     string // "" when the record was unreadable or its id was bad
	Field  string // the field at fault; "" for the whole record
	Reason string
}

// ReadPairs reads the preference pairs in the file at path.
func ReadPairs(path string, opts Options) ([]Pair, []Skipped, error) {
	format, err := checkFormat(opts.Format, PairFormats...)
	if err != nil {
		return nil, nil, err
	}
	src, err := open(path, opts.Kind)
	if err != nil {
		return nil, nil, err
	}
	defer src.close()
	p := &pairParser{format: format, kind: src.kind}
	return collect(src, opts.SkipInvalid, p.parse)
}

// ReadPrompts reads the prompts in the file at path.
func ReadPrompts(path string, opts Options) ([]Prompt, []Skipped, error) {
	format, err := checkFormat(opts.Format, Explicit, Conversational)
	if err != nil {
		return nil, nil, fmt.Errorf("prompts: %w", err)
	}
	src, err := open(path, opts.Kind)
	if err != nil {
		return nil, nil, err
	}
	defer src.close()
	p := &promptParser{format: format, kind: src.kind}
	return collect(src, opts.SkipInvalid, p.parse)
}

// checkFormat returns f with Auto as "", or an error when f is not one of
// allowed.
func checkFormat(f Format, allowed ...Format) (Format, error) {
	if f == "" || f == Auto {
		return "", nil
	}
	names := []string{Auto}
	for _, a := range allowed {
		if f == a {
			return f, nil
		}
		names = append(names, string(a))
	}
	return "", fmt.Errorf("unknown record format %q (want %s)", f, strings.Join(names, ", "))
}

// PairFormats are the record formats of preference pairs.
var PairFormats = []Format{Explicit, Implicit, Conversational}

// ParseFormat checks a pair format name ("" or "auto" for detection).
func ParseFormat(s string) (Format, error) {
	f, err := checkFormat(Format(s), PairFormats...)
	if err == nil && f == "" {
		f = Auto
	}
	return f, err
}

// Log reports the skipped record as a warning, the one way every command
// reports a record it left out.
func (s Skipped) Log(file string) {
	slog.Warn("skipped record", "file", file, "line", s.Line, "id", s.ID, "field", s.Field, "reason", s.Reason)
}
