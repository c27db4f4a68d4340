package bestofn

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/dpokit/dpokit/internal/fsutil"
	"github.com/dpokit/dpokit/internal/resume"
	"github.com/dpokit/dpokit/modeldir"
	"github.com/dpokit/dpokit/results"
	"github.com/dpokit/dpokit/sample"
	"github.com/dpokit/dpokit/score"
)

// Job is one `dpokit bestofn` run: N completions per prompt drawn by
// sample's job, ranked, and written with the best one marked.
type Job struct {
	sample.Job
	// Rank is "logprob" (Policy's log-prob, or the sampling model's own
	// when Policy is ""), "implicit" (Policy against Ref) or "rm:DIR".
	Rank        string
	Policy, Ref string
	score.Rewarding
	BatchTokens int
	// BaselineOut, when set, also receives each prompt's best completion
	// in sample's format.
	BaselineOut string
}

// Run draws, ranks and writes; it returns the ranked records.
func (j *Job) Run(ctx context.Context) ([]results.Record, error) {
	kind, rmDir, err := score.ParseJudge(j.Rank)
	if err != nil {
		return nil, err
	}
	if kind == "implicit" && (j.Policy == "" || j.Ref == "") {
		return nil, errors.New("rank implicit needs a policy and a reference model")
	}
	if j.LengthNorm != "" && j.LengthNorm != "avg" {
		return nil, fmt.Errorf("length normalisation %q: want avg", j.LengthNorm)
	}
	j.Command = "bestofn"
	j.Batch = max(j.Batch, j.N) // the N rows of a prompt share one prefill
	j.Outputs = append(j.Outputs, fsutil.Path{Flag: "--baseline-out", Path: j.BaselineOut})
	judged := map[string]string{"policy": j.Policy, "ref": j.Ref, "rank": rmDir} // models by flag
	if kind != "implicit" {
		delete(judged, "ref")
	}
	for flag, dir := range judged {
		if d, err := modeldir.Open(dir); err == nil {
			j.Inputs = append(j.Inputs, fsutil.Named("--"+flag, d.Files()...)...)
		}
	}
	// The judge opens on first use: a resume refused, or with every prompt
	// done, loads no ranking model.
	var judge *score.ModelJudge
	defer func() {
		if judge != nil {
			judge.Close()
		}
	}()
	selfRank := kind == "logprob" && j.Policy == ""
	j.Job.Rank = func(ctx context.Context, recs []results.Record) error {
		if selfRank {
			return Rank(ctx, nil, j.LengthNorm, recs)
		}
		if judge == nil {
			var err error
			spec := score.JudgeSpec{Kind: j.Rank, Policy: j.Policy, Ref: j.Ref, Rewarding: j.Rewarding, BatchTokens: j.BatchTokens}
			if judge, err = score.OpenJudge(j.Runtime, spec); err != nil {
				return err
			}
		}
		return Rank(ctx, judge, j.LengthNorm, recs)
	}
	j.Identity = func(k *resume.Key) error { return j.identity(k, judged) }
	recs, err := j.Job.Run(ctx)
	if err != nil || j.BaselineOut == "" {
		return recs, err
	}
	return recs, fsutil.WriteFile(j.BaselineOut, func(w io.Writer) error { return results.WriteRecords(w, Baseline(recs)) })
}

// identity adds the ranking's inputs to the run's key.
func (j *Job) identity(k *resume.Key, judged map[string]string) error {
	errs := []error{k.Option("rank", j.Rank), k.Option("beta", j.Beta), k.Option("length-norm", j.LengthNorm),
		k.Option("batch-tokens", j.BatchTokens)}
	for flag, dir := range judged {
		if dir == "" {
			continue
		}
		d, err := modeldir.Open(dir)
		if err != nil {
			return err
		}
		errs = append(errs, k.Model(flag, d))
	}
	return errors.Join(errs...)
}

// Baseline returns each record's chosen completion alone, without its
// score: best-of-N output in sample's format.
func Baseline(recs []results.Record) []results.Record {
	out := make([]results.Record, len(recs))
	for i, r := range recs {
		b, _ := r.Chosen()
		b.Score = nil
		out[i] = results.Record{ID: r.ID, Prompt: r.Prompt, Completions: []results.Candidate{b}}
	}
	return out
}
