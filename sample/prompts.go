package sample

import (
	"errors"
	"fmt"
	"io"

	"github.com/dpokit/dpokit/dataset"
	"github.com/dpokit/dpokit/harness"
	"github.com/dpokit/dpokit/results"
	"github.com/dpokit/dpokit/tokenize"
)

// prompts is a job's prompts file read, rendered and encoded: one item per
// prompt or benchmark question, its first turn ready to generate. A
// question's later turns are rendered once the answers before them exist
// (turn).
type prompts struct {
	ids       []string           // record id of each item's first turn
	lines     []int              // line of each item in the file
	texts     []string           // first turn, rendered
	enc       [][]int            // first turn, encoded
	questions []dataset.Question // question files: each item's question; nil for a prompts file
	bench     dataset.Benchmark
}

// turnCount is the number of turns of item i.
func (ps *prompts) turnCount(i int) int {
	if ps.questions == nil {
		return 1
	}
	return len(ps.questions[i].Turns)
}

// index is the journal index of turn t of item i: turns after the first
// come after every item's first turn, so the first turns of a prompts file
// keep their positions.
func (ps *prompts) index(i, t int) int { return t*len(ps.ids) + i }

// recordID is the output record id of turn t of item i: the question's id,
// then "<id>:turn<t+1>".
func (ps *prompts) recordID(i, t int) string {
	if t == 0 {
		return ps.ids[i]
	}
	return fmt.Sprintf("%s:turn%d", ps.ids[i], t+1)
}

// readPrompts reads a prompts file, or a benchmark question file (bench,
// or detected from the first record when bench is ""), renders each first
// turn as the text the model continues and encodes it.
func readPrompts(path string, bench dataset.Benchmark, tok *tokenize.Tokenizer, skipInvalid bool) (*prompts, error) {
	if bench == "" {
		// A first record that cannot be read is reported (or skipped) by
		// the reader below.
		if first, err := dataset.First(path, ""); err == nil {
			bench, _ = dataset.DetectBenchmark(first)
		}
	}
	if bench != "" {
		return readQuestions(path, bench, tok, skipInvalid)
	}
	recs, skipped, err := dataset.ReadPrompts(path, dataset.Options{SkipInvalid: skipInvalid})
	if err != nil {
		return nil, err
	}
	for _, s := range skipped {
		s.Log(path)
	}
	ps := &prompts{}
	for _, p := range recs {
		text, err := tok.PromptText(p)
		if err != nil {
			return nil, &dataset.RecordError{File: path, Line: p.Line, Field: "prompt", Err: err}
		}
		if err := ps.add(tok, path, p.ID, p.Line, text); err != nil {
			return nil, err
		}
	}
	return ps, nil
}

func (ps *prompts) add(tok *tokenize.Tokenizer, path, id string, line int, text string) error {
	ids, err := tok.EncodePrompt(text)
	if err != nil {
		return &dataset.RecordError{File: path, Line: line, Field: "prompt", Err: err}
	}
	ps.ids, ps.lines, ps.texts, ps.enc = append(ps.ids, id), append(ps.lines, line), append(ps.texts, text), append(ps.enc, ids)
	return nil
}

// readQuestions reads a judge harness's question file. Each question's
// first turn is rendered with the chat template when the model has one
// (plain text otherwise); questions of several turns need the template.
func readQuestions(path string, bench dataset.Benchmark, tok *tokenize.Tokenizer, skipInvalid bool) (*prompts, error) {
	qs, found, skipped, err := dataset.ReadQuestions(path, dataset.Options{SkipInvalid: skipInvalid})
	if err != nil {
		return nil, err
	}
	if found != bench {
		return nil, fmt.Errorf("%s holds %s questions, not %s ones (--bench)", path, found, bench)
	}
	for _, s := range skipped {
		s.Log(path)
	}
	ps := &prompts{bench: bench, questions: qs}
	for _, q := range qs {
		text, err := renderTurn(tok, q.Turns, nil)
		if err != nil {
			return nil, &dataset.RecordError{File: path, Line: q.Line, Field: "turns", Err: err}
		}
		if err := ps.add(tok, path, q.ID, q.Line, text); err != nil {
			return nil, err
		}
	}
	return ps, nil
}

// renderTurn renders the conversation up to the user turn after the given
// answers: [user t1, assistant a1, ..., user t(k+1)] with the generation
// prompt. A first turn without a chat template is its text.
func renderTurn(tok *tokenize.Tokenizer, turns, answers []string) (string, error) {
	if !tok.HasChatTemplate() {
		if len(answers) > 0 || len(turns) > 1 {
			return "", errors.New("a question of several turns needs the model's chat template (chat_template in tokenizer_config.json)")
		}
		return turns[0], nil
	}
	msgs := make([]tokenize.Message, 0, 2*len(answers)+1)
	for k, a := range answers {
		msgs = append(msgs, tokenize.Message{Role: "user", Content: turns[k]}, tokenize.Message{Role: "assistant", Content: a})
	}
	msgs = append(msgs, tokenize.Message{Role: "user", Content: turns[len(answers)]})
	return tok.ApplyChatTemplate(msgs, true)
}

// turn returns turn t of item i rendered and encoded: the first turn as
// read, a later one after the chosen answers to the turns before it.
func (ps *prompts) turn(tok *tokenize.Tokenizer, i, t int, done map[int]results.Record) (string, []int, error) {
	if t == 0 {
		return ps.texts[i], ps.enc[i], nil
	}
	q := ps.questions[i]
	answers := make([]string, t)
	for k := range answers {
		c, ok := done[ps.index(i, k)].Chosen()
		if !ok {
			return "", nil, fmt.Errorf("question %q: turn %d has no answer to continue from", q.ID, k+1)
		}
		answers[k] = c.Text
	}
	text, err := renderTurn(tok, q.Turns, answers)
	if err == nil {
		var ids []int
		if ids, err = tok.EncodePrompt(text); err == nil {
			return text, ids, nil
		}
	}
	return "", nil, fmt.Errorf("question %q, turn %d: %w", q.ID, t+1, err)
}

// answers turns the records of items [lo, hi), in output order (each
// item's turns in turn), into harness answers: the chosen completion of
// each turn, and the last one's length in the model's tokens.
func (ps *prompts) answers(tok *tokenize.Tokenizer, recs []results.Record, lo, hi int) ([]harness.Answer, error) {
	out := make([]harness.Answer, 0, hi-lo)
	k := 0
	for i := lo; i < hi; i++ {
		a := harness.Answer{Question: ps.questions[i]}
		for t := range ps.questions[i].Turns {
			if k >= len(recs) || recs[k].ID != ps.recordID(i, t) {
				return nil, fmt.Errorf("answers: no record %q in order", ps.recordID(i, t))
			}
			c, _ := recs[k].Chosen()
			a.Turns = append(a.Turns, c.Text)
			k++
		}
		ids, err := tok.Encode(a.Turns[len(a.Turns)-1], false)
		if err != nil {
			return nil, err
		}
		a.TokenLen = len(ids)
		out = append(out, a)
	}
	return out, nil
}

// answersOutput is the harness answer file as one of the job's outputs.
func (j *Job) answersOutput(ps *prompts, tok *tokenize.Tokenizer, lo, hi int) Output {
	return Output{Role: "answers", Flag: "--answers-out", Path: j.AnswersOut, Write: func(w io.Writer, recs []results.Record) error {
		as, err := ps.answers(tok, recs, lo, hi)
		if err != nil {
			return err
		}
		return harness.Writer{Bench: ps.bench, Model: j.ModelName}.Write(w, as)
	}}
}
