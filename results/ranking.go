package results

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/dpokit/dpokit/internal/fsutil"
	"github.com/dpokit/dpokit/rewardbench"
)

// Report is a score run's or merge's summary: *Summary for preference
// pairs, *RankingSummary for RewardBench 2 rows.
type Report interface {
	Table(w io.Writer) error
}

// RankingFormat is RankingSummary.Format.
const RankingFormat = "rewardbench2"

// Ranked is one RewardBench 2 row scored by `dpokit score`, one JSON line
// per row: per completion — the chosen (correct) ones first, then the
// rejected ones, in the row's order — the policy's and reference's summed
// log-probs, the implicit reward and the token count.
type Ranked struct {
	ID          string    `json:"id"`
	Subset      string    `json:"subset"`
	NumCorrect  int       `json:"num_correct"`
	PolicyLogps []float64 `json:"policy_logps"`
	RefLogps    []float64 `json:"ref_logps"`
	Rewards     []float64 `json:"rewards"`
	Tokens      []int     `json:"tokens"`
}

// Row returns the row's rewards in rewardbench's form.
func (r Ranked) Row(line int) rewardbench.Row {
	return rewardbench.Row{ID: r.ID, Subset: r.Subset, Line: line, Correct: r.Rewards[:r.NumCorrect], Incorrect: r.Rewards[r.NumCorrect:]}
}

// RankingSummary is the report of `dpokit score` on RewardBench 2 rows:
// per subset the best-of-n accuracy (Ties: its composite score) and the
// unweighted mean over the six domains, from package rewardbench.
type RankingSummary struct {
	Format         string `json:"format"` // RankingFormat
	Rows           int    `json:"rows"`
	Scored         int    `json:"scored"`
	Completions    int    `json:"completions"`
	Skipped        int    `json:"skipped"`
	SkippedRecords []Skip `json:"skipped_records"`
	rewardbench.Report
	Beta               float64   `json:"beta"`
	RefFree            bool      `json:"ref_free"`
	RefFreeNorm        string    `json:"ref_free_norm,omitempty"`
	LengthNorm         string    `json:"length_norm"`
	ChatTemplate       bool      `json:"chat_template"` // prompts and completions rendered with the model's chat template
	PrefixSharing      bool      `json:"prefix_sharing"`
	BoundaryMismatches int       `json:"boundary_mismatches"`
	Truncated          int       `json:"truncated"`
	EmptyResponses     int       `json:"empty_responses"`
	Policy             Identity  `json:"policy"`
	Ref                *Identity `json:"ref,omitempty"`
	Data               Identity  `json:"data"`
	Tokens             int64     `json:"tokens"`
	Seconds            float64   `json:"seconds"`
	Shard              string    `json:"shard,omitempty"`
	Out                string    `json:"out,omitempty"`
	Settings           string    `json:"settings"`
}

// Table writes the subset scores and the mean as a short table.
func (s *RankingSummary) Table(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "rows             %d (scored %d, %d completions; skipped %d)\n", s.Rows, s.Scored, s.Completions, s.Skipped)
	for _, sub := range s.Subsets {
		fmt.Fprintf(&b, "%-16s %.4f  (%d prompts, %s)\n", sub.Name, sub.Score, sub.Prompts, sub.Metric)
	}
	complete := ""
	if !s.Complete {
		complete = " (not all six domains present)"
	}
	fmt.Fprintf(&b, "mean of domains  %.4f%s\n", s.Mean, complete)
	reward := fmt.Sprintf("beta             %g", s.Beta)
	if s.RefFree {
		reward += fmt.Sprintf(" (reference-free, %s)", s.RefFreeNorm)
	}
	fmt.Fprintln(&b, reward)
	_, err := io.WriteString(w, b.String())
	return err
}

// WriteRanked writes scored rows as JSON lines.
func WriteRanked(w io.Writer, rs []Ranked) error { return writeLines(w, rs) }

// ReadRanked reads a file written by WriteRanked; an error names the file
// and line.
func ReadRanked(path string) ([]Ranked, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	out := []Ranked{}
	err = fsutil.EachLine(f, path, func(line int, b []byte) error {
		var r Ranked
		if err := json.Unmarshal(b, &r); err != nil {
			return fmt.Errorf("%s:%d: %w", path, line, err)
		}
		if r.NumCorrect < 1 || r.NumCorrect >= len(r.Rewards) {
			return fmt.Errorf("%s:%d: field \"num_correct\": %d of %d completions", path, line, r.NumCorrect, len(r.Rewards))
		}
		out = append(out, r)
		return nil
	})
	return out, err
}

// Evaluate scores rows with rewardbench.Evaluate; lines are counted from 1.
func Evaluate(rs []Ranked) (rewardbench.Report, error) {
	rows := make([]rewardbench.Row, len(rs))
	for i, r := range rs {
		rows[i] = r.Row(i + 1)
	}
	return rewardbench.Evaluate(rows)
}
