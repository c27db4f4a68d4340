package score

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/dpokit/dpokit/dataset"
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
	Tokenization
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
	load := func(dir string) (*models.Model, *tokenize.Tokenizer, error) {
		d, err := models.OpenDir(dir)
		if err != nil {
			return nil, nil, err
		}
		tok, err := tokenize.Load(dir)
		if err != nil {
			return nil, nil, fmt.Errorf("%s tokenizer: %w", dir, err)
		}
		m, err := rt.Load(d)
		if err != nil {
			return nil, nil, err
		}
		j.open = append(j.open, m)
		return m, tok, nil
	}
	switch kind {
	case "rm":
		if j.policy, j.tok, err = load(rmDir); err != nil {
			j.Close()
			return nil, err
		}
		if j.policy.Sig.HasCache() {
			j.Close()
			return nil, fmt.Errorf("rm:%s is a decoder with a KV cache, not a sequence-classification reward model", rmDir)
		}
		if o := j.policy.Dir.Graph.Outputs; len(o) > 0 && len(o[0].Shape) == 2 && o[0].Shape[1].Size > 1 {
			j.Close()
			return nil, fmt.Errorf("rm:%s: output %s has shape %s: a reward model must give one score per sequence", rmDir, o[0].Name, modeldir.ShapeString(o[0].Shape))
		}
	default:
		if spec.Policy == "" {
			return nil, fmt.Errorf("judge %s needs a policy model", kind)
		}
		if j.policy, j.tok, err = load(spec.Policy); err != nil {
			j.Close()
			return nil, err
		}
		if kind == "implicit" && !spec.RefFree {
			if spec.Ref == "" {
				j.Close()
				return nil, errors.New("judge implicit needs a reference model (or reference-free)")
			}
			var refTok *tokenize.Tokenizer
			if j.ref, refTok, err = load(spec.Ref); err != nil {
				j.Close()
				return nil, err
			}
			if refTok.Fingerprint() != j.tok.Fingerprint() {
				j.Close()
				return nil, fmt.Errorf("policy %s and reference %s have different tokenizers", spec.Policy, spec.Ref)
			}
		}
	}
	j.tz = spec.Tokenization
	j.tz.AllowEmpty = true // a generated completion may be EOS alone
	j.tz.Vocab = j.policy.Sig.Vocab
	if kind == "rm" {
		j.tz.Vocab, _ = j.policy.Dir.ConfigInt("vocab_size")
	}
	if c, ok := j.policy.Dir.ConfigInt("max_position_embeddings", "n_positions", "n_ctx"); ok && j.tz.Context == 0 {
		j.tz.Context = c
	}
	return j, nil
}

// ModelJudge is a Judge backed by ONNX models.
type ModelJudge struct {
	kind        string
	spec        JudgeSpec
	policy, ref *models.Model
	tok         *tokenize.Tokenizer
	tz          Tokenization
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
	seqs := make([]Seq, len(prompts))
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
		seqs[i] = Seq{e.Prompt, e.Chosen}
	}
	out := make([]float64, len(seqs))
	for _, b := range seqBatches(seqs, j.spec.BatchTokens) {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		part := make([]Seq, len(b))
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

func (j *ModelJudge) batch(seqs []Seq) ([]float64, error) {
	switch j.kind {
	case "rm":
		full := make([][]int, len(seqs))
		for i, s := range seqs {
			full[i] = slices.Concat(s.Prompt, s.Response)
		}
		return j.policy.Scores(full)
	case "logprob":
		lp, err := SeqLogps(j.policy, seqs, j.policy.Sig.HasCache() && j.policy.Sig.PositionIDs != "")
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
	sharing := j.policy.Sig.HasCache() && j.policy.Sig.PositionIDs != "" && (j.ref == nil || j.ref.Sig.HasCache() && j.ref.Sig.PositionIDs != "")
	var ref []float64
	var rerr error
	done := make(chan struct{})
	go func() {
		defer close(done)
		if j.ref != nil {
			ref, rerr = SeqLogps(j.ref, seqs, sharing)
		}
	}()
	pol, err := SeqLogps(j.policy, seqs, sharing)
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

// seqBatches groups sequences, longest first, under a padded-token budget.
func seqBatches(seqs []Seq, budget int) [][]int {
	pairs := make([]Encoded, len(seqs))
	for i, s := range seqs {
		pairs[i] = Encoded{Index: i, Prompt: s.Prompt, Chosen: s.Response, Rejected: s.Response[:1]}
	}
	if budget <= 0 {
		budget = DefaultBatchTokens
	}
	// Batches counts a pair as two sequences; double the budget to match.
	return Batches(pairs, 2*budget, false)
}
