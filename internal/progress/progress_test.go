package progress

import (
	"bytes"
	"strings"
	"testing"
)

// Not a terminal: a line at the first update and at the end, none between
// (the next would come after 5 s); counts start from a resumed run's.
func TestBarLines(t *testing.T) {
	var buf bytes.Buffer
	b := New(&buf, "score", "pairs", 10)
	b.Start(4)
	b.Add(1)
	b.Add(2)
	b.Add(3)
	b.Finish()
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("%d lines, want 2:\n%s", len(lines), buf.String())
	}
	if !strings.HasPrefix(lines[0], "score 5/10 pairs (50%)") || !strings.HasPrefix(lines[1], "score 10/10 pairs (100%)") {
		t.Fatalf("lines %q", lines)
	}
	New(nil, "x", "y", 1).Add(1) // a nil writer prints nothing and does not panic
}
