package pretokenizer

// String-level pre-tokenization for Tokenizer.EncodeIDs (dpokit patch, see
// NOTES.md): the same words as PreTokenize, without offset tracking.

import (
	"strings"

	"github.com/sugarme/tokenizer"
	"github.com/sugarme/tokenizer/normalizer"
)

var (
	_ tokenizer.WordSplitter = (*ByteLevel)(nil)
	_ tokenizer.WordSplitter = (*Metaspace)(nil)
	_ tokenizer.WordSplitter = (*Sequence)(nil)
)

// CanSplitWords implements tokenizer.WordSplitter.
func (bl *ByteLevel) CanSplitWords() bool { return true }

// SplitWords implements tokenizer.WordSplitter: the GPT-2 split, each piece
// mapped to the byte-level alphabet.
func (bl *ByteLevel) SplitWords(s string, first bool, buf []byte, fn func(word []byte) error) ([]byte, error) {
	if bl.AddPrefixSpace && !strings.HasPrefix(s, " ") {
		s = " " + s
	}
	emit := func(piece string) error {
		buf = buf[:0]
		for i := 0; i < len(piece); i++ {
			buf = append(buf, byteToChar[piece[i]]...)
		}
		return fn(buf)
	}
	if bl.NoRegex {
		return buf, emit(s)
	}
	for i := 0; i < len(s); {
		end := gpt2Piece(s, i)
		if err := emit(s[i:end]); err != nil {
			return buf, err
		}
		i = end
	}
	return buf, nil
}

// CanSplitWords implements tokenizer.WordSplitter.
func (m *Metaspace) CanSplitWords() bool { return m.Replacement != "" }

// SplitWords implements tokenizer.WordSplitter: spaces become the
// replacement, which is prepended as the prepend scheme says, and the text is
// split before each replacement unless NoSplit.
func (m *Metaspace) SplitWords(s string, first bool, buf []byte, fn func(word []byte) error) ([]byte, error) {
	s = strings.ReplaceAll(s, " ", m.StrRep)
	if (m.PrependScheme == Always || (m.PrependScheme == First && first)) && !strings.HasPrefix(s, m.Replacement) {
		s = m.StrRep + s
	}
	emit := func(w string) error {
		buf = append(buf[:0], w...)
		return fn(buf)
	}
	if m.NoSplit {
		return buf, emit(s)
	}
	// MergedWithNext: a piece starts at each replacement.
	for start := 0; start < len(s); {
		end := len(s)
		if k := strings.Index(s[start+1:], m.Replacement); k >= 0 {
			end = start + 1 + k
		}
		if err := emit(s[start:end]); err != nil {
			return buf, err
		}
		start = end
	}
	return buf, nil
}

// CanSplitWords implements tokenizer.WordSplitter: when every member can.
func (p *Sequence) CanSplitWords() bool {
	for _, pt := range p.pretokenizers {
		if ws, ok := pt.(tokenizer.WordSplitter); !ok || !ws.CanSplitWords() {
			return false
		}
	}
	return true
}

// SplitWords implements tokenizer.WordSplitter: each member splits the words of the previous one.
func (p *Sequence) SplitWords(s string, first bool, buf []byte, fn func(word []byte) error) ([]byte, error) {
	return p.splitFrom(0, s, first, buf, fn)
}

func (p *Sequence) splitFrom(k int, s string, first bool, buf []byte, fn func(word []byte) error) ([]byte, error) {
	if k == len(p.pretokenizers) {
		buf = append(buf[:0], s...)
		return buf, fn(buf)
	}
	ws := p.pretokenizers[k].(tokenizer.WordSplitter)
	var inner []byte
	return ws.SplitWords(s, first, buf, func(word []byte) error {
		var err error
		inner, err = p.splitFrom(k+1, string(word), first, inner, fn)
		return err
	})
}

var _ tokenizer.WordSplitter = (*Split)(nil)

// CanSplitWords implements tokenizer.WordSplitter: for a Split built with a Matcher.
func (sp *Split) CanSplitWords() bool { return sp.matcher != nil }

// SplitWords implements tokenizer.WordSplitter: the pieces of s under the
// split's behavior, as Hugging Face's NormalizedString.split makes them
// (empty pieces dropped).
func (sp *Split) SplitWords(s string, first bool, buf []byte, fn func(word []byte) error) ([]byte, error) {
	var err error
	emit := func(start, end int) {
		if err != nil || start == end {
			return
		}
		buf = append(buf[:0], s[start:end]...)
		err = fn(buf)
	}
	b := splitBehavior{behavior: sp.Behavior, emit: emit}
	prev := 0
	merr := sp.matcher.Matches(s, func(start, end int) {
		if start > prev {
			b.segment(prev, start, sp.Invert)
		}
		b.segment(start, end, !sp.Invert)
		prev = end
	})
	if prev < len(s) {
		b.segment(prev, len(s), sp.Invert)
	}
	b.flush()
	if merr != nil {
		return buf, merr
	}
	return buf, err
}

// splitBehavior turns the segments of a text (matches and the gaps between
// them, in order) into pieces, as SplitDelimiterBehavior says.
type splitBehavior struct {
	behavior normalizer.SplitDelimiterBehavior
	emit     func(start, end int)
	// pending piece [start, end), not yet emitted because a later segment
	// may join it; its last segment was a match when match.
	start, end int
	pending    bool
	match      bool
}

func (b *splitBehavior) segment(start, end int, match bool) {
	switch b.behavior {
	case normalizer.IsolatedBehavior:
		b.emit(start, end)
	case normalizer.RemovedBehavior:
		if !match {
			b.emit(start, end)
		}
	case normalizer.MergedWithPreviousBehavior:
		if match && !b.match && b.pending {
			b.end = end
		} else {
			b.flush()
			b.start, b.end, b.pending = start, end, true
		}
		b.match = match
	case normalizer.ContiguousBehavior:
		if match == b.match && b.pending {
			b.end = end
		} else {
			b.flush()
			b.start, b.end, b.pending = start, end, true
		}
		b.match = match
	case normalizer.MergedWithNextBehavior:
		// A match joins the segment after it when that is not a match.
		switch {
		case b.pending && !match:
			b.emit(b.start, end)
			b.pending = false
		case match:
			b.flush()
			b.start, b.end, b.pending = start, end, true
		default:
			b.emit(start, end)
		}
	}
}

func (b *splitBehavior) flush() {
	if b.pending {
		b.emit(b.start, b.end)
		b.pending = false
	}
}
