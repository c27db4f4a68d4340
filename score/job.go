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

// prepared is a job's inputs, read and tokenized.
type prepared struct {
	policy, ref *modeldir.Dir
	encoded     []tokenize.Encoded
	key         *resume.Key // identity of the run (its shard included)
}

// Run executes the job and returns its summary.
func (j *Job) Run(ctx context.Context) (*results.Summary, error) {
	start := time.Now()
	if err := j.check(); err != nil {
		return nil, err
	}
	if j.Out != "" {
		lock, err := fsutil.LockOutput(fsutil.Path{Flag: "--out", Path: j.Out})
		if err != nil {
			return nil, err
		}
		defer lock.Unlock()
	}
	// Reading and tokenizing a large file does not look at ctx: it runs
	// under interrupt.Do, which returns at once on a signal.
	p, err := interrupt.Do(ctx, func() (prepPair, error) {
		in, sum, err := j.prepare()
		return prepPair{in, sum}, err
	}, nil)
	if err != nil {
		return nil, j.stopped(err, nil, 0, 0)
	}
	in, sum := p.in, p.sum
	done := map[int]results.Result{}
	var journal *fsutil.Journal
	if j.Out != "" {
		if journal, err = openJournal(j.Out+".partial", in.key, j.Resume, done); err != nil {
			return nil, err
		}
		defer journal.Close()
	}
	sharing := !j.NoPrefixSharing && logprob.CanShare(in.policy, in.ref)
	sum.PrefixSharing = sharing
	todo, todoPairs := unfinished(in.encoded, done, logprob.BatchTokens(j.BatchTokens, in.policy.Signature.Vocab), sharing)
	sum.Phases.Prepare = time.Since(start).Seconds()
	loopStart := time.Now()
	if err := j.score(ctx, in, todo, todoPairs, sharing, sum, journal, done); err != nil {
		return nil, j.stopped(err, journal, len(done), len(in.encoded))
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
	if j.Summary != "" {
		if err := results.WriteSummary(j.Summary, sum); err != nil {
			return nil, err
		}
	}
	return sum, nil
}

type prepPair struct {
	in  *prepared
	sum *results.Summary
}

// stopped says what the journal keeps when err is a cancellation.
func (j *Job) stopped(err error, journal *fsutil.Journal, done, total int) error {
	hint := ""
	if j.Out == "" {
		hint = "per-pair results go to stdout only at the end; give --out to keep finished batches"
	}
	return interrupt.Journalled(err, journal, done, total, "pairs", hint)
}

// check refuses, before any work, settings that cannot run and outputs
// that are inputs.
func (j *Job) check() error {
	if !(j.Beta > 0) {
		return errors.New("beta must be positive")
	}
	if j.Shard.N > 1 && (j.Shard.I < 0 || j.Shard.I >= j.Shard.N) {
		return fmt.Errorf("shard %d/%d: index must be in 0..%d", j.Shard.I, j.Shard.N, j.Shard.N-1)
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
	outs := []fsutil.Path{{Flag: "--out", Path: j.Out}, {Flag: "--summary", Path: j.Summary}}
	if err := fsutil.CheckWritable(outs...); err != nil {
		return err
	}
	if j.Out != "" {
		outs = append(outs, fsutil.Path{Flag: "--out's journal", Path: j.Out + ".partial"}, fsutil.Path{Flag: "--out's lock", Path: j.Out + ".lock"})
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

// prepare opens the models, reads, shards and tokenizes the data and names
// the run.
func (j *Job) prepare() (*prepared, *results.Summary, error) {
	refDir := j.RefDir
	if j.RefFree {
		refDir = ""
	}
	policy, ref, tok, err := modeldir.OpenPair(j.PolicyDir, refDir)
	if err != nil {
		return nil, nil, err
	}
	in := &prepared{policy: policy, ref: ref}
	pairs, skippedRead, err := dataset.ReadPairs(j.Data, j.DataOpts)
	if err != nil {
		return nil, nil, err
	}
	sum := &results.Summary{Beta: j.Beta, RefFree: j.RefFree, LengthNorm: j.LengthNorm, Shard: j.Shard.String(), SkippedRecords: []results.Skip{}}
	if j.Out != "" {
		if sum.Out, err = filepath.Abs(j.Out); err != nil {
			return nil, nil, err
		}
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
	in.encoded, counts, skipped, err = tokenize.EncodePairs(tok, j.Pair.ForModel(policy.Signature.Vocab, policy.Context()), j.Data, pairs[lo:hi], lo, j.DataOpts.SkipInvalid)
	if err != nil {
		return nil, nil, err
	}
	for _, s := range skipped {
		sum.SkippedRecords = append(sum.SkippedRecords, results.Skip{Line: s.Line, ID: s.ID, Reason: s.Reason})
	}
	sum.Skipped = len(sum.SkippedRecords)
	slices.SortFunc(sum.SkippedRecords, func(a, b results.Skip) int { return a.Line - b.Line })
	sum.BoundaryMismatches, sum.Truncated, sum.TruncatedToEqual = counts.BoundaryMismatches, counts.Truncated, counts.TruncatedToEqual
	sum.EmptyResponses = counts.EmptyResponses
	if err := j.identify(in, sum); err != nil {
		return nil, nil, err
	}
	return in, sum, nil
}

// identify fills the summary's identities and names the run: every input
// that changes its results, files by content.
func (j *Job) identify(in *prepared, sum *results.Summary) error {
	var err error
	if sum.Data, err = results.Identify(j.Data); err != nil {
		return err
	}
	if sum.Policy, err = results.Identify(in.policy.ONNX); err != nil {
		return err
	}
	k := resume.New("score")
	errs := []error{k.Model("policy", in.policy), k.File("data", j.Data)}
	if in.ref != nil {
		id, err := results.Identify(in.ref.ONNX)
		sum.Ref = &id
		errs = append(errs, err, k.Model("ref", in.ref))
	}
	for name, v := range map[string]any{"format": j.DataOpts.Format, "skip-invalid": j.DataOpts.SkipInvalid,
		"beta": j.Beta, "ref-free": j.RefFree, "length-norm": j.LengthNorm, "max-length": j.Pair.MaxLength,
		"max-prompt-length": j.Pair.MaxPromptLength, "no-eos": j.Pair.NoEOS, "batch-tokens": j.BatchTokens,
		"no-prefix-sharing": j.NoPrefixSharing} {
		errs = append(errs, k.Option(name, v))
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	sum.Settings = k.Sum() // shards of one run share it
	in.key = k
	return k.Option("shard", j.Shard.String())
}

// openJournal opens the journal of interrupted results and loads them
// into done.
func openJournal(path string, key *resume.Key, resuming bool, done map[int]results.Result) (*fsutil.Journal, error) {
	journal, lines, err := resume.OpenJournal(path, key, resuming)
	if err != nil {
		return nil, err
	}
	for i, l := range lines {
		var r Indexed
		if err := json.Unmarshal(l, &r); err != nil {
			journal.Close()
			return nil, fmt.Errorf("%s:%d: %w", path, i+2, err)
		}
		done[r.Index] = r.Result
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
	policy, err := j.Runtime.LoadContext(ctx, in.policy)
	if err != nil {
		return err
	}
	defer policy.Close()
	loaded := []*models.Model{policy}
	var ref *models.Model
	if in.ref != nil {
		if ref, err = j.Runtime.LoadContext(ctx, in.ref); err != nil {
			return err
		}
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
		if err := fsutil.WriteFile(j.Out, func(w io.Writer) error { return results.WritePairs(w, rs) }); err != nil {
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
