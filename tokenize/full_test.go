package tokenize

import (
	"slices"
	"testing"

	"github.com/sugarme/tokenizer/util"
)

// TestEnginePipeline holds the engine's offset-tracking Encode (which the
// package uses for tokenizers whose components have no string-level form) to
// the goldens as well, so that both paths of the patched engine are checked.
// It is slow (the offset bookkeeping); -short checks every 16th text.
func TestEnginePipeline(t *testing.T) {
	corpus := loadCorpus(t)
	step := 1
	if testing.Short() {
		step = 16
	}
	for _, family := range families {
		t.Run(family, func(t *testing.T) {
			tk := loadFamily(t, family)
			golden := loadGolden(t, family)
			failed := 0
			for i := 0; i < len(corpus); i += step {
				c := corpus[i]
				enc, err := tk.tk.EncodeSingle(util.ValidUTF8String(c.raw), false)
				if err != nil || !slices.Equal(enc.Ids, golden[i].IDs) {
					failed++
					if failed <= 10 {
						t.Errorf("text %d (%s) %q: engine Encode = %v, %v; want %v", i, c.kind, clip(c.raw), enc.Ids, err, golden[i].IDs)
					}
				}
			}
			if failed > 0 {
				t.Errorf("%d texts differ", failed)
			}
		})
	}
}
