package dataset

import (
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestPublishedSchemas reads fixtures in the exact column layouts of Anthropic
// HH, UltraFeedback-binarized and an explicit-prompt set (truthy-dpo), as JSON
// Lines and as Parquet (testdata/data/published/make_fixtures.go): auto-detection
// picks each format (the same pairs as with the format forced), extra columns
// are ignored, and empty answers are kept and counted.
func TestPublishedSchemas(t *testing.T) {
	user := func(s string) Message { return Message{Role: "user", Content: s} }
	asst := func(s string) Message { return Message{Role: "assistant", Content: s} }
	hhPrompt := func(q string) string { return "\n\nHuman: " + q + "\n\nAssistant:" }
	cases := []struct {
		name   string
		format Format
		want   []Pair
		empty  int
	}{
		{"hh-rlhf", Implicit, []Pair{
			{ID: "1", Line: 1, Prompt: hhPrompt("What is a good way to keep basil fresh?"), Chosen: " Trim the stems and keep it in a glass of water on the counter.", Rejected: " Put it in the freezer right away."},
			{ID: "2", Line: 2, Prompt: hhPrompt("Can you tell me a joke about cats?"), Chosen: " ", Rejected: " Why did the cat sit on the computer? To keep an eye on the mouse."},
			{ID: "3", Line: 3, Prompt: "\n\nHuman: How many legs does a spider have?\n\nAssistant: Eight.\n\nHuman: And an insect?\n\nAssistant:", Chosen: " Six.", Rejected: " Eight as well."},
			{ID: "4", Line: 4, Prompt: hhPrompt("Write me a haiku about rain."), Chosen: " Soft rain on the roof / the garden drinks in silence / puddles hold the sky", Rejected: " "},
			{ID: "5", Line: 5, Prompt: hhPrompt("Is it safe to look at the sun?"), Chosen: " No. Looking at the sun can damage your eyes; use eclipse glasses.", Rejected: " Yes, for a few minutes it is fine."},
		}, 2},
		{"ultrafeedback_binarized", Conversational, []Pair{
			{ID: "1", Line: 1, PromptMessages: []Message{user("Name three primary colors.")}, ChosenMessages: []Message{asst("Red, yellow and blue are the traditional primary colors.")}, RejectedMessages: []Message{asst("Green, purple and orange.")}},
			{ID: "2", Line: 2, PromptMessages: []Message{user("Translate 'good morning' into French.")}, ChosenMessages: []Message{asst("Bonjour.")}, RejectedMessages: []Message{asst("Bonsoir.")}},
			{ID: "3", Line: 3, PromptMessages: []Message{user("What is the boiling point of water at sea level in Celsius?")}, ChosenMessages: []Message{asst("100 degrees Celsius.")}, RejectedMessages: []Message{asst("")}},
			{ID: "4", Line: 4, PromptMessages: []Message{user("Give me a synonym for 'happy'.")}, ChosenMessages: []Message{asst("Joyful.")}, RejectedMessages: []Message{asst("Sad.")}},
		}, 1},
		{"truthy-dpo", Explicit, []Pair{
			{ID: "1f3a", Line: 1, Prompt: "Do goldfish have a three-second memory?", Chosen: "No. Goldfish can remember things for months.", Rejected: "Yes, they forget everything after three seconds."},
			{ID: "2b7c", Line: 2, Prompt: "Can you see the Great Wall of China from the Moon with the naked eye?", Chosen: "No, it is far too narrow to be seen from the Moon.", Rejected: "Yes, it is the only man-made object visible from there."},
			{ID: "3d9e", Line: 3, Prompt: "Does lightning never strike the same place twice?", Chosen: "It often does; tall buildings are struck many times a year.", Rejected: "Right, it never strikes the same place twice."},
		}, 0},
	}
	for _, tc := range cases {
		for _, ext := range []string{".jsonl", ".parquet"} {
			t.Run(tc.name+ext, func(t *testing.T) {
				path := filepath.Join(dataDir, "published", tc.name+ext)
				for _, f := range []Format{"", tc.format} {
					got, skipped, err := ReadPairs(path, Options{Format: f})
					if err != nil || len(skipped) != 0 {
						t.Fatalf("format %q: err %v, skipped %v", f, err, skipped)
					}
					checkPairs(t, got, tc.want)
					empty := 0
					for _, p := range got {
						empty += p.EmptyResponses()
					}
					if empty != tc.empty {
						t.Errorf("format %q: %d empty responses, want %d", f, empty, tc.empty)
					}
				}
			})
		}
	}
}

// TestRewardBench2 reads RewardBench 2 rows in their published layout and
// refuses rows whose counts disagree with their lists.
func TestRewardBench2(t *testing.T) {
	for _, ext := range []string{".jsonl", ".parquet"} {
		t.Run(ext, func(t *testing.T) {
			rows, skipped, err := ReadRankings(filepath.Join(dataDir, "published", "reward-bench-2"+ext), Options{})
			if err != nil || len(skipped) != 0 || len(rows) != 7 {
				t.Fatalf("%d rows, skipped %v, err %v", len(rows), skipped, err)
			}
			r := rows[1]
			if r.ID != "1" || r.Subset != "Factuality" || r.Prompt != "Which planet is closest to the Sun?" ||
				len(r.Chosen) != 1 || r.Chosen[0] != "Mercury." || len(r.Rejected) != 3 || r.Rejected[2] != "" || r.NumCorrect != 1 {
				t.Errorf("row 1: %+v", r)
			}
			if tied := rows[6]; tied.ID != "tied:5" || tied.NumCorrect != 4 || len(tied.Rejected) != 5 {
				t.Errorf("row 6: %+v", tied)
			}
		})
	}
	bad := []struct{ record, field, want string }{
		{`{"prompt": "Q", "chosen": ["a"], "rejected": ["b"], "num_correct": 2, "subset": "Math"}`, "num_correct", "chosen holds 1"},
		{`{"prompt": "Q", "chosen": ["a"], "rejected": ["b", "c"], "total_completions": 4, "subset": "Math"}`, "total_completions", "hold 3"},
		{`{"prompt": "Q", "chosen": ["a"], "rejected": [1], "subset": "Math"}`, "rejected[0]", "want a string"},
		{`{"prompt": "Q", "chosen": [], "rejected": ["b"], "subset": "Math"}`, "chosen", "empty list"},
		{`{"prompt": "Q", "chosen": ["a"], "rejected": ["b"]}`, "subset", "missing"},
		{`{"prompt": "Q", "chosen": ["a"], "rejected": ["b"], "num_correct": -1, "subset": "Math"}`, "num_correct", "non-negative"},
	}
	for _, b := range bad {
		path := writeFile(t, "rb.jsonl", lines(b.record))
		_, _, err := ReadRankings(path, Options{})
		recordError(t, err, path, 1, b.field, b.want)
	}
	if !IsRanking(map[string]any{"chosen": []any{"a"}, "subset": "Math"}) || IsRanking(map[string]any{"chosen": "a", "subset": "Math"}) ||
		IsRanking(map[string]any{"chosen": []any{map[string]any{"role": "user"}}, "subset": "x"}) {
		t.Error("IsRanking")
	}
}

// TestTruncatedGzip: a .gz cut short is reported as truncated, naming the
// file, not as bad JSON on some line.
func TestTruncatedGzip(t *testing.T) {
	var recs []string
	for i := range 400 {
		recs = append(recs, fmt.Sprintf(`{"prompt": "question %d with some padding text to fill the stream", "chosen": "yes %d", "rejected": "no %d"}`, i, i, i))
	}
	for _, name := range []string{"p.jsonl.gz", "p.json.gz"} {
		content := lines(recs...)
		if strings.HasPrefix(name, "p.json.") {
			content = "[" + strings.Join(recs, ",\n") + "]"
		}
		var buf bytes.Buffer
		zw := gzip.NewWriter(&buf)
		zw.Write([]byte(content))
		zw.Close()
		cut := buf.Bytes()[:buf.Len()*2/3]
		path := filepath.Join(t.TempDir(), name)
		if err := os.WriteFile(path, cut, 0o644); err != nil {
			t.Fatal(err)
		}
		_, _, err := ReadPairs(path, Options{SkipInvalid: true})
		if !errors.Is(err, ErrTruncated) || !strings.Contains(err.Error(), path) {
			t.Errorf("%s: err %v, want ErrTruncated naming the file", name, err)
		}
	}
}
