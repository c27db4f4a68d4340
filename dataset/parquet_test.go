package dataset

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/parquet-go/parquet-go"
)

// writeParquet writes rows of a Go struct type to a Parquet file in a
// fresh temporary directory.
func writeParquet[T any](t testing.TB, name string, rows []T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := parquet.WriteFile(path, rows); err != nil {
		t.Fatal(err)
	}
	return path
}

// writeParquetRows writes raw rows with a schema, for layouts Go structs
// do not produce.
func writeParquetRows(t testing.TB, name string, schema *parquet.Schema, rows []parquet.Row) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := parquet.NewWriter(f, schema)
	if _, err := w.WriteRows(rows); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

type pqMessage struct {
	Role    string `parquet:"role"`
	Content string `parquet:"content"`
}

func TestParquet(t *testing.T) {
	t.Run("explicit with string ids and an optional prompt", func(t *testing.T) {
		type row struct {
			ID       string  `parquet:"id"`
			Prompt   *string `parquet:"prompt,optional"`
			Chosen   string  `parquet:"chosen"`
			Rejected string  `parquet:"rejected"`
			Score    float64 `parquet:"score"`
		}
		q := "Q?"
		path := writeParquet(t, "p.parquet", []row{{"r1", &q, " yes", " no", 1}, {"r2", &q, " right", " wrong", 2}})
		got, _, err := ReadPairs(path, Options{})
		if err != nil {
			t.Fatal(err)
		}
		checkPairs(t, got, []Pair{
			{ID: "r1", Line: 1, Prompt: "Q?", Chosen: " yes", Rejected: " no"},
			{ID: "r2", Line: 2, Prompt: "Q?", Chosen: " right", Rejected: " wrong"},
		})
	})
	t.Run("implicit, float ids", func(t *testing.T) {
		type row struct {
			ID       float64 `parquet:"id"`
			Chosen   string  `parquet:"chosen"`
			Rejected string  `parquet:"rejected"`
		}
		path := writeParquet(t, "hh.parquet", []row{{2.5, "\n\nHuman: Hi\n\nAssistant: a", "\n\nHuman: Hi\n\nAssistant: b"}})
		got, _, err := ReadPairs(path, Options{})
		if err != nil {
			t.Fatal(err)
		}
		checkPairs(t, got, []Pair{{ID: "2.5", Line: 1, Prompt: "\n\nHuman: Hi\n\nAssistant:", Chosen: " a", Rejected: " b"}})
	})
	t.Run("conversational as LIST columns and as repeated groups", func(t *testing.T) {
		type row struct {
			Prompt   []pqMessage `parquet:"prompt,list"`
			Chosen   []pqMessage `parquet:"chosen,list"`
			Rejected []pqMessage `parquet:"rejected"`
		}
		path := writeParquet(t, "chat.parquet", []row{{
			Prompt:   []pqMessage{{"user", "Hi"}},
			Chosen:   []pqMessage{{"assistant", "Hello"}},
			Rejected: []pqMessage{{"assistant", "Bye"}},
		}})
		got, _, err := ReadPairs(path, Options{})
		if err != nil {
			t.Fatal(err)
		}
		checkPairs(t, got, []Pair{{
			ID: "1", Line: 1,
			PromptMessages: msgs("user", "Hi"), ChosenMessages: msgs("assistant", "Hello"), RejectedMessages: msgs("assistant", "Bye"),
		}})
	})
	t.Run("pyarrow layout: optional lists of optional structs", func(t *testing.T) {
		message := parquet.Optional(parquet.Group{
			"content": parquet.Optional(parquet.String()),
			"role":    parquet.Optional(parquet.String()),
		})
		schema := parquet.NewSchema("schema", parquet.Group{
			"chosen":   parquet.Optional(parquet.List(message)),
			"id":       parquet.Optional(parquet.Int(64)),
			"rejected": parquet.Optional(parquet.List(message)),
		})
		// Columns in order: chosen content, chosen role, id, rejected
		// content, rejected role. Definition levels: 1 list present, 2
		// element slot, 3 element present, 4 leaf present.
		s := func(v string) parquet.Value { return parquet.ValueOf(v) }
		null := parquet.NullValue()
		rows := []parquet.Row{
			{
				s("Hi").Level(0, 4, 0), s("Hello").Level(1, 4, 0),
				s("user").Level(0, 4, 1), s("assistant").Level(1, 4, 1),
				parquet.Int64Value(11).Level(0, 1, 2),
				s("Hi").Level(0, 4, 3), s("Bye").Level(1, 4, 3),
				s("user").Level(0, 4, 4), s("assistant").Level(1, 4, 4),
			},
			{ // chosen message without content
				null.Level(0, 3, 0), s("user").Level(0, 4, 1),
				null.Level(0, 0, 2),
				s("x").Level(0, 4, 3), s("user").Level(0, 4, 4),
			},
			{ // rejected is null
				s("Hi").Level(0, 4, 0), s("user").Level(0, 4, 1),
				null.Level(0, 0, 2),
				null.Level(0, 0, 3), null.Level(0, 0, 4),
			},
		}
		path := writeParquetRows(t, "arrow.parquet", schema, rows)
		got, skipped, err := ReadPairs(path, Options{SkipInvalid: true})
		if err != nil {
			t.Fatal(err)
		}
		checkPairs(t, got, []Pair{{
			ID: "11", Line: 1,
			PromptMessages: msgs("user", "Hi"), ChosenMessages: msgs("assistant", "Hello"), RejectedMessages: msgs("assistant", "Bye"),
		}})
		if len(skipped) != 2 || skipped[0].Field != "chosen[0].content" || skipped[1].Field != "rejected" || skipped[1].Line != 3 {
			t.Errorf("skipped %+v", skipped)
		}
		_, _, err = ReadPairs(path, Options{})
		if re := recordError(t, err, path, 2, "chosen[0].content", "null, want a string"); re.Error() != path+`: row 2: field "chosen[0].content": null, want a string` {
			t.Errorf("Error() = %q", re.Error())
		}
	})
	t.Run("prompts", func(t *testing.T) {
		type row struct {
			ID     int32  `parquet:"id"`
			Prompt string `parquet:"prompt"`
		}
		path := writeParquet(t, "prompts.parquet", []row{{5, "Tell me a joke."}, {6, "Name a tree."}})
		got, _, err := ReadPrompts(path, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 2 || !reflect.DeepEqual(got[0], Prompt{ID: "5", Line: 1, Text: "Tell me a joke."}) || got[1].ID != "6" || got[1].Line != 2 {
			t.Errorf("got %+v", got)
		}
	})
}

func TestParquetErrors(t *testing.T) {
	t.Run("number where a string is wanted", func(t *testing.T) {
		type row struct {
			Prompt   string `parquet:"prompt"`
			Chosen   int64  `parquet:"chosen"`
			Rejected string `parquet:"rejected"`
		}
		path := writeParquet(t, "p.parquet", []row{{"a", 1, "c"}})
		_, _, err := ReadPairs(path, Options{})
		recordError(t, err, path, 1, "chosen", "a number, want a string")
	})
	t.Run("boolean id", func(t *testing.T) {
		type row struct {
			ID       bool   `parquet:"id"`
			Prompt   string `parquet:"prompt"`
			Chosen   string `parquet:"chosen"`
			Rejected string `parquet:"rejected"`
		}
		path := writeParquet(t, "p.parquet", []row{{true, "a", "b", "c"}})
		_, _, err := ReadPairs(path, Options{})
		recordError(t, err, path, 1, "id", "a boolean, want a string or a number")
	})
	t.Run("null rejected; a blank chosen is data", func(t *testing.T) {
		type row struct {
			Prompt   string  `parquet:"prompt"`
			Chosen   string  `parquet:"chosen"`
			Rejected *string `parquet:"rejected,optional"`
		}
		r := "no"
		path := writeParquet(t, "p.parquet", []row{{"a", "b", &r}, {"a", "b", nil}, {"a", " ", &r}})
		_, _, err := ReadPairs(path, Options{})
		recordError(t, err, path, 2, "rejected", "null, want a string")
		got, skipped, err := ReadPairs(path, Options{SkipInvalid: true})
		if err != nil || len(got) != 2 || len(skipped) != 1 || got[1].Line != 3 || got[1].EmptyResponses() != 1 {
			t.Errorf("got %+v, skipped %+v, err %v", got, skipped, err)
		}
	})
	t.Run("invalid UTF-8 in a byte array", func(t *testing.T) {
		type row struct {
			Prompt   string `parquet:"prompt"`
			Chosen   []byte `parquet:"chosen"`
			Rejected string `parquet:"rejected"`
		}
		path := writeParquet(t, "p.parquet", []row{{"a", []byte("ok"), "c"}, {"a", []byte("b\xff"), "c"}})
		_, _, err := ReadPairs(path, Options{})
		recordError(t, err, path, 2, "chosen", "invalid UTF-8 at byte 2")
	})
	t.Run("not a Parquet file", func(t *testing.T) {
		path := writeFile(t, "p.parquet", "PAR1 this is not parquet")
		_, _, err := ReadPairs(path, Options{})
		if err == nil || !containsAll(err.Error(), path, "parquet") {
			t.Errorf("error %v, want one naming the file", err)
		}
	})
	t.Run("empty", func(t *testing.T) {
		type row struct {
			Prompt string `parquet:"prompt"`
		}
		path := writeParquet(t, "p.parquet", []row{})
		_, _, err := ReadPairs(path, Options{})
		if err == nil || !containsAll(err.Error(), path, "no records") {
			t.Errorf("error %v, want no records", err)
		}
	})
}
