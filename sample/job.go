package sample

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"

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

// Job is one generation run over a prompts file: `dpokit sample`, and
// the drawing half of `dpokit bestofn` (which sets Rank).
type Job struct {
	Runtime     *models.Runtime
	Model       string // model directory to sample from
	Prompts     string // prompts file, or a judge harness's question file
	SkipInvalid bool   // skip bad prompt records (each logged) instead of failing
	Options            // EOS is taken from the model directory when empty
	// RefModel, when set, gives each completion's log-prob under this
	// model (ref_logp) on its exact token ids; it must share the tokenizer.
	RefModel string
	Out      string // output JSONL, written atomically at the end
	Resume   bool   // continue from Out's journal (Out.partial)
	Stderr   io.Writer
	// Shard, when set (N > 0), generates only its block of whole groups of
	// prompts and writes its part of every output (internal/shard), resuming
	// its journal without being asked; a shard this run finished is skipped.
	Shard results.Shard
	// Bench is the harness of a question file; "" detects it from the first
	// record (a plain prompts file when it is no question).
	Bench dataset.Benchmark
	// AnswersOut, for a question file, also receives the answers in the
	// harness's own file format, generator/model/model_id ModelName.
	AnswersOut, ModelName string
	// Command names the run in its journal and progress line ("sample" if
	// empty).
	Command string
	// Rank, when set, scores and ranks the records of each group of prompts
	// before they are journalled.
	Rank func(ctx context.Context, recs []results.Record) error
	// Identity adds the result-affecting inputs of Rank to the run's key.
	Identity func(k *resume.Key) error
	// Inputs are further files the run reads (for the check that no output
	// is an input); Also are further files it writes from its records.
	Inputs []fsutil.Path
	Also   []Output
}

// Output is a further file written from the records of a run (bestofn's
// baseline, a harness's answers); a shard writes its part.
type Output struct {
	Role, Flag, Path string
	Write            func(w io.Writer, recs []results.Record) error
}

// Run generates every prompt's completions (a shard: those of its block),
// writes Out and the further outputs and returns the records in output
// order: each prompt's turns in turn, prompts in file order.
func (j *Job) Run(ctx context.Context) (_ []results.Record, err error) {
	if j.Command == "" {
		j.Command = "sample"
	}
	if err := j.check(); err != nil {
		return nil, err
	}
	lock, err := fsutil.LockOutput(fsutil.Path{Flag: "--out", Path: j.out()})
	if err != nil {
		return nil, err
	}
	defer lock.Unlock()
	// Loading the tokenizer and encoding the prompts do not look at ctx:
	// they run under interrupt.Do, which returns at once on a signal.
	in, err := interrupt.Do(ctx, j.prepare, nil)
	if err != nil {
		return nil, interrupt.Journalled(err, nil, 0, 0, "", "")
	}
	dir, tok, ps := in.dir, in.tok, in.ps
	lo, hi := j.Shard.Blocks(len(ps.ids), j.group())
	outs := j.Also
	if j.AnswersOut != "" {
		if ps.questions == nil {
			return nil, fmt.Errorf("--answers-out: %s holds prompts, not the questions of a judge harness", j.Prompts)
		}
		outs = append(outs, j.answersOutput(ps, tok, lo, hi))
	}
	key, run, err := j.key(dir, ps)
	if err != nil {
		return nil, err
	}
	if recs, err := j.finished(run); recs != nil || err != nil {
		return recs, err
	}
	journal, done, err := j.openJournal(key)
	if err != nil {
		return nil, err
	}
	defer func() { err = errors.Join(err, journal.Finish(err, len(done))) }()
	if err := j.generate(ctx, dir, tok, ps, lo, hi, journal, done); err != nil {
		finished, total := ps.progress(lo, hi, done)
		return nil, interrupt.Journalled(err, journal, finished, total, "prompts", "")
	}
	var recs []results.Record
	for i := lo; i < hi; i++ {
		for t := range ps.turnCount(i) {
			recs = append(recs, done[ps.index(i, t)])
		}
	}
	if err := j.write(recs, outs, run); err != nil {
		return nil, err
	}
	if err := journal.Remove(); err != nil {
		return nil, err
	}
	logDone(j.Command, j.out(), recs)
	return recs, nil
}

// prepared is a job's model directory, tokenizer and encoded prompts.
type prepared struct {
	dir *modeldir.Dir
	tok *tokenize.Tokenizer
	ps  *prompts
}

// prepare opens the model directory and its tokenizer, checks the options
// against the vocabulary and reads and encodes the prompts.
func (j *Job) prepare() (prepared, error) {
	dir, err := modeldir.Open(j.Model)
	if err != nil {
		return prepared{}, err
	}
	if err := j.Options.CheckVocab(dir.Signature.Vocab); err != nil {
		return prepared{}, err
	}
	tok, err := tokenize.Load(j.Model)
	if err != nil {
		return prepared{}, fmt.Errorf("tokenizer: %w", err)
	}
	if len(j.EOS) == 0 {
		if j.EOS = dir.EOS(); len(j.EOS) == 0 {
			j.EOS = tok.EOS()
		}
	}
	ps, err := readPrompts(j.Prompts, j.Bench, tok, j.SkipInvalid)
	return prepared{dir, tok, ps}, err
}

// group is the number of prompts generated together: shards own whole
// groups, so that every prompt is drawn in the same company as in one run.
func (j *Job) group() int { return max(1, j.batch()/j.n()) }

// sharded reports whether the job is one shard of a run.
func (j *Job) sharded() bool { return j.Shard.N > 0 }

// part is the file this job writes for the output path: path, or its part.
func (j *Job) part(path string) string {
	if j.sharded() {
		return shard.Name(path, j.Shard)
	}
	return path
}

func (j *Job) out() string { return j.part(j.Out) }

// write writes Out and the further outputs, and for a shard its done
// marker last.
func (j *Job) write(recs []results.Record, outs []Output, run *resume.Key) error {
	if err := fsutil.WriteFile(j.out(), func(w io.Writer) error { return results.WriteRecords(w, recs) }); err != nil {
		return err
	}
	files := map[string]string{"out": j.out()}
	for _, o := range outs {
		if o.Path == "" {
			continue
		}
		if err := fsutil.WriteFile(j.part(o.Path), func(w io.Writer) error { return o.Write(w, recs) }); err != nil {
			return fmt.Errorf("%s: %w", o.Flag, err)
		}
		files[o.Role] = j.part(o.Path)
	}
	if !j.sharded() {
		return nil
	}
	return shard.Finish(j.out(), j.Shard, run, files, nil)
}

// finished returns the records of a shard that this run finished before,
// or nil when there is work to do.
func (j *Job) finished(run *resume.Key) ([]results.Record, error) {
	if !j.sharded() {
		return nil, nil
	}
	m, err := shard.Check(j.out(), run)
	if m == nil || err != nil {
		return nil, err
	}
	slog.Info("shard already finished by this run: nothing to do", "shard", j.Shard.String(), "marker", shard.MarkerPath(j.out()))
	return results.ReadRecords(j.out())
}

// check refuses options out of range and outputs that are inputs.
func (j *Job) check() error {
	if err := j.Options.Validate(); err != nil {
		return err
	}
	if j.Out == "" {
		return errors.New("no output file")
	}
	if j.sharded() && (j.Shard.I < 0 || j.Shard.I >= j.Shard.N) {
		return fmt.Errorf("shard %d/%d: index must be in 0..%d", j.Shard.I, j.Shard.N, j.Shard.N-1)
	}
	ins := append([]fsutil.Path{{Flag: "--prompts", Path: j.Prompts}}, j.Inputs...)
	for flag, dir := range map[string]string{"--model": j.Model, "--ref-model": j.RefModel} {
		if d, err := modeldir.Open(dir); err == nil {
			ins = append(ins, fsutil.Named(flag, d.Files()...)...)
		}
	}
	outs := []fsutil.Path{{Flag: "--out", Path: j.out()}, {Flag: "--answers-out", Path: j.part(j.AnswersOut)}}
	for _, o := range j.Also {
		outs = append(outs, fsutil.Path{Flag: o.Flag, Path: j.part(o.Path)})
	}
	if err := fsutil.CheckWritable(outs...); err != nil {
		return err
	}
	outs = append(outs, fsutil.Path{Flag: "--out's journal", Path: j.out() + ".partial"}, fsutil.Path{Flag: "--out's lock", Path: j.out() + ".lock"})
	if j.sharded() {
		outs = append(outs, fsutil.Path{Flag: "--out's done marker", Path: shard.MarkerPath(j.out())})
	}
	return fsutil.CheckAliases(ins, outs)
}

// key names the run by everything that changes its output: the journal's
// key (the shard included) and the run's, shared by its shards.
func (j *Job) key(dir *modeldir.Dir, ps *prompts) (key, run *resume.Key, err error) {
	k := resume.New(j.Command)
	errs := []error{k.Model("model", dir), k.File("prompts", j.Prompts), k.Option("skip-invalid", j.SkipInvalid)}
	o := j.Options
	for name, v := range map[string]any{"n": o.n(), "max-new-tokens": o.MaxNewTokens, "min-new-tokens": o.MinNewTokens,
		"temperature": o.Temperature, "top-k": o.TopK, "top-p": o.TopP, "min-p": o.MinP,
		"repetition-penalty": o.RepetitionPenalty, "stop": o.StopStrings, "stop-token": o.StopTokens,
		"eos": o.EOS, "seed": o.Seed, "batch": o.batch(), "first-prompt": o.FirstPrompt} {
		errs = append(errs, k.Option(name, v))
	}
	if ps.bench != "" {
		errs = append(errs, k.Option("bench", ps.bench))
	}
	if j.AnswersOut != "" {
		errs = append(errs, k.Option("model-name", j.ModelName))
	}
	if j.RefModel != "" {
		d, err := modeldir.Open(j.RefModel)
		if err != nil {
			return nil, nil, fmt.Errorf("--ref-model: %w", err)
		}
		errs = append(errs, k.Model("ref-model", d))
	}
	if j.Identity != nil {
		errs = append(errs, j.Identity(k))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, nil, err
	}
	run = k.Clone()
	return k, run, k.Option("shard", j.Shard.String())
}

// openJournal opens Out's journal (a shard's: its part's) and returns the
// records it holds by journal index.
func (j *Job) openJournal(key *resume.Key) (*fsutil.Journal, map[int]results.Record, error) {
	path := j.out() + ".partial"
	done := map[int]results.Record{}
	journal, err := resume.OpenRecords(path, key, j.Resume || j.sharded(), func(r indexed) { done[r.Index] = r.Record })
	if err != nil {
		return nil, nil, err
	}
	if len(done) > 0 {
		slog.Info("resuming", "finished_records", len(done), "journal", path)
	}
	return journal, done, nil
}

// generate draws the completions of the prompts [lo, hi) not yet done, in
// fixed groups of Batch/N prompts, so that a resumed or sharded run draws
// exactly as a whole one. A question's turns are drawn one after the other
// for the whole group, each after the chosen answers to the turns before.
func (j *Job) generate(ctx context.Context, dir *modeldir.Dir, tok *tokenize.Tokenizer, ps *prompts, lo, hi int, journal *fsutil.Journal, done map[int]results.Record) error {
	finished, total := ps.progress(lo, hi, done)
	var m, ref *models.Model
	if finished < total {
		var err error
		if m, ref, err = j.load(ctx, dir, tok); err != nil {
			return err
		}
		defer m.Close()
		if ref != nil {
			defer ref.Close()
		}
	}
	bar := progress.New(j.Stderr, j.Command, "prompts", total)
	bar.Start(finished)
	defer bar.Finish()
	group := j.group()
	for g := lo; g < hi; g += group {
		for t := 0; ; t++ {
			b := turnBatch(ps, g, min(g+group, hi), t, done)
			if b == nil {
				break
			}
			if !b.pending {
				continue
			}
			if err := ctx.Err(); err != nil {
				return err
			}
			if err := j.turn(ctx, m, ref, tok, ps, b, journal, done); err != nil {
				return err
			}
			bar.Add(len(b.items))
		}
	}
	return nil
}

// progress counts the turns of the prompts [lo, hi) and those of them
// that done holds.
func (ps *prompts) progress(lo, hi int, done map[int]results.Record) (finished, total int) {
	for i := lo; i < hi; i++ {
		for t := range ps.turnCount(i) {
			total++
			if _, ok := done[ps.index(i, t)]; ok {
				finished++
			}
		}
	}
	return finished, total
}

// batch is turn t of the items of one group that have it.
type batch struct {
	t, first int   // the turn; the seeding index of items[0]
	items    []int // item indices
	pending  bool  // some item's turn t is not journalled
}

// turnBatch returns turn t of the group [lo, hi), or nil when no item of
// the group has that many turns.
func turnBatch(ps *prompts, lo, hi, t int, done map[int]results.Record) *batch {
	b := &batch{t: t, first: ps.index(lo, t)}
	for i := lo; i < hi; i++ {
		if ps.turnCount(i) <= t {
			continue
		}
		b.items = append(b.items, i)
		if _, ok := done[ps.index(i, t)]; !ok {
			b.pending = true
		}
	}
	if b.items == nil {
		return nil
	}
	return b
}

// turn generates one turn of a group (every item of the group with that
// turn, so that what was resumed does not change the draw), ranks and
// journals it.
func (j *Job) turn(ctx context.Context, m, ref *models.Model, tok *tokenize.Tokenizer, ps *prompts, b *batch, journal *fsutil.Journal, done map[int]results.Record) error {
	ids, texts, enc := make([]string, len(b.items)), make([]string, len(b.items)), make([][]int, len(b.items))
	for k, i := range b.items {
		var err error
		ids[k] = ps.recordID(i, b.t)
		if texts[k], enc[k], err = ps.turn(tok, i, b.t, done); err != nil {
			return err
		}
	}
	recs, err := j.draw(ctx, m, ref, tok, ids, texts, enc, b.first)
	if err != nil {
		return err
	}
	if err := j.checkFinite(m.Dir, recs); err != nil {
		return err
	}
	lines := make([][]byte, len(recs))
	for k, i := range b.items {
		idx := ps.index(i, b.t)
		if lines[k], err = json.Marshal(indexed{Index: idx, Record: recs[k]}); err != nil {
			return err
		}
		done[idx] = recs[k]
	}
	return journal.Append(lines...)
}

// draw generates, scores under the reference and ranks the encoded
// prompts (record ids, texts, ids); first is the seeding index of the
// first one.
func (j *Job) draw(ctx context.Context, m, ref *models.Model, tok *tokenize.Tokenizer, ids, texts []string, enc [][]int, first int) ([]results.Record, error) {
	o := j.Options
	o.FirstPrompt += first
	comps, err := Generate(ctx, m, tok, enc, o)
	if err != nil {
		return nil, err
	}
	recs := make([]results.Record, len(enc))
	for i := range recs {
		recs[i] = results.Record{ID: ids[i], Prompt: texts[i]}
		for _, c := range comps[i] {
			recs[i].Completions = append(recs[i].Completions, results.Candidate{Completion: c})
		}
	}
	if ref != nil {
		if err := addRefLogps(ref, enc, recs); err != nil {
			return nil, err
		}
	}
	if j.Rank != nil {
		if err := j.Rank(ctx, recs); err != nil {
			return nil, err
		}
	}
	return recs, nil
}

// checkFinite reports a NaN or infinite log-prob of a completion, naming
// the prompt and the model that gave it, before the group is journalled.
func (j *Job) checkFinite(dir *modeldir.Dir, recs []results.Record) error {
	for _, r := range recs {
		item := fmt.Sprintf("prompt id %q", r.ID)
		for k, c := range r.Completions {
			if err := dir.CheckFinite(c.Logp, fmt.Sprintf("the log-prob of completion %d", k), item); err != nil {
				return err
			}
			if c.RefLogp == nil || !math.IsNaN(*c.RefLogp) && !math.IsInf(*c.RefLogp, 0) {
				continue
			}
			ref, err := modeldir.Open(j.RefModel)
			if err != nil {
				return err
			}
			return ref.CheckFinite(*c.RefLogp, fmt.Sprintf("the reference log-prob of completion %d", k), item)
		}
	}
	return nil
}

// indexed is a journal record: a record with its prompt's index.
type indexed struct {
	Index int `json:"index"`
	results.Record
}

// load opens the sampling model and the reference model, if any.
func (j *Job) load(ctx context.Context, dir *modeldir.Dir, tok *tokenize.Tokenizer) (m, ref *models.Model, err error) {
	if j.RefModel != "" {
		if ref, err = loadRef(ctx, j.Runtime, j.RefModel, tok); err != nil {
			return nil, nil, err
		}
	}
	if m, err = j.Runtime.LoadContext(ctx, dir); err != nil {
		if ref != nil {
			ref.Close()
		}
		return nil, nil, err
	}
	return m, ref, nil
}

// loadRef opens the reference model, which must share the sampling
// model's tokenizer.
func loadRef(ctx context.Context, rt *models.Runtime, path string, tok *tokenize.Tokenizer) (*models.Model, error) {
	d, err := modeldir.Open(path)
	if err != nil {
		return nil, fmt.Errorf("--ref-model: %w", err)
	}
	rtok, err := tokenize.Load(path)
	if err != nil {
		return nil, fmt.Errorf("--ref-model tokenizer: %w", err)
	}
	if rtok.Fingerprint() != tok.Fingerprint() {
		return nil, fmt.Errorf("--ref-model %s has another tokenizer than the sampling model", path)
	}
	return rt.LoadContext(ctx, d)
}

// addRefLogps sets each completion's ref_logp: the reference's log-prob of
// its exact token ids after the prompt's ids.
func addRefLogps(ref *models.Model, prompts [][]int, recs []results.Record) error {
	var seqs []logprob.Seq
	for i, r := range recs {
		for _, c := range r.Completions {
			seqs = append(seqs, logprob.Seq{Prompt: prompts[i], Response: c.TokenIDs})
		}
	}
	lps, err := logprob.SeqLogps(ref, seqs, logprob.CanShare(ref.Dir))
	if err != nil {
		return fmt.Errorf("--ref-model: %w", err)
	}
	k := 0
	for i := range recs {
		for j := range recs[i].Completions {
			v := lps[k]
			recs[i].Completions[j].RefLogp = &v
			k++
		}
	}
	return nil
}

func logDone(command, out string, recs []results.Record) {
	completions, tokens := 0, 0
	for _, r := range recs {
		completions += len(r.Completions)
		for _, c := range r.Completions {
			tokens += len(c.TokenIDs)
		}
	}
	slog.Info(command+" done", "prompts", len(recs), "completions", completions, "tokens", tokens, "out", out)
}
