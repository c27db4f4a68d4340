package tokenize

import (
	"fmt"
	"unicode"
	"unicode/utf8"
)

// Long texts are counted chunk by chunk before they are encoded whole, so
// that a record that cannot fit the model's context is refused without
// tokenizing all of it (a 50 MB record used to be encoded in full, 18.5M
// tokens, before the context check).
const (
	// boundChunk is the size in bytes of the chunks a long text is counted
	// in; texts up to 4 chunks are encoded directly.
	boundChunk = 16 << 10
	// boundSlack is subtracted from the count at every chunk boundary:
	// chunks are cut before a whitespace character, where pre-tokenizers
	// split anyway, but a tokenizer that prefixes each text (SentencePiece's
	// dummy "▁") or merges across the cut may count a few tokens more than
	// the whole text has there.
	boundSlack = 16
)

// checkFits refuses, without encoding them whole, texts that cannot fit
// the model's context: when no --max-length truncation applies and the
// context is known, the prompt plus the longer response must fit it. The
// count is a lower bound, so a pair it refuses would have been refused
// after a full encoding too.
func (t PairOptions) checkFits(tok *Tokenizer, prompt, chosen, rejected string) error {
	if t.Context <= 0 || t.MaxLength > 0 && t.MaxLength <= t.Context {
		return nil
	}
	limit := t.Context
	p := atLeast(tok, prompt, limit+1)
	r := max(atLeast(tok, chosen, limit+1-p), atLeast(tok, rejected, limit+1-p))
	if p+r > limit {
		return fmt.Errorf("%w: more than %d tokens, context %d (found before encoding the whole record; use --max-length to truncate)", ErrTooLong, limit, t.Context)
	}
	return nil
}

// atLeast returns a lower bound on the tokens of text, counting chunks
// only until the bound reaches need (so it may stop well short of the
// text's end); short texts return 0 (they are encoded whole anyway).
func atLeast(tok *Tokenizer, text string, need int) int {
	if len(text) <= 4*boundChunk || need <= 0 {
		return 0
	}
	n := 0
	for chunk := 0; len(text) > 0 && n < need; chunk++ {
		cut := chunkEnd(text)
		ids, err := tok.Encode(text[:cut], false)
		if err != nil {
			return 0 // the full encoding reports it
		}
		n += len(ids)
		if chunk > 0 {
			n -= boundSlack
		}
		text = text[cut:]
	}
	return max(n, 0)
}

// chunkEnd is where the first chunk of text ends: before the first
// whitespace character after boundChunk bytes, else (a text without
// whitespace there) at a character boundary after 4 × boundChunk bytes.
func chunkEnd(text string) int {
	if len(text) <= boundChunk {
		return len(text)
	}
	limit := min(len(text), 4*boundChunk)
	for i := boundChunk; i < limit; {
		r, size := utf8.DecodeRuneInString(text[i:])
		if unicode.IsSpace(r) {
			return i
		}
		i += size
	}
	for limit < len(text) && !utf8.RuneStart(text[limit]) {
		limit++
	}
	return limit
}
