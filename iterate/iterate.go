// Package iterate runs iterative on-policy DPO: each round samples N
// completions per prompt from the current policy, judges them, builds pairs
// (best against worst), trains the current policy against the fixed
// reference, and evaluates the new policy against round 0 by win rate and
// mean reward. Every round is kept under OUT/round-k/ (samples, pairs, model,
// evaluation samples, summary) and a rerun resumes where the last one stopped:
// finished steps are found by their outputs, an interrupted sampling step by
// its journal, an interrupted training step by its checkpoints. A rerun with
// other inputs or options is refused, naming what changed.
package iterate

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/dpokit/dpokit/bestofn"
	"github.com/dpokit/dpokit/dataset"
	"github.com/dpokit/dpokit/internal/fsutil"
	"github.com/dpokit/dpokit/internal/interrupt"
	"github.com/dpokit/dpokit/internal/resume"
	"github.com/dpokit/dpokit/internal/shard"
	"github.com/dpokit/dpokit/modeldir"
	"github.com/dpokit/dpokit/models"
	"github.com/dpokit/dpokit/results"
	"github.com/dpokit/dpokit/sample"
	"github.com/dpokit/dpokit/score"
	"github.com/dpokit/dpokit/train"
)

// Job is one `dpokit iterate` run.
type Job struct {
	Runtime *models.Runtime
	Policy  string // the starting policy (round 0)
	Ref     string // the fixed reference; "" means Policy
	Prompts string
	// Judge ranks completions: "rm:DIR", "implicit" (JudgePolicy against
	// JudgeRef) or "logprob" (JudgePolicy's log-prob).
	Judge                 string
	JudgePolicy, JudgeRef string
	score.Rewarding
	Rounds int
	// MinMargin drops a prompt whose best and worst completions' judge
	// scores differ by less (0 keeps every prompt whose texts differ).
	MinMargin float64
	Sample    sample.Options // N is the completions per prompt; Seed is advanced per round
	EvalSeed  uint64         // the seed of the one evaluation sample per prompt
	Train     train.Job      // template: Prep, Backend, Run, Reference; paths are set per round
	Out       string
	Stderr    io.Writer
	// Shard, when set (N > 0), makes this run one task of an array that
	// samples a round: it draws its shard of the first round not yet
	// sampled and stops. The run without Shard merges the parts (finishing
	// any shard that did not), then judges, trains and evaluates.
	Shard results.Shard
}

func (j *Job) roundDir(k int) string { return filepath.Join(j.Out, fmt.Sprintf("round-%d", k)) }

// Run runs (or resumes) every round and returns the summary.
func (j *Job) Run(ctx context.Context) (*results.Iteration, error) {
	sum, err := j.run(ctx)
	return sum, j.stopped(err)
}

// stopped turns a cancellation into an *interrupt.Stopped: what the
// rounds finished is kept under Out, with what the step that was stopped
// kept (a sampling journal, a training checkpoint), and a rerun, which
// needs no --resume, continues.
func (j *Job) stopped(err error) error {
	if !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	s := &interrupt.Stopped{Err: err, Kept: "every finished step is kept under " + j.Out, Again: "run the same command again to continue"}
	var inner *interrupt.Stopped
	if errors.As(err, &inner) && inner.Kept != "" {
		s.Kept += ", and " + inner.Kept
	}
	return s
}

func (j *Job) run(ctx context.Context) (*results.Iteration, error) {
	if j.Rounds < 1 || j.Sample.N < 2 {
		return nil, errors.New("iterate needs at least one round and at least 2 completions per prompt")
	}
	if j.Ref == "" {
		j.Ref = j.Policy
	}
	if err := j.checkIdentity(); err != nil {
		return nil, err
	}
	if j.Shard.N > 0 {
		return nil, j.sampleShard(ctx)
	}
	judge, err := score.OpenJudge(j.Runtime, score.JudgeSpec{Kind: j.Judge, Policy: j.JudgePolicy, Ref: j.JudgeRef, Rewarding: j.Rewarding})
	if err != nil {
		return nil, fmt.Errorf("judge: %w", err)
	}
	defer judge.Close()
	sum := &results.Iteration{Judge: j.Judge}
	r0, err := j.evaluate(ctx, judge, 0, j.Policy)
	if err != nil {
		return nil, err
	}
	sum.Rounds = append(sum.Rounds, r0)
	current := j.Policy
	for k := 1; k <= j.Rounds; k++ {
		r, model, err := j.round(ctx, judge, k, current)
		if err != nil {
			return sum, fmt.Errorf("round %d: %w", k, err)
		}
		sum.Rounds = append(sum.Rounds, r)
		current = model
		slog.Info("round done", "round", k, "pairs", r.Pairs, "mean_reward", r.MeanReward, "win_rate_vs_round0", r.WinRate)
		if err := writeJSON(filepath.Join(j.Out, "iterate.json"), sum); err != nil {
			return sum, err
		}
	}
	return sum, writeJSON(filepath.Join(j.Out, "iterate.json"), sum)
}

// checkIdentity records the run's key in OUT/iterate.key, or refuses a rerun
// whose inputs or options differ.
func (j *Job) checkIdentity() error {
	k := resume.New("iterate")
	var errs []error
	for name, dir := range map[string]string{"policy": j.Policy, "ref": j.Ref} {
		d, err := modeldir.Open(dir)
		if err != nil {
			return fmt.Errorf("--%s: %w", name, err)
		}
		errs = append(errs, k.Model(name, d))
	}
	errs = append(errs, k.File("prompts", j.Prompts), k.Option("judge", j.Judge), k.Option("judge-policy", j.JudgePolicy),
		k.Option("judge-ref", j.JudgeRef), k.Option("min-margin", j.MinMargin), k.Option("eval-seed", j.EvalSeed),
		k.Fields(j.Sample, nil), k.Fields(j.Rewarding, nil), k.Fields(j.Train.Run.Config, nil),
		k.Option("epochs", j.Train.Run.Epochs), k.Option("train-seed", j.Train.Run.Seed))
	if err := errors.Join(errs...); err != nil {
		return err
	}
	path := filepath.Join(j.Out, "iterate.key")
	stored, err := os.ReadFile(path)
	switch {
	case err == nil:
		// More rounds may be asked for on a rerun: Rounds is not in the key.
		return resume.Check(stored, k)
	case !errors.Is(err, os.ErrNotExist):
		return err
	}
	if err := os.MkdirAll(j.Out, 0o755); err != nil {
		return err
	}
	return fsutil.WriteFile(path, func(w io.Writer) error { _, err := w.Write(k.Encode()); return err })
}

// round k: sample and judge from current, build pairs, train, evaluate.
func (j *Job) round(ctx context.Context, judge *score.ModelJudge, k int, current string) (results.Round, string, error) {
	dir := j.roundDir(k)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return results.Round{}, "", err
	}
	samples := filepath.Join(dir, "samples.jsonl")
	if err := j.sampleRound(ctx, k, current); err != nil {
		return results.Round{}, "", err
	}
	recs, err := results.ReadRecords(samples)
	if err != nil {
		return results.Round{}, "", err
	}
	pairsPath := filepath.Join(dir, "pairs.jsonl")
	pairs, dropped, best := Pairs(recs, j.MinMargin)
	if len(pairs) == 0 {
		return results.Round{}, "", fmt.Errorf("no pairs: every prompt's completions were equal or within --min-margin %g", j.MinMargin)
	}
	if err := fsutil.WriteFile(pairsPath, func(w io.Writer) error { return writePairs(w, pairs) }); err != nil {
		return results.Round{}, "", err
	}
	model := filepath.Join(dir, "model")
	if !trained(model) {
		if err := j.train(ctx, current, pairsPath, model); err != nil {
			return results.Round{}, "", fmt.Errorf("training: %w", err)
		}
	}
	r, err := j.evaluate(ctx, judge, k, model)
	r.Pairs, r.Dropped, r.MeanBestScore = len(pairs), dropped, best
	if err == nil {
		err = writeJSON(filepath.Join(dir, "summary.json"), r)
	}
	return r, model, err
}

func (j *Job) train(ctx context.Context, current, pairs, out string) error {
	tj := j.Train
	tj.PolicyDir, tj.RefDir, tj.Data, tj.Out = current, j.Ref, pairs, out
	tj.CheckpointDir = out + ".ckpt"
	tj.LogPath = out + ".log"
	tj.DataOpts.Format = dataset.Explicit
	tj.Run.Resume = exists(tj.CheckpointDir)
	if tj.Stdout == nil {
		tj.Stdout = io.Discard
	}
	_, err := tj.Do(ctx)
	return err
}

// trained reports whether a round's training step finished: its model is
// written and, when it kept checkpoints, exported.
func trained(model string) bool {
	return exists(filepath.Join(model, "config.json")) && (!exists(model+".ckpt") || exported(model))
}

// sampler is round k's sampling and judging of current's completions,
// as shard s of an array (s.N > 0) or whole.
func (j *Job) sampler(k int, current string, s results.Shard) *bestofn.Job {
	samples := filepath.Join(j.roundDir(k), "samples.jsonl")
	opts := j.Sample
	opts.Seed += uint64(k) * 1000003 // a new draw each round, the same on a rerun
	return &bestofn.Job{Job: sample.Job{Runtime: j.Runtime, Model: current, Prompts: j.Prompts, Options: opts, Out: samples,
		Resume: exists(samples + ".partial"), Stderr: j.Stderr, Command: "iterate sample", Shard: s},
		Rank: j.Judge, Policy: j.JudgePolicy, Ref: j.JudgeRef, Rewarding: j.Rewarding}
}

// sampleRound writes round k's samples.jsonl unless it exists: from the
// parts an array of sharded runs left (each unfinished shard is run or
// resumed here, a finished one is checked against this run's inputs), or
// in one go when there are none.
func (j *Job) sampleRound(ctx context.Context, k int, current string) error {
	samples := filepath.Join(j.roundDir(k), "samples.jsonl")
	if exists(samples) {
		return nil
	}
	n, err := shard.Count(samples)
	if err != nil {
		return err
	}
	if n == 0 {
		if _, err := j.sampler(k, current, results.Shard{}).Run(ctx); err != nil {
			return fmt.Errorf("sampling: %w", err)
		}
		return nil
	}
	slog.Info("merging a sharded round's samples", "round", k, "shards", n)
	for i := range n {
		if _, err := j.sampler(k, current, results.Shard{I: i, N: n}).Run(ctx); err != nil {
			return fmt.Errorf("sampling shard %d/%d: %w", i, n, err)
		}
	}
	if _, err := sample.MergeParts(samples, nil); err != nil {
		return fmt.Errorf("sampling: %w", err)
	}
	return nil
}

// sampleShard is one array task's run: its shard of the first round not
// yet sampled, from the policy the previous round trained.
func (j *Job) sampleShard(ctx context.Context) error {
	k := 1
	for k <= j.Rounds && exists(filepath.Join(j.roundDir(k), "samples.jsonl")) {
		k++
	}
	if k > j.Rounds {
		slog.Info("every round is sampled: nothing for a shard to do", "rounds", j.Rounds)
		return nil
	}
	current := j.Policy
	if k > 1 {
		current = filepath.Join(j.roundDir(k-1), "model")
		if !trained(current) {
			return fmt.Errorf("round %d is sampled but not trained yet (%s): run dpokit iterate without --shard first; it merges the parts, trains and evaluates", k-1, current)
		}
	}
	if err := os.MkdirAll(j.roundDir(k), 0o755); err != nil {
		return err
	}
	if _, err := j.sampler(k, current, j.Shard).Run(ctx); err != nil {
		return fmt.Errorf("round %d sampling, shard %s: %w", k, j.Shard, err)
	}
	slog.Info("shard sampled", "round", k, "shard", j.Shard.String(), "next", "dpokit iterate without --shard merges the parts and trains")
	return nil
}

// exported reports whether a training step finished its export.
func exported(model string) bool {
	ents, err := os.ReadDir(model)
	if err != nil {
		return false
	}
	for _, e := range ents {
		if filepath.Ext(e.Name()) == ".onnx" {
			return true
		}
	}
	return exists(filepath.Join(model, "onnx"))
}

// evaluate draws one sample per prompt from model (the same seed every
// round), and judges it: mean reward, and win rate against round 0's.
func (j *Job) evaluate(ctx context.Context, judge *score.ModelJudge, k int, model string) (results.Round, error) {
	dir := j.roundDir(k)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return results.Round{}, err
	}
	evalPath := filepath.Join(dir, "eval.jsonl")
	if !exists(evalPath) {
		opts := j.Sample
		opts.N, opts.Seed = 1, j.EvalSeed
		sj := sample.Job{Runtime: j.Runtime, Model: model, Prompts: j.Prompts, Options: opts, Out: evalPath,
			Resume: exists(evalPath + ".partial"), Stderr: j.Stderr, Command: "iterate eval"}
		if _, err := sj.Run(ctx); err != nil {
			return results.Round{}, fmt.Errorf("evaluation samples: %w", err)
		}
	}
	recs, err := results.ReadRecords(evalPath)
	if err != nil {
		return results.Round{}, err
	}
	prompts, texts := make([]string, len(recs)), make([]string, len(recs))
	for i, r := range recs {
		prompts[i], texts[i] = r.Prompt, r.Completions[0].Text
	}
	rewards, err := judge.Rewards(ctx, prompts, texts)
	if err != nil {
		return results.Round{}, err
	}
	r := results.Round{Round: k, Model: model}
	r.MeanReward, r.RewardSE = results.MeanStdErr(rewards)
	if k > 0 {
		wr, err := score.CompareFiles(ctx, judge, evalPath, filepath.Join(j.roundDir(0), "eval.jsonl"), false)
		if err != nil {
			return results.Round{}, err
		}
		r.WinRate, r.WinRateSE = wr.WinRate, wr.StandardError
	} else {
		r.WinRate = 0.5
	}
	return r, nil
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

func writeJSON(path string, v any) error {
	return fsutil.WriteFile(path, func(w io.Writer) error {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(v)
	})
}
