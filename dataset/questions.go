package dataset

import (
	"fmt"
)

// Benchmark names a judge harness whose question file dpokit reads and
// whose answer file it writes.
type Benchmark string

// The harnesses.
const (
	AlpacaEval Benchmark = "alpacaeval" // [{"instruction", ...}]: one turn
	ArenaHard  Benchmark = "arenahard"  // {"uid", "category", "subcategory", "prompt"}: one turn
	MTBench    Benchmark = "mtbench"    // {"question_id", "category", "turns": [t1, t2]}: turns in order
)

// Question is one benchmark question: its id as the harness writes it back
// (AlpacaEval has none: the instruction is its key), and its user turns.
type Question struct {
	ID    string
	Line  int
	Turns []string
	// Category is the harness's category field, where it has one.
	Category string
	// Dataset is AlpacaEval's "dataset" field, where present.
	Dataset string
	// NumericID is MT-Bench's integer question_id, kept as a number on output.
	NumericID bool
}

// DetectBenchmark tells a question record's harness from its fields.
func DetectBenchmark(fields map[string]any) (Benchmark, bool) {
	switch {
	case fields["instruction"] != nil:
		return AlpacaEval, true
	case fields["uid"] != nil && fields["prompt"] != nil:
		return ArenaHard, true
	case fields["question_id"] != nil && fields["turns"] != nil:
		return MTBench, true
	}
	return "", false
}

// ReadQuestions reads a harness's question file: AlpacaEval's JSON array
// (or JSON Lines) of instructions, Arena-Hard v2's question.jsonl or MT-Bench's
// question.jsonl. The first record decides the harness; every record must
// match it.
func ReadQuestions(path string, opts Options) ([]Question, Benchmark, []Skipped, error) {
	src, err := open(path, opts.Kind)
	if err != nil {
		return nil, "", nil, err
	}
	defer src.close()
	var bench Benchmark
	parse := func(fields map[string]any, _ string, line int) (Question, error) {
		own, ok := DetectBenchmark(fields)
		switch {
		case !ok:
			return Question{}, fieldErr("", `not a benchmark question: no "instruction" (AlpacaEval), "uid"+"prompt" (Arena-Hard) or "question_id"+"turns" (MT-Bench)%s`, listFields(fields))
		case bench == "":
			bench = own
		case own != bench:
			return Question{}, fieldErr("", "a %s question in a file of %s questions", own, bench)
		}
		return parseQuestion(bench, fields, line)
	}
	// Questions carry their own ids; the generic "id" field is not theirs.
	qs, skipped, err := collect(src, opts.SkipInvalid, func(fields map[string]any, id string, line int) (Question, error) {
		return parse(fields, id, line)
	})
	if err != nil {
		return nil, "", nil, err
	}
	if err := uniqueQuestionIDs(src, qs); err != nil {
		return nil, "", nil, err
	}
	return qs, bench, skipped, nil
}

func parseQuestion(bench Benchmark, fields map[string]any, line int) (Question, error) {
	q := Question{Line: line}
	var err *RecordError
	switch bench {
	case AlpacaEval:
		var s string
		if s, err = text(fields, "instruction"); err != nil {
			return q, err
		}
		q.Turns, q.ID = []string{s}, s
		if v, ok := fields["dataset"].(string); ok {
			q.Dataset = v
		}
	case ArenaHard:
		var s string
		if q.ID, err = text(fields, "uid"); err != nil {
			return q, err
		}
		if s, err = text(fields, "prompt"); err != nil {
			return q, err
		}
		q.Turns = []string{s}
		q.Category, _ = fields["category"].(string)
	case MTBench:
		if q.ID, q.NumericID, err = questionID(fields); err != nil {
			return q, err
		}
		if q.Turns, err = stringList(fields, "turns"); err != nil {
			return q, err
		}
		q.Category, _ = fields["category"].(string)
	}
	for i, t := range q.Turns {
		if blank(t) {
			return q, fieldErr(turnField(bench, i), "empty question")
		}
	}
	if len(q.Turns) == 0 {
		return q, fieldErr("turns", "empty list")
	}
	return q, nil
}

func turnField(bench Benchmark, i int) string {
	switch bench {
	case AlpacaEval:
		return "instruction"
	case ArenaHard:
		return "prompt"
	}
	return fmt.Sprintf("turns[%d]", i)
}

func questionID(fields map[string]any) (string, bool, *RecordError) {
	switch v := fields["question_id"].(type) {
	case string:
		if v == "" {
			return "", false, fieldErr("question_id", "empty")
		}
		return v, false, nil
	case interface{ String() string }: // json.Number
		return v.String(), true, nil
	}
	return "", false, fieldErr("question_id", "%s, want a number or a string", describe(fields["question_id"]))
}

// uniqueQuestionIDs refuses two questions with one id: their answers could
// not be told apart by the harness.
func uniqueQuestionIDs(src *source, qs []Question) error {
	seen := map[string]int{}
	for _, q := range qs {
		if first, dup := seen[q.ID]; dup {
			return &RecordError{File: src.name, Line: q.Line, Kind: src.kind, Field: "",
				Err: fmt.Errorf("question %q repeats the one at %s", q.ID, position(src.kind, first))}
		}
		seen[q.ID] = q.Line
	}
	return nil
}
