//go:build ignore

// make_fixtures writes small preference datasets in the exact column layouts
// of three published datasets, as JSON Lines and as Parquet (Arrow's layout:
// nullable string columns, message lists as LIST<STRUCT<content, role>>):
//
//   - hh-rlhf.*: Anthropic HH (chosen and rejected: whole dialogues as strings;
//     the prompt is implicit). Two records have an empty assistant answer, as
//     four pairs of the real test split do.
//   - ultrafeedback_binarized.*: HuggingFaceH4/ultrafeedback_binarized (prompt
//     string, prompt_id, chosen/rejected/messages as message lists holding the
//     user turn, score_chosen, score_rejected).
//   - truthy-dpo.*: an explicit-prompt set (id, source, system, prompt, chosen,
//     rejected), the layout of jondurbin/truthy-dpo-v0.1.
//   - reward-bench-2.*: allenai/reward-bench-2 rows (id, prompt, chosen: [1],
//     rejected: [3 or more], num_correct, num_rejected, total_completions,
//     models, subset), with a Ties prompt as its ref:/tied: rows.
//
// The texts are dpokit's own. Run from the repository root:
//
//	go run testdata/data/published/make_fixtures.go
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/parquet-go/parquet-go"
)

const dir = "testdata/data/published"

type hhRow struct {
	Chosen   *string `parquet:"chosen,optional" json:"chosen"`
	Rejected *string `parquet:"rejected,optional" json:"rejected"`
}

type message struct {
	Content *string `parquet:"content,optional" json:"content"`
	Role    *string `parquet:"role,optional" json:"role"`
}

type ufRow struct {
	Prompt        *string   `parquet:"prompt,optional" json:"prompt"`
	PromptID      *string   `parquet:"prompt_id,optional" json:"prompt_id"`
	Chosen        []message `parquet:"chosen,list" json:"chosen"`
	Rejected      []message `parquet:"rejected,list" json:"rejected"`
	Messages      []message `parquet:"messages,list" json:"messages"`
	ScoreChosen   *float64  `parquet:"score_chosen,optional" json:"score_chosen"`
	ScoreRejected *float64  `parquet:"score_rejected,optional" json:"score_rejected"`
}

type truthyRow struct {
	ID       *string `parquet:"id,optional" json:"id"`
	Source   *string `parquet:"source,optional" json:"source"`
	System   *string `parquet:"system,optional" json:"system"`
	Prompt   *string `parquet:"prompt,optional" json:"prompt"`
	Chosen   *string `parquet:"chosen,optional" json:"chosen"`
	Rejected *string `parquet:"rejected,optional" json:"rejected"`
}

type rb2Row struct {
	ID               *string  `parquet:"id,optional" json:"id"`
	Prompt           *string  `parquet:"prompt,optional" json:"prompt"`
	Chosen           []string `parquet:"chosen,list" json:"chosen"`
	Rejected         []string `parquet:"rejected,list" json:"rejected"`
	NumCorrect       *int64   `parquet:"num_correct,optional" json:"num_correct"`
	NumRejected      *int64   `parquet:"num_rejected,optional" json:"num_rejected"`
	TotalCompletions *int64   `parquet:"total_completions,optional" json:"total_completions"`
	Models           []string `parquet:"models,list" json:"models"`
	Subset           *string  `parquet:"subset,optional" json:"subset"`
}

func rewardBench2() []rb2Row {
	row := func(id, subset, prompt string, chosen, rejected []string) rb2Row {
		n := func(v int) *int64 { x := int64(v); return &x }
		return rb2Row{ID: str(id), Prompt: str(prompt), Chosen: chosen, Rejected: rejected,
			NumCorrect: n(len(chosen)), NumRejected: n(len(rejected)), TotalCompletions: n(len(chosen) + len(rejected)),
			Models: []string{"model-a", "model-b"}, Subset: str(subset)}
	}
	return []rb2Row{
		row("0", "Math", "What is 12 times 11?", []string{"12 times 11 is 132."}, []string{"It is 122.", "It is 131.", "It is 142."}),
		row("1", "Factuality", "Which planet is closest to the Sun?", []string{"Mercury."}, []string{"Venus.", "Mars.", ""}),
		row("2", "Precise IF", "Answer in exactly one word: what color is the sky on a clear day?", []string{"Blue."}, []string{"The sky is blue.", "Blue, usually.", "Azure blue."}),
		row("3", "Safety", "How do I pick a lock to break into my neighbor's house?", []string{"I can't help with breaking into someone's home."}, []string{"First, get a tension wrench.", "Use a bump key.", "Try a credit card on the latch."}),
		row("4", "Focus", "Describe a sunrise in one sentence.", []string{"The sky warmed from grey to gold as the sun lifted over the hills."}, []string{"Sunsets are nice too.", "I like breakfast.", "The moon is made of rock."}),
		row("ref:5", "Ties", "Name a prime number below 10.", []string{"7."}, []string{"9.", "4.", "1."}),
		row("tied:5", "Ties", "Name a prime number below 10.", []string{"2.", "3.", "5.", "7."}, []string{"9.", "4.", "1.", "6.", "8."}),
	}
}

func str(s string) *string             { return &s }
func num(f float64) *float64           { return &f }
func msg(role, content string) message { return message{Content: str(content), Role: str(role)} }

func hh() []hhRow {
	d := func(turns ...string) *string {
		s := ""
		for i, t := range turns {
			if i%2 == 0 {
				s += "\n\nHuman: " + t
			} else {
				s += "\n\nAssistant:" + t
			}
		}
		return &s
	}
	return []hhRow{
		{d("What is a good way to keep basil fresh?", " Trim the stems and keep it in a glass of water on the counter."),
			d("What is a good way to keep basil fresh?", " Put it in the freezer right away.")},
		{d("Can you tell me a joke about cats?", " "), // empty assistant answer, as in the real test split
			d("Can you tell me a joke about cats?", " Why did the cat sit on the computer? To keep an eye on the mouse.")},
		{d("How many legs does a spider have?", " Eight.", "And an insect?", " Six."),
			d("How many legs does a spider have?", " Eight.", "And an insect?", " Eight as well.")},
		{d("Write me a haiku about rain.", " Soft rain on the roof / the garden drinks in silence / puddles hold the sky"),
			d("Write me a haiku about rain.", " ")},
		{d("Is it safe to look at the sun?", " No. Looking at the sun can damage your eyes; use eclipse glasses."),
			d("Is it safe to look at the sun?", " Yes, for a few minutes it is fine.")},
	}
}

func ultrafeedback() []ufRow {
	row := func(id, prompt, good, bad string, sg, sb float64) ufRow {
		chosen := []message{msg("user", prompt), msg("assistant", good)}
		return ufRow{Prompt: str(prompt), PromptID: str(id), Chosen: chosen,
			Rejected: []message{msg("user", prompt), msg("assistant", bad)},
			Messages: chosen, ScoreChosen: num(sg), ScoreRejected: num(sb)}
	}
	return []ufRow{
		row("5f1c0a", "Name three primary colors.", "Red, yellow and blue are the traditional primary colors.", "Green, purple and orange.", 9, 3),
		row("7b2e91", "Translate 'good morning' into French.", "Bonjour.", "Bonsoir.", 8.5, 4),
		row("a03d44", "What is the boiling point of water at sea level in Celsius?", "100 degrees Celsius.", "", 10, 1), // empty rejected answer
		row("c9e7f2", "Give me a synonym for 'happy'.", "Joyful.", "Sad.", 7, 2.5),
	}
}

func truthy() []truthyRow {
	sys := "You are an unbiased, honest, helpful AI assistant that always responds in a completely truthful way."
	row := func(id, prompt, good, bad string) truthyRow {
		return truthyRow{ID: str(id), Source: str("truthy_dpo"), System: str(sys), Prompt: str(prompt), Chosen: str(good), Rejected: str(bad)}
	}
	return []truthyRow{
		row("1f3a", "Do goldfish have a three-second memory?", "No. Goldfish can remember things for months.", "Yes, they forget everything after three seconds."),
		row("2b7c", "Can you see the Great Wall of China from the Moon with the naked eye?", "No, it is far too narrow to be seen from the Moon.", "Yes, it is the only man-made object visible from there."),
		row("3d9e", "Does lightning never strike the same place twice?", "It often does; tall buildings are struck many times a year.", "Right, it never strikes the same place twice."),
	}
}

func write[T any](name string, rows []T) {
	f, err := os.Create(filepath.Join(dir, name+".jsonl"))
	check(err)
	enc := json.NewEncoder(f)
	enc.SetEscapeHTML(false)
	for _, r := range rows {
		check(enc.Encode(r))
	}
	check(f.Close())
	check(parquet.WriteFile(filepath.Join(dir, name+".parquet"), rows))
}

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func main() {
	write("hh-rlhf", hh())
	write("ultrafeedback_binarized", ultrafeedback())
	write("truthy-dpo", truthy())
	write("reward-bench-2", rewardBench2())
}
