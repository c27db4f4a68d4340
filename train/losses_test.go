package train

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
)

// errorCounter is a testing.TB that counts Errorf calls instead of failing.
type errorCounter struct {
	testing.TB
	errors []string
}

func (c *errorCounter) Errorf(format string, args ...any) {
	c.errors = append(c.errors, fmt.Sprintf(format, args...))
}

// TestReferenceCatchesMutations: the PyTorch comparison sees each term of
// the formulas it covers. Each case runs a reference trajectory with one
// setting changed — as a wrong formula would change the numbers — and must
// report differences.
func TestReferenceCatchesMutations(t *testing.T) {
	cases := []struct {
		name   string
		mutate func(*Config)
	}{
		{"tiny_cdpo", func(c *Config) { c.LabelSmoothing = 0 }},     // cDPO's ε·log σ(−βz) term dropped
		{"tiny_robust", func(c *Config) { c.LabelSmoothing = 0.1 }}, // robust DPO's ε (0.2) wrong
		{"tiny_mpo", func(c *Config) { c.LossWeights[1] = 0.25 }},   // a weight of the combination
		{"tiny_ld", func(c *Config) { *c.LDAlpha = 0.6 }},           // LD-DPO's α
		{"tiny_kto", func(c *Config) { c.UndesirableWeight = 1.3 }}, // KTO's undesirable weight
		{"tiny_simpo", func(c *Config) { c.SimPOGamma = 0.9 }},      // SimPO's margin
		{"tiny_trdpo", func(c *Config) { c.RefMixupAlpha = 0.5 }},   // TR-DPO's mixing
		{"tiny_wpo", func(c *Config) { c.UseWeighting = false }},    // WPO's weights
		{"tiny_alpha_divergence", func(c *Config) { c.FAlphaCoef = 0.6 }},
		{"tiny_discopop", func(c *Config) { c.DiscopopTau = 0.06 }},           // DiscoPOP's τ, under its wider bound
		{"tiny_llama_reward", func(c *Config) { c.CenterRewardsCoef = 0.02 }}, // reward centering
	}
	if testing.Short() {
		cases = cases[:2]
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ref := readPyTorchRun(t, tc.name)
			cfg := ref.config(t)
			tc.mutate(&cfg)
			rec := &errorCounter{TB: t}
			if _, err := runReference(rec, ref, cfg); err != nil {
				t.Fatal(err)
			}
			if len(rec.errors) == 0 {
				t.Fatalf("the mutated %s matched PyTorch: the comparison does not see this term", tc.name)
			}
			t.Logf("%d differences, first: %s", len(rec.errors), rec.errors[0])
		})
	}
}

// TestSortReal: the AOT sort orders the real pairs and leaves the padding
// slots, whatever they hold, last.
func TestSortReal(t *testing.T) {
	m := loadModel(t, "gpt2-policy", LoadOptions{})
	x := []float32{3, -1, 7, 2, 0, -5}
	pairs := []float32{1, 1, 1, 1, 0, 0}
	out := graph.MustExecOnce(m.backend, func(x, p *graph.Node) *graph.Node { return sortReal(x, p) },
		tensors.FromValue(x), tensors.FromValue(pairs))
	got := out.Value().([]float32)
	if want := []float32{-1, 2, 3, 7}; !slices.Equal(got[:4], want) {
		t.Errorf("sorted real pairs %v, want %v", got[:4], want)
	}
}

// TestCheckObjectives: invalid combinations are refused with a message
// that names the setting.
func TestCheckObjectives(t *testing.T) {
	ld := 1.5
	for _, tc := range []struct {
		cfg  Config
		want string
	}{
		{Config{Loss: "sigmoid,nope"}, `unknown loss "nope"`},
		{Config{Loss: "sigmoid,sigmoid"}, "given twice"},
		{Config{Loss: "sigmoid,sft", Objectives: Objectives{LossWeights: []float64{1}}}, "1 loss weights for 2 losses"},
		{Config{Loss: "exo_pair"}, "needs label smoothing"},
		{Config{Loss: "hinge", LabelSmoothing: 0.1}, "label smoothing applies"},
		{Config{Loss: "aot", Objectives: Objectives{UseWeighting: true}}, "WPO weighting does not apply"},
		{Config{Objectives: Objectives{LDAlpha: &ld}}, "ld_alpha 1.5"},
		{Config{Objectives: Objectives{FDivergence: "kl"}}, `unknown f-divergence "kl"`},
		{Config{Objectives: Objectives{Objective: "ppo"}}, `unknown objective "ppo"`},
		{Config{Loss: "sigmoid", Objectives: Objectives{Objective: KTO}}, "kto objective has its own loss"},
		{Config{Loss: "nca_pair", Objectives: Objectives{Objective: CPO}}, "cpo objective takes one loss"},
		{Config{Objectives: Objectives{Objective: ORPO, UseWeighting: true}}, "apply to the dpo objective"},
		{Config{Objectives: Objectives{SyncRefEvery: 4, ReferenceFree: true}}, "cannot be reference-free"},
		{Config{Objectives: Objectives{CenterRewardsCoef: 0.01}}, "applies to the reward objective"},
	} {
		err := CheckConfig(tc.cfg)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: error %v, want one containing %q", tc.cfg, err, tc.want)
		}
	}
	// SimPO is CPO with the simpo loss and no NLL term.
	cfg, err := Config{Objectives: Objectives{Objective: SimPO}}.withDefaults()
	if err != nil || cfg.Objective != CPO || cfg.Loss != SimPOLoss || *cfg.CPOAlpha != 0 || math.Abs(cfg.SimPOGamma-0.5) > 0 {
		t.Errorf("simpo defaults: %+v, %v", cfg.Objectives, err)
	}
}

// TestMismatchedCompletions: TRL's KL pairing, within groups of the batch size.
func TestMismatchedCompletions(t *testing.T) {
	if got, want := MismatchedCompletions(7, 3), []int{2, 0, 1, 5, 3, 4, 6}; !slices.Equal(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}
