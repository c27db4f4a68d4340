package tokenize

import (
	"slices"
	"testing"

	"github.com/sugarme/tokenizer/util"
)

// TestEnginePipeline holds the engine's offset-tracking Encode (which the
// package uses for tokenizers whose components have no string-level form) to
// the goldens as well, so that both paths of the patched engine are checked.
// It is slow (the offset bookkeeping is quadratic in the number of
// normalizer replacements), so texts over 2,000 bytes are checked one in
// four, and -short checks one text in 16; the downloaded families, one text
// in 8 (16 with -short).
func TestEnginePipeline(t *testing.T) {
	corpus := loadCorpus(t)
	for _, family := range allFamilies() {
		step := 1
		if !slices.Contains(families, family) {
			step = 8
		}
		if testing.Short() {
			step *= 16 / step
		}
		t.Run(family, func(t *testing.T) {
			tk := loadFamily(t, family)
			golden := loadGolden(t, family)
			failed, checked := 0, 0
			for i := 0; i < len(corpus); i += step {
				c := corpus[i]
				if len(c.raw) > 2000 && i%4 != 0 {
					continue
				}
				checked++
				enc, err := tk.tk.EncodeSingle(util.ValidUTF8String(c.raw), false)
				if err != nil || !slices.Equal(enc.Ids, golden[i].IDs) {
					failed++
					if failed <= 10 {
						t.Errorf("text %d (%s) %q: engine Encode = %v, %v; want %v", i, c.kind, clip(c.raw), enc.Ids, err, golden[i].IDs)
					}
				}
			}
			if failed > 0 {
				t.Errorf("%d of %d texts differ", failed, checked)
			}
		})
	}
}
