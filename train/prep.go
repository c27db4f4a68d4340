package train

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"

	"github.com/dpokit/dpokit/dataset"
	"github.com/dpokit/dpokit/internal/resume"
	"github.com/dpokit/dpokit/modeldir"
	"github.com/dpokit/dpokit/tokenize"
)

// Reference gives the summed log-probs of pairs' chosen and rejected
// responses under a reference model, in the pairs' order. train never
// runs a reference itself: dpokit passes logprob.Reference, which runs
// ONNX Runtime.
type Reference interface {
	Logps(ctx context.Context, model *modeldir.Dir, pairs []tokenize.Encoded) (chosen, rejected []float64, err error)
}

// Prep says how a data file becomes training examples.
type Prep struct {
	DataOpts dataset.Options
	Pair     tokenize.PairOptions // with the model's vocabulary and context (see score.ForModel)
	// RefCache is the reference log-prob cache: a file, or a directory
	// (ending in a separator) holding one file per key.
	RefCache string
	// NoReference leaves the reference log-probs at 0 (SFT without a
	// reference model, reference-free objectives, TR-DPO's reference
	// computed in each step).
	NoReference bool
	// Unpaired reads KTO's {prompt, completion, label} records; each
	// example's rejected response is the completion its KL term uses, from
	// groups of KLGroup examples (MismatchedCompletions).
	Unpaired bool
	KLGroup  int
	// LDAlpha, when set, weights the reference log-probs as LD-DPO weights
	// the policy's (Config.LDAlpha).
	LDAlpha *float64
}

// DataIdentity names a data file by path and content.
type DataIdentity struct {
	Path   string `json:"path"`
	SHA256 string `json:"sha256"`
}

// Examples reads and tokenizes a data file and attaches the reference
// log-probs: from the cache when its key matches, else from ref (then
// cached). It returns the examples and the truncation counts.
func (p Prep) Examples(ctx context.Context, path string, tok *tokenize.Tokenizer, refDir *modeldir.Dir, ref Reference) ([]Example, tokenize.PairCounts, error) {
	pairs, labels, err := p.readRecords(path)
	if err != nil {
		return nil, tokenize.PairCounts{}, err
	}
	enc, counts, _, err := tokenize.EncodePairs(tok, p.Pair, path, pairs, 0, p.DataOpts.SkipInvalid)
	if err != nil {
		return nil, counts, err
	}
	if len(enc) == 0 {
		return nil, counts, fmt.Errorf("%s: no pairs to train on", path)
	}
	if labels != nil {
		mismatchCompletions(enc, p.KLGroup, p.Pair)
	}
	exs := make([]Example, len(enc))
	for i, e := range enc {
		exs[i] = Example{Index: e.Index, ID: e.ID, Prompt: e.Prompt, Chosen: e.Chosen, Rejected: e.Rejected,
			Margin: pairs[e.Index].Margin}
		if labels != nil {
			exs[i].Desirable = labels[e.Index]
		}
	}
	if p.NoReference {
		return exs, counts, nil // rewards are β·log π
	}
	recs, err := p.refLogps(ctx, path, refDir, enc, ref, "")
	if err != nil {
		return nil, counts, err
	}
	for i, r := range recs {
		exs[i].RefChosen, exs[i].RefRejected = r.Chosen, r.Rejected
	}
	if p.LDAlpha != nil {
		return exs, counts, p.ldReferences(ctx, path, refDir, enc, ref, exs)
	}
	return exs, counts, nil
}

// readRecords reads the records: preference pairs, or (Unpaired) KTO's
// completions as pairs whose responses are both the completion, with
// their labels.
func (p Prep) readRecords(path string) ([]dataset.Pair, []bool, error) {
	var pairs []dataset.Pair
	var labels []bool
	var skipped []dataset.Skipped
	var err error
	if p.Unpaired {
		var us []dataset.Unpaired
		if us, skipped, err = dataset.ReadUnpaired(path, p.DataOpts); err != nil {
			return nil, nil, err
		}
		labels = make([]bool, 0, len(us))
		for _, u := range us {
			pairs, labels = append(pairs, u.Pair()), append(labels, u.Desirable)
		}
	} else if pairs, skipped, err = dataset.ReadPairs(path, p.DataOpts); err != nil {
		return nil, nil, err
	}
	for _, s := range skipped {
		s.Log(path)
	}
	return pairs, labels, nil
}

// mismatchCompletions gives each KTO example, as its rejected response,
// the completion that its KL term uses (TRL's pairing), cut to the
// length limits.
func mismatchCompletions(enc []tokenize.Encoded, group int, o tokenize.PairOptions) {
	src := MismatchedCompletions(len(enc), group)
	kls := make([][]int, len(enc))
	for i := range enc {
		kl := slices.Clone(enc[src[i]].Chosen)
		limit := o.Context
		if o.MaxLength > 0 && (limit == 0 || o.MaxLength < limit) {
			limit = o.MaxLength
		}
		if limit > 0 && len(enc[i].Prompt)+len(kl) > limit {
			kl = kl[:max(1, limit-len(enc[i].Prompt))]
		}
		kls[i] = kl
	}
	for i := range enc {
		enc[i].Rejected = kls[i]
	}
}

// ldReferences weights the reference log-probs as LD-DPO weights the
// policy's: the log-probs of each response's first min(|y_w|, |y_l|)
// tokens come from scoring the responses cut to that length.
func (p Prep) ldReferences(ctx context.Context, path string, refDir *modeldir.Dir, enc []tokenize.Encoded, ref Reference, exs []Example) error {
	cut := make([]tokenize.Encoded, len(enc))
	for i, e := range enc {
		n := min(len(e.Chosen), len(e.Rejected))
		e.Chosen, e.Rejected = e.Chosen[:n], e.Rejected[:n]
		cut[i] = e
	}
	recs, err := p.refLogps(ctx, path, refDir, cut, ref, "ld_shared_prefix")
	if err != nil {
		return err
	}
	for i, r := range recs {
		exs[i].RefChosen = LDWeighted(exs[i].RefChosen, r.Chosen, *p.LDAlpha)
		exs[i].RefRejected = LDWeighted(exs[i].RefRejected, r.Rejected, *p.LDAlpha)
	}
	return nil
}

// refKey names reference log-probs by the reference model's and the data
// file's content and the settings that decide the encoded pairs.
func (p Prep) refKey(path string, refDir *modeldir.Dir, variant string) (*resume.Key, error) {
	k := resume.New("ref-logps")
	errs := []error{k.Model("ref", refDir), k.File("data", path), k.Option("format", p.DataOpts.Format),
		k.Option("skip-invalid", p.DataOpts.SkipInvalid), k.Option("max-length", p.Pair.MaxLength),
		k.Option("max-prompt-length", p.Pair.MaxPromptLength), k.Option("no-eos", p.Pair.NoEOS),
		k.Option("variant", variant), k.Option("unpaired", p.Unpaired), k.Option("kl-group", p.KLGroup)}
	return k, errors.Join(errs...)
}

// refLogps returns the reference log-probs of the encoded pairs, in their
// order: from the cache when it matches, otherwise computed and cached.
func (p Prep) refLogps(ctx context.Context, path string, refDir *modeldir.Dir, enc []tokenize.Encoded, ref Reference, variant string) ([]RefRecord, error) {
	key, err := p.refKey(path, refDir, variant)
	if err != nil {
		return nil, err
	}
	h := RefHeader{Key: key.Encode(), Pairs: len(enc)}
	cache := p.RefCache
	if cache == "" || os.IsPathSeparator(cache[len(cache)-1]) {
		cache = filepath.Join(cache, key.Sum()[:32]+".jsonl")
	}
	recs, err := ReadRefLogps(cache, h)
	if err == nil && refsMatch(recs, enc) {
		slog.Info("reference log-probs (cached)", "file", cache)
		return recs, nil
	}
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		slog.Info("recomputing reference log-probs", "reason", err)
	}
	if ref == nil {
		return nil, errors.New("reference log-probs are needed but no reference model can be run")
	}
	chosen, rejected, err := ref.Logps(ctx, refDir, enc)
	if err != nil {
		return nil, fmt.Errorf("reference %s: %w", refDir.Path, err)
	}
	recs = make([]RefRecord, len(enc))
	for i, e := range enc {
		item := fmt.Sprintf("%s: pair id %q", path, e.ID)
		if err := errors.Join(refDir.CheckFinite(chosen[i], "the reference log-prob of the chosen response", item),
			refDir.CheckFinite(rejected[i], "the reference log-prob of the rejected response", item)); err != nil {
			return nil, err
		}
		recs[i] = RefRecord{Index: e.Index, ID: e.ID, Chosen: chosen[i], Rejected: rejected[i], ChosenTokens: len(e.Chosen), RejectedTokens: len(e.Rejected)}
	}
	if err := os.MkdirAll(filepath.Dir(cache), 0o755); err != nil {
		return nil, err
	}
	if err := WriteRefLogps(cache, h, recs); err != nil {
		return nil, err
	}
	slog.Info("reference log-probs cached", "file", cache)
	return recs, nil
}

// refsMatch checks that cached records line up with the encoded pairs.
func refsMatch(recs []RefRecord, enc []tokenize.Encoded) bool {
	if len(recs) != len(enc) {
		return false
	}
	for i, e := range enc {
		r := recs[i]
		if r.Index != e.Index || r.ID != e.ID || r.ChosenTokens != len(e.Chosen) || r.RejectedTokens != len(e.Rejected) {
			return false
		}
	}
	return true
}
