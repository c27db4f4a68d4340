package fsutil

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestHashFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.txt")
	os.WriteFile(path, []byte("hello\n"), 0o644)
	sum, size, err := HashFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if sum != "5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03" || size != 6 {
		t.Errorf("HashFile = %s, %d", sum, size)
	}
	// Rewritten with other bytes of the same size: hashed again, not remembered.
	os.WriteFile(path, []byte("world\n"), 0o644)
	if again, _, _ := HashFile(path); again == sum {
		t.Error("a rewritten file kept its old hash")
	}
	missing := filepath.Join(t.TempDir(), "missing")
	if _, _, err := HashFile(missing); err == nil || !strings.Contains(err.Error(), missing) {
		t.Errorf("missing file: %v", err)
	}
}
