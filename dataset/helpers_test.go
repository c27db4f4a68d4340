package dataset

import (
	"bytes"
	"compress/gzip"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// writeFile writes content to name in a fresh temporary directory, gzipped
// when name ends in ".gz", and returns its path.
func writeFile(t testing.TB, name, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	data := []byte(content)
	if strings.HasSuffix(name, ".gz") {
		data = gzipBytes(t, data)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func gzipBytes(t testing.TB, data []byte) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	if _, err := zw.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// lines joins records into a JSON Lines text.
func lines(records ...string) string { return strings.Join(records, "\n") + "\n" }

// msgs builds messages from role, content pairs.
func msgs(rc ...string) []Message {
	out := make([]Message, 0, len(rc)/2)
	for i := 0; i+1 < len(rc); i += 2 {
		out = append(out, Message{Role: rc[i], Content: rc[i+1]})
	}
	return out
}

// recordError asserts that err is a *RecordError for file at line and
// field, whose text holds want.
func recordError(t *testing.T, err error, file string, line int, field, want string) *RecordError {
	t.Helper()
	var re *RecordError
	if !errors.As(err, &re) {
		t.Fatalf("error %v (%T), want a *RecordError", err, err)
	}
	if re.File != file || re.Line != line || re.Field != field {
		t.Errorf("error at %s line %d field %q, want %s line %d field %q (%v)", re.File, re.Line, re.Field, file, line, field, err)
	}
	if !strings.Contains(err.Error(), want) {
		t.Errorf("error %q does not contain %q", err, want)
	}
	if !strings.HasPrefix(err.Error(), file) {
		t.Errorf("error %q does not start with the file name", err)
	}
	return re
}

func checkPairs(t *testing.T, got, want []Pair) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d pairs, want %d:\n%+v", len(got), len(want), got)
	}
	for i := range want {
		if !reflect.DeepEqual(got[i], want[i]) {
			t.Errorf("pair %d:\n got %#v\nwant %#v", i, got[i], want[i])
		}
	}
}

func containsAll(s string, subs ...string) bool {
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			return false
		}
	}
	return true
}
