package tokenize

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// Variants of the committed tokenizers with added tokens that use every
// AddedToken option (lstrip, rstrip, single_word, normalized, special), which
// none of the real families' files exercises fully. They are written into
// .cache/tokenize-variants by the tests and held to the Rust library like
// the downloaded families (their goldens are generated the same way).
var variantFamilies = map[string]struct {
	base  string
	added []variantToken
}{
	"gpt2-flags": {"gpt2", []variantToken{
		{Content: "<|lstrip|>", LStrip: true},
		{Content: "<|rstrip|>", RStrip: true},
		{Content: "<|strip|>", LStrip: true, RStrip: true, Special: true},
		{Content: "Hello", SingleWord: true},
		{Content: "ing", SingleWord: true, Normalized: true},
		{Content: "world"},
	}},
	"llama-sp-flags": {"llama-sp", []variantToken{
		{Content: "hello world", Normalized: true},
		{Content: " Assistant:", Normalized: true, LStrip: true},
		{Content: "<|lstrip|>", LStrip: true, Special: true},
		{Content: "<|rstrip|>", RStrip: true, Normalized: true},
		{Content: "ing", SingleWord: true, Normalized: true},
		{Content: "Hello", SingleWord: true},
	}},
}

// variantNames lists the variants in a fixed order.
var variantNames = []string{"gpt2-flags", "llama-sp-flags"}

type variantToken struct {
	ID         int    `json:"id"`
	Content    string `json:"content"`
	SingleWord bool   `json:"single_word"`
	LStrip     bool   `json:"lstrip"`
	RStrip     bool   `json:"rstrip"`
	Normalized bool   `json:"normalized"`
	Special    bool   `json:"special"`
}

// variantDir writes the variant's files (deterministically, so that their
// hash names its goldens) and returns their directory.
func variantDir(t testing.TB, name string) string {
	t.Helper()
	v := variantFamilies[name]
	base := filepath.Join(testdata, v.base)
	raw, err := os.ReadFile(filepath.Join(base, "tokenizer.json"))
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]json.RawMessage
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	var added []variantToken
	if err := json.Unmarshal(doc["added_tokens"], &added); err != nil {
		t.Fatal(err)
	}
	var model struct {
		Vocab map[string]int `json:"vocab"`
	}
	if err := json.Unmarshal(doc["model"], &model); err != nil {
		t.Fatal(err)
	}
	next := len(model.Vocab)
	for _, a := range added {
		next = max(next, a.ID+1)
	}
	for i, a := range v.added {
		a.ID = next + i
		added = append(added, a)
	}
	if doc["added_tokens"], err = json.Marshal(added); err != nil {
		t.Fatal(err)
	}
	out, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(repoRoot, ".cache/tokenize-variants", name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{"tokenizer.json": out}
	for _, f := range []string{"tokenizer_config.json", "special_tokens_map.json"} {
		if files[f], err = os.ReadFile(filepath.Join(base, f)); err != nil {
			t.Fatal(err)
		}
	}
	for f, b := range files {
		if old, err := os.ReadFile(filepath.Join(dir, f)); err == nil && string(old) == string(b) {
			continue
		}
		tmp := filepath.Join(dir, f+".tmp")
		if err := os.WriteFile(tmp, b, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(tmp, filepath.Join(dir, f)); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}
