package tokenize

import (
	"bytes"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestParityBugs pins the inputs that upstream sugarme/tokenizer v0.3.0
// tokenized differently from Hugging Face, one per bug (see
// third_party/sugarme-tokenizer/NOTES.md). The ids are Hugging Face's.
func TestParityBugs(t *testing.T) {
	cases := []struct {
		name, family, text string
		want               []int
	}{
		// Whitespace alternatives of the GPT-2 split pattern (\s+(?!\S)|\s+).
		{"newlines before a word", "gpt2", "\n\nHuman:", []int{198, 198, 20490, 25}},
		{"spaces before a word", "gpt2", "  \n\nHuman:  hi", []int{220, 220, 198, 198, 20490, 25, 220, 23105}},
		{"trailing spaces", "gpt2", "trailing   ", []int{9535, 4386, 220, 220, 220}},
		// Merge order among pairs of equal rank: leftmost first.
		{"repeated letters", "gpt2", "Uhhh", []int{52, 49126}},
		{"repeated stars", "gpt2", "N****", []int{45, 2466}},
		{"repeated dots", "gpt2", "......", []int{16317}},
		{"number", "gpt2", " 2000", []int{4751}},
		// Added tokens kept through pre-tokenization and found leftmost-longest.
		{"special token in text", "gpt2", "a<|endoftext|>b", []int{64, 50256, 65}},
		{"added tokens", "llama-sp", "<|user|>\nhi<|end|>\n<|assistant|>\n", []int{32010, 29871, 13, 2918, 32007, 29871, 13, 32001}},
		// rstrip of </s> eats the spaces after it.
		{"rstrip", "llama-sp", "</s>  two spaces", []int{2, 1023, 8162}},
		// Byte fallback for characters outside the vocabulary.
		{"byte fallback", "llama-sp", "𝔘", []int{29871, 243, 160, 151, 155}},
		// Prepend normalizer of an empty piece.
		{"empty", "llama-sp", "", nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tk := loadFamily(t, c.family)
			got, err := tk.Encode(c.text, false)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, c.want) {
				t.Errorf("Encode(%q) = %v %q, want %v %q", c.text, got, tk.Tokens(got), c.want, tk.Tokens(c.want))
			}
		})
	}
}

// TestInvalidUTF8 checks that invalid bytes become U+FFFD exactly as a
// JavaScript TextDecoder replaces them: one per maximal invalid subsequence.
func TestInvalidUTF8(t *testing.T) {
	cases := []struct{ in, same string }{
		{"\xff", "\uFFFD"},
		{"a\xffb", "a\uFFFDb"},
		{"\xe2\x82", "\uFFFD"},                 // truncated 3-byte sequence: one
		{"\xe2\x82(", "\uFFFD("},               // truncated, then ASCII
		{"\xed\xa0\x80", "\uFFFD\uFFFD\uFFFD"}, // surrogate: each byte
		{"\xc0\xaf", "\uFFFD\uFFFD"},           // overlong: each byte
		{"\xf0\x9f\x98", "\uFFFD"},             // truncated 4-byte sequence
		{"\xf0\x9f\x98\x80\xf0\x9f", "😀\uFFFD"},
		{"\xf4\x90\x80\x80", "\uFFFD\uFFFD\uFFFD\uFFFD"}, // above U+10FFFF
		{"\xc3\xc3", "\uFFFD\uFFFD"},
	}
	for _, family := range families {
		tk := loadFamily(t, family)
		for _, c := range cases {
			got, err := tk.Encode(c.in, true)
			if err != nil {
				t.Fatal(err)
			}
			want, _ := tk.Encode(c.same, true)
			if !slices.Equal(got, want) {
				t.Errorf("%s: Encode(%q) = %v, want Encode(%q) = %v", family, c.in, got, c.same, want)
			}
		}
	}
}

func TestSpecialTokens(t *testing.T) {
	gpt2 := loadFamily(t, "gpt2")
	if id, ok := gpt2.BOS(); !ok || id != 50256 {
		t.Errorf("gpt2 BOS = %d, %v; want 50256, true", id, ok)
	}
	if eos := gpt2.EOS(); !slices.Equal(eos, []int{50256}) {
		t.Errorf("gpt2 EOS = %v, want [50256]", eos)
	}
	a, _ := gpt2.Encode("Hello", true)
	b, _ := gpt2.Encode("Hello", false)
	if !slices.Equal(a, b) {
		t.Errorf("gpt2 adds no special tokens: %v vs %v", a, b)
	}

	llama := loadFamily(t, "llama-sp")
	if id, ok := llama.BOS(); !ok || id != 1 {
		t.Errorf("llama-sp BOS = %d, %v; want 1, true", id, ok)
	}
	if eos := llama.EOS(); !slices.Equal(eos, []int{32000}) {
		t.Errorf("llama-sp EOS = %v, want [32000]", eos)
	}
	a, _ = llama.Encode("Hello", true)
	if !slices.Equal(a, []int{1, 15043}) {
		t.Errorf("llama-sp Encode(Hello, true) = %v, want [1 15043]", a)
	}
	if s, _ := llama.Decode([]int{1, 15043, 32000}, true); s != "Hello" {
		t.Errorf("Decode skipping special = %q, want Hello", s)
	}
	if s, _ := llama.Decode([]int{1, 15043, 32000}, false); s != "<s> Hello<|endoftext|>" {
		t.Errorf("Decode = %q, want %q", s, "<s> Hello<|endoftext|>")
	}
}

// copyDir copies the files of a testdata family into a temporary directory,
// replacing the ones in replace (name → content; "" removes the file).
func copyDir(t *testing.T, family string, replace map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	entries, err := os.ReadDir(filepath.Join(testdata, family))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(testdata, family, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, e.Name()), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for name, content := range replace {
		path := filepath.Join(dir, name)
		if content == "" {
			os.Remove(path)
			continue
		}
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// TestConfigRules covers the BOS/EOS rules of tokenizer_config.json and the
// forms its fields take.
func TestConfigRules(t *testing.T) {
	t.Run("add_eos_token overrides the post-processor", func(t *testing.T) {
		dir := copyDir(t, "llama-sp", map[string]string{
			"tokenizer_config.json": `{"add_bos_token": false, "add_eos_token": true, "bos_token": "<s>",
				"eos_token": {"content": "<|endoftext|>", "lstrip": false}}`,
		})
		tk, err := Load(dir)
		if err != nil {
			t.Fatal(err)
		}
		got, _ := tk.Encode("Hello", true)
		if !slices.Equal(got, []int{15043, 32000}) {
			t.Errorf("Encode = %v, want [15043 32000]", got)
		}
	})
	t.Run("post-processor alone", func(t *testing.T) {
		dir := copyDir(t, "llama-sp", map[string]string{"tokenizer_config.json": "", "special_tokens_map.json": ""})
		tk, err := Load(dir)
		if err != nil {
			t.Fatal(err)
		}
		got, _ := tk.Encode("Hello", true)
		if !slices.Equal(got, []int{1, 15043}) {
			t.Errorf("Encode = %v, want [1 15043] from the TemplateProcessing post-processor", got)
		}
		if _, ok := tk.BOS(); ok || len(tk.EOS()) != 0 || tk.HasChatTemplate() {
			t.Errorf("without config files: BOS, EOS and chat template are unknown")
		}
	})
	t.Run("special_tokens_map fills in", func(t *testing.T) {
		dir := copyDir(t, "llama-sp", map[string]string{"tokenizer_config.json": ""})
		tk, err := Load(dir)
		if err != nil {
			t.Fatal(err)
		}
		if id, ok := tk.BOS(); !ok || id != 1 || !slices.Equal(tk.EOS(), []int{32000}) {
			t.Errorf("BOS %d %v, EOS %v; want 1 true [32000]", id, ok, tk.EOS())
		}
	})
	t.Run("several eos tokens", func(t *testing.T) {
		dir := copyDir(t, "llama-sp", map[string]string{
			"tokenizer_config.json":   `{"eos_token": "<|end|>"}`,
			"special_tokens_map.json": `{"eos_token": "<|endoftext|>"}`,
		})
		tk, err := Load(dir)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(tk.EOS(), []int{32007, 32000}) {
			t.Errorf("EOS = %v, want [32007 32000]", tk.EOS())
		}
	})
	t.Run("named chat templates", func(t *testing.T) {
		dir := copyDir(t, "gpt2", map[string]string{
			"tokenizer_config.json": `{"chat_template": [{"name": "tool_use", "template": "T"}, {"name": "default", "template": "D{{ messages[-1].content }}"}]}`,
		})
		tk, err := Load(dir)
		if err != nil {
			t.Fatal(err)
		}
		out, err := tk.ApplyChatTemplate([]Message{{Role: "user", Content: "x"}}, false)
		if err != nil || out != "Dx" {
			t.Errorf("ApplyChatTemplate = %q, %v; want Dx", out, err)
		}
	})
	t.Run("bad config", func(t *testing.T) {
		dir := copyDir(t, "gpt2", map[string]string{"tokenizer_config.json": `{"eos_token": 5}`})
		if _, err := Load(dir); err == nil || !strings.Contains(err.Error(), "tokenizer_config.json") {
			t.Errorf("Load = %v, want an error naming tokenizer_config.json", err)
		}
	})
}

func TestLoadErrors(t *testing.T) {
	_, err := Load(filepath.Join(t.TempDir(), "missing"))
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Load(missing dir) = %v, want fs.ErrNotExist", err)
	}
	dir := copyDir(t, "gpt2", map[string]string{"tokenizer.json": `{"model": `})
	if _, err := Load(dir); err == nil || !strings.Contains(err.Error(), "tokenizer.json") {
		t.Errorf("Load(bad tokenizer.json) = %v, want an error naming the file", err)
	}
}

func TestVocabAndTokens(t *testing.T) {
	gpt2 := loadFamily(t, "gpt2")
	if n := gpt2.VocabSize(); n != 50257 {
		t.Errorf("gpt2 VocabSize = %d, want 50257", n)
	}
	llama := loadFamily(t, "llama-sp")
	if n := llama.VocabSize(); n != 32045 {
		t.Errorf("llama-sp VocabSize = %d, want 32045", n)
	}
	got := gpt2.Tokens([]int{15496, 50256, -1, 1 << 30})
	if want := []string{"Hello", "<|endoftext|>", "", ""}; !slices.Equal(got, want) {
		t.Errorf("Tokens = %q, want %q", got, want)
	}
	// Ids past the vocabulary (a padded embedding matrix) are left out, as
	// Hugging Face leaves them out.
	if s, err := gpt2.Decode([]int{15496, 50257, -1}, false); err != nil || s != "Hello" {
		t.Errorf("Decode with unknown ids = %q, %v; want Hello", s, err)
	}
}

func TestFingerprint(t *testing.T) {
	gpt2 := loadFamily(t, "gpt2")
	llama := loadFamily(t, "llama-sp")
	if gpt2.Fingerprint() == llama.Fingerprint() || len(gpt2.Fingerprint()) != 64 {
		t.Fatalf("fingerprints %q and %q", gpt2.Fingerprint(), llama.Fingerprint())
	}
	// The same content written differently has the same fingerprint.
	raw, err := os.ReadFile(filepath.Join(testdata, "gpt2", "tokenizer.json"))
	if err != nil {
		t.Fatal(err)
	}
	var indented bytes.Buffer
	if err := json.Indent(&indented, raw, "", "    "); err != nil {
		t.Fatal(err)
	}
	tk, err := Load(copyDir(t, "gpt2", map[string]string{"tokenizer.json": indented.String()}))
	if err != nil {
		t.Fatal(err)
	}
	if tk.Fingerprint() != gpt2.Fingerprint() {
		t.Errorf("reformatted tokenizer.json changed the fingerprint")
	}
}

// TestEncodeBatch checks that EncodeBatch gives Encode's ids in input order.
func TestEncodeBatch(t *testing.T) {
	corpus := loadCorpus(t)
	texts := make([]string, len(corpus))
	for i, c := range corpus {
		texts[i] = c.raw
	}
	for _, family := range families {
		tk := loadFamily(t, family)
		batch, err := tk.EncodeBatch(texts, true)
		if err != nil {
			t.Fatal(err)
		}
		if len(batch) != len(texts) {
			t.Fatalf("%d results for %d texts", len(batch), len(texts))
		}
		for i, s := range texts {
			want, _ := tk.Encode(s, true)
			if !slices.Equal(batch[i], want) {
				t.Fatalf("%s: text %d: EncodeBatch %v, Encode %v", family, i, batch[i], want)
			}
		}
	}
	if out, err := loadFamily(t, "gpt2").EncodeBatch(nil, false); err != nil || len(out) != 0 {
		t.Errorf("EncodeBatch(nil) = %v, %v", out, err)
	}
}
