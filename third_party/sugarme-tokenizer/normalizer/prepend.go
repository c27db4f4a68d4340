package normalizer

// Prepend creates a normalizer that strip the normalized string inplace.
type Prepend struct {
	Prepend string `json:"prepend"`
}

func NewPrepend(prepend string) *Prepend {
	return &Prepend{prepend}
}

// Implement Normalizer for Prepend
func (p *Prepend) Normalize(normalized *NormalizedString) (*NormalizedString, error) {
	if normalized.IsEmpty() {
		return normalized, nil // dpokit patch: upstream returned nil
	}

	return normalized.Prepend(p.Prepend), nil
}

// NormalizeString prepends to a non-empty string (dpokit patch).
func (p *Prepend) NormalizeString(s string) string {
	if s == "" {
		return s
	}
	return p.Prepend + s
}

func (p *Prepend) CanNormalizeString() bool { return true }
