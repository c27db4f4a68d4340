package tokenize

import (
	"fmt"
	"slices"

	"github.com/sugarme/tokenizer/util"
)

// EncodeOffsets returns the token ids of text (without special tokens) and,
// per token, its [start, end) byte offsets in text. It runs the engine's
// offset-tracking pipeline, slower than Encode; the ids are checked against
// Encode's, so both paths always agree.
func (t *Tokenizer) EncodeOffsets(text string) (ids []int, offsets [][2]int, err error) {
	defer func() {
		if r := recover(); r != nil {
			ids, offsets, err = nil, nil, fmt.Errorf("tokenizer engine: %v", r)
		}
	}()
	valid := util.ValidUTF8String(text)
	enc, err := t.tk.EncodeSingle(valid, false)
	if err != nil {
		return nil, nil, err
	}
	want, err := t.Encode(text, false)
	if err != nil {
		return nil, nil, err
	}
	if !slices.Equal(enc.Ids, want) {
		return nil, nil, fmt.Errorf("offsets: the engine's offset-tracking path gives other ids than Encode for this text")
	}
	offsets = make([][2]int, len(enc.Offsets))
	for i, o := range enc.Offsets {
		if len(o) == 2 {
			offsets[i] = [2]int{o[0], o[1]}
		}
	}
	return want, offsets, nil
}
