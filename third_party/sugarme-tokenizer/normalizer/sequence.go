package normalizer

import ()

// Sequence wraps a slice of normalizers to normalize
// string in sequence.
type Sequence struct {
	Normalizers []Normalizer `json:"normalizers"`
}

func NewSequence(norms []Normalizer) *Sequence {
	return &Sequence{norms}
}

// Implement Normalizer for Sequence
func (s *Sequence) Normalize(normalized *NormalizedString) (*NormalizedString, error) {
	input := normalized
	var err error
	for _, n := range s.Normalizers {
		input, err = n.Normalize(input)
		if err != nil {
			return nil, err
		}
	}

	return input, nil
}

// NormalizeString applies the normalizers in order to a plain string (dpokit patch).
func (s *Sequence) NormalizeString(str string) string {
	for _, n := range s.Normalizers {
		str = n.(StringNormalizer).NormalizeString(str)
	}
	return str
}

func (s *Sequence) CanNormalizeString() bool {
	for _, n := range s.Normalizers {
		if _, ok := AsStringNormalizer(n); !ok {
			return false
		}
	}
	return true
}
