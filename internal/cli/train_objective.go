package cli

import (
	"context"
	"fmt"
	"io"
	"os"
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

// loraFlags reads the LoRA flags: nil without --lora-rank.
func loraFlags(c *cli.Context) (*train.LoRA, error) {
	r := c.Int("lora-rank")
	if r == 0 {
		for _, f := range []string{"lora-targets", "lora-dropout", "export-adapter"} {
			if c.IsSet(f) {
				return nil, usagef("--%s needs --lora-rank", f)
			}
		}
		return nil, nil
	}
	if r < 0 {
		return nil, usagef("--lora-rank must not be negative")
	}
	var targets []string
	for _, t := range strings.Split(c.String("lora-targets"), ",") {
		if t = strings.TrimSpace(t); t != "" {
			targets = append(targets, t)
		}
	}
	if len(targets) == 0 {
		return nil, usagef("--lora-rank needs --lora-targets (`dpokit models inspect DIR` lists the MatMul weights)")
	}
	if a, p := c.Float64("lora-alpha"), c.Float64("lora-dropout"); !(a > 0) || p < 0 || p >= 1 {
		return nil, usagef("--lora-alpha %g must be positive and --lora-dropout %g in [0, 1)", a, p)
	}
	return &train.LoRA{Rank: r, Alpha: c.Float64("lora-alpha"), Dropout: c.Float64("lora-dropout"), Targets: targets, Seed: c.Uint64("seed")}, nil
}

// describeParameters says how many parameters train.
func describeParameters(m *train.Model) string {
	if info := m.LoRAInfo(); info != nil {
		return fmt.Sprintf("LoRA r=%d on %d weights: %d trainable of %d parameters", info.Config.Rank, len(info.Targets), m.Parameters(), m.AllParameters())
	}
	return fmt.Sprintf("%d parameters, all trainable", m.Parameters())
}

// peakRSSMB returns the process's peak resident memory in MB (Linux; 0
// elsewhere).
func peakRSSMB() float64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		if f := strings.Fields(l); len(f) >= 2 && f[0] == "VmHWM:" {
			kb, _ := strconv.ParseFloat(f[1], 64)
			return kb / 1024
		}
	}
	return 0
}

// loraCandidates lists the MatMul weights of an ONNX file that
// --lora-targets can name.
func loraCandidates(onnxPath string) ([]train.LoRACandidate, error) {
	data, err := os.ReadFile(onnxPath)
	if err != nil {
		return nil, err
	}
	c, err := train.LoRACandidates(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", onnxPath, err)
	}
	return c, nil
}

func writeLoRACandidates(w io.Writer, cs []train.LoRACandidate) {
	fmt.Fprintf(w, "%-16s %d MatMul weights (--lora-targets)\n", "lora targets", len(cs))
	for _, c := range cs {
		fmt.Fprintf(w, "%-16s %s [%d → %d]\n", "", c.Initializer, c.In, c.Out)
	}
}
