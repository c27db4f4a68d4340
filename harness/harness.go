// Package harness writes generated answers in the files that judge harnesses
// read: AlpacaEval's model outputs, Arena-Hard v2's model_answer JSON lines and
// MT-Bench's model_answer JSON lines. Questions are read by
// dataset.ReadQuestions; answers come from sample's generation job. The
// package is pure Go: no model runtime.
package harness

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"
	"time"

	"github.com/dpokit/dpokit/dataset"
)

// Answer is a model's answer to one question: one text per question turn.
type Answer struct {
	Question dataset.Question
	Turns    []string
	// TokenLen is the last turn's length in tokens (Arena-Hard's token_len).
	TokenLen int
}

// Writer writes answers in one harness's format.
type Writer struct {
	Bench dataset.Benchmark
	Model string           // generator / model / model_id
	Now   func() time.Time // tstamp; time.Now when nil
}

// Write writes answers, in the order given (the dataset's order), to w.
func (wr Writer) Write(w io.Writer, answers []Answer) error {
	for _, a := range answers {
		if len(a.Turns) != len(a.Question.Turns) {
			return fmt.Errorf("question %q: %d answers for %d turns", a.Question.ID, len(a.Turns), len(a.Question.Turns))
		}
	}
	switch wr.Bench {
	case dataset.AlpacaEval:
		return wr.alpacaEval(w, answers)
	case dataset.ArenaHard, dataset.MTBench:
		enc := json.NewEncoder(w)
		enc.SetEscapeHTML(false)
		for _, a := range answers {
			if err := enc.Encode(wr.record(a)); err != nil {
				return err
			}
		}
		return nil
	}
	return fmt.Errorf("unknown benchmark %q", wr.Bench)
}

type alpacaOutput struct {
	Instruction string `json:"instruction"`
	Output      string `json:"output"`
	Generator   string `json:"generator"`
}

func (wr Writer) alpacaEval(w io.Writer, answers []Answer) error {
	out := make([]alpacaOutput, len(answers))
	for i, a := range answers {
		out[i] = alpacaOutput{Instruction: a.Question.Turns[0], Output: a.Turns[0], Generator: wr.Model}
	}
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

type message struct {
	Role    string `json:"role"`
	Content any    `json:"content"`
}

type arenaRecord struct {
	UID      string    `json:"uid"`
	AnsID    string    `json:"ans_id"`
	Model    string    `json:"model"`
	Messages []message `json:"messages"`
	Tstamp   float64   `json:"tstamp"`
	Metadata metadata  `json:"metadata"`
}

type metadata struct {
	TokenLen int `json:"token_len"`
	Markdown
}

type mtChoice struct {
	Index int      `json:"index"`
	Turns []string `json:"turns"`
}

type mtRecord struct {
	QuestionID any        `json:"question_id"`
	AnswerID   string     `json:"answer_id"`
	ModelID    string     `json:"model_id"`
	Choices    []mtChoice `json:"choices"`
	Tstamp     float64    `json:"tstamp"`
}

func (wr Writer) record(a Answer) any {
	now := time.Now
	if wr.Now != nil {
		now = wr.Now
	}
	t := now()
	ts := float64(t.Unix()) + float64(t.Nanosecond())/1e9
	id := answerID(wr.Model, a)
	if wr.Bench == dataset.ArenaHard {
		last := a.Turns[len(a.Turns)-1]
		return arenaRecord{UID: a.Question.ID, AnsID: id, Model: wr.Model, Tstamp: ts,
			Messages: []message{{"user", a.Question.Turns[0]}, {"assistant", map[string]string{"answer": last}}},
			Metadata: metadata{TokenLen: a.TokenLen, Markdown: CountMarkdown(last)}}
	}
	var qid any = a.Question.ID
	if a.Question.NumericID {
		qid = json.Number(a.Question.ID)
	}
	return mtRecord{QuestionID: qid, AnswerID: id, ModelID: wr.Model, Tstamp: ts,
		Choices: []mtChoice{{Index: 0, Turns: a.Turns}}}
}

// answerID is a stable id for an answer: the same model, question and text
// give the same id, so resumed and sharded runs write the same bytes.
func answerID(model string, a Answer) string {
	h := sha256.New()
	for _, s := range append([]string{model, a.Question.ID}, a.Turns...) {
		fmt.Fprintf(h, "%d:%s", len(s), s)
	}
	return hex.EncodeToString(h.Sum(nil))[:22]
}

// Markdown counts the markdown elements Arena-Hard's style control reads,
// outside fenced code blocks.
type Markdown struct {
	Headers map[string]int `json:"header_count"`
	Lists   map[string]int `json:"list_count"`
	Bold    map[string]int `json:"bold_count"`
}

// Python's str patterns are Unicode-aware: \s is str.isspace() and \d a
// decimal digit (Nd), so they are spelled out for Go's regexp.
const (
	pySpace = `[\p{Z}\t\n\v\f\r\x1c-\x1f\x85]`
	pyDigit = `\p{Nd}`
)

var (
	codeBlock = regexp.MustCompile("```([^`]*)```")
	headers   = func() []*regexp.Regexp {
		rs := make([]*regexp.Regexp, 6)
		for i := range rs {
			rs[i] = regexp.MustCompile(fmt.Sprintf(`(?m)^#{%d}%s`, i+1, pySpace))
		}
		return rs
	}()
	ordered   = regexp.MustCompile(`(?m)^` + pySpace + `*` + pyDigit + `+\.` + pySpace)
	unordered = regexp.MustCompile(`(?m)^` + pySpace + `*[-*+]` + pySpace)
	boldStars = regexp.MustCompile(`\*\*[^*\n]+\*\*`)
	boldUnder = regexp.MustCompile(`__[^_\n]+__`)
)

// CountMarkdown counts headers (h1–h6: a line starting with exactly that many
// #s then a space — "## " counts for h2 and not h1, as "^#{1}\s" needs the space
// right after one #), ordered and unordered list items and bold spans, after
// removing what fenced code blocks hold the way Arena-Hard does: each block's
// inner text, found once, is then removed everywhere it occurs.
func CountMarkdown(text string) Markdown {
	for _, m := range codeBlock.FindAllStringSubmatch(text, -1) {
		text = strings.ReplaceAll(text, m[1], "")
	}
	m := Markdown{Headers: map[string]int{}, Lists: map[string]int{}, Bold: map[string]int{}}
	for i, r := range headers {
		m.Headers[fmt.Sprintf("h%d", i+1)] = len(r.FindAllStringIndex(text, -1))
	}
	m.Lists["ordered"] = len(ordered.FindAllStringIndex(text, -1))
	m.Lists["unordered"] = len(unordered.FindAllStringIndex(text, -1))
	m.Bold["**"] = len(boldStars.FindAllStringIndex(text, -1))
	m.Bold["__"] = len(boldUnder.FindAllStringIndex(text, -1))
	return m
}

// Join writes the answer files of the shards of one run, in shard order,
// as one file: the lines of JSON Lines files (Arena-Hard, MT-Bench) one
// after the other, the elements of AlpacaEval's JSON arrays as one array,
// laid out as Write lays it out.
func Join(w io.Writer, parts [][]byte) error {
	array := false
	for _, p := range parts {
		if t := bytes.TrimSpace(p); len(t) > 0 && t[0] == '[' {
			array = true
		}
	}
	if !array {
		for _, p := range parts {
			if len(p) > 0 && p[len(p)-1] != '\n' {
				return errors.New("an answers part does not end with a newline: not a complete JSON Lines file")
			}
			if _, err := w.Write(p); err != nil {
				return err
			}
		}
		return nil
	}
	all := []json.RawMessage{}
	for i, p := range parts {
		var elems []json.RawMessage
		if err := json.Unmarshal(p, &elems); err != nil {
			return fmt.Errorf("answers part %d: not a JSON array: %w", i, err)
		}
		all = append(all, elems...)
	}
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(all)
}
