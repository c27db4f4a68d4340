package dataset

import (
	"bytes"
	"compress/gzip"
	"os"
	"path/filepath"
	"testing"
)

// fileKinds are the extensions FuzzReadFiles writes its bytes under.
var fileKinds = []string{".jsonl", ".json", ".jsonl.gz", ".parquet"}

// FuzzReadFiles: whatever a data file holds, in any of the file kinds,
// ReadPairs and ReadPrompts return an error or records, never a panic and
// never both. Seeds: the shipped data files in every kind they come in
// (JSON Lines, gzipped, Parquet) and a JSON array.
func FuzzReadFiles(f *testing.F) {
	seeds, _ := filepath.Glob(filepath.Join(dataDir, "*.jsonl"))
	more, _ := filepath.Glob(filepath.Join(dataDir, "published", "*"))
	for _, p := range append(seeds, more...) {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		switch filepath.Ext(p) {
		case ".jsonl":
			f.Add(data, uint8(0))
			var gz bytes.Buffer
			w := gzip.NewWriter(&gz)
			w.Write(data)
			w.Close()
			f.Add(gz.Bytes(), uint8(2))
			f.Add(gz.Bytes()[:gz.Len()/2], uint8(2)) // truncated
		case ".parquet":
			f.Add(data, uint8(3))
		}
	}
	f.Add([]byte(`[{"prompt": "a", "chosen": "b", "rejected": "c"}, {"prompt": "d"}]`), uint8(1))
	f.Fuzz(func(t *testing.T, data []byte, kind uint8) {
		path := filepath.Join(t.TempDir(), "data"+fileKinds[int(kind)%len(fileKinds)])
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		for _, skip := range []bool{false, true} {
			pairs, skipped, err := ReadPairs(path, Options{SkipInvalid: skip})
			if err != nil && (pairs != nil || skipped != nil) {
				t.Fatalf("pairs returned with an error: %v", err)
			}
			if err == nil {
				checkFuzzPairs(t, pairs)
			}
			prompts, skipped, err := ReadPrompts(path, Options{SkipInvalid: skip})
			if err != nil && (prompts != nil || skipped != nil) {
				t.Fatalf("prompts returned with an error: %v", err)
			}
		}
	})
}
