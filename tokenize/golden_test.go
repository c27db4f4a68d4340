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

// The goldens are written by scripts/tokenize/reference.mjs with Hugging
// Face's Rust library (npm tokenizers); the corpus by
// scripts/tokenize/gencorpus.go.
const testdata = "../testdata/tokenize"

// families have their tokenizer files and goldens committed in testdata.
var families = []string{"gpt2", "llama-sp"}

// downloadedFamilies are the real tokenizers that scripts/fetch/tokenizers.sh
// fetches into .cache/tokenizers; their goldens are generated into
// .cache/tokenize-golden by the tests (see golden_cache_test.go).
var downloadedFamilies = []string{"qwen3", "llama3", "llama3_1", "gemma3", "gemma2", "deepseek_v3", "gpt4o", "gptoss", "llama2"}

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

type goldenFile struct {
	CorpusSHA256    string         `json:"corpus_sha256"`
	TokenizerSHA256 string         `json:"tokenizer_sha256"`
	Records         []goldenRecord `json:"records"`
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

// loadGolden reads the goldens of family, generating them first for a
// downloaded family, and checks that they were made from this corpus and
// tokenizer.
func loadGolden(t testing.TB, family string) []goldenRecord {
	t.Helper()
	path := filepath.Join(testdata, "golden-"+family+".json.gz")
	if !slices.Contains(families, family) {
		path = cachedGolden(t, family)
	}
	var g goldenFile
	readGzipJSON(t, path, &g)
	if want := fileSHA256(t, filepath.Join(testdata, "corpus.json.gz")); g.CorpusSHA256 != want {
		t.Fatalf("%s was made from another corpus: regenerate it (bash scripts/tokenize/golden.sh)", path)
	}
	if want := fileSHA256(t, filepath.Join(familyDir(t, family), "tokenizer.json")); g.TokenizerSHA256 != want {
		t.Fatalf("%s was made from another tokenizer.json: regenerate it (bash scripts/tokenize/golden.sh)", path)
	}
	return g.Records
}

var tokenizers sync.Map // family → *Tokenizer

// loadFamily loads a committed or downloaded tokenizer once per test binary.
func loadFamily(t testing.TB, family string) *Tokenizer {
	t.Helper()
	if v, ok := tokenizers.Load(family); ok {
		return v.(*Tokenizer)
	}
	tk, err := Load(familyDir(t, family))
	if err != nil {
		t.Fatal(err)
	}
	tokenizers.Store(family, tk)
	return tk
}

// TestGolden holds Encode and Decode to Hugging Face's Rust library on every
// corpus text, for every tokenizer family.
func TestGolden(t *testing.T) {
	corpus := loadCorpus(t)
	if len(corpus) < 3000 {
		t.Fatalf("corpus has %d texts, want at least 3000", len(corpus))
	}
	for _, family := range slices.Concat(families, downloadedFamilies, variantNames) {
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
