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
	Prompts     string // prompts file
	SkipInvalid bool   // skip bad prompt records (each logged) instead of failing
	Options            // EOS is taken from the model directory when empty
	// RefModel, when set, gives each completion's log-prob under this
	// model (ref_logp) on its exact token ids; it must share the tokenizer.
	RefModel string
	Out      string // output JSONL, written atomically at the end
	Resume   bool   // continue from Out's journal (Out.partial)
	Stderr   io.Writer
	// Command names the run in its journal and progress line ("sample" if
	// empty).
	Command string
	// Rank, when set, scores and ranks the records of each group of prompts
	// before they are journalled.
	Rank func(ctx context.Context, recs []results.Record) error
	// Identity adds the result-affecting inputs of Rank to the run's key.
	Identity func(k *resume.Key) error
	// Inputs and Outputs are further files the run reads and writes (for
	// the check that no output is an input).
	Inputs, Outputs []fsutil.Path
}

// prompts is a job's prompts file read, rendered and encoded.
type prompts struct {
	recs  []dataset.Prompt
	texts []string
	ids   [][]int
}

// Run generates every prompt's completions, writes Out and returns the
// records in prompt order.
func (j *Job) Run(ctx context.Context) ([]results.Record, error) {
	if j.Command == "" {
		j.Command = "sample"
	}
	if err := j.check(); err != nil {
		return nil, err
	}
	lock, err := fsutil.LockOutput(fsutil.Path{Flag: "--out", Path: j.Out})
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
	key, err := j.key(dir)
	if err != nil {
		return nil, err
	}
	journal, done, err := j.openJournal(key)
	if err != nil {
		return nil, err
	}
	defer journal.Close()
	if err := j.generate(ctx, dir, tok, ps, journal, done); err != nil {
		return nil, interrupt.Journalled(err, journal, len(done), len(ps.recs), "prompts", "")
	}
	recs := make([]results.Record, len(ps.recs))
	for i := range recs {
		recs[i] = done[i]
	}
	if err := fsutil.WriteFile(j.Out, func(w io.Writer) error { return results.WriteRecords(w, recs) }); err != nil {
		return nil, err
	}
	if err := journal.Remove(); err != nil {
		return nil, err
	}
	logDone(j.Command, j.Out, recs)
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
	ps, err := readPrompts(j.Prompts, tok, j.SkipInvalid)
	return prepared{dir, tok, ps}, err
}

// check refuses options out of range and outputs that are inputs.
func (j *Job) check() error {
	if err := j.Options.Validate(); err != nil {
		return err
	}
	if j.Out == "" {
		return errors.New("no output file")
	}
	ins := append([]fsutil.Path{{Flag: "--prompts", Path: j.Prompts}}, j.Inputs...)
	for flag, dir := range map[string]string{"--model": j.Model, "--ref-model": j.RefModel} {
		if d, err := modeldir.Open(dir); err == nil {
			ins = append(ins, fsutil.Named(flag, d.Files()...)...)
		}
	}
	outs := append([]fsutil.Path{{Flag: "--out", Path: j.Out}}, j.Outputs...)
	if err := fsutil.CheckWritable(outs...); err != nil {
		return err
	}
	outs = append(outs, fsutil.Path{Flag: "--out's journal", Path: j.Out + ".partial"}, fsutil.Path{Flag: "--out's lock", Path: j.Out + ".lock"})
	return fsutil.CheckAliases(ins, outs)
}

// readPrompts reads the prompts, renders each as the text the model
// continues and encodes it.
func readPrompts(path string, tok *tokenize.Tokenizer, skipInvalid bool) (*prompts, error) {
	recs, skipped, err := dataset.ReadPrompts(path, dataset.Options{SkipInvalid: skipInvalid})
	if err != nil {
		return nil, err
	}
	for _, s := range skipped {
		s.Log(path)
	}
	ps := &prompts{recs: recs, texts: make([]string, len(recs)), ids: make([][]int, len(recs))}
	for i, p := range recs {
		if ps.texts[i], err = tok.PromptText(p); err == nil {
			ps.ids[i], err = tok.EncodePrompt(ps.texts[i])
		}
		if err != nil {
			return nil, &dataset.RecordError{File: path, Line: p.Line, Field: "prompt", Err: err}
		}
	}
	return ps, nil
}

// key names the run by everything that changes its output.
func (j *Job) key(dir *modeldir.Dir) (*resume.Key, error) {
	k := resume.New(j.Command)
	errs := []error{k.Model("model", dir), k.File("prompts", j.Prompts), k.Option("skip-invalid", j.SkipInvalid)}
	o := j.Options
	for name, v := range map[string]any{"n": o.n(), "max-new-tokens": o.MaxNewTokens, "min-new-tokens": o.MinNewTokens,
		"temperature": o.Temperature, "top-k": o.TopK, "top-p": o.TopP, "min-p": o.MinP,
		"repetition-penalty": o.RepetitionPenalty, "stop": o.StopStrings, "stop-token": o.StopTokens,
		"eos": o.EOS, "seed": o.Seed, "batch": o.batch(), "first-prompt": o.FirstPrompt} {
		errs = append(errs, k.Option(name, v))
	}
	if j.RefModel != "" {
		d, err := modeldir.Open(j.RefModel)
		if err != nil {
			return nil, fmt.Errorf("--ref-model: %w", err)
		}
		errs = append(errs, k.Model("ref-model", d))
	}
	if j.Identity != nil {
		errs = append(errs, j.Identity(k))
	}
	return k, errors.Join(errs...)
}

// openJournal opens Out's journal and returns the records it holds by
// prompt index.
func (j *Job) openJournal(key *resume.Key) (*fsutil.Journal, map[int]results.Record, error) {
	path := j.Out + ".partial"
	journal, lines, err := resume.OpenJournal(path, key, j.Resume)
	if err != nil {
		return nil, nil, err
	}
	done := map[int]results.Record{}
	for i, l := range lines {
		var r indexed
		if err := json.Unmarshal(l, &r); err != nil {
			journal.Close()
			return nil, nil, fmt.Errorf("%s:%d: %w", path, i+2, err)
		}
		done[r.Index] = r.Record
	}
	if len(done) > 0 {
		slog.Info("resuming", "finished_prompts", len(done), "journal", path)
	}
	return journal, done, nil
}

// indexed is a journal record: a record with its prompt's index.
type indexed struct {
	Index int `json:"index"`
	results.Record
}

// generate draws the completions of the prompts not yet done, in fixed
// groups of Batch/N prompts, so that a resumed run draws exactly as a
// whole one.
func (j *Job) generate(ctx context.Context, dir *modeldir.Dir, tok *tokenize.Tokenizer, ps *prompts, journal *fsutil.Journal, done map[int]results.Record) error {
	var m, ref *models.Model
	var err error
	if len(done) < len(ps.recs) {
		if m, ref, err = j.load(ctx, dir, tok); err != nil {
			return err
		}
		defer m.Close()
		if ref != nil {
			defer ref.Close()
		}
	}
	group := max(1, j.batch()/j.n())
	bar := progress.New(j.Stderr, j.Command, "prompts", len(ps.recs))
	bar.Start(len(done))
	defer bar.Finish()
	for lo := 0; lo < len(ps.recs); lo += group {
		hi := min(lo+group, len(ps.recs))
		if finished(done, lo, hi) {
			continue
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		recs, err := j.group(ctx, m, ref, tok, ps, lo, hi)
		if err != nil {
			return err
		}
		if err := j.checkFinite(dir, recs); err != nil {
			return err
		}
		lines := make([][]byte, len(recs))
		for i, r := range recs {
			if lines[i], err = json.Marshal(indexed{Index: lo + i, Record: r}); err != nil {
				return err
			}
			done[lo+i] = r
		}
		if err := journal.Append(lines...); err != nil {
			return err
		}
		bar.Add(hi - lo)
	}
	return nil
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

func finished(done map[int]results.Record, lo, hi int) bool {
	for i := lo; i < hi; i++ {
		if _, ok := done[i]; !ok {
			return false
		}
	}
	return true
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

// group generates, scores under the reference and ranks prompts [lo, hi).
func (j *Job) group(ctx context.Context, m, ref *models.Model, tok *tokenize.Tokenizer, ps *prompts, lo, hi int) ([]results.Record, error) {
	o := j.Options
	o.FirstPrompt += lo
	comps, err := Generate(ctx, m, tok, ps.ids[lo:hi], o)
	if err != nil {
		return nil, err
	}
	recs := make([]results.Record, hi-lo)
	for i := range recs {
		recs[i] = results.Record{ID: ps.recs[lo+i].ID, Prompt: ps.texts[lo+i]}
		for _, c := range comps[i] {
			recs[i].Completions = append(recs[i].Completions, results.Candidate{Completion: c})
		}
	}
	if ref != nil {
		if err := addRefLogps(ref, ps.ids[lo:hi], recs); err != nil {
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
