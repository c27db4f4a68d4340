package train

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRefLogpsFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ref.jsonl")
	h := RefHeader{RefSHA256: "aa", DataSHA256: "bb", Tokenization: json.RawMessage(`{"max_length":1024,"no_eos":false}`)}
	recs := []RefRecord{{Index: 0, ID: "x", Chosen: -1.5, Rejected: -2.25, ChosenTokens: 3, RejectedTokens: 4}, {Index: 1, ID: "y", Chosen: -7, Rejected: -8}}
	if err := WriteRefLogps(path, h, recs); err != nil {
		t.Fatal(err)
	}
	// Key order and spacing of the settings do not matter.
	same := h
	same.Tokenization = json.RawMessage(`{"no_eos": false, "max_length": 1024}`)
	got, err := ReadRefLogps(path, same)
	if err != nil || len(got) != 2 || got[0] != recs[0] || got[1] != recs[1] {
		t.Fatalf("read back %v, %v", got, err)
	}
	for name, other := range map[string]RefHeader{
		"model":        {RefSHA256: "zz", DataSHA256: "bb", Tokenization: h.Tokenization},
		"data":         {RefSHA256: "aa", DataSHA256: "zz", Tokenization: h.Tokenization},
		"tokenization": {RefSHA256: "aa", DataSHA256: "bb", Tokenization: json.RawMessage(`{"max_length":512,"no_eos":false}`)},
		"pairs":        {RefSHA256: "aa", DataSHA256: "bb", Tokenization: h.Tokenization, Pairs: 3},
	} {
		if _, err := ReadRefLogps(path, other); !errors.Is(err, ErrStaleRefs) {
			t.Errorf("other %s: err = %v, want ErrStaleRefs", name, err)
		}
	}
	// A cut file is refused.
	b, _ := os.ReadFile(path)
	os.WriteFile(path, b[:len(b)-10], 0o644)
	if _, err := ReadRefLogps(path, h); err == nil {
		t.Error("truncated file accepted")
	}
}

func TestTrimLog(t *testing.T) {
	path := filepath.Join(t.TempDir(), "log.jsonl")
	os.WriteFile(path, []byte(`{"split":"train","step":1}
{"split":"train","step":2}
{"split":"eval","step":2}
{"split":"train","step":3}
{"split":"train","st`), 0o644)
	if err := TrimLog(path, 2); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(path)
	if got := strings.Count(string(b), "\n"); got != 3 || strings.Contains(string(b), `"step":3`) {
		t.Errorf("trimmed log:\n%s", b)
	}
}
