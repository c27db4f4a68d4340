package cli

import (
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/dpokit/dpokit/train"
)

// objectiveFlags reads the flags of the objective and its loss variants.
func objectiveFlags(c *cli.Context) (train.Objectives, error) {
	o := train.Objectives{
		Objective: train.Objective(c.String("objective")), FDivergence: train.FDivergence(c.String("f-divergence")),
		FAlphaCoef: c.Float64("f-alpha-coef"), UseWeighting: c.Bool("use-weighting"), DiscopopTau: c.Float64("discopop-tau"),
		ReferenceFree: c.Bool("reference-free"), SyncRefEvery: c.Int("sync-ref-every"), RefMixupAlpha: c.Float64("ref-mixup-alpha"),
		DesirableWeight: c.Float64("desirable-weight"), UndesirableWeight: c.Float64("undesirable-weight"),
		SimPOGamma: c.Float64("simpo-gamma"), CenterRewardsCoef: c.Float64("center-rewards-coef"),
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
