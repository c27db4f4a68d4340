package score

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/dpokit/dpokit/dataset"
	"github.com/dpokit/dpokit/internal/fsutil"
	"github.com/dpokit/dpokit/internal/interrupt"
	"github.com/dpokit/dpokit/internal/progress"
	"github.com/dpokit/dpokit/internal/resume"
	"github.com/dpokit/dpokit/logprob"
	"github.com/dpokit/dpokit/modeldir"
	"github.com/dpokit/dpokit/models"
	"github.com/dpokit/dpokit/results"
	"github.com/dpokit/dpokit/tokenize"
)

// RewardBench 2 rows are scored completion by completion: each completion
// is a response to the row's prompt — rendered with the chat template as
// [user prompt] + [assistant completion] when the model has one, as
// RewardBench does, else the prompt text followed by the completion — and
// encoded as a pair would be (tokenize.PairOptions: EOS appended,
// truncation, context checks). Its implicit reward is β·(logπ − logπ_ref),
// or reference-free the policy's log-probs reduced by RefFreeNorm; package
// rewardbench turns a row's rewards into the subset scores.

// item is one completion of a row, encoded: Chosen holds its tokens.
type item struct {
	row, k int // the row's index among the rows read; the completion's (chosen ones first)
	enc    tokenize.Encoded
}

// completion is one scored completion, a journal line.
type completion struct {
	Row    int     `json:"row"`
	K      int     `json:"k"`
	Policy float64 `json:"policy_logp"`
	Ref    float64 `json:"ref_logp"`
	Norm   float64 `json:"policy_norm,omitempty"` // ‖per-token log-probs‖₂, for the reference-free "norm"
}

// rankings are a job's RewardBench 2 rows, read and encoded.
type rankings struct {
	rows  map[int]dataset.Ranking // by row index: this shard's rows that were encoded
	order []int                   // their indices, in file order
	items []item
}

// runRankings scores RewardBench 2 rows.
func (j *Job) runRankings(ctx context.Context, in *prepared, start time.Time) (*results.RankingSummary, error) {
	var stored results.RankingSummary
	if done, err := j.finished(in, &stored); done || err != nil {
		return &stored, err
	}
	sum := &results.RankingSummary{Format: results.RankingFormat, Beta: j.Beta, RefFree: j.RefFree, RefFreeNorm: j.refFreeNorm(),
		LengthNorm: j.LengthNorm, ChatTemplate: in.tok.HasChatTemplate(), Policy: in.policyID, Ref: in.refID, Data: in.dataID,
		Shard: j.Shard.String(), Settings: in.run.Sum(), SkippedRecords: []results.Skip{}}
	var err error
	if j.Out != "" {
		if sum.Out, err = filepath.Abs(j.out()); err != nil {
			return nil, err
		}
	}
	// Reading and encoding the rows does not look at ctx: it runs under
	// interrupt.Do, which returns at once on a signal.
	rk, err := interrupt.Do(ctx, func() (*rankings, error) { return j.readRankings(in, sum) }, nil)
	if err != nil {
		return nil, j.stopped(err, nil, 0, 0, "completions")
	}
	done := map[[2]int]completion{}
	var journal *fsutil.Journal
	if j.Out != "" {
		if journal, err = openRankingJournal(j.out()+".partial", in.key, j.Resume || j.sharded(), done); err != nil {
			return nil, err
		}
		defer journal.Close()
	}
	sum.PrefixSharing = !j.NoPrefixSharing && logprob.CanShare(in.policy, in.ref)
	if err := j.scoreRankings(ctx, in, rk, sum.PrefixSharing, journal, done); err != nil {
		return nil, j.stopped(err, journal, len(done), len(rk.items), "completions")
	}
	if err := j.writeRankings(rk, done, sum, journal); err != nil {
		return nil, err
	}
	sum.Seconds = time.Since(start).Seconds()
	return sum, j.finish(in, sum)
}

// refFreeNorm is the reference-free reduction in effect ("" with a
// reference).
func (j *Job) refFreeNorm() string {
	if !j.RefFree {
		return ""
	}
	if j.RefFreeNorm == "" {
		return "sum"
	}
	return j.RefFreeNorm
}

// readRankings reads the rows, keeps the shard's and encodes every
// completion.
func (j *Job) readRankings(in *prepared, sum *results.RankingSummary) (*rankings, error) {
	rows, skippedRead, err := dataset.ReadRankings(j.Data, dataset.Options{Kind: j.DataOpts.Kind, SkipInvalid: j.DataOpts.SkipInvalid})
	if err != nil {
		return nil, err
	}
	if j.Shard.I == 0 { // records the reader skipped are reported once, by shard 0
		for _, s := range skippedRead {
			s.Log(j.Data)
			sum.SkippedRecords = append(sum.SkippedRecords, results.Skip{Line: s.Line, ID: s.ID, Reason: s.Reason})
		}
	}
	lo, hi := j.Shard.Range(len(rows))
	opts := j.Pair.ForModel(in.policy.Signature.Vocab, in.policy.Context())
	rk := &rankings{rows: map[int]dataset.Ranking{}}
	for i := lo; i < hi; i++ {
		r := rows[i]
		items, err := encodeRow(in.tok, opts, r, i)
		if err != nil {
			var re *dataset.RecordError
			if errors.As(err, &re) {
				re.File = j.Data
			}
			if !j.DataOpts.SkipInvalid {
				return nil, err
			}
			s := dataset.Skipped{Line: r.Line, ID: r.ID, Reason: err.Error()}
			s.Log(j.Data)
			sum.SkippedRecords = append(sum.SkippedRecords, results.Skip{Line: s.Line, ID: s.ID, Reason: s.Reason})
			continue
		}
		rk.rows[i] = r
		rk.order = append(rk.order, i)
		rk.items = append(rk.items, items...)
		for _, it := range items {
			sum.BoundaryMismatches += b2i(it.enc.BoundaryMismatch)
			sum.Truncated += b2i(it.enc.Truncated)
		}
		for _, c := range slices.Concat(r.Chosen, r.Rejected) {
			sum.EmptyResponses += b2i(strings.TrimSpace(c) == "")
		}
	}
	sum.Rows = hi - lo + len(skippedRead)*b2i(j.Shard.I == 0)
	sum.Skipped = len(sum.SkippedRecords)
	slices.SortFunc(sum.SkippedRecords, func(a, b results.Skip) int { return a.Line - b.Line })
	return rk, nil
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// encodeRow encodes each completion of a row as the response of a pair
// whose two responses are that completion.
func encodeRow(tok *tokenize.Tokenizer, opts tokenize.PairOptions, r dataset.Ranking, index int) ([]item, error) {
	completions := slices.Concat(r.Chosen, r.Rejected)
	items := make([]item, len(completions))
	for k, c := range completions {
		p := dataset.Pair{ID: r.ID, Line: r.Line, Prompt: r.Prompt, Chosen: c, Rejected: c}
		if tok.HasChatTemplate() {
			user := []dataset.Message{{Role: "user", Content: r.Prompt}}
			answer := []dataset.Message{{Role: "assistant", Content: c}}
			p = dataset.Pair{ID: r.ID, Line: r.Line, PromptMessages: user, ChosenMessages: answer, RejectedMessages: answer}
		}
		e, err := opts.Encode(tok, p, index)
		if err != nil {
			var re *dataset.RecordError
			if errors.As(err, &re) && re.Field != "prompt" {
				re.Field = fmt.Sprintf("chosen[%d]", k)
				if k >= len(r.Chosen) {
					re.Field = fmt.Sprintf("rejected[%d]", k-len(r.Chosen))
				}
			}
			return nil, err
		}
		items[k] = item{row: index, k: k, enc: e}
	}
	return items, nil
}

// openRankingJournal opens the journal of interrupted completions and
// loads them into done.
func openRankingJournal(path string, key *resume.Key, resuming bool, done map[[2]int]completion) (*fsutil.Journal, error) {
	journal, err := resume.OpenRecords(path, key, resuming, func(c completion) { done[[2]int{c.Row, c.K}] = c })
	if err != nil {
		return nil, err
	}
	if len(done) > 0 {
		slog.Info("resuming", "finished_completions", len(done), "journal", path)
	}
	return journal, nil
}

// planRankings batches the completions chunk by chunk of rows (so a
// completion lands in the same batch however the data is sharded or
// resumed) and keeps the batches that hold one not yet done.
func planRankings(items []item, budget int, done map[[2]int]completion) ([][]item, int) {
	var todo [][]item
	n := 0
	for c := 0; c < len(items); {
		end := c
		for end < len(items) && items[end].row/results.ChunkPairs == items[c].row/results.ChunkPairs {
			end++
		}
		seqs := make([]logprob.Seq, end-c)
		for i, it := range items[c:end] {
			seqs[i] = logprob.Seq{Prompt: it.enc.Prompt, Response: it.enc.Chosen}
		}
		for _, idx := range logprob.SeqBatches(seqs, budget) {
			b := make([]item, len(idx))
			pending := false
			for i, x := range idx {
				b[i] = items[c+x]
				_, ok := done[[2]int{b[i].row, b[i].k}]
				pending = pending || !ok
			}
			if pending {
				todo = append(todo, b)
				n += len(b)
			}
		}
		c = end
	}
	return todo, n
}

// scoreRankings scores the unfinished completions, journalling each batch.
func (j *Job) scoreRankings(ctx context.Context, in *prepared, rk *rankings, sharing bool, journal *fsutil.Journal, done map[[2]int]completion) error {
	todo, n := planRankings(rk.items, logprob.BatchTokens(j.BatchTokens, in.policy.Signature.Vocab), done)
	bar := progress.New(j.Stderr, "score", "completions", len(rk.items))
	bar.Start(len(rk.items) - n)
	defer bar.Finish()
	if len(todo) == 0 {
		return nil
	}
	policy, ref, err := j.load(ctx, in)
	if err != nil {
		return err
	}
	defer policy.Close()
	if ref != nil {
		defer ref.Close()
	}
	for _, b := range todo {
		if err := ctx.Err(); err != nil {
			return err
		}
		cs, err := j.scoreBatch(policy, ref, b, sharing)
		if err != nil {
			return err
		}
		for i, c := range cs {
			if err := j.checkFinite(in, rk, b[i], c); err != nil {
				return err
			}
		}
		lines := make([][]byte, len(cs))
		for i, c := range cs {
			done[[2]int{c.Row, c.K}] = c
			if lines[i], err = json.Marshal(c); err != nil {
				return err
			}
		}
		if journal != nil {
			if err := journal.Append(lines...); err != nil {
				return err
			}
		}
		bar.Add(len(b))
	}
	return nil
}

// checkFinite reports a NaN or infinite log-prob or reward of a scored
// completion, naming its row and the model that gave it (and its first
// non-finite weight), before anything of its batch is journalled or
// written.
func (j *Job) checkFinite(in *prepared, rk *rankings, it item, c completion) error {
	kind, k := "chosen", it.k
	if n := len(rk.rows[it.row].Chosen); k >= n {
		kind, k = "rejected", k-n
	}
	row := fmt.Sprintf("row id %q", rk.rows[it.row].ID)
	reward := j.Reward(c.Policy, c.Ref, len(it.enc.Chosen))
	if j.Tokens() {
		reward = j.NormReward(c.Norm)
	}
	type check struct {
		d    *modeldir.Dir
		v    float64
		what string
	}
	checks := []check{{in.policy, c.Policy, fmt.Sprintf("the policy log-prob of %s[%d]", kind, k)}}
	if in.ref != nil && !j.RefFree {
		checks = append(checks, check{in.ref, c.Ref, fmt.Sprintf("the reference log-prob of %s[%d]", kind, k)})
	}
	checks = append(checks, check{in.policy, reward, fmt.Sprintf("the reward of %s[%d]", kind, k)})
	for _, ch := range checks {
		if err := ch.d.CheckFinite(ch.v, ch.what, row); err != nil {
			return err
		}
	}
	return nil
}

// scoreBatch runs one batch of completions on the policy and, in
// parallel, the reference.
func (j *Job) scoreBatch(policy, ref *models.Model, b []item, sharing bool) ([]completion, error) {
	seqs := make([]logprob.Seq, len(b))
	for i, it := range b {
		seqs[i] = logprob.Seq{Prompt: it.enc.Prompt, Response: it.enc.Chosen}
	}
	var refLps []float64
	var rerr error
	var wg sync.WaitGroup
	if ref != nil && !j.RefFree {
		wg.Go(func() { refLps, rerr = logprob.SeqLogps(ref, seqs, sharing) })
	}
	toks, perr := logprob.SeqTokenLogps(policy, seqs, sharing)
	wg.Wait()
	if perr != nil {
		return nil, fmt.Errorf("policy: %w", perr)
	}
	if rerr != nil {
		return nil, fmt.Errorf("reference: %w", rerr)
	}
	out := make([]completion, len(b))
	for i, it := range b {
		c := completion{Row: it.row, K: it.k}
		for _, v := range toks[i] {
			c.Policy += v
		}
		if j.Tokens() {
			c.Norm = Norm(toks[i])
		}
		if refLps != nil {
			c.Ref = refLps[i]
		}
		out[i] = c
	}
	return out, nil
}

// writeRankings turns the scored completions into rows with rewards,
// evaluates them and writes them (to Out atomically, then the journal is
// removed; or to Stdout).
func (j *Job) writeRankings(rk *rankings, done map[[2]int]completion, sum *results.RankingSummary, journal *fsutil.Journal) error {
	byRow := map[int][]item{}
	for _, it := range rk.items {
		byRow[it.row] = append(byRow[it.row], it)
	}
	rs := make([]results.Ranked, 0, len(rk.order))
	for _, i := range rk.order {
		r := rk.rows[i]
		out := results.Ranked{ID: r.ID, Subset: r.Subset, NumCorrect: len(r.Chosen)}
		for _, it := range byRow[i] {
			c := done[[2]int{i, it.k}]
			n := len(it.enc.Chosen)
			reward := j.Reward(c.Policy, c.Ref, n)
			if j.Tokens() {
				reward = j.NormReward(c.Norm)
			}
			out.PolicyLogps = append(out.PolicyLogps, c.Policy)
			out.RefLogps = append(out.RefLogps, c.Ref)
			out.Rewards = append(out.Rewards, reward)
			out.Tokens = append(out.Tokens, n)
			sum.Tokens += int64(len(it.enc.Prompt) + n)
		}
		rs = append(rs, out)
		sum.Completions += len(out.Rewards)
	}
	sum.Scored = len(rs)
	var err error
	if sum.Report, err = results.Evaluate(rs); err != nil {
		return fmt.Errorf("%s: %w", j.Data, err)
	}
	switch {
	case j.Out != "":
		if err := fsutil.WriteFile(j.out(), func(w io.Writer) error { return results.WriteRanked(w, rs) }); err != nil {
			return err
		}
		return journal.Remove()
	case j.Stdout != nil:
		if err := results.WriteRanked(j.Stdout, rs); err != nil {
			return fmt.Errorf("write per-row results: %w", err)
		}
	}
	return nil
}
