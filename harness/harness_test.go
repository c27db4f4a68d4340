package harness

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/dpokit/dpokit/dataset"
)

const dir = "../testdata/harness"

// TestCountMarkdown holds CountMarkdown to Python's re on Arena-Hard's patterns.
func TestCountMarkdown(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join(dir, "markdown.json"))
	if err != nil {
		t.Fatal(err)
	}
	var ref struct {
		Cases []struct {
			Text   string
			Counts Markdown
		}
	}
	if err := json.Unmarshal(raw, &ref); err != nil {
		t.Fatal(err)
	}
	for _, c := range ref.Cases {
		if got := CountMarkdown(c.Text); !reflect.DeepEqual(got, c.Counts) {
			t.Errorf("%q:\n got %+v\nwant %+v", c.Text, got, c.Counts)
		}
	}
}

func decodeAll(t *testing.T, b []byte) []any {
	t.Helper()
	var out []any
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	for dec.More() {
		var v any
		if err := dec.Decode(&v); err != nil {
			t.Fatal(err)
		}
		if list, ok := v.([]any); ok {
			out = append(out, list...)
		} else {
			out = append(out, v)
		}
	}
	return out
}

// TestFormats reads each harness's question file, answers it, and checks the
// written records against the harness's documented record, field by field and
// type by type; tstamp is a float and ids are stable.
func TestFormats(t *testing.T) {
	cases := []struct {
		questions, fixture string
		bench              dataset.Benchmark
	}{
		{"alpacaeval_questions.json", "alpacaeval_outputs.json", dataset.AlpacaEval},
		{"arenahard_questions.jsonl", "arenahard_answer.jsonl", dataset.ArenaHard},
		{"mtbench_questions.jsonl", "mtbench_answer.jsonl", dataset.MTBench},
	}
	for _, c := range cases {
		t.Run(string(c.bench), func(t *testing.T) {
			qs, bench, skipped, err := dataset.ReadQuestions(filepath.Join(dir, c.questions), dataset.Options{})
			if err != nil || bench != c.bench || len(skipped) != 0 || len(qs) != 2 {
				t.Fatalf("questions: %v %v %v %d", err, bench, skipped, len(qs))
			}
			answers := make([]Answer, len(qs))
			for i, q := range qs {
				a := Answer{Question: q, TokenLen: 5}
				for j := range q.Turns {
					a.Turns = append(a.Turns, fmt.Sprintf("## Answer %d.%d\n- **point**", i, j))
				}
				answers[i] = a
			}
			wr := Writer{Bench: bench, Model: "my-model", Now: func() time.Time { return time.Unix(1700000000, 250000000) }}
			var out bytes.Buffer
			if err := wr.Write(&out, answers); err != nil {
				t.Fatal(err)
			}
			fixture, err := os.ReadFile(filepath.Join(dir, c.fixture))
			if err != nil {
				t.Fatal(err)
			}
			want, err := Shapes(fixture)
			if err != nil {
				t.Fatal(err)
			}
			shapes, err := Shapes(out.Bytes())
			if err != nil || len(shapes) != len(qs) {
				t.Fatalf("%d records for %d questions (%v)", len(shapes), len(qs), err)
			}
			for i, s := range shapes {
				if s != want[0] {
					t.Errorf("record %d:\n got %s\nwant %s", i, s, want[0])
				}
			}
			got := decodeAll(t, out.Bytes())
			checkValues(t, bench, got, qs)
			var again bytes.Buffer
			if err := wr.Write(&again, answers); err != nil || !bytes.Equal(again.Bytes(), out.Bytes()) {
				t.Errorf("a second write differs (ids must be stable)")
			}
		})
	}
}

func checkValues(t *testing.T, bench dataset.Benchmark, got []any, qs []dataset.Question) {
	t.Helper()
	for i, g := range got {
		m := g.(map[string]any)
		switch bench {
		case dataset.AlpacaEval:
			if m["instruction"] != qs[i].Turns[0] || m["generator"] != "my-model" {
				t.Errorf("record %d: %v", i, m)
			}
		case dataset.ArenaHard:
			md := m["metadata"].(map[string]any)
			if m["uid"] != qs[i].ID || md["token_len"].(json.Number).String() != "5" ||
				md["header_count"].(map[string]any)["h2"].(json.Number).String() != "1" ||
				m["tstamp"].(json.Number).String() != "1700000000.25" {
				t.Errorf("record %d: %v", i, m)
			}
		case dataset.MTBench:
			turns := m["choices"].([]any)[0].(map[string]any)["turns"].([]any)
			if m["question_id"].(json.Number).String() != qs[i].ID || len(turns) != 2 {
				t.Errorf("record %d: %v", i, m)
			}
		}
	}
}

func TestQuestionErrors(t *testing.T) {
	cases := []struct{ content, field, want string }{
		{`{"uid": "a", "prompt": "Q"}` + "\n" + `{"question_id": 1, "turns": ["x"]}`, "", "a mtbench question in a file of arenahard questions"},
		{`{"question_id": 1, "turns": ["x", " "]}`, "turns[1]", "empty question"},
		{`{"question_id": 1, "turns": []}`, "turns", "empty list"},
		{`{"uid": "a", "prompt": "Q"}` + "\n" + `{"uid": "a", "prompt": "R"}`, "", `question "a" repeats`},
		{`{"text": "hello"}`, "", "not a benchmark question"},
	}
	for _, c := range cases {
		path := filepath.Join(t.TempDir(), "q.jsonl")
		if err := os.WriteFile(path, []byte(c.content+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		_, _, _, err := dataset.ReadQuestions(path, dataset.Options{})
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "q.jsonl:") {
			t.Errorf("%s: err %v, want one with %q naming the file and line", c.content, err, c.want)
		}
	}
}

// TestJoin: the answer files of shards, joined, are the file one writer
// writes for all the answers, byte for byte.
func TestJoin(t *testing.T) {
	for _, c := range []struct {
		questions string
		bench     dataset.Benchmark
	}{{"alpacaeval_questions.json", dataset.AlpacaEval}, {"mtbench_questions.jsonl", dataset.MTBench}} {
		qs, _, _, err := dataset.ReadQuestions(filepath.Join(dir, c.questions), dataset.Options{})
		if err != nil {
			t.Fatal(err)
		}
		var answers []Answer
		for i := 0; i < 5; i++ {
			q := qs[i%len(qs)]
			q.ID = fmt.Sprint(100 + i)
			a := Answer{Question: q}
			for j := range q.Turns {
				a.Turns = append(a.Turns, fmt.Sprintf("<b>answer</b> %d.%d & more", i, j))
			}
			answers = append(answers, a)
		}
		wr := Writer{Bench: c.bench, Model: "m", Now: func() time.Time { return time.Unix(1700000000, 5e8) }}
		write := func(as []Answer) []byte {
			var b bytes.Buffer
			if err := wr.Write(&b, as); err != nil {
				t.Fatal(err)
			}
			return b.Bytes()
		}
		var joined bytes.Buffer
		if err := Join(&joined, [][]byte{write(answers[:2]), write(nil), write(answers[2:])}); err != nil {
			t.Fatal(err)
		}
		if want := write(answers); !bytes.Equal(joined.Bytes(), want) {
			t.Errorf("%s: joined parts\n%s\ndiffer from one file\n%s", c.bench, joined.Bytes(), want)
		}
	}
}
