package dataset

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestReadUnpaired(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "kto.jsonl")
	os.WriteFile(good, []byte(`{"prompt": "Q1", "completion": " yes", "label": true}
{"prompt": [{"role": "user", "content": "Q2"}], "completion": [{"role": "assistant", "content": "no"}], "label": false, "id": "x"}
`), 0o644)
	us, skipped, err := ReadUnpaired(good, Options{})
	if err != nil || len(skipped) != 0 || len(us) != 2 {
		t.Fatalf("%v %v %v", us, skipped, err)
	}
	if u := us[0]; u.Prompt != "Q1" || u.Completion != " yes" || !u.Desirable || u.ID != "1" || u.Conversational() {
		t.Errorf("first record %+v", u)
	}
	if u := us[1]; u.Desirable || u.ID != "x" || !u.Conversational() || u.CompletionMessages[0].Content != "no" {
		t.Errorf("second record %+v", u)
	}
	if p := us[0].Pair(); p.Chosen != " yes" || p.Rejected != " yes" || p.Prompt != "Q1" {
		t.Errorf("as a pair %+v", p)
	}
	for _, tc := range []struct{ line, want string }{
		{`{"prompt": "Q", "completion": "a"}`, `bad.jsonl:1: field "label": missing`},
		{`{"prompt": "Q", "completion": "a", "label": "yes"}`, `field "label": a string, want true or false`},
		{`{"completion": "a", "label": true}`, `field "prompt": missing`},
	} {
		bad := filepath.Join(dir, "bad.jsonl")
		os.WriteFile(bad, []byte(tc.line+"\n"), 0o644)
		_, _, err := ReadUnpaired(bad, Options{})
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "bad.jsonl") {
			t.Errorf("%s: error %v, want one naming the file and %q", tc.line, err, tc.want)
		}
	}
}

// TestPairMargin: the optional "margin" of a pair is read as a number and
// refused, naming the field, otherwise.
func TestPairMargin(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "m.jsonl")
	os.WriteFile(good, []byte(`{"prompt": "Q", "chosen": " a", "rejected": " b", "margin": 0.75}
{"prompt": "Q", "chosen": " a", "rejected": " c"}
`), 0o644)
	ps, _, err := ReadPairs(good, Options{})
	if err != nil || ps[0].Margin != 0.75 || ps[1].Margin != 0 {
		t.Fatalf("%+v %v", ps, err)
	}
	bad := filepath.Join(dir, "bad.jsonl")
	os.WriteFile(bad, []byte(`{"prompt": "Q", "chosen": " a", "rejected": " b", "margin": "big"}`+"\n"), 0o644)
	if _, _, err := ReadPairs(bad, Options{}); err == nil || !strings.Contains(err.Error(), `bad.jsonl:1: field "margin": a string, want a number`) {
		t.Errorf("error %v", err)
	}
}
