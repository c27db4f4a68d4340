package dataset

import (
	"encoding/json"
	"fmt"
	"strconv"
)

// RewardBench2 is the record format of RewardBench 2 rows (ReadRankings):
// score detects it with IsRanking, or is told with --format rewardbench2.
const RewardBench2 Format = "rewardbench2"

// Ranking is one RewardBench 2 row: a prompt with NumCorrect correct
// completions (Chosen) and the incorrect ones (Rejected), in Subset.
type Ranking struct {
	ID         string
	Line       int // as Pair.Line
	Prompt     string
	Chosen     []string
	Rejected   []string
	NumCorrect int
	Subset     string
}

// IsRanking reports whether a record's fields look like a RewardBench 2 row:
// "chosen" a list of strings beside a "subset" field.
func IsRanking(fields map[string]any) bool {
	list, ok := fields["chosen"].([]any)
	if !ok || fields["subset"] == nil {
		return false
	}
	for _, v := range list {
		if _, ok := v.(string); !ok {
			return false
		}
	}
	return true
}

// ReadRankings reads RewardBench 2 rows (id, prompt, chosen: [strings],
// rejected: [strings], num_correct, total_completions, subset) from a JSON
// Lines, JSON or Parquet file. Fields other than these are ignored.
func ReadRankings(path string, opts Options) ([]Ranking, []Skipped, error) {
	src, err := open(path, opts.Kind)
	if err != nil {
		return nil, nil, err
	}
	defer src.close()
	return collect(src, opts.SkipInvalid, parseRanking)
}

func parseRanking(fields map[string]any, id string, line int) (Ranking, error) {
	r := Ranking{ID: id, Line: line}
	var err *RecordError
	if r.Prompt, err = text(fields, "prompt"); err != nil {
		return r, err
	}
	if blank(r.Prompt) {
		return r, fieldErr("prompt", "empty prompt")
	}
	if r.Subset, err = text(fields, "subset"); err != nil {
		return r, err
	}
	if r.Chosen, err = stringList(fields, "chosen"); err != nil {
		return r, err
	}
	if r.Rejected, err = stringList(fields, "rejected"); err != nil {
		return r, err
	}
	if len(r.Chosen) == 0 {
		return r, fieldErr("chosen", "empty list: a row needs a correct completion")
	}
	if len(r.Rejected) == 0 {
		return r, fieldErr("rejected", "empty list: a row needs an incorrect completion")
	}
	r.NumCorrect = len(r.Chosen)
	if n, ok, err := count(fields, "num_correct"); err != nil {
		return r, err
	} else if ok && n != len(r.Chosen) {
		return r, fieldErr("num_correct", "%d, but chosen holds %d completions", n, len(r.Chosen))
	}
	if n, ok, err := count(fields, "total_completions"); err != nil {
		return r, err
	} else if ok && n != len(r.Chosen)+len(r.Rejected) {
		return r, fieldErr("total_completions", "%d, but chosen and rejected hold %d", n, len(r.Chosen)+len(r.Rejected))
	}
	return r, nil
}

// stringList reads a list of strings; each may be empty (an empty completion is
// data, scored as its EOS alone).
func stringList(fields map[string]any, key string) ([]string, *RecordError) {
	v, ok := lookup(fields, key)
	if !ok {
		return nil, fieldErr(key, "missing")
	}
	list, ok := v.([]any)
	if !ok {
		return nil, fieldErr(key, "%s, want a list of strings", describe(v))
	}
	out := make([]string, len(list))
	for i, e := range list {
		s, ok := e.(string)
		if !ok {
			return nil, fieldErr(fmt.Sprintf("%s[%d]", key, i), "%s, want a string", describe(e))
		}
		out[i] = s
	}
	return out, nil
}

// count reads an optional non-negative integer field.
func count(fields map[string]any, key string) (int, bool, *RecordError) {
	v, ok := lookup(fields, key)
	if !ok {
		return 0, false, nil
	}
	num, isNum := v.(json.Number)
	if !isNum {
		return 0, true, fieldErr(key, "%s, want an integer", describe(v))
	}
	n, err := strconv.Atoi(num.String())
	if err != nil || n < 0 {
		return 0, true, fieldErr(key, "%s, want a non-negative integer", num)
	}
	return n, true, nil
}
