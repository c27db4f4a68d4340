package tokenizer

// EncodeIDs: encoding to token ids only (dpokit patch, see NOTES.md).
//
// Encode tracks the alignment of every byte through normalization and
// pre-tokenization to report offsets. Callers that need only the ids pay a lot
// for that. EncodeIDs runs the same components on plain strings: it splits on
// added tokens, normalizes, pre-tokenizes and runs the model, in the order of
// Hugging Face's tokenizers, and gives the same ids as Encode. It is available
// when every component has a string-level form (CanEncodeIDs).

import (
	"fmt"

	"github.com/sugarme/tokenizer/normalizer"
	"github.com/sugarme/tokenizer/util"
)

// WordSplitter is a PreTokenizer that can split a plain string into words.
type WordSplitter interface {
	// SplitWords calls fn with each word of s, in order. first tells whether
	// s is the first piece of the input. buf is scratch space that SplitWords
	// may use and returns; a word passed to fn is valid only during the call.
	SplitWords(s string, first bool, buf []byte, fn func(word []byte) error) ([]byte, error)
	// CanSplitWords reports whether SplitWords gives the words of PreTokenize.
	CanSplitWords() bool
}

// IDModel is a Model that can append the ids of one word to a slice.
type IDModel interface {
	AppendIDs(dst []int, word []byte) ([]int, error)
}

// idPath is the resolved string-level form of a tokenizer's components.
type idPath struct {
	normalizer normalizer.StringNormalizer // nil: none
	splitter   WordSplitter                // nil: the whole piece is one word
	model      IDModel
	err        error // why the path is unavailable
}

// idPath resolves the components; it is cheap next to encoding, and
// resolving per call keeps it right when a component is replaced.
func (t *Tokenizer) idPath() *idPath {
	p := &idPath{}
	if t.normalizer != nil {
		if sn, ok := normalizer.AsStringNormalizer(t.normalizer); ok {
			p.normalizer = sn
		} else {
			p.err = fmt.Errorf("normalizer %T has no string form", t.normalizer)
		}
	}
	if t.preTokenizer != nil {
		if ws, ok := t.preTokenizer.(WordSplitter); ok && ws.CanSplitWords() {
			p.splitter = ws
		} else if p.err == nil {
			p.err = fmt.Errorf("pre-tokenizer %T has no string form", t.preTokenizer)
		}
	}
	if m, ok := t.model.(IDModel); ok {
		p.model = m
	} else if p.err == nil {
		p.err = fmt.Errorf("model %T has no id form", t.model)
	}
	return p
}

// CanEncodeIDs returns nil when EncodeIDs is available, else why not.
func (t *Tokenizer) CanEncodeIDs() error { return t.idPath().err }

// EncodeIDs appends the token ids of input to dst, without special tokens
// (no post-processing). Invalid UTF-8 in input is first replaced with U+FFFD,
// one per maximal invalid subsequence. The result equals the ids of
// Encode(input, false).
func (t *Tokenizer) EncodeIDs(dst []int, input string) ([]int, error) {
	p := t.idPath()
	if p.err != nil {
		return dst, p.err
	}
	input = util.ValidUTF8String(input)
	av := &t.addedVocabulary
	var buf []byte
	var err error
	word := func(w []byte) error {
		dst, err = p.model.AppendIDs(dst, w)
		return err
	}
	sections := av.FindAddedTokens(input)
	for i, sec := range sections {
		if sec.ID >= 0 {
			dst = append(dst, sec.ID)
			continue
		}
		text := input[sec.Start:sec.End]
		if text == "" {
			continue
		}
		if p.normalizer != nil {
			text = p.normalizer.NormalizeString(text)
			if text == "" {
				continue
			}
		}
		pieces := []AddedSplit{{Start: 0, End: len(text), ID: -1}}
		if av.HasNormalizedAddedTokens() {
			pieces = av.FindNormalizedAddedTokens(text)
		}
		for _, piece := range pieces {
			if piece.ID >= 0 {
				dst = append(dst, piece.ID)
				continue
			}
			s := text[piece.Start:piece.End]
			if s == "" {
				continue
			}
			if p.splitter == nil {
				buf = append(buf[:0], s...)
				if err := word(buf); err != nil {
					return dst, err
				}
				continue
			}
			if buf, err = p.splitter.SplitWords(s, i == 0, buf, word); err != nil {
				return dst, err
			}
		}
	}
	return dst, nil
}
