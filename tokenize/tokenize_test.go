package tokenize

import (
	"testing"
)

func TestQuickLoad(t *testing.T) {
	for _, dir := range []string{"../testdata/tokenize/gpt2", "../testdata/tokenize/llama-sp"} {
		tk, err := Load(dir)
		if err != nil {
			t.Fatal(err)
		}
		ids, err := tk.Encode("\n\nHuman: Uhhh N**** ...... 2000  hi", true)
		if err != nil {
			t.Fatal(err)
		}
		s, err := tk.Decode(ids, false)
		t.Log(dir, ids, tk.Tokens(ids), s, err, tk.VocabSize(), tk.EOS(), tk.Fingerprint())
		t.Log(tk.BOS())
		if tk.HasChatTemplate() {
			out, err := tk.ApplyChatTemplate([]Message{{"user", "hi"}, {"assistant", "yo"}, {"user", "q"}}, true)
			t.Logf("%q %v", out, err)
		}
	}
}
