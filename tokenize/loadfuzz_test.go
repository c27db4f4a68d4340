package tokenize

import (
	"os"
	"path/filepath"
	"testing"
)

// tinyBPE is a small byte-level BPE tokenizer.json, loadable, for the
// fuzzer to mutate cheaply beside the real files.
const tinyBPE = `{"version": "1.0", "truncation": null, "padding": null,
 "added_tokens": [{"id": 5, "content": "<|end|>", "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true}],
 "normalizer": null,
 "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": true},
 "post_processor": null,
 "decoder": {"type": "ByteLevel", "add_prefix_space": true, "trim_offsets": true, "use_regex": true},
 "model": {"type": "BPE", "dropout": null, "unk_token": null, "continuing_subword_prefix": "", "end_of_word_suffix": "",
  "fuse_unk": false, "byte_fallback": false, "vocab": {"a": 0, "b": 1, "ab": 2, "Ġ": 3, "Ġab": 4}, "merges": ["a b", "Ġ ab"]}}`

const tinyConfig = `{"bos_token": "<|end|>", "eos_token": "<|end|>", "add_bos_token": false,
 "chat_template": "{% for m in messages %}{{ m['role'] }}: {{ m['content'] }}\n{% endfor %}"}`

// FuzzLoad: whatever tokenizer.json and tokenizer_config.json hold, Load
// returns an error or a tokenizer that encodes, decodes and renders
// without panicking. Seeds: the test tokenizers' files and a tiny BPE.
func FuzzLoad(f *testing.F) {
	f.Add([]byte(tinyBPE), []byte(tinyConfig))
	f.Add([]byte(tinyBPE), []byte(`{}`))
	for _, family := range []string{"gpt2", "llama-sp"} {
		tj, err := os.ReadFile(filepath.Join(testdata, family, "tokenizer.json"))
		if err != nil {
			f.Fatal(err)
		}
		tc, _ := os.ReadFile(filepath.Join(testdata, family, "tokenizer_config.json"))
		f.Add(tj, tc)
	}
	f.Fuzz(func(t *testing.T, tokJSON, cfgJSON []byte) {
		dir := t.TempDir()
		os.WriteFile(filepath.Join(dir, "tokenizer.json"), tokJSON, 0o644)
		os.WriteFile(filepath.Join(dir, "tokenizer_config.json"), cfgJSON, 0o644)
		tok, err := Load(dir)
		if err != nil {
			return
		}
		for _, text := range []string{"", "ab ab", "Hello, world!\n", "\xff<|end|>日本"} {
			ids, err := tok.EncodePrompt(text)
			if err != nil {
				continue
			}
			tok.Decode(ids, true)
			tok.Tokens(ids)
		}
		if tok.HasChatTemplate() {
			tok.ApplyChatTemplate([]Message{{Role: "user", Content: "hi"}}, true)
		}
	})
}
