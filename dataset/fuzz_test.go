package dataset

import (
	"bufio"
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// readPairsJSONL parses JSON Lines data as ReadPairs parses a file.
func readPairsJSONL(data []byte, opts Options) ([]Pair, []Skipped, error) {
	format, err := checkFormat(opts.Format, Explicit, Implicit, Conversational)
	if err != nil {
		return nil, nil, err
	}
	src := &source{name: "fuzz.jsonl", kind: JSONL, records: jsonlRecords(bufio.NewReader(bytes.NewReader(data)))}
	p := &pairParser{format: format, kind: JSONL}
	return collect(src, opts.SkipInvalid, p.parse)
}

func FuzzReadPairsJSONL(f *testing.F) {
	for _, tc := range pairCases {
		if filepath.Ext(tc.file) == ".jsonl" {
			f.Add([]byte(tc.content))
		}
	}
	for _, tc := range pairErrorCases {
		f.Add([]byte(tc.content))
	}
	for _, name := range []string{"pairs.jsonl", "hh.jsonl", "chat.jsonl", "bad.jsonl"} {
		if data, err := os.ReadFile(filepath.Join(dataDir, name)); err == nil {
			f.Add(data)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, format := range []Format{"", Explicit, Implicit, Conversational} {
			for _, skip := range []bool{false, true} {
				pairs, skipped, err := readPairsJSONL(data, Options{Format: format, SkipInvalid: skip})
				if err != nil {
					var re *RecordError
					if !errors.As(err, &re) && !errors.Is(err, ErrNoRecords) {
						t.Fatalf("error %v (%T) is neither a *RecordError nor ErrNoRecords", err, err)
					}
					if pairs != nil || skipped != nil {
						t.Fatalf("results returned with an error")
					}
					if skip && re != nil {
						t.Fatalf("SkipInvalid returned a record error: %v", err)
					}
					continue
				}
				checkFuzzPairs(t, pairs)
			}
		}
	})
}

func checkFuzzPairs(t *testing.T, pairs []Pair) {
	ids := map[string]bool{}
	last := 0
	for _, p := range pairs {
		if ids[p.ID] || p.ID == "" {
			t.Fatalf("id %q empty or repeated", p.ID)
		}
		ids[p.ID] = true
		if p.Line <= last {
			t.Fatalf("line %d after %d", p.Line, last)
		}
		last = p.Line
		if p.Conversational() {
			if len(p.ChosenMessages) == 0 || len(p.RejectedMessages) == 0 || len(p.PromptMessages) == 0 {
				t.Fatalf("conversational pair without prompt or responses: %+v", p)
			}
			continue
		}
		if want := btoi(blank(p.Chosen)) + btoi(blank(p.Rejected)); p.EmptyResponses() != want {
			t.Fatalf("EmptyResponses() = %d, want %d in %+v", p.EmptyResponses(), want, p)
		}
	}
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}
