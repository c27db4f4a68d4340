package fsutil

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestWriteFileKeepsOldContentOnFailure(t *testing.T) {
	p := filepath.Join(t.TempDir(), "out.json")
	if err := WriteFile(p, func(w io.Writer) error { _, err := io.WriteString(w, "first\n"); return err }); err != nil {
		t.Fatal(err)
	}
	boom := errors.New("boom")
	err := WriteFile(p, func(w io.Writer) error {
		io.WriteString(w, "half of a second version")
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("err = %v, want boom", err)
	}
	b, _ := os.ReadFile(p)
	if string(b) != "first\n" {
		t.Fatalf("file holds %q after a failed write", b)
	}
	entries, _ := os.ReadDir(filepath.Dir(p))
	if len(entries) != 1 {
		t.Fatalf("temporary files left behind: %v", entries)
	}
}

func TestJournalDropsTornTail(t *testing.T) {
	p := filepath.Join(t.TempDir(), "j.partial")
	j, lines, err := OpenJournal(p, []byte("H"), false)
	if err != nil || lines != nil {
		t.Fatalf("new journal: %v %v", lines, err)
	}
	if err := j.Append([]byte("a"), []byte("b")); err != nil {
		t.Fatal(err)
	}
	if err := j.Append([]byte("bad\nrecord")); err == nil {
		t.Fatal("a record with a newline was accepted")
	}
	j.Close()
	// A crash in the middle of a write leaves a torn tail.
	f, _ := os.OpenFile(p, os.O_APPEND|os.O_WRONLY, 0)
	f.WriteString("tor")
	f.Close()

	if _, _, err := OpenJournal(p, []byte("H"), false); !errors.Is(err, ErrJournalExists) || !strings.Contains(err.Error(), "--resume") {
		t.Fatalf("reopen without resume: %v", err)
	}
	j, lines, err = OpenJournal(p, []byte("H"), true)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(bytesToStrings(lines), ","); got != "H,a,b" {
		t.Fatalf("lines %q, want H,a,b", got)
	}
	j.Append([]byte("c"))
	j.Close()
	b, _ := os.ReadFile(p)
	if string(b) != "H\na\nb\nc\n" {
		t.Fatalf("journal %q: torn tail not cut", b)
	}
	j, _, _ = OpenJournal(p, nil, true)
	if err := j.Remove(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(p); !os.IsNotExist(err) {
		t.Fatal("Remove left the journal")
	}
}

func bytesToStrings(bs [][]byte) []string {
	out := make([]string, len(bs))
	for i, b := range bs {
		out[i] = string(b)
	}
	return out
}

// TestJournalRefusalLeavesFile: a resume whose header check fails leaves an
// earlier run's journal byte for byte as it was (torn tail included), and
// closing a resumed journal that holds only its header keeps it.
func TestJournalRefusalLeavesFile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "j.partial")
	if err := os.WriteFile(p, []byte("H\ntor"), 0o644); err != nil {
		t.Fatal(err)
	}
	refuse := errors.New("refused")
	if _, _, err := OpenJournalChecked(p, []byte("K"), true, func(stored []byte) error {
		if string(stored) != "H" {
			t.Errorf("check saw %q, want the stored header H", stored)
		}
		return refuse
	}); !errors.Is(err, refuse) {
		t.Fatalf("err %v, want the check's refusal", err)
	}
	if b, _ := os.ReadFile(p); string(b) != "H\ntor" {
		t.Fatalf("a refused resume changed the journal to %q", b)
	}
	j, lines, err := OpenJournalChecked(p, []byte("H"), true, func([]byte) error { return nil })
	if err != nil || len(lines) != 1 {
		t.Fatalf("resume: %v %q", err, lines)
	}
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(p); string(b) != "H\n" {
		t.Fatalf("an earlier run's header-only journal became %q, want it kept", b)
	}
}
