package normalizer

import (
	"fmt"
	"strings"
)

// Enum of different patterns that Replace can use.
type ReplacePattern int

const (
	String ReplacePattern = iota
	Regex
)

type Replace struct {
	PatternType ReplacePattern `json:"pattern_type"`
	Pattern     Pattern        `json:"pattern"`
	Content     string         `json:"content"`
	raw         string         // the pattern as given (dpokit patch)
}

var _ Normalizer = new(Replace)

func NewReplace(patternType ReplacePattern, pattern string, content string) *Replace {
	var pat Pattern
	switch patternType {
	case String:
		pat = NewStringPattern(pattern)
	case Regex:
		pat = NewRegexpPattern(pattern)
	default:
		msg := fmt.Sprintf("Not supported ReplacePattern %q", patternType)
		panic(msg)
	}

	return &Replace{
		PatternType: patternType,
		Pattern:     pat,
		Content:     content,
		raw:         pattern,
	}
}

// NormalizeString replaces a String pattern in a plain string (dpokit patch).
func (r *Replace) NormalizeString(s string) string { return strings.ReplaceAll(s, r.raw, r.Content) }

// CanNormalizeString reports whether NormalizeString is exact: for String
// patterns only (regex patterns follow Oniguruma, which Go's regexp is not).
func (r *Replace) CanNormalizeString() bool { return r.PatternType == String && r.raw != "" }

// Implement Normalizer for Replace
func (r *Replace) Normalize(normalized *NormalizedString) (*NormalizedString, error) {
	return normalized.Replace(r.Pattern, r.Content), nil
}

// Implement Decoder for Replace
func (r *Replace) DecodeChain(tokens []string) []string {
	out := make([]string, len(tokens))
	for i, token := range tokens {
		if r.CanNormalizeString() {
			// dpokit patch: plain replacement; the pattern matcher
			// mishandled empty tokens.
			out[i] = strings.ReplaceAll(token, r.raw, r.Content)
			continue
		}
		var newTokParts []string
		for _, offsetMatch := range r.Pattern.FindMatches(token) {
			if offsetMatch.Match {
				newTokParts = append(newTokParts, r.Content)
			} else {
				newTokParts = append(newTokParts, token[offsetMatch.Offsets[0]:offsetMatch.Offsets[1]])
			}
		}
		out[i] = strings.Join(newTokParts, "")
	}
	return out
}

func (r *Replace) Decode(tokens []string) string {
	return strings.Join(r.DecodeChain(tokens), "")
}
