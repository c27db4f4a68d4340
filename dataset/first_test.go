package dataset

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestFirst(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	for _, path := range []string{
		"../testdata/data/published/reward-bench-2.jsonl",
		"../testdata/data/published/reward-bench-2.parquet",
		write("rows.json", `[{"id": "0", "subset": "Math", "chosen": ["a"], "rejected": ["b"]}, {"id": 1}]`),
	} {
		f, err := First(path, "")
		if err != nil || f["id"] != "0" || !IsRanking(f) {
			t.Errorf("%s: %v %v", path, f, err)
		}
	}
	if f, err := First("../testdata/harness/mtbench_questions.jsonl", ""); err != nil || f["category"] != "writing" {
		t.Errorf("questions: %v %v", f, err)
	}
	if _, err := First(write("empty.jsonl", "\n\n"), ""); !errors.Is(err, ErrNoRecords) {
		t.Errorf("empty file: %v", err)
	}
	if _, err := First(write("bad.jsonl", "{\"a\": \n{}\n"), ""); err == nil || !strings.Contains(err.Error(), "bad.jsonl:1") {
		t.Errorf("bad first record: %v", err)
	}
}
