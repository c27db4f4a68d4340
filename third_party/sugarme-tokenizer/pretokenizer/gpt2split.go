package pretokenizer

// dpokit patch (see NOTES.md): the GPT-2 split pattern
//
//	's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
//
// needs a negative lookahead, which Go's regexp does not have. Upstream
// dropped the two whitespace alternatives, so runs of whitespace were left to
// the gaps between matches: "\n\nHuman" gave "\n\n" + "Human" where Hugging
// Face gives "\n" + "\n" + "Human", and "  word" gave "  " + "word" instead
// of " " + " word". SplitGPT2 implements the pattern by hand with the
// semantics of a backtracking regex engine.

import (
	"unicode"
	"unicode/utf8"
)

// IsSplitSpace reports whether r is matched by \s in the split pattern: the
// Rust tokenizers compile the pattern with Oniguruma, whose \s is the Unicode
// White_Space property (U+0085 included, U+FEFF not), as unicode.IsSpace is.
// (JavaScript's \s, which Tokenizers.js uses, differs on these two.)
func IsSplitSpace(r rune) bool {
	return unicode.IsSpace(r)
}

// charClass of the split pattern: letter (\p{L}), number (\p{N}), space (\s) or other.
type charClass uint8

const (
	classOther charClass = iota
	classLetter
	classNumber
	classSpace
)

// asciiClass holds the class of every ASCII byte.
var asciiClass = func() (t [128]charClass) {
	for i := range t {
		r := rune(i)
		switch {
		case IsSplitSpace(r):
			t[i] = classSpace
		case unicode.IsLetter(r):
			t[i] = classLetter
		case unicode.IsNumber(r):
			t[i] = classNumber
		default:
			t[i] = classOther
		}
	}
	return t
}()

func classOf(s string, i int) (charClass, int) {
	if c := s[i]; c < utf8.RuneSelf {
		return asciiClass[c], 1
	}
	r, n := utf8.DecodeRuneInString(s[i:])
	switch {
	case unicode.IsLetter(r):
		return classLetter, n
	case unicode.IsNumber(r):
		return classNumber, n
	case IsSplitSpace(r):
		return classSpace, n
	}
	return classOther, n
}

// runOf returns the end of the run of class c that starts at i.
func runOf(s string, i int, c charClass) int {
	for i < len(s) {
		k, n := classOf(s, i)
		if k != c {
			break
		}
		i += n
	}
	return i
}

// contraction returns the length of the contraction ('s 't 're 've 'm 'll 'd) at i, or 0.
func contraction(s string, i int) int {
	if s[i] != '\'' || i+1 >= len(s) {
		return 0
	}
	switch s[i+1] {
	case 's', 't', 'm', 'd':
		return 2
	case 'r', 'v':
		if i+2 < len(s) && s[i+2] == 'e' {
			return 3
		}
	case 'l':
		if i+2 < len(s) && s[i+2] == 'l' {
			return 3
		}
	}
	return 0
}

// SplitGPT2 calls emit with the start and end byte offsets of each piece of s
// under the GPT-2 split pattern, in order. The pieces cover s exactly. s must
// be valid UTF-8.
func SplitGPT2(s string, emit func(start, end int)) {
	for i := 0; i < len(s); {
		end := gpt2Piece(s, i)
		emit(i, end)
		i = end
	}
}

// gpt2Piece returns the end of the match of the split pattern at i.
func gpt2Piece(s string, i int) int {
	if n := contraction(s, i); n > 0 {
		return i + n
	}
	c, n := classOf(s, i)
	if c == classSpace {
		// ` ?\p{L}+`, ` ?\p{N}+` and ` ?[^\s\p{L}\p{N}]+` with the space.
		if s[i] == ' ' && i+1 < len(s) {
			if next, _ := classOf(s, i+1); next != classSpace {
				return runOf(s, i+1, next)
			}
		}
		// `\s+(?!\S)`: the whole run when it ends the text, else the run
		// without its last character (the backtracking step); a run of one
		// followed by a non-space falls through to `\s+`.
		end := runOf(s, i, classSpace)
		if end == len(s) {
			return end
		}
		_, lastLen := utf8.DecodeLastRuneInString(s[:end])
		if end-lastLen > i {
			return end - lastLen
		}
		return end
	}
	return runOf(s, i+n, c)
}
