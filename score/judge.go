package score

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/dpokit/dpokit/dataset"
	"github.com/dpokit/dpokit/logprob"
	"github.com/dpokit/dpokit/modeldir"
	"github.com/dpokit/dpokit/models"
	"github.com/dpokit/dpokit/tokenize"
)

// Judge gives each (prompt, response) a reward; higher is better. It is how
// best-of-N ranks candidates and how win rates compare two outputs.
type Judge interface {
	Rewards(ctx context.Context, prompts, responses []string) ([]float64, error)
	Name() string
}

// JudgeSpec names a judge: "implicit" (DPO implicit reward of Policy against
// Ref, or reference-free), "logprob" (Policy's log-prob of the response) or
// "rm:DIR" (an ONNX sequence-classification reward model).
type JudgeSpec struct {
	Kind        string
	Policy, Ref string
	Rewarding
	Pair        tokenize.PairOptions
	BatchTokens int
}

// ParseJudge splits "implicit", "logprob" or "rm:DIR".
func ParseJudge(s string) (kind, dir string, err error) {
	switch {
	case s == "implicit" || s == "logprob":
		return s, "", nil
	case strings.HasPrefix(s, "rm:") && len(s) > 3:
		return "rm", s[3:], nil
	}
	return "", "", fmt.Errorf("judge %q: want implicit, logprob or rm:DIR", s)
}

// OpenJudge loads the models a judge needs. Close releases them.
func OpenJudge(rt *models.Runtime, spec JudgeSpec) (*ModelJudge, error) {
	kind, rmDir, err := ParseJudge(spec.Kind)
	if err != nil {
		return nil, err
	}
	j := &ModelJudge{kind: kind, spec: spec}
	var dirs []*modeldir.Dir
	switch {
	case kind == "rm":
		dirs, j.tok, err = rewardModel(rmDir)
	case spec.Policy == "":
		err = fmt.Errorf("judge %s needs a policy model", kind)
	case kind == "implicit" && !spec.RefFree && spec.Ref == "":
		err = errors.New("judge implicit needs a reference model (or reference-free)")
	default:
		var policy, ref *modeldir.Dir
		ref0 := spec.Ref
		if kind != "implicit" || spec.RefFree {
			ref0 = ""
		}
		policy, ref, j.tok, err = modeldir.OpenPair(spec.Policy, ref0)
		dirs = []*modeldir.Dir{policy, ref}
	}
	if err != nil {
		return nil, err
	}
	for i, d := range dirs {
		if d == nil {
			continue
		}
		m, err := rt.Load(d)
		if err != nil {
			j.Close()
			return nil, err
		}
		j.open = append(j.open, m)
		if i == 0 {
			j.policy = m
		} else {
			j.ref = m
		}
	}
	j.tz = spec.Pair
	vocab := dirs[0].Signature.Vocab
	if kind == "rm" {
		vocab, _ = dirs[0].ConfigInt("vocab_size")
	}
	j.tz = j.tz.ForModel(vocab, dirs[0].Context())
	return j, nil
}

// rewardModel opens an ONNX sequence-classification reward model: no KV
// cache, one score per sequence.
func rewardModel(dir string) ([]*modeldir.Dir, *tokenize.Tokenizer, error) {
	d, err := modeldir.Open(dir)
	if err != nil {
		return nil, nil, err
	}
	tok, err := tokenize.Load(dir)
	if err != nil {
		return nil, nil, fmt.Errorf("%s tokenizer: %w", dir, err)
	}
	if d.Signature.HasCache() {
		return nil, nil, fmt.Errorf("rm:%s is a decoder with a KV cache, not a sequence-classification reward model", dir)
	}
	if o := d.Graph.Outputs; len(o) > 0 && len(o[0].Shape) == 2 && o[0].Shape[1].Size > 1 {
		return nil, nil, fmt.Errorf("rm:%s: output %s has shape %s: a reward model must give one score per sequence", dir, o[0].Name, modeldir.ShapeString(o[0].Shape))
	}
	return []*modeldir.Dir{d}, tok, nil
}

// ModelJudge is a Judge backed by ONNX models.
type ModelJudge struct {
	kind        string
	spec        JudgeSpec
	policy, ref *models.Model
	tok         *tokenize.Tokenizer
	tz          tokenize.PairOptions
	open        []*models.Model
}

// Name describes the judge.
func (j *ModelJudge) Name() string { return j.spec.Kind }

// Tokenizer is the judge's tokenizer.
func (j *ModelJudge) Tokenizer() *tokenize.Tokenizer { return j.tok }

// Close releases the judge's models.
func (j *ModelJudge) Close() error {
	var errs []error
	for _, m := range j.open {
		errs = append(errs, m.Close())
	}
	return errors.Join(errs...)
}

// Rewards scores each response after its prompt. Prompt and response are
// tokenized as `dpokit score` tokenizes a pair (see Tokenization.Encode).
func (j *ModelJudge) Rewards(ctx context.Context, prompts, responses []string) ([]float64, error) {
	if len(prompts) != len(responses) {
		return nil, fmt.Errorf("%d prompts for %d responses", len(prompts), len(responses))
	}
	seqs := make([]logprob.Seq, len(prompts))
	var promptIDs [][]int
	for i := range prompts {
		e, err := j.tz.Encode(j.tok, dataset.Pair{ID: fmt.Sprint(i + 1), Line: i + 1, Prompt: prompts[i], Chosen: responses[i], Rejected: responses[i]}, i)
		if err != nil {
			var re *dataset.RecordError
			if errors.As(err, &re) {
				err = re.Err
			}
			return nil, fmt.Errorf("judge %s, response %d (to prompt %q): %w", j.spec.Kind, i+1, prompts[i], err)
		}
		// Responses to one prompt share its ids, so their prompt runs once.
		for _, p := range promptIDs {
			if slices.Equal(p, e.Prompt) {
				e.Prompt = p
				break
			}
		}
		promptIDs = append(promptIDs, e.Prompt)
		seqs[i] = logprob.Seq{Prompt: e.Prompt, Response: e.Chosen}
	}
	out := make([]float64, len(seqs))
	for _, b := range logprob.SeqBatches(seqs, logprob.BatchTokens(j.spec.BatchTokens, j.policy.Dir.Signature.Vocab)) {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		part := make([]logprob.Seq, len(b))
		for i, k := range b {
			part[i] = seqs[k]
		}
		r, err := j.batch(part)
		if err != nil {
			return nil, err
		}
		for i, k := range b {
			out[k] = r[i]
		}
	}
	return out, nil
}

func (j *ModelJudge) batch(seqs []logprob.Seq) ([]float64, error) {
	switch j.kind {
	case "rm":
		full := make([][]int, len(seqs))
		for i, s := range seqs {
			full[i] = slices.Concat(s.Prompt, s.Response)
		}
		return j.policy.Scores(full)
	case "logprob":
		lp, err := logprob.SeqLogps(j.policy, seqs, logprob.CanShare(j.policy.Dir))
		if err != nil {
			return nil, err
		}
		if j.spec.LengthNorm == "avg" {
			for i := range lp {
				lp[i] /= float64(len(seqs[i].Response))
			}
		}
		return lp, nil
	}
	sharing := logprob.CanShare(j.policy.Dir) && (j.ref == nil || logprob.CanShare(j.ref.Dir))
	var ref []float64
	var rerr error
	done := make(chan struct{})
	go func() {
		defer close(done)
		if j.ref != nil {
			ref, rerr = logprob.SeqLogps(j.ref, seqs, sharing)
		}
	}()
	pol, err := logprob.SeqLogps(j.policy, seqs, sharing)
	<-done
	if err = errors.Join(err, rerr); err != nil {
		return nil, err
	}
	out := make([]float64, len(seqs))
	for i := range seqs {
		r := 0.0
		if ref != nil {
			r = ref[i]
		}
		out[i] = j.spec.Reward(pol[i], r, len(seqs[i].Response))
	}
	return out, nil
}
