package dataset

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

type errorCase struct {
	name    string
	file    string
	content string
	opts    Options
	line    int
	field   string
	want    string // part of the message
}

// good is a valid explicit record, to put bad ones after.
const good = `{"prompt": "Q", "chosen": "yes", "rejected": "no"}`

// pairErrorCases are bad pair files; the fuzz test seeds from them too.
var pairErrorCases = []errorCase{
	{name: "invalid JSON", content: lines(good, `{"prompt": "Q", "chosen": "yes", "rejected": }`), line: 2, want: "invalid JSON"},
	{name: "truncated record", content: lines(good, `{"prompt": "Q", "chosen": "yes"`), line: 2, want: "invalid JSON: the record ends early"},
	{name: "text after the record", content: lines(`{"prompt": "Q", "chosen": "yes", "rejected": "no"} {}`), line: 1, want: "unexpected text after byte"},
	{name: "record is a list", content: lines(good, "", `["Q", "yes", "no"]`), line: 3, want: "the record is a list, want a JSON object"},
	{name: "record is a string", content: lines(`"Q"`), line: 1, want: "the record is a string, want a JSON object"},
	{name: "record is null", content: lines(`null`), line: 1, want: "the record is null"},
	{name: "invalid UTF-8", content: lines(good, "{\"prompt\": \"Q\", \"chosen\": \"y\xe9s\", \"rejected\": \"no\"}"), line: 2, want: "invalid UTF-8 at byte 29 of the record"},
	{name: "no expected field", content: lines(`{"question": "Q", "answer": "A"}`), line: 1, want: `no "prompt", "chosen" or "rejected" field (the record has "answer", "question")`},
	{name: "empty object", content: lines(`{}`), line: 1, want: "the record is an empty object"},
	{name: "missing chosen", content: lines(good, `{"prompt": "Q", "rejected": "no"}`), line: 2, field: "chosen", want: "missing"},
	{name: "missing rejected", content: lines(`{"prompt": "Q", "chosen": "yes"}`), line: 1, field: "rejected", want: "missing"},
	{name: "missing prompt when forced explicit", content: lines(`{"chosen": "yes", "rejected": "no"}`), opts: Options{Format: Explicit}, line: 1, field: "prompt", want: "missing"},
	{name: "chosen is a number", content: lines(`{"prompt": "Q", "chosen": 4, "rejected": "no"}`), line: 1, field: "chosen", want: "a number, want a string"},
	{name: "prompt is a number", content: lines(`{"prompt": 1, "chosen": "yes", "rejected": "no"}`), line: 1, field: "prompt", want: "a number, want a string"},
	{name: "prompt is an object", content: lines(`{"prompt": {"text": "Q"}, "chosen": "yes", "rejected": "no"}`), line: 1, field: "prompt", want: "an object, want a string"},
	{name: "rejected is null", content: lines(`{"prompt": "Q", "chosen": "yes", "rejected": null}`), line: 1, field: "rejected", want: "null, want a string"},
	{name: "later record in another format", content: lines(good, `{"chosen": "yes", "rejected": "no"}`), line: 2, field: "prompt",
		want: "missing (the record looks implicit, but the file's records are explicit, as detected at line 1)"},
	{name: "id is a boolean", content: lines(`{"id": true, "prompt": "Q", "chosen": "yes", "rejected": "no"}`), line: 1, field: "id", want: "a boolean, want a string or a number"},
	{name: "id is a list", content: lines(`{"id": [1], "prompt": "Q", "chosen": "yes", "rejected": "no"}`), line: 1, field: "id", want: "a list, want a string or a number"},
	{name: "id is empty", content: lines(`{"id": "", "prompt": "Q", "chosen": "yes", "rejected": "no"}`), line: 1, field: "id", want: "empty"},
	{name: "duplicate id", content: lines(`{"id": "a", "prompt": "Q", "chosen": "yes", "rejected": "no"}`, ``, `{"id": "a", "prompt": "R", "chosen": "yes", "rejected": "no"}`), line: 3, field: "id", want: `duplicate id "a" (first at line 1)`},
	{name: "duplicate numeric id", content: lines(`{"id": 1, "prompt": "Q", "chosen": "yes", "rejected": "no"}`, `{"id": "1", "prompt": "R", "chosen": "yes", "rejected": "no"}`), line: 2, field: "id", want: `duplicate id "1"`},
	{name: "id equal to a record number", content: lines(good, `{"id": "1", "prompt": "R", "chosen": "yes", "rejected": "no"}`), line: 2, field: "id",
		want: `duplicate id "1" (first at line 1); a record without an id gets its record number`},

	{name: "implicit without marker", file: "hh.jsonl", content: lines(`{"chosen": "Human: Q\nAssistant: yes", "rejected": "Human: Q\nAssistant: no"}`), line: 1, field: "chosen", want: `no "\n\nAssistant:" in the text chosen and rejected share`},
	{name: "implicit marker after divergence", file: "hh.jsonl", content: lines(`{"chosen": "\n\nHuman: Q\n\nAssistant: yes", "rejected": "\n\nHuman: R\n\nAssistant: no"}`), line: 1, field: "chosen", want: "no prompt to take"},
	{name: "implicit empty chosen", file: "hh.jsonl", content: lines(`{"chosen": "", "rejected": "\n\nHuman: Q\n\nAssistant: no"}`), line: 1, field: "chosen", want: "no \"\\n\\nAssistant:\""},
	{name: "implicit rejected missing", file: "hh.jsonl", content: lines(`{"chosen": "\n\nHuman: Q\n\nAssistant: yes"}`), line: 1, field: "rejected", want: "missing"},

	{name: "message without role", file: "chat.jsonl", content: lines(`{"prompt": [{"content": "Q"}], "chosen": [{"role": "assistant", "content": "yes"}], "rejected": [{"role": "assistant", "content": "no"}]}`), line: 1, field: "prompt[0].role", want: "missing"},
	{name: "message without content", file: "chat.jsonl", content: lines(`{"prompt": [{"role": "user", "content": "Q"}], "chosen": [{"role": "assistant"}], "rejected": [{"role": "assistant", "content": "no"}]}`), line: 1, field: "chosen[0].content", want: "missing"},
	{name: "message role is a number", file: "chat.jsonl", content: lines(`{"prompt": [{"role": "user", "content": "Q"}], "chosen": [{"role": "assistant", "content": "yes"}], "rejected": [{"role": "assistant", "content": "no"}, {"role": 2, "content": "x"}]}`), line: 1, field: "rejected[1].role", want: "a number, want a string"},
	{name: "message role is empty", file: "chat.jsonl", content: lines(`{"prompt": [{"role": "", "content": "Q"}], "chosen": [{"role": "assistant", "content": "yes"}], "rejected": [{"role": "assistant", "content": "no"}]}`), line: 1, field: "prompt[0].role", want: "empty"},
	{name: "message content in parts", file: "chat.jsonl", content: lines(`{"prompt": [{"role": "user", "content": [{"type": "text", "text": "Q"}]}], "chosen": [{"role": "assistant", "content": "yes"}], "rejected": [{"role": "assistant", "content": "no"}]}`), line: 1, field: "prompt[0].content", want: "content made of parts is not supported"},
	{name: "message is a string", file: "chat.jsonl", content: lines(`{"prompt": ["Q"], "chosen": [{"role": "assistant", "content": "yes"}], "rejected": [{"role": "assistant", "content": "no"}]}`), line: 1, field: "prompt[0]", want: "a string, want a message object"},
	{name: "blank text prompt and responses without a shared start", file: "chat.jsonl", content: lines(`{"prompt": " ", "chosen": [{"role": "assistant", "content": "yes"}], "rejected": [{"role": "assistant", "content": "no"}]}`), line: 1, field: "prompt", want: "empty prompt"},
	{name: "empty prompt list", file: "chat.jsonl", content: lines(`{"prompt": [], "chosen": [{"role": "assistant", "content": "yes"}], "rejected": [{"role": "assistant", "content": "no"}]}`), line: 1, field: "prompt", want: "empty list"},
	{name: "empty chosen list", file: "chat.jsonl", content: lines(`{"prompt": [{"role": "user", "content": "Q"}], "chosen": [], "rejected": [{"role": "assistant", "content": "no"}]}`), line: 1, field: "chosen", want: "no response: no messages after the prompt"},
	{name: "no prompt and no common messages", file: "chat.jsonl", content: lines(`{"chosen": [{"role": "user", "content": "Q"}, {"role": "assistant", "content": "yes"}], "rejected": [{"role": "user", "content": "R"}, {"role": "assistant", "content": "no"}]}`), line: 1, field: "chosen", want: "share no leading messages"},
	{name: "no prompt and equal conversations", file: "chat.jsonl", content: lines(`{"chosen": [{"role": "user", "content": "Q"}, {"role": "assistant", "content": "yes"}], "rejected": [{"role": "user", "content": "Q"}, {"role": "assistant", "content": "yes"}]}`), line: 1, field: "chosen", want: "no response: no messages after the prompt"},
	{name: "chosen list when forced explicit", file: "chat.jsonl", opts: Options{Format: Explicit}, content: lines(`{"prompt": "Q", "chosen": [{"role": "assistant", "content": "yes"}], "rejected": "no"}`), line: 1, field: "chosen", want: "a list, want a string"},
	{name: "text chosen when forced conversational", file: "chat.jsonl", opts: Options{Format: Conversational}, content: lines(good), line: 1, field: "chosen", want: "a string, want a list of messages"},
}

func TestReadPairsErrors(t *testing.T) {
	for _, tc := range pairErrorCases {
		t.Run(tc.name, func(t *testing.T) {
			file := tc.file
			if file == "" {
				file = "pairs.jsonl"
			}
			path := writeFile(t, file, tc.content)
			pairs, _, err := ReadPairs(path, tc.opts)
			if pairs != nil {
				t.Errorf("got pairs %+v with an error", pairs)
			}
			re := recordError(t, err, path, tc.line, tc.field, tc.want)
			prefix := path + ":" + strconv.Itoa(tc.line) + ": "
			if tc.field != "" {
				prefix += `field "` + tc.field + `": `
			}
			if !strings.HasPrefix(re.Error(), prefix) {
				t.Errorf("Error() = %q, want it to start with %q", re.Error(), prefix)
			}
			if errors.Unwrap(re) == nil {
				t.Errorf("Unwrap() = nil")
			}

			// The same file read with SkipInvalid lists the bad record.
			_, skipped, err := ReadPairs(path, Options{Format: tc.opts.Format, SkipInvalid: true})
			if err != nil {
				t.Fatalf("with SkipInvalid: %v", err)
			}
			if len(skipped) != 1 || skipped[0].Line != tc.line || skipped[0].Field != tc.field || !strings.Contains(skipped[0].Reason, tc.want) {
				t.Errorf("skipped %+v, want one at line %d field %q", skipped, tc.line, tc.field)
			}
		})
	}
}

func TestJSONArrayErrors(t *testing.T) {
	tests := []struct {
		name     string
		content  string
		skip     bool
		line     int // record index
		textLine int
		field    string
		want     string
	}{
		{
			name:    "syntax error in the second record",
			content: "[\n  " + good + ",\n  {\"prompt\": \"Q\",\n   \"chosen\": yes}\n]",
			line:    2, textLine: 3, want: "invalid JSON",
		},
		{
			name:    "missing comma",
			content: "[\n" + good + "\n" + good + "\n]",
			line:    2, textLine: 3, want: "invalid JSON",
		},
		{
			name:    "trailing comma",
			content: "[\n" + good + ",\n]",
			line:    2, textLine: 3, want: "invalid JSON",
		},
		{
			name:    "unclosed array",
			content: "[\n" + good + "\n",
			line:    2, textLine: 3, want: "invalid JSON",
		},
		{
			name:    "text after the array",
			content: "[" + good + "]\n{}",
			line:    2, textLine: 2, want: "unexpected data after the JSON array",
		},
		{
			name:    "record is a number",
			content: "[\n" + good + ",\n\n 42]",
			line:    2, textLine: 4, want: "the record is a number",
		},
		{
			name:    "missing field in the third record",
			content: "[" + good + ",\n" + good + ",\n{\"prompt\": \"Q\",\n \"chosen\": \"yes\"}]",
			line:    3, textLine: 3, field: "rejected", want: "missing",
		},
		{
			name:    "later record in another format",
			content: "[" + good + ",\n" + `{"chosen": "a", "rejected": "b"}]`,
			line:    2, textLine: 2, field: "prompt", want: "as detected at record 1)",
		},
		{
			name:    "duplicate id",
			content: `[{"id": 1, "prompt": "Q", "chosen": "yes", "rejected": "no"}, {"id": 1, "prompt": "Q", "chosen": "yes", "rejected": "no"}]`,
			line:    2, textLine: 1, field: "id", want: `duplicate id "1" (first at record 1)`,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := writeFile(t, "pairs.json", tc.content)
			_, _, err := ReadPairs(path, Options{})
			re := recordError(t, err, path, tc.line, tc.field, tc.want)
			if re.TextLine != tc.textLine {
				t.Errorf("TextLine = %d, want %d", re.TextLine, tc.textLine)
			}
			prefix := path + ":" + strconv.Itoa(tc.textLine) + ": record " + strconv.Itoa(tc.line) + ": "
			if !strings.HasPrefix(re.Error(), prefix) {
				t.Errorf("Error() = %q, want it to start with %q", re.Error(), prefix)
			}
		})
	}
	t.Run("not an array", func(t *testing.T) {
		path := writeFile(t, "pairs.json", `{"prompt": "Q"}`)
		_, _, err := ReadPairs(path, Options{Kind: JSON})
		recordError(t, err, path, 1, "", "does not hold one JSON array")
	})
}

func TestFileErrors(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "nope.jsonl")
	_, _, err := ReadPairs(missing, Options{})
	if !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), missing) {
		t.Errorf("missing file: %v", err)
	}
	_, _, err = ReadPrompts(missing, Options{})
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing prompts file: %v", err)
	}

	gz := gzipBytes(t, []byte(lines(good, good)))
	tests := []struct {
		name    string
		file    string
		content []byte
		opts    Options
		want    string
	}{
		{"gzip with a bad header", "p.jsonl.gz", []byte{0x1f, 0x8b, 0, 0, 0}, Options{}, "gzip"},
		{"truncated gzip", "p.jsonl.gz", gz[:len(gz)-10], Options{}, "read "},
		{"named .gz but plain", "p.jsonl.gz", []byte(lines(good)), Options{}, "not gzip-compressed"},
		{"empty file", "p.jsonl", nil, Options{}, "no records"},
		{"only blank lines", "p.jsonl", []byte("\n  \n\r\n"), Options{}, "no records"},
		{"empty JSON array", "p.json", []byte("[]"), Options{}, "no records"},
		{"unknown format", "p.jsonl", []byte(lines(good)), Options{Format: "dpo"}, `unknown record format "dpo"`},
		{"unknown kind", "p.jsonl", []byte(lines(good)), Options{Kind: "csv"}, `unknown file kind "csv"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), tc.file)
			if err := os.WriteFile(path, tc.content, 0o644); err != nil {
				t.Fatal(err)
			}
			pairs, _, err := ReadPairs(path, tc.opts)
			if err == nil || pairs != nil {
				t.Fatalf("got %d pairs, error %v; want an error", len(pairs), err)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not contain %q", err, tc.want)
			}
			if !strings.Contains(err.Error(), path) && !strings.HasPrefix(tc.name, "unknown") {
				t.Errorf("error %q does not name the file", err)
			}
			if tc.want == "no records" && !errors.Is(err, ErrNoRecords) {
				t.Errorf("errors.Is(err, ErrNoRecords) is false")
			}
		})
	}
}
