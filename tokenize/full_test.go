package tokenize

import (
	"slices"
	"testing"

	"github.com/sugarme/tokenizer/util"
)

func TestFullPipelineTmp(t *testing.T) {
	corpus := loadCorpus(t)
	for _, family := range families {
		tk := loadFamily(t, family)
		golden := loadGolden(t, family)
		failed := 0
		for i, c := range corpus {
			func() {
				defer func() {
					if r := recover(); r != nil {
						failed++
						if failed < 6 {
							t.Errorf("%s %d %q: panic %v", family, i, clip(c.raw), r)
						}
					}
				}()
				enc, err := tk.tk.EncodeSingle(util.ValidUTF8String(c.raw), false)
				if err != nil || !slices.Equal(enc.Ids, golden[i].IDs) {
					failed++
					if failed < 6 {
						t.Errorf("%s %d %q: got %v want %v", family, i, clip(c.raw), enc.Ids, golden[i].IDs)
					}
				}
			}()
		}
		t.Logf("%s: %d failures", family, failed)
	}
}
