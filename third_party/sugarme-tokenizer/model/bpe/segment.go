package bpe

// dpokit patch (see NOTES.md): SentencePiece-style words split at safe
// boundaries.
//
// Tokenizers without a pre-tokenizer (Llama-2, Gemma: spaces become ▁ and
// the whole text is one word) run BPE over whole texts, which the word cache
// cannot help. BPE merges a pair only into a token of the vocabulary, so no
// symbol can ever span a boundary that no vocabulary token spans: merges on
// the two sides never interact, and the merge order (lowest rank, then
// leftmost) restricted to each side is unchanged. Running BPE on each side
// separately therefore gives exactly the same tokens. The boundaries used are
// those before a ▁ that follows a character c other than ▁, where c is a
// token of its own (not byte fallback nor unknown) and no vocabulary token
// contains c followed by ▁; the vocabulary is checked when the model is
// built. Each piece then goes through the word cache.

import (
	"strings"
	"unicode/utf8"
)

const spaceMarker = "\u2581"

// segmenter holds the characters that some vocabulary token has right
// before a ▁ (such boundaries are not split).
type segmenter struct {
	unsafeLeft map[rune]bool
}

// newSegmenter returns the segmenter of a vocabulary that has ▁, or nil.
func newSegmenter(b *BPE) *segmenter {
	vocab := *b.Vocab
	if _, ok := vocab[spaceMarker]; !ok {
		return nil
	}
	if (b.ContinuingSubwordPrefix != nil && *b.ContinuingSubwordPrefix != "") ||
		(b.EndOfWordSuffix != nil && *b.EndOfWordSuffix != "") || (b.Dropout != nil && *b.Dropout > 0) {
		return nil
	}
	s := &segmenter{unsafeLeft: map[rune]bool{}}
	for tok := range vocab {
		for k := strings.Index(tok, spaceMarker); k >= 0; {
			if k > 0 {
				if r, _ := utf8.DecodeLastRuneInString(tok[:k]); r != 0x2581 {
					s.unsafeLeft[r] = true
				}
			}
			next := strings.Index(tok[k+len(spaceMarker):], spaceMarker)
			if next < 0 {
				break
			}
			k += len(spaceMarker) + next
		}
	}
	return s
}

// pieces calls fn with the pieces of word split at its safe boundaries.
func (s *segmenter) pieces(b *BPE, word []byte, fn func(piece []byte) error) error {
	vocab := *b.Vocab
	start := 0
	for i := 1; i+len(spaceMarker) <= len(word); i++ {
		if word[i] != 0xe2 || string(word[i:i+len(spaceMarker)]) != spaceMarker {
			continue
		}
		r, n := utf8.DecodeLastRune(word[:i])
		if r == 0x2581 || r == utf8.RuneError || s.unsafeLeft[r] {
			continue
		}
		if _, ok := vocab[string(word[i-n:i])]; !ok {
			continue
		}
		if err := fn(word[start:i]); err != nil {
			return err
		}
		start = i
	}
	return fn(word[start:])
}
