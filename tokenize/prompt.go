package tokenize

import "strings"

// EncodePrompt encodes a prompt with the tokenizer's special tokens (BOS as
// the config says), unless the text already begins with the BOS token's
// text, as a rendered chat template may: BOS is then not added twice.
func (t *Tokenizer) EncodePrompt(text string) ([]int, error) {
	addSpecial := true
	if bos, ok := t.BOS(); ok {
		if s := t.Tokens([]int{bos}); len(s) == 1 && s[0] != "" && strings.HasPrefix(text, s[0]) {
			addSpecial = false
		}
	}
	return t.Encode(text, addSpecial)
}
