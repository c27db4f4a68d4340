package dataset

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"
)

// dataDir holds the project's shared test data.
var dataDir = filepath.Join("..", "testdata", "data")

// TestProjectData reads the shared files in testdata/data the way the
// command-line demo and other packages do.
func TestProjectData(t *testing.T) {
	t.Run("pairs.jsonl", func(t *testing.T) {
		pairs, skipped, err := ReadPairs(filepath.Join(dataDir, "pairs.jsonl"), Options{})
		if err != nil || len(skipped) != 0 {
			t.Fatal(err, skipped)
		}
		if len(pairs) != 24 || pairs[0].ID != "p01" || pairs[0].Prompt != "What is the capital of France?" || pairs[0].Chosen != " The capital of France is Paris." {
			t.Errorf("got %d pairs, first %+v", len(pairs), pairs[0])
		}
		for _, p := range pairs {
			if p.Conversational() || p.Prompt == "" || p.Chosen == p.Rejected {
				t.Errorf("pair %+v", p)
			}
		}
	})
	t.Run("hh.jsonl", func(t *testing.T) {
		pairs, skipped, err := ReadPairs(filepath.Join(dataDir, "hh.jsonl"), Options{})
		if err != nil || len(skipped) != 0 {
			t.Fatal(err, skipped)
		}
		if len(pairs) != 12 || pairs[11].ID != "12" {
			t.Fatalf("got %d pairs", len(pairs))
		}
		multi := 0
		for _, p := range pairs {
			if !strings.HasPrefix(p.Prompt, "\n\nHuman: ") || !strings.HasSuffix(p.Prompt, Marker) || !strings.HasPrefix(p.Chosen, " ") {
				t.Errorf("pair %+v", p)
			}
			if strings.Count(p.Prompt, Marker) > 1 {
				multi++
			}
		}
		if multi == 0 {
			t.Errorf("no multi-turn prompt")
		}
	})
	t.Run("chat.jsonl", func(t *testing.T) {
		pairs, skipped, err := ReadPairs(filepath.Join(dataDir, "chat.jsonl"), Options{})
		if err != nil || len(skipped) != 0 {
			t.Fatal(err, skipped)
		}
		if len(pairs) != 12 {
			t.Fatalf("got %d pairs", len(pairs))
		}
		for _, p := range pairs {
			last := p.PromptMessages[len(p.PromptMessages)-1]
			if !p.Conversational() || last.Role != "user" || p.ChosenMessages[0].Role != "assistant" || p.RejectedMessages[0].Role != "assistant" {
				t.Errorf("pair %+v", p)
			}
		}
	})
	t.Run("prompts.jsonl", func(t *testing.T) {
		prompts, skipped, err := ReadPrompts(filepath.Join(dataDir, "prompts.jsonl"), Options{})
		if err != nil || len(skipped) != 0 {
			t.Fatal(err, skipped)
		}
		if len(prompts) != 12 || prompts[0].ID != "q01" || prompts[0].Text == "" {
			t.Errorf("got %+v", prompts)
		}
	})
	t.Run("bad.jsonl", func(t *testing.T) {
		path := filepath.Join(dataDir, "bad.jsonl")
		_, _, err := ReadPairs(path, Options{})
		var re *RecordError
		if !errors.As(err, &re) || re.Line != 2 || re.Field != "rejected" {
			t.Fatalf("error %v, want one at line 2 for field rejected", err)
		}
		pairs, skipped, err := ReadPairs(path, Options{SkipInvalid: true})
		if err != nil {
			t.Fatal(err)
		}
		// b5's chosen is empty: real data, kept and counted (scored as EOS alone).
		if len(pairs) != 3 || pairs[0].ID != "b1" || pairs[1].ID != "b5" || pairs[1].EmptyResponses() != 1 || pairs[2].ID != "b11" {
			t.Errorf("pairs %+v", pairs)
		}
		want := []Skipped{
			{Line: 2, ID: "b2", Field: "rejected"},
			{Line: 3, Field: ""},
			{Line: 4, ID: "b4", Field: "chosen"},
			{Line: 7, ID: "b1", Field: "id"},
			{Line: 8, Field: ""},
			{Line: 9, ID: "8", Field: ""},
			{Line: 10, Field: "id"},
		}
		if len(skipped) != len(want) {
			t.Fatalf("skipped %+v", skipped)
		}
		for i, w := range want {
			s := skipped[i]
			if s.Line != w.Line || s.ID != w.ID || s.Field != w.Field || s.Reason == "" {
				t.Errorf("skipped[%d] = %+v, want %+v", i, s, w)
			}
		}
	})
}
