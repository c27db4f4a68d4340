package tokenize

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/sugarme/tokenizer/pretokenizer"
	"github.com/sugarme/tokenizer/util"
)

// splitPatterns are the Split patterns with hand-written scanners.
var splitPatterns = []struct{ name, pattern string }{
	{"gpt2", pretokenizer.PatternGPT2},
	{"llama3", pretokenizer.PatternLlama3},
	{"qwen2", pretokenizer.PatternQwen2},
	{"o200k", pretokenizer.PatternO200k},
	{"digits3", pretokenizer.PatternDigits3},
	{"deepseek-cjk", pretokenizer.PatternDeepSeekCJK},
	{"deepseek", pretokenizer.PatternDeepSeek},
}

func validText(s string) string { return util.ValidUTF8String(s) }

func matchesOf(t *testing.T, m pretokenizer.Matcher, s string) [][2]int {
	t.Helper()
	var out [][2]int
	if err := m.Matches(s, func(start, end int) { out = append(out, [2]int{start, end}) }); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestSplitScanners holds each hand-written scanner to regexp2, a
// backtracking engine with lookaround, running the same pattern: on every
// corpus text and on random strings over characters that sit on the
// patterns' class boundaries (case, marks, digits of several scripts,
// apostrophes, every kind of whitespace, CJK ranges). Texts with ſ (U+017F)
// are left out: Oniguruma's (?i) folds it to s, as the scanners do (the
// goldens hold them to the Rust library on such texts), and regexp2 does not.
func TestSplitScanners(t *testing.T) {
	texts := []string{}
	for _, c := range loadCorpus(t) {
		texts = append(texts, validText(c.raw))
	}
	alphabet := []string{"a", "Z", "é", "É", "ǅ", "ʰ", "中", "ぁ", "ア", "한", "\u0301", "\u0903", "1", "٣", "Ⅷ", "½",
		"'", "'s", "'S", "'ll", "'LL", "'Re", "'ſ", "’", " ", "  ", "\t", "\n", "\r", "\r\n", "\u0085", "\u00a0",
		"\u3000", "\u2028", "\ufeff", "\u200b", "!", ".", "/", "$", "+", "😀", "\x00", "-", "_", "\u4e00", "\u9fa6"}
	r := rand.New(rand.NewPCG(1, 2))
	for range 3000 {
		var b strings.Builder
		for range 1 + r.IntN(12) {
			b.WriteString(alphabet[r.IntN(len(alphabet))])
		}
		texts = append(texts, b.String())
	}
	for _, p := range splitPatterns {
		t.Run(p.name, func(t *testing.T) {
			if !pretokenizer.HasScanner(p.pattern) {
				t.Fatalf("no scanner for %q", p.pattern)
			}
			sc, err := pretokenizer.NewPatternMatcher(p.pattern, true, false)
			if err != nil {
				t.Fatal(err)
			}
			re, err := pretokenizer.NewPatternMatcher(p.pattern, true, true)
			if err != nil {
				t.Fatal(err)
			}
			failed := 0
			for _, s := range texts {
				if strings.Contains(s, "ſ") {
					continue
				}
				got, want := matchesOf(t, sc, s), matchesOf(t, re, s)
				if !slices.Equal(got, want) && failed < 10 {
					failed++
					t.Errorf("%q:\n scanner %v\n regexp2 %v", s, got, want)
				}
			}
		})
	}
}

// FuzzSplitScanners holds every hand-written scanner to regexp2 on arbitrary
// text (seeded with the corpus; go test runs the seeds, go test -fuzz
// explores).
func FuzzSplitScanners(f *testing.F) {
	for i, c := range loadCorpus(f) {
		if i%7 == 0 {
			f.Add(c.raw)
		}
	}
	type pair struct{ scanner, regexp pretokenizer.Matcher }
	var matchers []pair
	for _, p := range splitPatterns {
		sc, err1 := pretokenizer.NewPatternMatcher(p.pattern, true, false)
		re, err2 := pretokenizer.NewPatternMatcher(p.pattern, true, true)
		if err1 != nil || err2 != nil {
			f.Fatal(err1, err2)
		}
		matchers = append(matchers, pair{sc, re})
	}
	f.Fuzz(func(t *testing.T, s string) {
		s = validText(s)
		if strings.Contains(s, "ſ") { // see TestSplitScanners
			return
		}
		for i, m := range matchers {
			if got, want := matchesOf(t, m.scanner, s), matchesOf(t, m.regexp, s); !slices.Equal(got, want) {
				t.Fatalf("%s %q:\n scanner %v\n regexp2 %v", splitPatterns[i].name, s, got, want)
			}
		}
	})
}
