package synth

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
)

// EOS is the end-of-text token.
const EOS = "<|endoftext|>"

// byteSymbols is GPT-2's byte-to-unicode table: printable bytes stand for
// themselves, the others for code points from 256 up.
func byteSymbols() []string {
	var syms []string
	n := 0
	for b := 0; b < 256; b++ {
		if b >= '!' && b <= '~' || b >= 0xA1 && b <= 0xAC || b >= 0xAE && b <= 0xFF {
			syms = append(syms, string(rune(b)))
		} else {
			syms = append(syms, string(rune(256+n)))
			n++
		}
	}
	return syms
}

// Vocab returns the tokenizer's vocabulary (token -> id) and merges: the 256
// byte symbols, then for each word " word" the chain of merges that builds
// it from the left (Ġ, Ġw, Ġwo, …), so that every task word is one token;
// the EOS token comes last.
func Vocab() (vocab map[string]int, merges []string, eosID int) {
	vocab = map[string]int{}
	var order []string
	add := func(tok string) {
		if _, ok := vocab[tok]; !ok {
			vocab[tok] = len(order)
			order = append(order, tok)
		}
	}
	for _, s := range byteSymbols() {
		add(s)
	}
	words := Words()
	slices.Sort(words)
	seen := map[string]bool{}
	for _, w := range words {
		cur := "Ġ"
		for _, c := range w {
			next := cur + string(c)
			if m := cur + " " + string(c); !seen[m] {
				seen[m] = true
				merges = append(merges, m)
			}
			add(next)
			cur = next
		}
	}
	eosID = len(order)
	return vocab, merges, eosID
}

// WriteTokenizer writes tokenizer.json, tokenizer_config.json and
// special_tokens_map.json for the task into dir.
func WriteTokenizer(dir string) (vocabSize, eosID int, err error) {
	vocab, merges, eos := Vocab()
	tok := map[string]any{
		"version": "1.0", "truncation": nil, "padding": nil,
		"added_tokens": []any{map[string]any{"id": eos, "content": EOS, "single_word": false, "lstrip": false,
			"rstrip": false, "normalized": false, "special": true}},
		"normalizer":     nil,
		"pre_tokenizer":  map[string]any{"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": true},
		"post_processor": map[string]any{"type": "ByteLevel", "add_prefix_space": true, "trim_offsets": false, "use_regex": true},
		"decoder":        map[string]any{"type": "ByteLevel", "add_prefix_space": true, "trim_offsets": true, "use_regex": true},
		"model": map[string]any{"type": "BPE", "dropout": nil, "unk_token": nil, "continuing_subword_prefix": "",
			"end_of_word_suffix": "", "fuse_unk": false, "byte_fallback": false, "vocab": vocab, "merges": merges},
	}
	files := map[string]any{
		"tokenizer.json":          tok,
		"tokenizer_config.json":   map[string]any{"bos_token": EOS, "eos_token": EOS, "unk_token": EOS, "add_prefix_space": false, "model_max_length": 64, "tokenizer_class": "GPT2Tokenizer"},
		"special_tokens_map.json": map[string]any{"bos_token": EOS, "eos_token": EOS, "unk_token": EOS},
	}
	for name, v := range files {
		b, err := json.MarshalIndent(v, "", " ")
		if err != nil {
			return 0, 0, err
		}
		if err := os.WriteFile(filepath.Join(dir, name), append(b, '\n'), 0o644); err != nil {
			return 0, 0, fmt.Errorf("write %s: %w", name, err)
		}
	}
	return eos + 1, eos, nil
}
