package dataset

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

type pairCase struct {
	name    string
	file    string // file name; its extension picks the kind
	content string
	opts    Options
	want    []Pair
}

// pairCases are good files; the fuzz test seeds from them too.
var pairCases = []pairCase{
	{
		name: "explicit with ids",
		file: "p.jsonl",
		content: lines(
			`{"id": "a", "prompt": "Q1?", "chosen": " yes", "rejected": " no"}`,
			`{"id": "b", "prompt": "Q2?", "chosen": " right", "rejected": " wrong"}`,
		),
		want: []Pair{
			{ID: "a", Line: 1, Prompt: "Q1?", Chosen: " yes", Rejected: " no"},
			{ID: "b", Line: 2, Prompt: "Q2?", Chosen: " right", Rejected: " wrong"},
		},
	},
	{
		name: "explicit without ids, blank lines passed over",
		file: "p.jsonl",
		content: "\n" + lines(
			`{"prompt": "Q1?", "chosen": "yes", "rejected": "no"}`,
			`   `,
			``,
			`{"prompt": "", "chosen": "right", "rejected": "wrong"}`,
		),
		want: []Pair{
			{ID: "1", Line: 2, Prompt: "Q1?", Chosen: "yes", Rejected: "no"},
			{ID: "2", Line: 5, Prompt: "", Chosen: "right", Rejected: "wrong"},
		},
	},
	{
		name: "numeric ids keep their text, null id is the record number",
		file: "p.jsonl",
		content: lines(
			`{"id": 7, "prompt": "a", "chosen": "b", "rejected": "c"}`,
			`{"id": 1.50, "prompt": "a", "chosen": "b", "rejected": "c"}`,
			`{"id": -2e3, "prompt": "a", "chosen": "b", "rejected": "c"}`,
			`{"id": null, "prompt": "a", "chosen": "b", "rejected": "c"}`,
		),
		want: []Pair{
			{ID: "7", Line: 1, Prompt: "a", Chosen: "b", Rejected: "c"},
			{ID: "1.50", Line: 2, Prompt: "a", Chosen: "b", Rejected: "c"},
			{ID: "-2e3", Line: 3, Prompt: "a", Chosen: "b", Rejected: "c"},
			{ID: "4", Line: 4, Prompt: "a", Chosen: "b", Rejected: "c"},
		},
	},
	{
		name: "extra fields ignored",
		file: "p.jsonl",
		content: lines(
			`{"prompt": "a", "chosen": "b", "rejected": "c", "score_chosen": 8.5, "source": {"x": [1]}, "messages": null}`,
		),
		want: []Pair{{ID: "1", Line: 1, Prompt: "a", Chosen: "b", Rejected: "c"}},
	},
	{
		name:    "CRLF line endings and a byte order mark",
		file:    "p.jsonl",
		content: "\ufeff" + `{"prompt": "a", "chosen": "b", "rejected": "c"}` + "\r\n" + `{"prompt": "d", "chosen": "e", "rejected": "f"}` + "\r\n",
		want: []Pair{
			{ID: "1", Line: 1, Prompt: "a", Chosen: "b", Rejected: "c"},
			{ID: "2", Line: 2, Prompt: "d", Chosen: "e", Rejected: "f"},
		},
	},
	{
		name:    "no newline at the end",
		file:    "p.jsonl",
		content: `{"prompt": "a", "chosen": "b", "rejected": "c"}`,
		want:    []Pair{{ID: "1", Line: 1, Prompt: "a", Chosen: "b", Rejected: "c"}},
	},
	{
		name: "escapes and non-ASCII text",
		file: "p.jsonl",
		content: lines(
			`{"prompt": "Caf\u00e9 \"menu\"?\n", "chosen": " Crème brûlée 🍮", "rejected": " tab\there"}`,
		),
		want: []Pair{{ID: "1", Line: 1, Prompt: "Café \"menu\"?\n", Chosen: " Crème brûlée 🍮", Rejected: " tab\there"}},
	},
	{
		name: "implicit single turn",
		file: "hh.jsonl",
		content: lines(
			`{"chosen": "\n\nHuman: Hi?\n\nAssistant: Hello, how can I help?", "rejected": "\n\nHuman: Hi?\n\nAssistant: Go away."}`,
		),
		want: []Pair{{ID: "1", Line: 1, Prompt: "\n\nHuman: Hi?\n\nAssistant:", Chosen: " Hello, how can I help?", Rejected: " Go away."}},
	},
	{
		name: "implicit multi-turn prompt",
		file: "hh.jsonl",
		content: lines(
			`{"id": "x", "chosen": "\n\nHuman: A?\n\nAssistant: B.\n\nHuman: C?\n\nAssistant: D.", "rejected": "\n\nHuman: A?\n\nAssistant: B.\n\nHuman: C?\n\nAssistant: E."}`,
		),
		want: []Pair{{ID: "x", Line: 1, Prompt: "\n\nHuman: A?\n\nAssistant: B.\n\nHuman: C?\n\nAssistant:", Chosen: " D.", Rejected: " E."}},
	},
	{
		name: "implicit responses sharing text after the marker",
		file: "hh.jsonl",
		content: lines(
			`{"chosen": "\n\nHuman: 2+2?\n\nAssistant: The answer is 4.", "rejected": "\n\nHuman: 2+2?\n\nAssistant: The answer is 5."}`,
		),
		want: []Pair{{ID: "1", Line: 1, Prompt: "\n\nHuman: 2+2?\n\nAssistant:", Chosen: " The answer is 4.", Rejected: " The answer is 5."}},
	},
	{
		name: "implicit forced ignores a prompt field",
		file: "hh.jsonl",
		opts: Options{Format: Implicit},
		content: lines(
			`{"prompt": "ignored", "chosen": "\n\nHuman: Hi\n\nAssistant: a", "rejected": "\n\nHuman: Hi\n\nAssistant: b"}`,
		),
		want: []Pair{{ID: "1", Line: 1, Prompt: "\n\nHuman: Hi\n\nAssistant:", Chosen: " a", Rejected: " b"}},
	},
	{
		name: "conversational with prompt",
		file: "chat.jsonl",
		content: lines(
			`{"id": 3, "prompt": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"}], "chosen": [{"role": "assistant", "content": "Hello!"}], "rejected": [{"role": "assistant", "content": "What?", "name": "bot"}]}`,
		),
		want: []Pair{{
			ID: "3", Line: 1,
			PromptMessages:   msgs("system", "Be brief.", "user", "Hi"),
			ChosenMessages:   msgs("assistant", "Hello!"),
			RejectedMessages: msgs("assistant", "What?"),
		}},
	},
	{
		name: "conversational without prompt takes the common leading messages",
		file: "chat.jsonl",
		content: lines(
			`{"chosen": [{"role": "user", "content": "A"}, {"role": "assistant", "content": "B"}, {"role": "user", "content": "C"}, {"role": "assistant", "content": "D"}], `+
				`"rejected": [{"role": "user", "content": "A"}, {"role": "assistant", "content": "B"}, {"role": "user", "content": "C"}, {"role": "assistant", "content": "E"}, {"role": "user", "content": "F"}]}`,
			`{"chosen": [{"role": "user", "content": "A"}, {"role": "assistant", "content": "B"}], "rejected": [{"role": "user", "content": "A"}, {"role": "assistant", "content": "X"}, {"role": "user", "content": "Y"}]}`,
		),
		want: []Pair{
			{
				ID: "1", Line: 1,
				PromptMessages:   msgs("user", "A", "assistant", "B", "user", "C"),
				ChosenMessages:   msgs("assistant", "D"),
				RejectedMessages: msgs("assistant", "E", "user", "F"),
			},
			{
				ID: "2", Line: 2,
				PromptMessages:   msgs("user", "A"),
				ChosenMessages:   msgs("assistant", "B"),
				RejectedMessages: msgs("assistant", "X", "user", "Y"),
			},
		},
	},
	{
		name: "conversational with empty content in a prompt message",
		file: "chat.jsonl",
		content: lines(
			`{"prompt": [{"role": "system", "content": ""}, {"role": "user", "content": "Hi"}], "chosen": [{"role": "assistant", "content": "Hello"}], "rejected": [{"role": "assistant", "content": "Bye"}]}`,
		),
		want: []Pair{{
			ID: "1", Line: 1,
			PromptMessages:   msgs("system", "", "user", "Hi"),
			ChosenMessages:   msgs("assistant", "Hello"),
			RejectedMessages: msgs("assistant", "Bye"),
		}},
	},
	{
		name: "JSON array, pretty-printed",
		file: "p.json",
		content: `[
  {
    "id": "a",
    "prompt": "Q1?",
    "chosen": "yes",
    "rejected": "no"
  },
  {"prompt": "Q2?", "chosen": "right", "rejected": "wrong"}
]
`,
		want: []Pair{
			{ID: "a", Line: 1, Prompt: "Q1?", Chosen: "yes", Rejected: "no"},
			{ID: "2", Line: 2, Prompt: "Q2?", Chosen: "right", Rejected: "wrong"},
		},
	},
	{
		name:    "JSON array of HH records",
		file:    "hh.json",
		content: `[{"chosen": "\n\nHuman: Hi\n\nAssistant: a", "rejected": "\n\nHuman: Hi\n\nAssistant: b"}]`,
		want:    []Pair{{ID: "1", Line: 1, Prompt: "\n\nHuman: Hi\n\nAssistant:", Chosen: " a", Rejected: " b"}},
	},
	{
		name: ".json file holding JSON Lines",
		file: "p.json",
		content: lines(
			`{"prompt": "a", "chosen": "b", "rejected": "c"}`,
			`{"prompt": "d", "chosen": "e", "rejected": "f"}`,
		),
		want: []Pair{
			{ID: "1", Line: 1, Prompt: "a", Chosen: "b", Rejected: "c"},
			{ID: "2", Line: 2, Prompt: "d", Chosen: "e", Rejected: "f"},
		},
	},
	{
		name:    "gzipped JSON Lines",
		file:    "p.jsonl.gz",
		content: lines(`{"id": "g", "prompt": "a", "chosen": "b", "rejected": "c"}`),
		want:    []Pair{{ID: "g", Line: 1, Prompt: "a", Chosen: "b", Rejected: "c"}},
	},
	{
		name:    "gzipped JSON array",
		file:    "p.json.gz",
		content: `[{"id": "g", "prompt": "a", "chosen": "b", "rejected": "c"}]`,
		want:    []Pair{{ID: "g", Line: 1, Prompt: "a", Chosen: "b", Rejected: "c"}},
	},
	{
		name:    "gzip found by magic bytes under another name",
		file:    "p.data.gz",
		content: lines(`{"prompt": "a", "chosen": "b", "rejected": "c"}`),
		want:    []Pair{{ID: "1", Line: 1, Prompt: "a", Chosen: "b", Rejected: "c"}},
	},
	{
		name:    "unknown extension sniffed as a JSON array",
		file:    "p.txt",
		content: "\n  [{\"prompt\": \"a\", \"chosen\": \"b\", \"rejected\": \"c\"}]",
		want:    []Pair{{ID: "1", Line: 1, Prompt: "a", Chosen: "b", Rejected: "c"}},
	},
	{
		name:    "unknown extension sniffed as JSON Lines",
		file:    "p",
		content: lines(`{"prompt": "a", "chosen": "b", "rejected": "c"}`),
		want:    []Pair{{ID: "1", Line: 1, Prompt: "a", Chosen: "b", Rejected: "c"}},
	},
	{
		name:    "kind forced",
		file:    "p.txt",
		opts:    Options{Kind: JSON},
		content: `[{"prompt": "a", "chosen": "b", "rejected": "c"}]`,
		want:    []Pair{{ID: "1", Line: 1, Prompt: "a", Chosen: "b", Rejected: "c"}},
	},
	{
		name:    "format and kind given as auto",
		file:    "p.jsonl",
		opts:    Options{Format: Auto, Kind: Auto},
		content: lines(`{"prompt": "a", "chosen": "b", "rejected": "c"}`),
		want:    []Pair{{ID: "1", Line: 1, Prompt: "a", Chosen: "b", Rejected: "c"}},
	},
}

func TestReadPairs(t *testing.T) {
	for _, tc := range pairCases {
		t.Run(tc.name, func(t *testing.T) {
			path := writeFile(t, tc.file, tc.content)
			got, skipped, err := ReadPairs(path, tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			if len(skipped) != 0 {
				t.Errorf("skipped %+v", skipped)
			}
			checkPairs(t, got, tc.want)
			for _, p := range got {
				if p.Conversational() != (p.ChosenMessages != nil) {
					t.Errorf("Conversational() = %v for %+v", p.Conversational(), p)
				}
			}
		})
	}
}

func TestSplitPrompt(t *testing.T) {
	tests := []struct {
		name                       string
		chosen, rejected           string
		prompt, chosenR, rejectedR string
		ok                         bool
	}{
		{
			name:     "single turn",
			chosen:   "\n\nHuman: What is 2+2?\n\nAssistant: 4",
			rejected: "\n\nHuman: What is 2+2?\n\nAssistant: 5",
			prompt:   "\n\nHuman: What is 2+2?\n\nAssistant:", chosenR: " 4", rejectedR: " 5", ok: true,
		},
		{
			name:     "common prefix spans several turns",
			chosen:   "\n\nHuman: Hi\n\nAssistant: Hello.\n\nHuman: Name a fruit.\n\nAssistant: Apple.",
			rejected: "\n\nHuman: Hi\n\nAssistant: Hello.\n\nHuman: Name a fruit.\n\nAssistant: Carrot.",
			prompt:   "\n\nHuman: Hi\n\nAssistant: Hello.\n\nHuman: Name a fruit.\n\nAssistant:", chosenR: " Apple.", rejectedR: " Carrot.", ok: true,
		},
		{
			name:     "responses share leading text after the marker",
			chosen:   "\n\nHuman: Capital of France?\n\nAssistant: The capital is Paris.",
			rejected: "\n\nHuman: Capital of France?\n\nAssistant: The capital is Rome.",
			prompt:   "\n\nHuman: Capital of France?\n\nAssistant:", chosenR: " The capital is Paris.", rejectedR: " The capital is Rome.", ok: true,
		},
		{
			name:     "responses share a whole assistant turn and a human marker",
			chosen:   "\n\nHuman: A\n\nAssistant: B\n\nHuman: C\n\nAssistant: D",
			rejected: "\n\nHuman: A\n\nAssistant: B\n\nHuman: X\n\nAssistant: Y",
			prompt:   "\n\nHuman: A\n\nAssistant:", chosenR: " B\n\nHuman: C\n\nAssistant: D", rejectedR: " B\n\nHuman: X\n\nAssistant: Y", ok: true,
		},
		{
			name:     "responses diverge right after the marker",
			chosen:   "\n\nHuman: A\n\nAssistant:B",
			rejected: "\n\nHuman: A\n\nAssistant:C",
			prompt:   "\n\nHuman: A\n\nAssistant:", chosenR: "B", rejectedR: "C", ok: true,
		},
		{
			name:     "marker only partly in the common prefix",
			chosen:   "\n\nHuman: A\n\nAssistant: yes\n\nHuman: B\n\nAssistant: C",
			rejected: "\n\nHuman: A\n\nAssistant: yes\n\nHuman: B\n\nAssistance is here",
			prompt:   "\n\nHuman: A\n\nAssistant:", chosenR: " yes\n\nHuman: B\n\nAssistant: C", rejectedR: " yes\n\nHuman: B\n\nAssistance is here", ok: true,
		},
		{
			name:     "chosen is a prefix of rejected",
			chosen:   "\n\nHuman: A\n\nAssistant: B",
			rejected: "\n\nHuman: A\n\nAssistant: B and more",
			prompt:   "\n\nHuman: A\n\nAssistant:", chosenR: " B", rejectedR: " B and more", ok: true,
		},
		{
			name:     "identical texts",
			chosen:   "\n\nHuman: A\n\nAssistant: B",
			rejected: "\n\nHuman: A\n\nAssistant: B",
			prompt:   "\n\nHuman: A\n\nAssistant:", chosenR: " B", rejectedR: " B", ok: true,
		},
		{
			name:     "no marker at all",
			chosen:   "Question: A\nAnswer: B",
			rejected: "Question: A\nAnswer: C",
		},
		{
			name:     "marker only after the texts diverge",
			chosen:   "\n\nHuman: A\n\nAssistant: B",
			rejected: "\n\nHuman: X\n\nAssistant: B",
		},
		{
			name: "empty texts",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			prompt, c, r, ok := SplitPrompt(tc.chosen, tc.rejected)
			if ok != tc.ok || prompt != tc.prompt || c != tc.chosenR || r != tc.rejectedR {
				t.Errorf("SplitPrompt = %q, %q, %q, %v; want %q, %q, %q, %v", prompt, c, r, ok, tc.prompt, tc.chosenR, tc.rejectedR, tc.ok)
			}
			if ok && (prompt+c != tc.chosen || prompt+r != tc.rejected || !strings.HasSuffix(prompt, Marker)) {
				t.Errorf("the split does not give back the texts")
			}
		})
	}
}

func TestLongLine(t *testing.T) {
	long := strings.Repeat("All work and no play. ", 150_000) // 3.3 MB
	path := writeFile(t, "long.jsonl", lines(
		`{"prompt": "a", "chosen": "`+long+`", "rejected": "c"}`,
		`{"prompt": "d", "chosen": "e", "rejected": "f"}`,
	))
	got, _, err := ReadPairs(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Chosen != long || got[1].Line != 2 {
		t.Fatalf("got %d pairs, first chosen of %d bytes", len(got), len(got[0].Chosen))
	}
}

// TestFileKinds reads the same records from every kind of file.
func TestFileKinds(t *testing.T) {
	records := []string{
		`{"id": "a", "prompt": "Q1?", "chosen": "yes", "rejected": "no"}`,
		`{"id": 2, "prompt": "Q2?", "chosen": "right", "rejected": "wrong"}`,
	}
	want := []Pair{
		{ID: "a", Line: 1, Prompt: "Q1?", Chosen: "yes", Rejected: "no"},
		{ID: "2", Line: 2, Prompt: "Q2?", Chosen: "right", Rejected: "wrong"},
	}
	array := "[" + strings.Join(records, ",\n") + "]"
	type row struct {
		ID       int64  `parquet:"id"`
		Prompt   string `parquet:"prompt"`
		Chosen   string `parquet:"chosen"`
		Rejected string `parquet:"rejected"`
	}
	parquetFile := func(t *testing.T, name string) string {
		path := writeParquet(t, name, []row{{0, "Q1?", "yes", "no"}, {2, "Q2?", "right", "wrong"}})
		return path
	}
	tests := []struct {
		name string
		path func(t *testing.T) string
		opts Options
	}{
		{"jsonl", func(t *testing.T) string { return writeFile(t, "d.jsonl", lines(records...)) }, Options{}},
		{"ndjson", func(t *testing.T) string { return writeFile(t, "d.ndjson", lines(records...)) }, Options{}},
		{"jsonl.gz", func(t *testing.T) string { return writeFile(t, "d.jsonl.gz", lines(records...)) }, Options{}},
		{"json", func(t *testing.T) string { return writeFile(t, "d.json", array) }, Options{}},
		{"json.gz", func(t *testing.T) string { return writeFile(t, "d.json.gz", array) }, Options{}},
		{"JSONL upper-case extension", func(t *testing.T) string { return writeFile(t, "D.JSONL", lines(records...)) }, Options{}},
		{"jsonl forced", func(t *testing.T) string { return writeFile(t, "d.dat", lines(records...)) }, Options{Kind: JSONL}},
		{"parquet", func(t *testing.T) string { return parquetFile(t, "d.parquet") }, Options{}},
		{"parquet sniffed", func(t *testing.T) string { return parquetFile(t, "d.bin") }, Options{}},
		{"parquet forced", func(t *testing.T) string { return parquetFile(t, "d.json") }, Options{Kind: Parquet}},
		{"parquet.gz", func(t *testing.T) string {
			data, err := os.ReadFile(parquetFile(t, "d.parquet"))
			if err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(t.TempDir(), "d.parquet.gz")
			if err := os.WriteFile(path, gzipBytes(t, data), 0o644); err != nil {
				t.Fatal(err)
			}
			return path
		}, Options{}},
		{"gzip under a name that is not .gz", func(t *testing.T) string {
			path := writeFile(t, "d.jsonl.gz", lines(records...))
			renamed := filepath.Join(filepath.Dir(path), "d.jsonl")
			if err := os.Rename(path, renamed); err != nil {
				t.Fatal(err)
			}
			return renamed
		}, Options{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := tc.path(t)
			got, skipped, err := ReadPairs(path, tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			if len(skipped) != 0 {
				t.Errorf("skipped %+v", skipped)
			}
			w := want
			if strings.Contains(tc.name, "parquet") { // the row type has no "a" id
				w = []Pair{want[0], want[1]}
				w[0].ID = "0"
			}
			checkPairs(t, got, w)
		})
	}
}

func TestSkipInvalid(t *testing.T) {
	path := writeFile(t, "mixed.jsonl", lines(
		`{"id": "x", "chosen": "yes", "rejected": "no"}`, // bad before the format is known
		`{"id": "a", "prompt": "Q", "chosen": "yes", "rejected": "no"}`,
		`not json`,
		`{"id": "a", "prompt": "Q", "chosen": "yes", "rejected": "no"}`,
		``,
		`{"prompt": "Q", "chosen": 1, "rejected": "no"}`,
		`{"id": false, "prompt": "Q", "chosen": "yes", "rejected": "no"}`,
		`{"chosen": "\n\nHuman: Q\n\nAssistant: yes", "rejected": "\n\nHuman: Q\n\nAssistant: no"}`,
		`{"id": "b", "prompt": "Q", "chosen": "yes", "rejected": "no"}`,
	))
	got, skipped, err := ReadPairs(path, Options{SkipInvalid: true})
	if err != nil {
		t.Fatal(err)
	}
	checkPairs(t, got, []Pair{
		{ID: "a", Line: 2, Prompt: "Q", Chosen: "yes", Rejected: "no"},
		{ID: "b", Line: 9, Prompt: "Q", Chosen: "yes", Rejected: "no"},
	})
	want := []struct {
		line          int
		id, field, in string
	}{
		{1, "x", "chosen", "no \"\\n\\nAssistant:\" in the text chosen and rejected share"},
		{3, "", "", "invalid JSON"},
		{4, "a", "id", `duplicate id "a" (first at line 2)`},
		{6, "5", "chosen", "a number, want a string"},
		{7, "", "id", "a boolean, want a string or a number"},
		{8, "7", "prompt", "missing (the record looks implicit, but the file's records are explicit, as detected at line 2)"},
	}
	if len(skipped) != len(want) {
		t.Fatalf("skipped %d records, want %d: %+v", len(skipped), len(want), skipped)
	}
	for i, w := range want {
		s := skipped[i]
		if s.Line != w.line || s.ID != w.id || s.Field != w.field || !strings.Contains(s.Reason, w.in) {
			t.Errorf("skipped[%d] = %+v, want line %d id %q field %q reason with %q", i, s, w.line, w.id, w.field, w.in)
		}
	}

	t.Run("every record bad", func(t *testing.T) {
		path := writeFile(t, "bad.jsonl", lines(`{"a": 1}`, `[]`))
		got, skipped, err := ReadPairs(path, Options{SkipInvalid: true})
		if err != nil || len(got) != 0 || len(skipped) != 2 {
			t.Errorf("got %v, %+v, %v; want no pairs, 2 skipped, no error", got, skipped, err)
		}
	})
	t.Run("broken JSON array still fails", func(t *testing.T) {
		path := writeFile(t, "bad.json", "[\n{\"prompt\": \"a\", \"chosen\": \"b\", \"rejected\": \"c\"},\n{\"prompt\": }\n]")
		_, _, err := ReadPairs(path, Options{SkipInvalid: true})
		re := recordError(t, err, path, 2, "", "invalid JSON")
		if re.TextLine != 3 {
			t.Errorf("TextLine = %d, want 3", re.TextLine)
		}
	})
	t.Run("JSON array records skipped by index", func(t *testing.T) {
		path := writeFile(t, "bad.json", `[{"prompt": "a", "chosen": "b", "rejected": "c"}, 5, {"prompt": "a", "chosen": "b"}]`)
		got, skipped, err := ReadPairs(path, Options{SkipInvalid: true})
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 1 || len(skipped) != 2 || skipped[0].Line != 2 || skipped[1].Line != 3 || skipped[1].Field != "rejected" || skipped[1].ID != "3" {
			t.Errorf("got %+v, skipped %+v", got, skipped)
		}
	})
}
