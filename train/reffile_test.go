package train

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dpokit/dpokit/internal/resume"
)

func TestRefLogpsFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ref.jsonl")
	key := func(maxLength int, data string) json.RawMessage {
		k := resume.New("ref-logps")
		k.Option("max-length", maxLength)
		k.Option("data", data)
		return k.Encode()
	}
	h := RefHeader{Key: key(1024, "sha256:bb")}
	recs := []RefRecord{{Index: 0, ID: "x", Chosen: -1.5, Rejected: -2.25, ChosenTokens: 3, RejectedTokens: 4}, {Index: 1, ID: "y", Chosen: -7, Rejected: -8}}
	if err := WriteRefLogps(path, h, recs); err != nil {
		t.Fatal(err)
	}
	got, err := ReadRefLogps(path, h)
	if err != nil || len(got) != 2 || got[0] != recs[0] || got[1] != recs[1] {
		t.Fatalf("read back %v, %v", got, err)
	}
	for name, other := range map[string]RefHeader{
		"max-length": {Key: key(512, "sha256:bb")},
		"data":       {Key: key(1024, "sha256:zz")},
		"pairs":      {Key: h.Key, Pairs: 3},
	} {
		if _, err := ReadRefLogps(path, other); !errors.Is(err, ErrStaleRefs) || !strings.Contains(err.Error(), name) {
			t.Errorf("other %s: err = %v, want ErrStaleRefs naming it", name, err)
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
