package pretrained

import (
	"github.com/sugarme/tokenizer"
)

func CreateAddedTokens(data []tokenizer.TokenConfig) (specialToks, toks []tokenizer.AddedToken) {
	for _, d := range data {
		tok := tokenizer.DefaultAddedToken()
		tok.Content = d.Content
		tok.LStrip = d.Lstrip
		tok.Normalized = d.Normalized
		tok.RStrip = d.Rstrip
		tok.SingleWord = d.SingleWord

		if d.Special {
			specialToks = append(specialToks, tok)
		} else {
			toks = append(toks, tok)
		}
	}

	return specialToks, toks
}

// CreateAddedTokensWithIDs returns the added tokens of tokenizer.json with their ids (dpokit patch).
func CreateAddedTokensWithIDs(data []tokenizer.TokenConfig) []tokenizer.AddedTokenWithId {
	out := make([]tokenizer.AddedTokenWithId, 0, len(data))
	for _, d := range data {
		tok := tokenizer.DefaultAddedToken()
		tok.Content = d.Content
		tok.LStrip = d.Lstrip
		tok.Normalized = d.Normalized
		tok.RStrip = d.Rstrip
		tok.SingleWord = d.SingleWord
		out = append(out, tokenizer.AddedTokenWithId{Id: int(d.Id), Special: d.Special, Token: tok})
	}
	return out
}
