package pretokenizer

// dpokit patch (see NOTES.md): hand-written scanners for the Split patterns
// of today's model families, with the semantics of Oniguruma (a backtracking
// engine: alternatives tried in order, greedy quantifiers give back one
// character at a time). Each scanner returns the end of the match that
// starts at byte i of s, or -1 when no alternative matches there. They are
// held to regexp2 on the same patterns by dpokit's tests, and to Hugging
// Face's Rust library by its goldens.

import (
	"sync"
	"unicode"
	"unicode/utf8"
)

// Split patterns as tokenizer.json writes them (JSON-decoded).
const (
	// PatternGPT2 is GPT-2's pattern (also ByteLevel's use_regex).
	PatternGPT2 = `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`
	// PatternLlama3 is Llama-3's (cl100k-style) pattern.
	PatternLlama3 = `(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`
	// PatternQwen2 is Qwen2/2.5/3's pattern: Llama-3's with single digits.
	PatternQwen2 = `(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`
	// PatternO200k is GPT-4o's and gpt-oss's pattern.
	PatternO200k = `[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?|[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+`
	// PatternDigits3 is DeepSeek-V3's first pattern.
	PatternDigits3 = `\p{N}{1,3}`
	// PatternDeepSeekCJK is DeepSeek-V3's second pattern (CJK ideographs, hiragana, katakana).
	PatternDeepSeekCJK = "[\u4e00-\u9fa5\u3040-\u309f\u30a0-\u30ff]+"
	// PatternDeepSeek is DeepSeek-V3's third pattern; \r and \n are literal characters there.
	PatternDeepSeek = "[!\"#$%&'()*+,\\-./:;<=>?@\\[\\\\\\]^_`{|}~][A-Za-z]+|[^\r\n\\p{L}\\p{P}\\p{S}]?[\\p{L}\\p{M}]+| ?[\\p{P}\\p{S}]+[\r\n]*|\\s*[\r\n]+|\\s+(?!\\S)|\\s+"
)

var scanners = map[string]scanMatcher{
	PatternGPT2:        gpt2Piece,
	PatternLlama3:      func(s string, i int) int { return llama3Piece(s, i, 3) },
	PatternQwen2:       func(s string, i int) int { return llama3Piece(s, i, 1) },
	PatternO200k:       o200kPiece,
	PatternDigits3:     digits3Piece,
	PatternDeepSeekCJK: cjkPiece,
	PatternDeepSeek:    deepseekPiece,
}

// HasScanner reports whether a Split regex has a hand-written scanner.
func HasScanner(pattern string) bool { _, ok := scanners[pattern]; return ok }

// Character classes, as bits.
const (
	kLu    uint16 = 1 << iota // uppercase letter
	kLt                       // titlecase letter
	kLl                       // lowercase letter
	kLm                       // modifier letter
	kLo                       // other letter
	kM                        // mark
	kN                        // number
	kP                        // punctuation
	kS                        // symbol
	kSpace                    // White_Space (Oniguruma's and regexp2's \s)

	kL     = kLu | kLt | kLl | kLm | kLo
	kUpper = kLu | kLt | kLm | kLo | kM // o200k's [\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]
	kLower = kLl | kLm | kLo | kM       // o200k's [\p{Ll}\p{Lm}\p{Lo}\p{M}]
)

func classifyRune(r rune) uint16 {
	var k uint16
	switch {
	case unicode.Is(unicode.Lu, r):
		k = kLu
	case unicode.Is(unicode.Ll, r):
		k = kLl
	case unicode.Is(unicode.Lt, r):
		k = kLt
	case unicode.Is(unicode.Lm, r):
		k = kLm
	case unicode.Is(unicode.Lo, r):
		k = kLo
	case unicode.IsMark(r):
		k = kM
	case unicode.IsNumber(r):
		k = kN
	case unicode.IsPunct(r):
		k = kP
	case unicode.IsSymbol(r):
		k = kS
	}
	if unicode.IsSpace(r) {
		k |= kSpace
	}
	return k
}

// bmpClass holds the class of every code point of the Basic Multilingual
// Plane, built on first use (a few milliseconds); others are classified on
// the fly.
var bmpClass = sync.OnceValue(func() *[0x10000]uint16 {
	var t [0x10000]uint16
	for r := range rune(0x10000) {
		t[r] = classifyRune(r)
	}
	return &t
})

// classAt decodes the rune at s[i] and returns its class and byte length.
func classAt(t *[0x10000]uint16, s string, i int) (uint16, int) {
	if c := s[i]; c < utf8.RuneSelf {
		return t[c], 1
	}
	r, n := utf8.DecodeRuneInString(s[i:])
	if r < 0x10000 {
		return t[r], n
	}
	return classifyRune(r), n
}

// runWhile returns the end of the run of runes from i whose class has a bit of want.
func runWhile(t *[0x10000]uint16, s string, i int, want uint16) int {
	for i < len(s) {
		k, n := classAt(t, s, i)
		if k&want == 0 {
			break
		}
		i += n
	}
	return i
}

// runUntil returns the end of the run of runes from i whose class has no bit of stop.
func runUntil(t *[0x10000]uint16, s string, i int, stop uint16) int {
	for i < len(s) {
		k, n := classAt(t, s, i)
		if k&stop != 0 {
			break
		}
		i += n
	}
	return i
}

// runOfBytes returns the end of the run of bytes from i that are in set.
func runOfBytes(s string, i int, set string) int {
	for i < len(s) {
		found := false
		for j := 0; j < len(set); j++ {
			if s[i] == set[j] {
				found = true
				break
			}
		}
		if !found {
			break
		}
		i++
	}
	return i
}

// contractionCI returns the length of (?i:'s|'t|'re|'ve|'m|'ll|'d) at i, or 0.
// Oniguruma folds case with Unicode case folding, so ſ (U+017F) matches s.
func contractionCI(s string, i int) int {
	if i >= len(s) || s[i] != '\'' || i+1 >= len(s) {
		return 0
	}
	c := s[i+1] | 0x20
	switch {
	case c == 's' || c == 't' || c == 'm' || c == 'd':
		return 2
	case s[i+1] == 0xc5 && i+2 < len(s) && s[i+2] == 0xbf: // ſ
		return 3
	case c == 'r' || c == 'v':
		if i+2 < len(s) && s[i+2]|0x20 == 'e' {
			return 3
		}
	case c == 'l':
		if i+2 < len(s) && s[i+2]|0x20 == 'l' {
			return 3
		}
	}
	return 0
}

// whitespaceTail matches \s*[\r\n]+ (when newlines), then \s+(?!\S), then
// \s+ at i, where s[i] is whitespace.
func whitespaceTail(t *[0x10000]uint16, s string, i int, newlines bool) int {
	end := runWhile(t, s, i, kSpace)
	if newlines {
		// \s* takes the whole run and gives back until [\r\n]+ can match:
		// the match ends after the run's last \r or \n.
		for k := end - 1; k >= i; k-- {
			if s[k] == '\r' || s[k] == '\n' {
				return k + 1
			}
		}
	}
	if end == len(s) {
		return end
	}
	// \s+(?!\S): the run less its last character, when that leaves one.
	_, last := utf8.DecodeLastRuneInString(s[:end])
	if end-last > i {
		return end - last
	}
	return end
}

// isNewline reports whether the rune at s[i] is \r or \n.
func isNewline(s string, i int) bool { return s[i] == '\r' || s[i] == '\n' }

// llama3Piece scans PatternLlama3 (maxDigits 3) or PatternQwen2 (maxDigits 1).
func llama3Piece(s string, i, maxDigits int) int {
	if n := contractionCI(s, i); n > 0 {
		return i + n
	}
	t := bmpClass()
	k, n := classAt(t, s, i)
	switch {
	case k&kL != 0: // [^\r\n\p{L}\p{N}]?\p{L}+ without the prefix
		return runWhile(t, s, i+n, kL)
	case k&kN != 0: // \p{N}{1,maxDigits}
		end := i + n
		for d := 1; d < maxDigits && end < len(s); d++ {
			k2, n2 := classAt(t, s, end)
			if k2&kN == 0 {
				break
			}
			end += n2
		}
		return end
	}
	if !isNewline(s, i) && i+n < len(s) { // the prefix, then \p{L}+
		if k2, n2 := classAt(t, s, i+n); k2&kL != 0 {
			return runWhile(t, s, i+n+n2, kL)
		}
	}
	if k&kSpace == 0 { // [^\s\p{L}\p{N}]+[\r\n]*
		return runOfBytes(s, runUntil(t, s, i+n, kSpace|kL|kN), "\r\n")
	}
	if s[i] == ' ' && i+1 < len(s) { //  ?[^\s\p{L}\p{N}]+[\r\n]*
		if k2, _ := classAt(t, s, i+1); k2&(kSpace|kL|kN) == 0 {
			return runOfBytes(s, runUntil(t, s, i+1, kSpace|kL|kN), "\r\n")
		}
	}
	return whitespaceTail(t, s, i, true)
}

// o200kPiece scans PatternO200k.
func o200kPiece(s string, i int) int {
	t := bmpClass()
	k, n := classAt(t, s, i)
	prefix := !isNewline(s, i) && k&(kL|kN) == 0 // [^\r\n\p{L}\p{N}]? can take s[i]
	for _, word := range []func(*[0x10000]uint16, string, int) int{o200kWord1, o200kWord2} {
		if prefix {
			if end := word(t, s, i+n); end > 0 {
				return end
			}
		}
		if end := word(t, s, i); end > 0 {
			return end
		}
	}
	if k&kN != 0 { // \p{N}{1,3}
		end := i + n
		for d := 1; d < 3 && end < len(s); d++ {
			k2, n2 := classAt(t, s, end)
			if k2&kN == 0 {
				break
			}
			end += n2
		}
		return end
	}
	if k&kSpace == 0 { // [^\s\p{L}\p{N}]+[\r\n/]*
		return runOfBytes(s, runUntil(t, s, i+n, kSpace|kL|kN), "\r\n/")
	}
	if s[i] == ' ' && i+1 < len(s) {
		if k2, _ := classAt(t, s, i+1); k2&(kSpace|kL|kN) == 0 {
			return runOfBytes(s, runUntil(t, s, i+1, kSpace|kL|kN), "\r\n/")
		}
	}
	return whitespaceTail(t, s, i, true)
}

// o200kWord1 matches [Upper]*[Lower]+(?i:contraction)? at j, or returns -1.
// Upper and Lower share Lm, Lo and M: when the greedy [Upper]* leaves no
// Lower after it, it gives back characters until one of these can start
// [Lower]+.
func o200kWord1(t *[0x10000]uint16, s string, j int) int {
	if j >= len(s) {
		return -1
	}
	e := runWhile(t, s, j, kUpper)
	end := -1
	if e < len(s) {
		if k, _ := classAt(t, s, e); k&kLower != 0 {
			end = runWhile(t, s, e, kLower)
		}
	}
	for p := e; end < 0 && p > j; {
		r, n := utf8.DecodeLastRuneInString(s[j:p])
		p -= n
		if classOfRune(t, r)&kLower != 0 {
			end = p + n
		}
	}
	if end < 0 {
		return -1
	}
	return end + contractionCI(s, end)
}

// o200kWord2 matches [Upper]+[Lower]*(?i:contraction)? at j, or returns -1.
func o200kWord2(t *[0x10000]uint16, s string, j int) int {
	if j >= len(s) {
		return -1
	}
	e := runWhile(t, s, j, kUpper)
	if e == j {
		return -1
	}
	end := runWhile(t, s, e, kLower)
	return end + contractionCI(s, end)
}

func classOfRune(t *[0x10000]uint16, r rune) uint16 {
	if r < 0x10000 {
		return t[r]
	}
	return classifyRune(r)
}

// digits3Piece scans PatternDigits3.
func digits3Piece(s string, i int) int {
	t := bmpClass()
	end := i
	for d := 0; d < 3 && end < len(s); d++ {
		k, n := classAt(t, s, end)
		if k&kN == 0 {
			break
		}
		end += n
	}
	if end == i {
		return -1
	}
	return end
}

func isDeepSeekCJK(r rune) bool {
	return (r >= 0x4e00 && r <= 0x9fa5) || (r >= 0x3040 && r <= 0x309f) || (r >= 0x30a0 && r <= 0x30ff)
}

// cjkPiece scans PatternDeepSeekCJK.
func cjkPiece(s string, i int) int {
	end := i
	for end < len(s) {
		r, n := utf8.DecodeRuneInString(s[end:])
		if !isDeepSeekCJK(r) {
			break
		}
		end += n
	}
	if end == i {
		return -1
	}
	return end
}

func isASCIILetter(c byte) bool { return (c|0x20) >= 'a' && (c|0x20) <= 'z' }

func isASCIIPunct(c byte) bool {
	return (c >= '!' && c <= '/') || (c >= ':' && c <= '@') || (c >= '[' && c <= '`') || (c >= '{' && c <= '~')
}

// deepseekPiece scans PatternDeepSeek.
func deepseekPiece(s string, i int) int {
	if isASCIIPunct(s[i]) && i+1 < len(s) && isASCIILetter(s[i+1]) { // [punct][A-Za-z]+
		end := i + 1
		for end < len(s) && isASCIILetter(s[end]) {
			end++
		}
		return end
	}
	t := bmpClass()
	k, n := classAt(t, s, i)
	if k&(kL|kM) != 0 { // [\p{L}\p{M}]+ (a mark taken as the prefix ends at the same place)
		return runWhile(t, s, i+n, kL|kM)
	}
	if !isNewline(s, i) && k&(kP|kS) == 0 && i+n < len(s) { // [^\r\n\p{L}\p{P}\p{S}] then [\p{L}\p{M}]+
		if k2, _ := classAt(t, s, i+n); k2&(kL|kM) != 0 {
			return runWhile(t, s, i+n, kL|kM)
		}
	}
	if k&(kP|kS) != 0 { // ?[\p{P}\p{S}]+[\r\n]*
		return runOfBytes(s, runWhile(t, s, i+n, kP|kS), "\r\n")
	}
	if s[i] == ' ' && i+1 < len(s) {
		if k2, _ := classAt(t, s, i+1); k2&(kP|kS) != 0 {
			return runOfBytes(s, runWhile(t, s, i+1, kP|kS), "\r\n")
		}
	}
	if k&kSpace != 0 {
		return whitespaceTail(t, s, i, true)
	}
	return -1
}
