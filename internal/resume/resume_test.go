package resume

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dpokit/dpokit/modeldir"
)

func TestCheckNamesWhatChanged(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "data.jsonl")
	os.WriteFile(data, []byte("a\n"), 0o644)
	key := func(beta float64) *Key {
		k := New("score")
		if err := k.File("data", data); err != nil {
			t.Fatal(err)
		}
		k.Option("beta", beta)
		k.Option("no-eos", false)
		return k
	}
	stored := key(0.1).Encode()
	if err := Check(stored, key(0.1)); err != nil {
		t.Fatalf("same inputs refused: %v", err)
	}
	// The same bytes under another path are the same input.
	moved := filepath.Join(dir, "moved.jsonl")
	os.Rename(data, moved)
	data = moved
	if err := Check(stored, key(0.1)); err != nil {
		t.Fatalf("a moved data file (same content) refused: %v", err)
	}
	os.WriteFile(data, []byte("b\n"), 0o644)
	err := Check(stored, key(0.2))
	var ce *ChangedError
	if !errors.As(err, &ce) || len(ce.Changed) != 2 || !strings.Contains(err.Error(), "--beta (0.1 → 0.2)") ||
		!strings.Contains(err.Error(), "--data (contents differ)") {
		t.Fatalf("err = %v, want --beta and --data named", err)
	}
	// An option added or removed is a change too.
	k := key(0.1)
	k.Option("max-length", 64)
	if err := Check(key(0.1).Encode(), k); err == nil || !strings.Contains(err.Error(), "--max-length (unset → 64)") {
		t.Errorf("added option: %v", err)
	}
	if err := Check([]byte(`{"dpokit_score_journal":"abc"}`), key(0.1)); err == nil {
		t.Error("an old-format header was accepted")
	}
}

// A model is named by the content of every file a run reads: a changed
// tokenizer or configuration file changes its key, its path does not.
func TestModelKey(t *testing.T) {
	src := filepath.Join("..", "..", "testdata", "models", "gpt2-ref")
	dir := t.TempDir()
	for _, f := range []string{"model.onnx", "config.json", "tokenizer.json", "tokenizer_config.json", "generation_config.json", "special_tokens_map.json"} {
		b, err := os.ReadFile(filepath.Join(src, f))
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(dir, f), b, 0o644)
	}
	sum := func(path string) string {
		d, err := modeldir.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		k := New("x")
		if err := k.Model("policy", d); err != nil {
			t.Fatal(err)
		}
		return k.Hash("policy")
	}
	a := sum(dir)
	if b := sum(src); a != b {
		t.Fatalf("copies of one model have keys %s and %s", a, b)
	}
	os.WriteFile(filepath.Join(dir, "generation_config.json"), []byte(`{"eos_token_id": 7}`), 0o644)
	if sum(dir) == a {
		t.Error("a changed generation_config.json kept the model's key")
	}
}

// TestOpenRecords: records are decoded in order after the header; one
// that is not the record's JSON is an error naming the file and its line.
func TestOpenRecords(t *testing.T) {
	p := filepath.Join(t.TempDir(), "out.jsonl.partial")
	k := New("test")
	if err := k.Option("beta", 0.1); err != nil {
		t.Fatal(err)
	}
	type rec struct{ I int }
	j, err := OpenRecords(p, k, false, func(rec) { t.Error("a new journal has no records") })
	if err != nil {
		t.Fatal(err)
	}
	if err := j.Append([]byte(`{"I":3}`), []byte(`{"I":5}`)); err != nil {
		t.Fatal(err)
	}
	j.Close()
	var got []int
	if j, err = OpenRecords(p, k, true, func(r rec) { got = append(got, r.I) }); err != nil || len(got) != 2 || got[0] != 3 || got[1] != 5 {
		t.Fatalf("resume: %v, records %v; want [3 5]", err, got)
	}
	j.Append([]byte(`{"I":"x"}`))
	j.Close()
	if _, err := OpenRecords(p, k, true, func(rec) {}); err == nil || !strings.Contains(err.Error(), p+":4:") {
		t.Fatalf("a bad record on line 4: %v", err)
	}
}
