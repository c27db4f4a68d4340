package tokenize

import (
	"compress/gzip"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"

	"github.com/sugarme/tokenizer/util"
)

// The goldens are written by scripts/tokenize/golden.mjs with Hugging Face's
// own JavaScript implementation; the corpus by scripts/tokenize/gencorpus.go.
const testdata = "../testdata/tokenize"

var families = []string{"gpt2", "llama-sp"}

type corpusEntry struct {
	Kind string  `json:"kind"`
	Text *string `json:"text"`
	B64  string  `json:"b64"`
}

// corpusText is one text of the corpus; raw holds invalid UTF-8 as is.
type corpusText struct {
	kind string
	raw  string
}

type goldenRecord struct {
	IDs     []int   `json:"ids"`
	Pre     []int   `json:"pre"`
	Suf     []int   `json:"suf"`
	Special []int   `json:"special"`
	Dec     *string `json:"dec"`
	DecSkip *string `json:"dec_skip"`
}

func (g goldenRecord) withSpecial() []int {
	if g.Special != nil {
		return g.Special
	}
	return slices.Concat(g.Pre, g.IDs, g.Suf)
}

func readGzipJSON(t testing.TB, path string, v any) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if err := json.NewDecoder(zr).Decode(v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

var corpusOnce = sync.OnceValues(func() ([]corpusText, error) {
	f, err := os.Open(filepath.Join(testdata, "corpus.json.gz"))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return nil, err
	}
	var c struct {
		Entries []corpusEntry `json:"entries"`
	}
	if err := json.NewDecoder(zr).Decode(&c); err != nil {
		return nil, err
	}
	out := make([]corpusText, len(c.Entries))
	for i, e := range c.Entries {
		switch {
		case e.Text != nil:
			out[i] = corpusText{kind: e.Kind, raw: *e.Text}
		default:
			b, err := base64.StdEncoding.DecodeString(e.B64)
			if err != nil {
				return nil, fmt.Errorf("corpus entry %d: %w", i, err)
			}
			out[i] = corpusText{kind: e.Kind, raw: string(b)}
		}
	}
	return out, nil
})

func loadCorpus(t testing.TB) []corpusText {
	t.Helper()
	c, err := corpusOnce()
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func loadGolden(t testing.TB, family string) []goldenRecord {
	t.Helper()
	var g struct {
		Family  string         `json:"family"`
		Records []goldenRecord `json:"records"`
	}
	readGzipJSON(t, filepath.Join(testdata, "golden-"+family+".json.gz"), &g)
	return g.Records
}

var tokenizers sync.Map // family → *Tokenizer

func loadFamily(t testing.TB, family string) *Tokenizer {
	t.Helper()
	if v, ok := tokenizers.Load(family); ok {
		return v.(*Tokenizer)
	}
	tk, err := Load(filepath.Join(testdata, family))
	if err != nil {
		t.Fatal(err)
	}
	tokenizers.Store(family, tk)
	return tk
}

// TestGolden holds Encode and Decode to Hugging Face's outputs on every corpus
// text, for both tokenizer families.
func TestGolden(t *testing.T) {
	corpus := loadCorpus(t)
	if len(corpus) < 2000 {
		t.Fatalf("corpus has %d texts, want at least 2000", len(corpus))
	}
	for _, family := range families {
		t.Run(family, func(t *testing.T) {
			tk := loadFamily(t, family)
			golden := loadGolden(t, family)
			if len(golden) != len(corpus) {
				t.Fatalf("%d golden records for %d texts: regenerate the goldens", len(golden), len(corpus))
			}
			var failed, roundTrips int
			report := func(i int, format string, args ...any) {
				failed++
				if failed <= 15 {
					t.Errorf("text %d (%s) %q: %s", i, corpus[i].kind, clip(corpus[i].raw), fmt.Sprintf(format, args...))
				}
			}
			for i, c := range corpus {
				g := golden[i]
				ids, err := tk.Encode(c.raw, false)
				if err != nil {
					report(i, "Encode: %v", err)
					continue
				}
				if !slices.Equal(ids, g.IDs) {
					report(i, "Encode without special tokens:\n got %v %q\nwant %v %q", ids, tk.Tokens(ids), g.IDs, tk.Tokens(g.IDs))
					continue
				}
				want := g.withSpecial()
				ids, err = tk.Encode(c.raw, true)
				if err != nil {
					report(i, "Encode: %v", err)
					continue
				}
				if !slices.Equal(ids, want) {
					report(i, "Encode with special tokens:\n got %v\nwant %v", ids, want)
					continue
				}
				if g.Dec == nil {
					continue
				}
				dec, err := tk.Decode(want, false)
				if err != nil || dec != *g.Dec {
					report(i, "Decode: got %q, %v; want %q", dec, err, *g.Dec)
				}
				dec, err = tk.Decode(want, true)
				if err != nil || dec != *g.DecSkip {
					report(i, "Decode skipping special tokens: got %q, %v; want %q", dec, err, *g.DecSkip)
				}
				// Where Hugging Face gets the text back, so must we, from
				// the ids without special tokens too.
				if *g.DecSkip == util.ValidUTF8String(c.raw) {
					roundTrips++
					plain, _ := tk.Encode(c.raw, false)
					if dec, err := tk.Decode(plain, false); err != nil || dec != *g.DecSkip {
						report(i, "Decode(Encode(text)) = %q, %v; want the text back", dec, err)
					}
				}
			}
			t.Logf("%s: %d texts, %d of them round-trip through Hugging Face's encode and decode", family, len(corpus), roundTrips)
			if failed > 0 {
				t.Errorf("%d of %d texts differ from Hugging Face", failed, len(corpus))
			}
		})
	}
}

func clip(s string) string {
	if len(s) > 120 {
		return s[:120] + "…"
	}
	return s
}
