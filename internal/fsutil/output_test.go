package fsutil

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCheckWritable(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "f")
	os.WriteFile(file, []byte("x"), 0o644)
	for _, tc := range []struct {
		name, path, want string
	}{
		{"new file", filepath.Join(dir, "out.jsonl"), ""},
		{"existing file", file, ""},
		{"a directory", dir, "is a directory"},
		{"missing parent", filepath.Join(dir, "no", "out.jsonl"), "does not exist"},
		{"parent is a file", filepath.Join(file, "out.jsonl"), "is not a directory"},
		{"not a regular file", os.DevNull, "not a regular file"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := CheckWritable(Path{"--out", tc.path}, Path{"--summary", ""})
			var oe *OutputError
			if tc.want == "" && err != nil || tc.want != "" && (!errors.As(err, &oe) || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "--out")) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
		})
	}
	if left, _ := filepath.Glob(filepath.Join(dir, ".*check*")); len(left) > 0 {
		t.Errorf("probe files left: %v", left)
	}
}

// TestLockOutput: a second lock on one output fails at once naming the
// holder; after Unlock (or a holder's death) the output can be locked again.
func TestLockOutput(t *testing.T) {
	out := Path{"--out", filepath.Join(t.TempDir(), "out.jsonl")}
	l, err := LockOutput(out)
	if err != nil {
		t.Fatal(err)
	}
	_, err = LockOutput(out)
	var oe *OutputError
	if !errors.As(err, &oe) || !oe.Busy || !strings.Contains(err.Error(), "another run") {
		t.Fatalf("second lock: %v", err)
	}
	if err := l.Unlock(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(out.Path + ".lock"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("lock file left: %v", err)
	}
	// A lock file left by a killed run does not block.
	os.WriteFile(out.Path+".lock", []byte("999999\n"), 0o644)
	l2, err := LockOutput(out)
	if err != nil {
		t.Fatalf("stale lock file blocked: %v", err)
	}
	l2.Unlock()
}

// TestJournalWithoutRecordsIsRemoved: a run that fails before finishing
// anything leaves no journal that would block the plain rerun; one with
// records keeps it for --resume.
func TestJournalWithoutRecordsIsRemoved(t *testing.T) {
	path := filepath.Join(t.TempDir(), "out.partial")
	j, _, err := OpenJournal(path, []byte("header"), false)
	if err != nil {
		t.Fatal(err)
	}
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("header-only journal kept: %v", err)
	}
	j, _, _ = OpenJournal(path, []byte("header"), false)
	j.Append([]byte("r1"))
	j.Close()
	j, lines, err := OpenJournal(path, []byte("header"), true)
	if err != nil || len(lines) != 2 || j.Records() != 1 {
		t.Fatalf("resumed journal: %d lines, %d records, %v", len(lines), j.Records(), err)
	}
	j.Close()
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("journal with a record removed: %v", err)
	}
	// A header-only journal left by a killed run: --resume keeps it as it
	// is (it may be refused for another identity); a plain run starts again.
	os.WriteFile(path, []byte("old header\n"), 0o644)
	j, lines, err = OpenJournal(path, []byte("header"), true)
	if err != nil || len(lines) != 1 {
		t.Fatalf("resume of a header-only journal: %v, %v", lines, err)
	}
	j.Close()
	if b, _ := os.ReadFile(path); string(b) != "old header\n" {
		t.Fatalf("closing a resumed journal changed it: %q", b)
	}
	j, lines, err = OpenJournal(path, []byte("header"), false)
	if err != nil || lines != nil {
		t.Fatalf("a plain run refused by a journal without records: %v", err)
	}
	j.Close()
}
