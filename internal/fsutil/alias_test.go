package fsutil

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestCheckAliases(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "data.jsonl")
	os.WriteFile(data, []byte("{}\n"), 0o644)
	link := filepath.Join(dir, "link.jsonl")
	os.Symlink(data, link)
	hard := filepath.Join(dir, "hard.jsonl")
	os.Link(data, hard)
	sub := filepath.Join(dir, "sub")
	os.Mkdir(sub, 0o755)
	subLink := filepath.Join(dir, "sublink")
	os.Symlink(sub, subLink)
	in := []Path{{"--data", data}, {"--ref", ""}}
	for _, tc := range []struct {
		name string
		outs []Path
		bad  bool
	}{
		{"distinct", []Path{{"--out", filepath.Join(dir, "out.jsonl")}, {"--summary", filepath.Join(dir, "sum.json")}}, false},
		{"same path", []Path{{"--out", data}}, true},
		{"relative spelling", []Path{{"--out", filepath.Join(dir, "sub", "..", "data.jsonl")}}, true},
		{"symlink", []Path{{"--out", link}}, true},
		{"hard link", []Path{{"--out", hard}}, true},
		{"two new outputs", []Path{{"--out", filepath.Join(sub, "x")}, {"--summary", filepath.Join(subLink, "x")}}, true},
		{"empty output", []Path{{"--out", ""}, {"--summary", ""}}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := CheckAliases(in, tc.outs)
			var ae *AliasError
			if tc.bad != errors.As(err, &ae) {
				t.Fatalf("err = %v, want alias error %v", err, tc.bad)
			}
		})
	}
}
