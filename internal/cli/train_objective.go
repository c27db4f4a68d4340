package cli

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/dpokit/dpokit/dataset"
	"github.com/dpokit/dpokit/models"
	"github.com/dpokit/dpokit/score"
	"github.com/dpokit/dpokit/train"
)

// objectiveFlags reads the flags of the objective and its loss variants.
func objectiveFlags(c *cli.Context) (train.Objectives, error) {
	o := train.Objectives{
		Objective: train.Objective(c.String("objective")), FDivergence: train.FDivergence(c.String("f-divergence")),
		FAlphaCoef: c.Float64("f-alpha-coef"), UseWeighting: c.Bool("use-weighting"), DiscopopTau: c.Float64("discopop-tau"),
		ReferenceFree: c.Bool("reference-free"), SyncRefEvery: c.Int("sync-ref-every"), RefMixupAlpha: c.Float64("ref-mixup-alpha"),
		DesirableWeight: c.Float64("desirable-weight"), UndesirableWeight: c.Float64("undesirable-weight"),
		SimPOGamma: c.Float64("simpo-gamma"),
	}
	if c.IsSet("ld-alpha") {
		a := c.Float64("ld-alpha")
		o.LDAlpha = &a
	}
	if c.IsSet("cpo-alpha") {
		a := c.Float64("cpo-alpha")
		o.CPOAlpha = &a
	}
	if s := c.String("loss-weights"); s != "" {
		for _, f := range strings.Split(s, ",") {
			w, err := strconv.ParseFloat(strings.TrimSpace(f), 64)
			if err != nil {
				return o, usagef("--loss-weights %q: %q is not a number", s, f)
			}
			o.LossWeights = append(o.LossWeights, w)
		}
	}
	for _, f := range []string{"f-alpha-coef", "discopop-tau", "ref-mixup-alpha", "desirable-weight", "undesirable-weight", "simpo-gamma"} {
		if c.IsSet(f) && c.Float64(f) == 0 {
			return o, usagef("--%s must not be 0", f)
		}
	}
	return o, nil
}

// readRecords reads the training records: preference pairs, or for KTO
// unpaired completions as pairs (both responses the completion) with
// their labels.
func (j *trainJob) readRecords(path string) ([]dataset.Pair, []bool, error) {
	var pairs []dataset.Pair
	var labels []bool
	var skipped []dataset.Skipped
	var err error
	if j.Run.Objective == train.KTO {
		var us []dataset.Unpaired
		if us, skipped, err = dataset.ReadUnpaired(path, j.DataOpts); err != nil {
			return nil, nil, err
		}
		for _, u := range us {
			pairs, labels = append(pairs, u.Pair()), append(labels, u.Desirable)
		}
	} else if pairs, skipped, err = dataset.ReadPairs(path, j.DataOpts); err != nil {
		return nil, nil, err
	}
	for _, s := range skipped {
		fmt.Fprintf(j.Stderr, "skipped %s line %d (id %s): %s\n", path, s.Line, s.ID, s.Reason)
	}
	return pairs, labels, nil
}

// klGroup is the group size of KTO's mismatched completions (0 otherwise).
func (j *trainJob) klGroup() int {
	if j.Run.Objective != train.KTO {
		return 0
	}
	return j.Run.BatchSize
}

// mismatchCompletions gives each KTO example, as its rejected response,
// the completion that its KL term uses (TRL's pairing), cut to the
// length limits.
func mismatchCompletions(enc []score.Encoded, group int, tz score.Tokenization) {
	src := train.MismatchedCompletions(len(enc), group)
	for i := range enc {
		kl := slices.Clone(enc[src[i]].Chosen)
		limit := tz.Context
		if tz.MaxLength > 0 && (limit == 0 || tz.MaxLength < limit) {
			limit = tz.MaxLength
		}
		if limit > 0 && len(enc[i].Prompt)+len(kl) > limit {
			kl = kl[:max(1, limit-len(enc[i].Prompt))]
		}
		enc[i].Rejected = kl
	}
}

// needsRefs reports whether the examples need reference log-probs from
// ONNX Runtime (the cache): not for reference-free objectives, and not for
// TR-DPO, whose reference moves and is computed in each step.
func (j *trainJob) needsRefs() bool {
	switch {
	case j.Run.SyncRefEvery > 0 || j.Run.ReferenceFree:
		return false
	case j.Run.Objective == train.DPO || j.Run.Objective == "":
		return j.Run.Config.NeedsReference() || j.RefDir != "" // SFT alone: rewards against --ref when given
	}
	return j.Run.Config.NeedsReference()
}

// ldReferences weights the reference log-probs as LD-DPO weights the
// policy's: the log-probs of each response's first min(|y_w|, |y_l|)
// tokens come from scoring the responses cut to that length.
func (j *trainJob) ldReferences(ctx context.Context, refDir *models.Dir, data dataIdentity, enc []score.Encoded, tz score.Tokenization, exs []train.Example) error {
	cut := make([]score.Encoded, len(enc))
	for i, e := range enc {
		n := min(len(e.Chosen), len(e.Rejected))
		e.Chosen, e.Rejected = e.Chosen[:n], e.Rejected[:n]
		cut[i] = e
	}
	recs, err := j.refLogps(ctx, refDir, data, cut, tz, "ld_shared_prefix")
	if err != nil {
		return err
	}
	a := *j.Run.LDAlpha
	for i, r := range recs {
		exs[i].RefChosen = train.LDWeighted(exs[i].RefChosen, r.Chosen, a)
		exs[i].RefRejected = train.LDWeighted(exs[i].RefRejected, r.Rejected, a)
	}
	return nil
}

// noteReference says where the reference comes from when it is not the
// cache of ONNX Runtime log-probs, and points TR-DPO at its weights.
func (j *trainJob) noteReference(refDir *models.Dir) {
	switch {
	case j.Run.SyncRefEvery > 0:
		if j.RefDir != "" {
			j.Run.RefWeights = refDir.ONNX
		}
		fmt.Fprintf(j.Stderr, "note: TR-DPO: the reference (%s) moves every %d steps, so its log-probs are computed in each training step, not read from the reference cache; it is kept in memory beside the policy\n",
			refDir.Path, j.Run.SyncRefEvery)
	case !j.Run.Config.NeedsReference() && !j.needsRefs():
		fmt.Fprintf(j.Stderr, "note: %s uses no reference model\n", describeObjective(j.Run.Config))
	}
}

// describeObjective names the objective and its loss for the log.
func describeObjective(c train.Config) string {
	obj := c.Objective
	if obj == "" {
		obj = train.DPO
	}
	s := string(obj)
	if c.Loss != "" {
		s += " loss " + string(c.Loss)
		if len(c.LossWeights) > 0 {
			s += fmt.Sprintf(" weights %v", c.LossWeights)
		}
	}
	return s
}
