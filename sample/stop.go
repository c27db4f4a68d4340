package sample

import (
	"fmt"
	"slices"
	"strings"
)

// finish decides whether r's newest token ends it and, if so, records its
// Completion. Order of checks: EOS id, stop token, stop string, then
// length (MaxNewTokens or the model's context).
func (g *generator) finish(r *row) (bool, error) {
	o := g.opts
	gen := r.completion()
	last := gen[len(gen)-1]
	reason, cut := "", -1
	var text string
	var err error
	allowed := len(gen) >= o.MinNewTokens
	switch {
	case allowed && slices.Contains(o.EOS, last):
		reason = FinishEOS
	case allowed && slices.Contains(o.StopTokens, last):
		reason = FinishStop
	case allowed && len(o.StopStrings) > 0:
		if r.minEnd < 0 {
			// Stop strings must end in the text of token MinNewTokens or later.
			r.minEnd = 0
			if o.MinNewTokens > 1 {
				head, err := g.decode(r, gen[:o.MinNewTokens-1])
				if err != nil {
					return false, err
				}
				r.minEnd = len(head)
			}
		}
		if text, err = g.decode(r, gen); err != nil {
			return false, err
		}
		if cut = firstStop(text, o.StopStrings, r.minEnd); cut >= 0 {
			reason = FinishStop
		}
	}
	if reason == "" && (len(gen) == o.MaxNewTokens || g.ctxLen > 0 && len(r.ids) >= g.ctxLen) {
		reason = FinishLength
	}
	if reason == "" {
		return false, nil
	}
	c := Completion{TokenIDs: slices.Clone(gen), Logp: r.logp, FinishReason: reason}
	if g.dec != nil {
		switch {
		case cut >= 0:
			c.Text = text[:cut]
		case reason == FinishEOS || reason == FinishStop:
			c.Text, err = g.decode(r, gen[:len(gen)-1])
		case text != "":
			c.Text = text
		default:
			c.Text, err = g.decode(r, gen)
		}
		if err != nil {
			return false, err
		}
	}
	g.out[r.prompt][r.sample] = c
	return true, nil
}

func (g *generator) decode(r *row, ids []int) (string, error) {
	s, err := g.dec.Decode(ids, true)
	if err != nil {
		return "", fmt.Errorf("decode completion %d of prompt %d: %w", r.sample, r.prompt, err)
	}
	return s, nil
}

// firstStop returns where the earliest stop string that ends after byte
// minEnd begins in text, or -1.
func firstStop(text string, stops []string, minEnd int) int {
	at := -1
	for _, s := range stops {
		from := max(0, minEnd-len(s)+1)
		if from > len(text) {
			continue
		}
		if i := strings.Index(text[from:], s); i >= 0 && (at < 0 || from+i < at) {
			at = from + i
		}
	}
	return at
}
