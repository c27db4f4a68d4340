package normalizer

import (
	"golang.org/x/text/unicode/norm"
)

type Normalizer interface {
	Normalize(normalized *NormalizedString) (*NormalizedString, error)
}

// StringNormalizer is a Normalizer that can also work on a plain string,
// without alignment tracking, giving the same normalized text (dpokit patch:
// used by Tokenizer.EncodeIDs). CanNormalizeString reports whether it can
// for its configuration.
type StringNormalizer interface {
	NormalizeString(s string) string
	CanNormalizeString() bool
}

// AsStringNormalizer returns n as a StringNormalizer when it can normalize plain strings.
func AsStringNormalizer(n Normalizer) (StringNormalizer, bool) {
	sn, ok := n.(StringNormalizer)
	if !ok || !sn.CanNormalizeString() {
		return nil, false
	}
	return sn, true
}

type normalizer struct {
	Normalizer Normalizer
}

func newNormalizer(opts ...DefaultOption) *normalizer {
	n := NewDefaultNormalizer()
	for _, opt := range opts {
		opt(n)
	}
	return &normalizer{
		Normalizer: n,
	}
}

func (n *normalizer) Normalize(normalized *NormalizedString) (*NormalizedString, error) {

	return normalized, nil
}

type Option func(*normalizer)

// WithBertNormalizer creates normalizer with BERT normalization features.
func WithBertNormalizer(cleanText, lowercase, handleChineseChars, stripAccents bool) Option {
	return func(o *normalizer) {
		NewBertNormalizer(cleanText, lowercase, handleChineseChars, stripAccents)
	}
}

// WithUnicodeNormalizer creates normalizer with one of unicode NFD, NFC, NFKD, or NFKC normalization feature.
func WithUnicodeNormalizer(form norm.Form) Option {
	return func(o *normalizer) {
		NewUnicodeNormalizer(form)
	}

}

func NewNormalizer(opts ...Option) Normalizer {

	nml := newNormalizer()

	for _, o := range opts {
		o(nml)
	}

	return nml
}

// Lowercase creates a lowercase normalizer
func Lowercase() Normalizer {
	n := NewDefaultNormalizer()
	n.lower = true
	n.strip = false

	return n
}
