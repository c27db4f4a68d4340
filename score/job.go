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
	"time"

	"github.com/dpokit/dpokit/dataset"
	"github.com/dpokit/dpokit/internal/fsutil"
	"github.com/dpokit/dpokit/internal/interrupt"
	"github.com/dpokit/dpokit/internal/progress"
	"github.com/dpokit/dpokit/internal/resume"
	"github.com/dpokit/dpokit/internal/shard"
	"github.com/dpokit/dpokit/logprob"
	"github.com/dpokit/dpokit/modeldir"
	"github.com/dpokit/dpokit/models"
	"github.com/dpokit/dpokit/results"
	"github.com/dpokit/dpokit/tokenize"
)

// Job is one `dpokit score` run over a dataset file.
type Job struct {
	Runtime   *models.Runtime
	PolicyDir string
	RefDir    string // ignored when RefFree
	Data      string
	DataOpts  dataset.Options
	Options
	Pair    tokenize.PairOptions
	Out     string    // per-pair JSONL; "" writes it to Stdout
	Summary string    // summary JSON; "" skips the file
	Stdout  io.Writer // per-pair lines when Out is ""; nil drops them (the caller said where they go instead)
	Stderr  io.Writer // progress
	Resume  bool
	Shard   results.Shard
}

// prepared is a job's models and identity, and, once read, its data.
type prepared struct {
	policy, ref *modeldir.Dir
	tok         *tokenize.Tokenizer
	encoded     []tokenize.Encoded
	key         *resume.Key // identity of the run's output (its shard included): the journal's
	run         *resume.Key // identity of the run, shared by its shards: the done marker's
	// Identities of the inputs, for the summary.
	policyID, dataID results.Identity
	refID            *results.Identity
}

// Run executes the job and returns its summary: a *results.Summary for
// preference pairs, a *results.RankingSummary for RewardBench 2 rows
// (format rewardbench2, or detected from the first record). A shard that
// this run already finished is not run again: its stored summary is
// returned.
func (j *Job) Run(ctx context.Context) (_ results.Report, err error) {
	start := time.Now()
	if err := j.check(); err != nil {
		return nil, err
	}
	if j.Out != "" {
		lock, err := fsutil.LockOutput(fsutil.Path{Flag: "--out", Path: j.out()})
		if err != nil {
			return nil, err
		}
		defer lock.Unlock()
	}
	ranking, err := j.rankings()
	if err != nil {
		return nil, err
	}
	// Hashing the inputs (and, later, reading and tokenizing a large file)
	// does not look at ctx: it runs under interrupt.Do, which returns at
	// once on a signal.
	in, err := interrupt.Do(ctx, j.open, nil)
	if err != nil {
		return nil, j.stopped(err, nil, 0, 0, "pairs")
	}
	if ranking {
		sum, err := j.runRankings(ctx, in, start)
		if err != nil {
			return nil, err
		}
		return sum, nil
	}
	sum, err := j.runPairs(ctx, in, start)
	if err != nil {
		return nil, err
	}
	return sum, nil
}

// runPairs scores preference pairs.
func (j *Job) runPairs(ctx context.Context, in *prepared, start time.Time) (_ *results.Summary, err error) {
	var stored results.Summary
	if done, err := j.finished(in, &stored); done || err != nil {
		return &stored, err
	}
	sum := &results.Summary{Beta: j.Beta, RefFree: j.RefFree, LengthNorm: j.LengthNorm, RefFreeNorm: j.RefFreeNorm, Shard: j.Shard.String(),
		SkippedRecords: []results.Skip{}, Policy: in.policyID, Ref: in.refID, Data: in.dataID, Settings: in.run.Sum()}
	if j.Out != "" {
		if sum.Out, err = filepath.Abs(j.out()); err != nil {
			return nil, err
		}
	}
	done := map[int]results.Result{}
	var journal *fsutil.Journal
	if j.Out != "" { // before the data is read: a refused resume costs nothing
		if journal, err = openJournal(j.out()+".partial", in.key, j.Resume || j.sharded(), done); err != nil {
			return nil, err
		}
		defer func() { err = errors.Join(err, journal.Finish(err, len(done))) }()
	}
	if _, err := interrupt.Do(ctx, func() (struct{}, error) { return struct{}{}, j.read(in, sum) }, nil); err != nil {
		return nil, j.stopped(err, journal, len(done), 0, "pairs")
	}
	sharing := !j.NoPrefixSharing && logprob.CanShare(in.policy, in.ref)
	sum.PrefixSharing = sharing
	todo, todoPairs := unfinished(in.encoded, done, logprob.BatchTokens(j.BatchTokens, in.policy.Signature.Vocab), sharing)
	sum.Phases.Prepare = time.Since(start).Seconds()
	loopStart := time.Now()
	if err := j.score(ctx, in, todo, todoPairs, sharing, sum, journal, done); err != nil {
		return nil, j.stopped(err, journal, len(done), len(in.encoded), "pairs")
	}
	sum.Phases.Score = time.Since(loopStart).Seconds()
	if err := j.write(in.encoded, done, sum, journal); err != nil {
		return nil, err
	}
	sum.Seconds = time.Since(start).Seconds()
	if sum.Seconds > 0 {
		sum.TokensPerSecond = float64(sum.Tokens) / sum.Seconds
		sum.PairsPerSecond = float64(sum.Scored) / sum.Seconds
	}
	return sum, j.finish(in, sum)
}

// stopped says what the journal keeps (done of total units; total 0 when
// not yet known) when err is a cancellation.
func (j *Job) stopped(err error, journal *fsutil.Journal, done, total int, unit string) error {
	hint := ""
	if j.Out == "" {
		hint = "per-pair results go to stdout only at the end; give --out to keep finished batches"
	}
	return interrupt.Journalled(err, journal, done, total, unit, hint)
}

// rankings reports whether the data are RewardBench 2 rows.
func (j *Job) rankings() (bool, error) {
	switch j.DataOpts.Format {
	case dataset.RewardBench2:
		return true, nil
	case "", dataset.Auto:
		first, err := dataset.First(j.Data, j.DataOpts.Kind)
		if err != nil {
			return false, nil // the pair reader reports (or skips) a first record it cannot read
		}
		return dataset.IsRanking(first), nil
	}
	return false, nil
}

// sharded reports whether the job is one shard of a run: it then writes
// its part of Out (and of Summary) under shard.Name, resumes its own
// journal without being asked and leaves a done marker when finished.
func (j *Job) sharded() bool { return j.Shard.N > 0 }

// out is the per-pair file this job writes: Out, or its part.
func (j *Job) out() string {
	if j.sharded() {
		return shard.Name(j.Out, j.Shard)
	}
	return j.Out
}

// summary is the summary file this job writes: Summary, or its part.
func (j *Job) summary() string {
	if j.sharded() {
		return shard.Name(j.Summary, j.Shard)
	}
	return j.Summary
}

// finished reports whether this run already finished the shard, and then
// decodes its stored summary into stored.
func (j *Job) finished(in *prepared, stored any) (bool, error) {
	if !j.sharded() {
		return false, nil
	}
	m, err := shard.Check(j.out(), in.run)
	if m == nil || err != nil {
		return false, err
	}
	if err := json.Unmarshal(m.Summary, stored); err != nil {
		return false, fmt.Errorf("%s: summary: %w", shard.MarkerPath(j.out()), err)
	}
	slog.Info("shard already finished by this run: nothing to do", "shard", j.Shard.String(), "marker", shard.MarkerPath(j.out()))
	return true, nil
}

// finish writes the run's summary and, for a shard, its done marker (last:
// the marker says every file is complete).
func (j *Job) finish(in *prepared, sum any) error {
	if j.summary() != "" {
		if err := results.WriteSummary(j.summary(), sum); err != nil {
			return err
		}
	}
	if !j.sharded() {
		return nil
	}
	return shard.Finish(j.out(), j.Shard, in.run, map[string]string{"out": j.out(), "summary": j.summary()}, sum)
}

// check refuses, before any work, settings that cannot run and outputs
// that are inputs.
func (j *Job) check() error {
	if !(j.Beta > 0) {
		return errors.New("beta must be positive")
	}
	if err := j.Rewarding.Check(); err != nil {
		return err
	}
	if j.sharded() && (j.Shard.I < 0 || j.Shard.I >= j.Shard.N) {
		return fmt.Errorf("shard %d/%d: index must be in 0..%d", j.Shard.I, j.Shard.N, j.Shard.N-1)
	}
	if j.sharded() && j.Out == "" {
		return errors.New("a shard needs --out: its part is written beside it")
	}
	if j.Resume && j.Out == "" {
		return errors.New("--resume needs --out: results of an interrupted run are kept beside the output file")
	}
	if !j.RefFree && j.RefDir == "" {
		return errors.New("a reference model is needed (--ref), or ask for --ref-free")
	}
	ins := []fsutil.Path{{Flag: "--data", Path: j.Data}}
	ins = append(ins, modelPaths("--policy", j.PolicyDir)...)
	if !j.RefFree {
		ins = append(ins, modelPaths("--ref", j.RefDir)...)
	}
	outs := []fsutil.Path{{Flag: "--out", Path: j.out()}, {Flag: "--summary", Path: j.summary()}}
	if err := fsutil.CheckWritable(outs...); err != nil {
		return err
	}
	if j.Out != "" {
		outs = append(outs, fsutil.Path{Flag: "--out's journal", Path: j.out() + ".partial"}, fsutil.Path{Flag: "--out's lock", Path: j.out() + ".lock"})
	}
	if j.sharded() {
		outs = append(outs, fsutil.Path{Flag: "--out's done marker", Path: shard.MarkerPath(j.out())})
	}
	return fsutil.CheckAliases(ins, outs)
}

// modelPaths lists the files of a model directory an output must not be.
func modelPaths(flag, dir string) []fsutil.Path {
	d, err := modeldir.Open(dir)
	if err != nil {
		return nil // opening it later reports the error
	}
	return fsutil.Named(flag, d.Files()...)
}

// open opens the models and names the run.
func (j *Job) open() (*prepared, error) {
	refDir := j.RefDir
	if j.RefFree {
		refDir = ""
	}
	policy, ref, tok, err := modeldir.OpenPair(j.PolicyDir, refDir)
	if err != nil {
		return nil, err
	}
	in := &prepared{policy: policy, ref: ref, tok: tok}
	if err := j.identify(in); err != nil {
		return nil, err
	}
	return in, nil
}

// read reads, shards and tokenizes the data.
func (j *Job) read(in *prepared, sum *results.Summary) error {
	pairs, skippedRead, err := dataset.ReadPairs(j.Data, j.DataOpts)
	if err != nil {
		return err
	}
	if j.Shard.I == 0 { // records the reader skipped are reported once, by shard 0
		for _, s := range skippedRead {
			s.Log(j.Data)
			sum.SkippedRecords = append(sum.SkippedRecords, results.Skip{Line: s.Line, ID: s.ID, Reason: s.Reason})
		}
	}
	lo, hi := j.Shard.Range(len(pairs))
	sum.Pairs = hi - lo + len(sum.SkippedRecords)
	var counts tokenize.PairCounts
	var skipped []dataset.Skipped
	pair := j.Pair.ForModel(in.policy.Signature.Vocab, in.policy.Context())
	in.encoded, counts, skipped, err = tokenize.EncodePairs(in.tok, pair, j.Data, pairs[lo:hi], lo, j.DataOpts.SkipInvalid)
	if err != nil {
		return err
	}
	for _, s := range skipped {
		sum.SkippedRecords = append(sum.SkippedRecords, results.Skip{Line: s.Line, ID: s.ID, Reason: s.Reason})
	}
	sum.Skipped = len(sum.SkippedRecords)
	slices.SortFunc(sum.SkippedRecords, func(a, b results.Skip) int { return a.Line - b.Line })
	sum.BoundaryMismatches, sum.Truncated, sum.TruncatedToEqual = counts.BoundaryMismatches, counts.Truncated, counts.TruncatedToEqual
	sum.EmptyResponses = counts.EmptyResponses
	return nil
}

// identify names the inputs and the run: every input that changes its
// results, files by content.
func (j *Job) identify(in *prepared) error {
	var err error
	if in.dataID, err = results.Identify(j.Data); err != nil {
		return err
	}
	if in.policyID, err = results.Identify(in.policy.ONNX); err != nil {
		return err
	}
	k := resume.New("score")
	errs := []error{k.Model("policy", in.policy), k.File("data", j.Data)}
	if in.ref != nil {
		id, err := results.Identify(in.ref.ONNX)
		in.refID = &id
		errs = append(errs, err, k.Model("ref", in.ref))
	}
	for name, v := range map[string]any{"format": j.DataOpts.Format, "skip-invalid": j.DataOpts.SkipInvalid,
		"beta": j.Beta, "ref-free": j.RefFree, "length-norm": j.LengthNorm, "max-length": j.Pair.MaxLength,
		"max-prompt-length": j.Pair.MaxPromptLength, "no-eos": j.Pair.NoEOS, "batch-tokens": logprob.BatchTokens(j.BatchTokens, in.policy.Signature.Vocab),
		"no-prefix-sharing": j.NoPrefixSharing, "ref-free-norm": j.RefFreeNorm} {
		errs = append(errs, k.Option(name, v))
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	in.run = k.Clone() // shards of one run share it
	in.key = k
	return k.Option("shard", j.Shard.String())
}

// openJournal opens the journal of interrupted results and loads them
// into done.
func openJournal(path string, key *resume.Key, resuming bool, done map[int]results.Result) (*fsutil.Journal, error) {
	journal, err := resume.OpenRecords(path, key, resuming, func(r Indexed) { done[r.Index] = r.Result })
	if err != nil {
		return nil, err
	}
	if len(done) > 0 {
		slog.Info("resuming", "finished_pairs", len(done), "journal", path)
	}
	return journal, nil
}

// unfinished plans the batches chunk by chunk (so a pair lands in the same
// batch however the data is sharded or resumed) and keeps those that hold
// a pair not yet done.
func unfinished(encoded []tokenize.Encoded, done map[int]results.Result, budget int, sharing bool) ([][]tokenize.Encoded, int) {
	var todo [][]tokenize.Encoded
	pairs := 0
	for c := 0; c < len(encoded); {
		end := c
		for end < len(encoded) && encoded[end].Index/results.ChunkPairs == encoded[c].Index/results.ChunkPairs {
			end++
		}
		for _, b := range logprob.Plan(encoded[c:end], budget, sharing) {
			if slices.ContainsFunc(b, func(e tokenize.Encoded) bool { _, ok := done[e.Index]; return !ok }) {
				todo = append(todo, b)
				pairs += len(b)
			}
		}
		c = end
	}
	return todo, pairs
}

// score runs the unfinished batches, journalling each batch's results.
func (j *Job) score(ctx context.Context, in *prepared, todo [][]tokenize.Encoded, todoPairs int, sharing bool,
	sum *results.Summary, journal *fsutil.Journal, done map[int]results.Result) error {
	bar := progress.New(j.Stderr, "score", "pairs", len(in.encoded))
	bar.Start(len(in.encoded) - todoPairs)
	if len(todo) == 0 {
		return nil
	}
	policy, ref, err := j.load(ctx, in)
	if err != nil {
		return err
	}
	defer policy.Close()
	loaded := []*models.Model{policy}
	if ref != nil {
		defer ref.Close()
		loaded = append(loaded, ref)
	}
	ortBefore := ortSeconds(loaded)
	loopStart := time.Now()
	err = Run(ctx, policy, ref, todo, sharing, j.Options, func(batch []Indexed) error {
		for _, r := range batch {
			if err := in.checkFinite(r.Result); err != nil {
				return err
			}
		}
		recs := make([][]byte, len(batch))
		for i, r := range batch {
			done[r.Index] = r.Result
			b, merr := json.Marshal(r)
			if merr != nil {
				return merr
			}
			recs[i] = b
		}
		bar.Add(len(batch))
		if journal == nil {
			return nil
		}
		return journal.Append(recs...)
	})
	bar.Finish()
	sum.ORTSeconds = ortSeconds(loaded)
	if wall := time.Since(loopStart).Seconds(); wall > 0 {
		sum.ORTShare = (sum.ORTSeconds - ortBefore) / (wall * float64(len(loaded)))
	}
	return err
}

// checkFinite reports a NaN or infinite log-prob or reward of a result,
// naming the pair and the model that gave it (and its first non-finite
// weight), before anything of its batch is journalled or written.
func (in *prepared) checkFinite(r results.Result) error {
	item := fmt.Sprintf("pair id %q", r.ID)
	for _, c := range []struct {
		d    *modeldir.Dir
		v    float64
		what string
	}{
		{in.policy, r.PolicyChosenLogp, "the policy log-prob of the chosen response"},
		{in.policy, r.PolicyRejectedLogp, "the policy log-prob of the rejected response"},
		{in.ref, r.RefChosenLogp, "the reference log-prob of the chosen response"},
		{in.ref, r.RefRejectedLogp, "the reference log-prob of the rejected response"},
		{in.policy, r.ChosenReward, "the chosen reward"},
		{in.policy, r.RejectedReward, "the rejected reward"},
	} {
		if c.d != nil {
			if err := c.d.CheckFinite(c.v, c.what, item); err != nil {
				return err
			}
		}
	}
	return nil
}

// load opens the policy and, unless reference-free, the reference.
func (j *Job) load(ctx context.Context, in *prepared) (policy, ref *models.Model, err error) {
	if policy, err = j.Runtime.LoadContext(ctx, in.policy); err != nil {
		return nil, nil, err
	}
	if in.ref != nil {
		if ref, err = j.Runtime.LoadContext(ctx, in.ref); err != nil {
			policy.Close()
			return nil, nil, err
		}
	}
	return policy, ref, nil
}

func ortSeconds(ms []*models.Model) float64 {
	s := 0.0
	for _, m := range ms {
		d, _ := m.ORTTime()
		s += d.Seconds()
	}
	return s
}

// write aggregates the results and writes them (to Out atomically, then
// the journal is removed; or to Stdout).
func (j *Job) write(encoded []tokenize.Encoded, done map[int]results.Result, sum *results.Summary, journal *fsutil.Journal) error {
	start := time.Now()
	rs := make([]results.Result, 0, len(encoded))
	for _, e := range encoded {
		rs = append(rs, done[e.Index])
		sum.Tokens += int64(2*len(e.Prompt) + len(e.Chosen) + len(e.Rejected))
	}
	sum.Stats = results.Aggregate(rs)
	switch {
	case j.Out != "":
		if err := fsutil.WriteFile(j.out(), func(w io.Writer) error { return results.WritePairs(w, rs) }); err != nil {
			return err
		}
		if err := journal.Remove(); err != nil {
			return err
		}
	case j.Stdout != nil:
		if err := results.WritePairs(j.Stdout, rs); err != nil {
			return fmt.Errorf("write per-pair results: %w", err)
		}
	}
	sum.Phases.Write = time.Since(start).Seconds()
	return nil
}
