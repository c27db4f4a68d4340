package dataset

import (
	"reflect"
	"strings"
	"testing"
)

func TestReadPrompts(t *testing.T) {
	tests := []struct {
		name    string
		file    string
		content string
		opts    Options
		want    []Prompt
	}{
		{
			name:    "text with ids",
			file:    "q.jsonl",
			content: lines(`{"id": "q1", "prompt": "Write a poem."}`, ``, `{"id": 2, "prompt": "Name a river."}`),
			want:    []Prompt{{ID: "q1", Line: 1, Text: "Write a poem."}, {ID: "2", Line: 3, Text: "Name a river."}},
		},
		{
			name:    "text without ids",
			file:    "q.jsonl",
			content: lines(`{"prompt": "A"}`, `{"prompt": "B"}`),
			want:    []Prompt{{ID: "1", Line: 1, Text: "A"}, {ID: "2", Line: 2, Text: "B"}},
		},
		{
			name:    "messages in prompt",
			file:    "q.jsonl",
			content: lines(`{"prompt": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"}]}`),
			want:    []Prompt{{ID: "1", Line: 1, Messages: msgs("system", "Be brief.", "user", "Hi")}},
		},
		{
			name:    "messages field",
			file:    "q.jsonl",
			content: lines(`{"id": "m", "messages": [{"role": "user", "content": "Hi"}]}`),
			want:    []Prompt{{ID: "m", Line: 1, Messages: msgs("user", "Hi")}},
		},
		{
			name:    "prompt wins over messages",
			file:    "q.jsonl",
			content: lines(`{"prompt": "Hi", "messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello"}]}`),
			want:    []Prompt{{ID: "1", Line: 1, Text: "Hi"}},
		},
		{
			name:    "prompts of a pairs file",
			file:    "p.jsonl",
			content: lines(`{"id": "a", "prompt": "Q", "chosen": "yes", "rejected": "no"}`),
			want:    []Prompt{{ID: "a", Line: 1, Text: "Q"}},
		},
		{
			name:    "JSON array, gzipped",
			file:    "q.json.gz",
			content: `[{"prompt": "A"}, {"prompt": "B", "id": "b"}]`,
			want:    []Prompt{{ID: "1", Line: 1, Text: "A"}, {ID: "b", Line: 2, Text: "B"}},
		},
		{
			name:    "forced conversational",
			file:    "q.jsonl",
			opts:    Options{Format: Conversational},
			content: lines(`{"messages": [{"role": "user", "content": "Hi"}]}`),
			want:    []Prompt{{ID: "1", Line: 1, Messages: msgs("user", "Hi")}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := writeFile(t, tc.file, tc.content)
			got, skipped, err := ReadPrompts(path, tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			if len(skipped) != 0 {
				t.Errorf("skipped %+v", skipped)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got  %#v\nwant %#v", got, tc.want)
			}
			for _, p := range got {
				if p.Conversational() != (p.Messages != nil) {
					t.Errorf("Conversational() = %v", p.Conversational())
				}
			}
		})
	}
}

var promptErrorCases = []errorCase{
	{name: "no prompt field", content: lines(`{"text": "Hi"}`), line: 1, field: "prompt", want: `missing, and no "messages" field either (the record has "text")`},
	{name: "empty prompt", content: lines(`{"prompt": "A"}`, `{"prompt": " "}`), line: 2, field: "prompt", want: "empty prompt"},
	{name: "prompt is a number", content: lines(`{"prompt": 3}`), line: 1, field: "prompt", want: "a number, want a string or a list of messages"},
	{name: "messages is a string", content: lines(`{"messages": "Hi"}`), line: 1, field: "messages", want: "a string, want a list of messages"},
	{name: "empty messages", content: lines(`{"messages": []}`), line: 1, field: "messages", want: "empty list"},
	{name: "message without content", content: lines(`{"messages": [{"role": "user"}]}`), line: 1, field: "messages[0].content", want: "missing"},
	{name: "text after messages", content: lines(`{"prompt": [{"role": "user", "content": "Hi"}]}`, `{"prompt": "Hi"}`), line: 2, field: "prompt", want: "a string, want a list of messages like the file's first prompt at line 1"},
	{name: "messages after text", content: lines(`{"prompt": "Hi"}`, `{"prompt": [{"role": "user", "content": "Hi"}]}`), line: 2, field: "prompt", want: "a list, want a string like the file's first prompt at line 1"},
	{name: "messages when forced text", opts: Options{Format: Explicit}, content: lines(`{"prompt": [{"role": "user", "content": "Hi"}]}`), line: 1, field: "prompt", want: "a list, want a string"},
	{name: "duplicate id", content: lines(`{"id": "x", "prompt": "A"}`, `{"id": "x", "prompt": "B"}`), line: 2, field: "id", want: `duplicate id "x" (first at line 1)`},
	{name: "invalid JSON", content: lines(`{"prompt": "A"`), line: 1, want: "invalid JSON"},
}

func TestReadPromptsErrors(t *testing.T) {
	for _, tc := range promptErrorCases {
		t.Run(tc.name, func(t *testing.T) {
			path := writeFile(t, "prompts.jsonl", tc.content)
			_, _, err := ReadPrompts(path, tc.opts)
			recordError(t, err, path, tc.line, tc.field, tc.want)

			_, skipped, err := ReadPrompts(path, Options{Format: tc.opts.Format, SkipInvalid: true})
			if err != nil {
				t.Fatalf("with SkipInvalid: %v", err)
			}
			if len(skipped) != 1 || skipped[0].Line != tc.line || skipped[0].Field != tc.field || !strings.Contains(skipped[0].Reason, tc.want) {
				t.Errorf("skipped %+v", skipped)
			}
		})
	}
	t.Run("implicit format", func(t *testing.T) {
		path := writeFile(t, "prompts.jsonl", lines(`{"prompt": "A"}`))
		_, _, err := ReadPrompts(path, Options{Format: Implicit})
		if err == nil || !strings.Contains(err.Error(), `unknown record format "implicit"`) {
			t.Errorf("error %v", err)
		}
	})
}
