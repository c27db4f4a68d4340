package pretokenizer

import (
	"github.com/sugarme/tokenizer"
	"github.com/sugarme/tokenizer/normalizer"
)

type Split struct {
	Pattern  normalizer.Pattern
	Behavior normalizer.SplitDelimiterBehavior
	Invert   bool

	// matcher, when set, finds the pattern's matches instead of Pattern
	// (dpokit patch: Oniguruma semantics, see matcher.go).
	matcher Matcher
}

func NewSplit(pattern normalizer.Pattern, behavior normalizer.SplitDelimiterBehavior, invert bool) *Split {

	return &Split{
		Pattern:  pattern,
		Behavior: behavior,
		Invert:   invert,
	}
}

// NewMatcherSplit returns a Split that finds its matches with m (dpokit patch).
func NewMatcherSplit(m Matcher, behavior normalizer.SplitDelimiterBehavior, invert bool) *Split {
	return &Split{Pattern: matcherPattern{m: m, invert: invert}, Behavior: behavior, Invert: invert, matcher: m}
}

// Implement tokenizer.PreTokenizer for Split
var _ tokenizer.PreTokenizer = new(Split)

func (s *Split) PreTokenize(pretokenized *tokenizer.PreTokenizedString) (*tokenizer.PreTokenizedString, error) {
	pattern := s.Pattern
	if s.Invert && s.matcher == nil {
		pattern = normalizer.NewInvertPattern(s.Pattern)
	}
	// dpokit patch: a matcherPattern inverts by itself.
	pretok := pretokenized.Split(func(noop int, normalized *normalizer.NormalizedString) []tokenizer.SplitIdx {
		splits := normalized.Split(pattern, s.Behavior)
		var splitIdxs []tokenizer.SplitIdx
		for _, s := range splits {
			normalized := s
			splitIdxs = append(splitIdxs, tokenizer.SplitIdx{Normalized: &normalized, Tokens: nil})
		}
		return splitIdxs
	})
	return pretok, nil
}

// matcherPattern is the normalizer.Pattern of a Matcher, for the
// offset-tracking path (dpokit patch).
type matcherPattern struct {
	m      Matcher
	invert bool
}

// FindMatches implements normalizer.Pattern: the pieces covering inside,
// each flagged as a match (inverted when invert).
func (p matcherPattern) FindMatches(inside string) []normalizer.OffsetsMatch {
	if inside == "" {
		return []normalizer.OffsetsMatch{{Offsets: []int{0, 0}, Match: false}}
	}
	var out []normalizer.OffsetsMatch
	prev := 0
	// The offset path has no error return; a regexp2 error (a timeout,
	// which is not set) cannot happen here.
	_ = p.m.Matches(inside, func(start, end int) {
		if start > prev {
			out = append(out, normalizer.OffsetsMatch{Offsets: []int{prev, start}, Match: p.invert})
		}
		out = append(out, normalizer.OffsetsMatch{Offsets: []int{start, end}, Match: !p.invert})
		prev = end
	})
	if prev < len(inside) {
		out = append(out, normalizer.OffsetsMatch{Offsets: []int{prev, len(inside)}, Match: p.invert})
	}
	return out
}
