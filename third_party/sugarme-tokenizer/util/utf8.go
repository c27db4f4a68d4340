package util

import "unicode/utf8"

// ToValidUTF8 returns b as a string with each maximal invalid subsequence
// replaced by one U+FFFD, as the WHATWG UTF-8 decoder (JavaScript's
// TextDecoder) and Rust's String::from_utf8_lossy do. (strings.ToValidUTF8
// replaces a whole run of invalid bytes with one U+FFFD instead.)
// dpokit patch.
func ToValidUTF8(b []byte) string {
	if utf8.Valid(b) {
		return string(b)
	}
	out := make([]byte, 0, len(b)+8)
	for i := 0; i < len(b); {
		r, n := utf8.DecodeRune(b[i:])
		if r != utf8.RuneError || n > 1 {
			out = append(out, b[i:i+n]...)
			i += n
			continue
		}
		out = append(out, "\uFFFD"...)
		i += MaximalSubpart(b[i:])
	}
	return string(out)
}

// ValidUTF8String is ToValidUTF8 for a string; it returns s itself when valid.
func ValidUTF8String(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	return ToValidUTF8([]byte(s))
}

// MaximalSubpart returns the length (≥ 1) of the maximal subpart of an
// ill-formed UTF-8 sequence at the start of b: the longest prefix that starts
// a well-formed sequence (Unicode §3.9, "U+FFFD substitution of maximal
// subparts").
func MaximalSubpart(b []byte) int {
	if len(b) == 0 {
		return 0
	}
	c := b[0]
	var need int
	lo, hi := byte(0x80), byte(0xBF)
	switch {
	case c >= 0xC2 && c <= 0xDF:
		need = 1
	case c == 0xE0:
		need, lo = 2, 0xA0
	case c >= 0xE1 && c <= 0xEC, c == 0xEE, c == 0xEF:
		need = 2
	case c == 0xED:
		need, hi = 2, 0x9F
	case c == 0xF0:
		need, lo = 3, 0x90
	case c >= 0xF1 && c <= 0xF3:
		need = 3
	case c == 0xF4:
		need, hi = 3, 0x8F
	default:
		return 1
	}
	n := 1
	for k := 0; k < need && n < len(b); k++ {
		if b[n] < lo || b[n] > hi {
			break
		}
		n++
		lo, hi = 0x80, 0xBF
	}
	return n
}
