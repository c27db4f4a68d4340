package tokenize

import (
	"slices"
	"testing"
	"unicode/utf8"

	"github.com/sugarme/tokenizer/util"
)

// FuzzEncode checks on the GPT-2 tokenizer that Encode never panics, that
// decoding gives the text back (with invalid UTF-8 replaced by U+FFFD, one per
// maximal invalid subsequence), and that the string-level path of the engine
// (EncodeIDs) and its offset-tracking Encode agree. The corpus seeds it.
//
//	go test ./tokenize -run '^$' -fuzz FuzzEncode -fuzztime 1m
func FuzzEncode(f *testing.F) {
	corpus := loadCorpus(f)
	for i, c := range corpus {
		if i%8 == 0 && len(c.raw) < 2000 {
			f.Add(c.raw)
		}
	}
	for _, s := range []string{"", " ", "\n\nHuman: Uhhh", "N****......", " 2000", "'s'S'll", "\xff\xfe", "<|endoftext|>x"} {
		f.Add(s)
	}
	tk := loadFamily(f, "gpt2")
	f.Fuzz(func(t *testing.T, text string) {
		ids, err := tk.Encode(text, false)
		if err != nil {
			t.Fatalf("Encode(%q): %v", text, err)
		}
		want := util.ValidUTF8String(text)
		if !utf8.ValidString(want) {
			t.Fatalf("replacement left invalid UTF-8: %q", want)
		}
		got, err := tk.Decode(ids, false)
		if err != nil {
			t.Fatalf("Decode(Encode(%q)): %v", text, err)
		}
		if got != want {
			t.Fatalf("Decode(Encode(%q)) = %q, want %q (ids %v)", text, got, want, ids)
		}
		if special, _ := tk.Encode(text, true); !slices.Equal(special, ids) {
			t.Fatalf("GPT-2 adds no special tokens, but Encode(%q, true) = %v, Encode(false) = %v", text, special, ids)
		}
		enc, err := tk.tk.EncodeSingle(want, false)
		if err != nil {
			t.Fatalf("engine Encode(%q): %v", text, err)
		}
		if !slices.Equal(enc.Ids, ids) {
			t.Fatalf("engine paths disagree on %q: EncodeIDs %v, Encode %v", text, ids, enc.Ids)
		}
	})
}
