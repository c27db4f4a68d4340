package pretokenizer

// dpokit patch (see NOTES.md): the patterns of the Split pre-tokenizer.
//
// Hugging Face compiles a Split pattern with Oniguruma, a backtracking engine:
// the patterns of Llama-3, Qwen, DeepSeek and GPT-4o use lookahead
// (\s+(?!\S)), which Go's regexp lacks. A Matcher finds the matches of a
// pattern as Oniguruma's find_iter does (leftmost, first alternative that
// matches, non-overlapping). The patterns of today's model families have
// hand-written scanners (scanners.go); any other pattern runs on
// github.com/dlclark/regexp2, a backtracking engine with lookaround.

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/dlclark/regexp2"
)

// Matcher finds the matches of a Split pattern.
type Matcher interface {
	// Matches calls fn with the start and end byte offsets of each match
	// in s, in order. s is valid UTF-8.
	Matches(s string, fn func(start, end int)) error
}

// NewPatternMatcher returns the Matcher of a tokenizer.json Split pattern:
// {"String": s} (isRegex false) or {"Regex": s}. A regex with a hand-written
// scanner gets the scanner unless noScanner is set.
func NewPatternMatcher(pattern string, isRegex, noScanner bool) (Matcher, error) {
	if !isRegex {
		if pattern == "" {
			return nil, fmt.Errorf("split pattern: empty string")
		}
		return literalMatcher(pattern), nil
	}
	if !noScanner {
		if sc, ok := scanners[pattern]; ok {
			return sc, nil
		}
	}
	return NewRegexpMatcher(pattern)
}

// literalMatcher matches a string literally.
type literalMatcher string

func (m literalMatcher) Matches(s string, fn func(start, end int)) error {
	lit := string(m)
	for i := 0; i < len(s); {
		k := strings.Index(s[i:], lit)
		if k < 0 {
			break
		}
		fn(i+k, i+k+len(lit))
		i += k + len(lit)
	}
	return nil
}

// scanMatcher turns a scanner, which returns the end of the match that starts
// at i or -1, into a Matcher.
type scanMatcher func(s string, i int) int

func (f scanMatcher) Matches(s string, fn func(start, end int)) error {
	for i := 0; i < len(s); {
		if end := f(s, i); end > i {
			fn(i, end)
			i = end
			continue
		}
		_, n := utf8.DecodeRuneInString(s[i:])
		i += n
	}
	return nil
}

// RegexpMatcher runs a pattern on regexp2 (Oniguruma-compatible for the
// constructs tokenizers use: Unicode classes, lookaround, (?i:...)).
type RegexpMatcher struct {
	re *regexp2.Regexp
}

// NewRegexpMatcher compiles pattern with regexp2.
func NewRegexpMatcher(pattern string) (*RegexpMatcher, error) {
	re, err := regexp2.Compile(pattern, regexp2.None)
	if err != nil {
		return nil, fmt.Errorf("split pattern %q: %w", pattern, err)
	}
	return &RegexpMatcher{re: re}, nil
}

// Matches implements Matcher. regexp2 works on runes; offsets are mapped
// back to bytes as the matches come, in order.
func (m *RegexpMatcher) Matches(s string, fn func(start, end int)) error {
	runes := []rune(s)
	match, err := m.re.FindRunesMatch(runes)
	bytePos, runePos := 0, 0
	advance := func(to int) int {
		for ; runePos < to; runePos++ {
			bytePos += utf8.RuneLen(runes[runePos])
		}
		return bytePos
	}
	for err == nil && match != nil {
		start := advance(match.Index)
		end := advance(match.Index + match.Length)
		fn(start, end)
		match, err = m.re.FindNextMatch(match)
	}
	if err != nil {
		return fmt.Errorf("split pattern %q: %w", m.re.String(), err)
	}
	return nil
}
