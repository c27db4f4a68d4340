package shard

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dpokit/dpokit/internal/resume"
	"github.com/dpokit/dpokit/results"
)

func TestName(t *testing.T) {
	cases := []struct {
		out  string
		s    results.Shard
		want string
	}{
		{"out/pairs.jsonl", results.Shard{I: 2, N: 4}, "out/pairs-shard-00002-of-00004.jsonl"},
		{"summary.json", results.Shard{I: 0, N: 1}, "summary-shard-00000-of-00001.json"},
		{"/a/b.c/samples.jsonl.gz", results.Shard{I: 11, N: 12}, "/a/b.c/samples-shard-00011-of-00012.jsonl.gz"},
		{"out/pairs", results.Shard{I: 1, N: 2}, "out/pairs-shard-00001-of-00002"},
		{"", results.Shard{I: 1, N: 2}, ""},
	}
	for _, c := range cases {
		if got := Name(c.out, c.s); got != c.want {
			t.Errorf("Name(%q, %v) = %q, want %q", c.out, c.s, got, c.want)
		}
	}
}

func key(t *testing.T, beta float64) *resume.Key {
	t.Helper()
	k := resume.New("score")
	if err := k.Option("beta", beta); err != nil {
		t.Fatal(err)
	}
	return k
}

// finish writes shard s of out with the given lines and its marker.
func finish(t *testing.T, out string, s results.Shard, run *resume.Key, lines string) string {
	t.Helper()
	part := Name(out, s)
	if err := os.WriteFile(part, []byte(lines), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := Finish(part, s, run, map[string]string{"out": part}, map[string]int{"scored": strings.Count(lines, "\n")}); err != nil {
		t.Fatal(err)
	}
	return part
}

func TestCheck(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "pairs.jsonl")
	s := results.Shard{I: 1, N: 2}
	if m, err := Check(Name(out, s), key(t, 0.1)); m != nil || err != nil {
		t.Fatalf("no marker: %v %v", m, err)
	}
	part := finish(t, out, s, key(t, 0.1), "{\"a\":1}\n")
	m, err := Check(part, key(t, 0.1))
	if err != nil || m == nil || m.Shard != "1/2" || strings.Join(strings.Fields(string(m.Summary)), "") != `{"scored":1}` {
		t.Fatalf("finished part: %+v %v", m, err)
	}
	if _, err := Check(part, key(t, 0.2)); err == nil || !strings.Contains(err.Error(), "--beta (0.1 → 0.2)") || !strings.Contains(err.Error(), part+".done") {
		t.Errorf("another run's marker: %v", err)
	}
	if err := os.WriteFile(part, []byte("{\"a\":2}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if m, err := Check(part, key(t, 0.1)); m != nil || err != nil {
		t.Errorf("a changed part must be run again: %v %v", m, err)
	}
}

func TestFind(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "pairs.jsonl")
	k := key(t, 0.1)
	finish(t, out, results.Shard{I: 2, N: 3}, k, "c\n")
	finish(t, out, results.Shard{I: 0, N: 3}, k, "a\n")
	os.WriteFile(Name(out, results.Shard{I: 1, N: 3})+".partial", []byte("x\n"), 0o644)
	if _, err := Find(out); err == nil || !strings.Contains(err.Error(), "part 1 of 3 ("+Name(out, results.Shard{I: 1, N: 3})+") is missing: started but not finished") {
		t.Errorf("missing part: %v", err)
	}
	finish(t, out, results.Shard{I: 1, N: 3}, key(t, 0.5), "b\n")
	if _, err := Find(out); err == nil || !strings.Contains(err.Error(), "parts of different runs") || !strings.Contains(err.Error(), "--beta (0.1 → 0.5)") {
		t.Errorf("parts of different runs: %v", err)
	}
	part1 := finish(t, out, results.Shard{I: 1, N: 3}, k, "b\n")
	parts, err := Find(out)
	if err != nil || len(parts) != 3 {
		t.Fatalf("%d parts, %v", len(parts), err)
	}
	var buf bytes.Buffer
	if err := Concat(&buf, parts, "out"); err != nil || buf.String() != "a\nb\nc\n" {
		t.Errorf("concat %q %v", buf.String(), err)
	}
	if err := Concat(&buf, parts, "baseline"); err == nil || !strings.Contains(err.Error(), "wrote no baseline file") {
		t.Errorf("concat of a role no shard wrote: %v", err)
	}
	os.WriteFile(part1, []byte("B\n"), 0o644)
	if _, err := Find(out); err == nil || !strings.Contains(err.Error(), "changed after its shard finished") || !strings.Contains(err.Error(), "run shard 1/3 again") {
		t.Errorf("changed part: %v", err)
	}
	finish(t, out, results.Shard{I: 0, N: 2}, k, "a\n")
	if _, err := Find(out); err == nil || !strings.Contains(err.Error(), "different shard counts") {
		t.Errorf("two shard counts: %v", err)
	}
	if _, err := Find(filepath.Join(dir, "other.jsonl")); err == nil || !strings.Contains(err.Error(), "other-shard-*-of-*.jsonl.done") {
		t.Errorf("no parts: %v", err)
	}
}

func TestCount(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "samples.jsonl")
	if n, err := Count(out); n != 0 || err != nil {
		t.Fatalf("no parts: %d, %v", n, err)
	}
	if n, err := Count(filepath.Join(dir, "missing", "samples.jsonl")); n != 0 || err != nil {
		t.Fatalf("no folder: %d, %v", n, err)
	}
	// A killed shard's journal alone counts; other outputs' parts do not.
	os.WriteFile(filepath.Join(dir, "samples-shard-00001-of-00003.jsonl.partial"), nil, 0o644)
	os.WriteFile(filepath.Join(dir, "eval-shard-00000-of-00007.jsonl"), nil, 0o644)
	if n, err := Count(out); n != 3 || err != nil {
		t.Fatalf("one journal: %d, %v; want 3", n, err)
	}
	os.WriteFile(filepath.Join(dir, "samples-shard-00000-of-00002.jsonl.done"), nil, 0o644)
	if _, err := Count(out); err == nil || !strings.Contains(err.Error(), "different shard counts") {
		t.Fatalf("mixed counts: %v", err)
	}
}
