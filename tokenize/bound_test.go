package tokenize

import (
	"errors"
	"math/rand/v2"
	"runtime"
	"strings"
	"testing"

	"github.com/dpokit/dpokit/dataset"
)

// TestTooLongFoundEarly: a record far longer than the context is refused
// as too long without being encoded whole: the check allocates a fraction
// of what encoding the 8 MB prompt takes (its ids alone are 16 MB).
func TestTooLongFoundEarly(t *testing.T) {
	tok := loadFamily(t, "gpt2")
	p := dataset.Pair{ID: "huge", Line: 1, Prompt: strings.Repeat("word ", 8<<20/5), Chosen: " yes", Rejected: " no"}
	opts := PairOptions{Context: 1024, Vocab: 50257}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err := opts.Encode(tok, p, 0)
	runtime.ReadMemStats(&after)
	if !errors.Is(err, ErrTooLong) {
		t.Fatalf("err = %v, want too long", err)
	}
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 4<<20 {
		t.Fatalf("the check allocated %d MB: the record was encoded whole", alloc>>20)
	}
	// With truncation the record is kept (truncated), as TRL does.
	opts.MaxLength, opts.MaxPromptLength = 512, 256
	p.Prompt = p.Prompt[:5*boundChunk]
	if e, err := opts.Encode(tok, p, 0); err != nil || len(e.Prompt) != 256 {
		t.Fatalf("truncated: %d prompt tokens, %v", len(e.Prompt), err)
	}
}

// TestChunkCountIsALowerBound: the chunked count never exceeds the tokens
// of the whole text (so a record it refuses would be refused after a full
// encoding), on both tokenizer families, for prose, whitespace runs, text
// without spaces, CJK and mixed scripts.
func TestChunkCountIsALowerBound(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	pieces := []string{"word", " ", "  ", "\n", "\n\n", "\t", "naïve", "日本語のテキスト", "مرحبا", "😀", "x1y2", ".,;", "ＡＢＣ", "e\u0301"}
	var texts []string
	for range 12 {
		var b strings.Builder
		for b.Len() < 5*boundChunk+rng.IntN(boundChunk) {
			b.WriteString(pieces[rng.IntN(len(pieces))])
		}
		texts = append(texts, b.String())
	}
	texts = append(texts, strings.Repeat("a", 5*boundChunk+7), strings.Repeat(" ", 5*boundChunk), strings.Repeat("語", 2*boundChunk))
	for _, family := range []string{"gpt2", "llama-sp"} {
		tok := loadFamily(t, family)
		for i, text := range texts {
			whole, err := tok.Encode(text, false)
			if err != nil {
				t.Fatal(err)
			}
			if n := atLeast(tok, text, 1<<30); n > len(whole) || n < len(whole)/2 {
				t.Errorf("%s text %d: chunked count %d, whole text %d tokens", family, i, n, len(whole))
			}
		}
	}
}
