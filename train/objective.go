package train

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"

	"github.com/gomlx/gomlx/core/graph"
)

// Objective is what a run optimises: a preference loss against a
// reference (DPO and its variants, KTO), a reference-free one (ORPO,
// CPO, SimPO), or a reward model's Bradley–Terry loss.
type Objective string

// The objectives.
const (
	// DPO trains on preference pairs with Config.Loss (one loss or a
	// weighted sum of several), against reference log-probs.
	DPO Objective = "dpo"
	// KTO trains on unpaired completions labelled desirable or not
	// (Example.Desirable), against reference log-probs, with the KL term
	// estimated from mismatched completions (Example.Rejected).
	KTO Objective = "kto"
	// ORPO adds the odds-ratio term to the chosen responses' NLL; policy
	// only, no reference.
	ORPO Objective = "orpo"
	// CPO is a reference-free preference loss on the policy's log-probs
	// (Config.Loss sigmoid, hinge, ipo or simpo) plus CPOAlpha times the
	// chosen responses' NLL.
	CPO Objective = "cpo"
	// SimPO is CPO with the simpo loss (length-normalised log-probs, target
	// margin SimPOGamma) and no NLL term unless CPOAlpha is set.
	SimPO Objective = "simpo"
	// Reward trains a reward model (a scalar head on the decoder's last
	// non-padding hidden state) with the Bradley–Terry loss.
	Reward Objective = "reward"
)

// FDivergence is the f-divergence regulariser of f-DPO.
type FDivergence string

// The f-divergences: each replaces a response's log-ratio
// u = log π/π_ref by a score f′(π/π_ref) (constants dropped).
const (
	ReverseKL       FDivergence = "reverse_kl"       // u (DPO)
	ForwardKL       FDivergence = "forward_kl"       // −e^(−u)
	JSDivergence    FDivergence = "js_divergence"    // log σ(u)
	AlphaDivergence FDivergence = "alpha_divergence" // e^((α−1)u)/(α−1); α = 1 is reverse KL
)

// Objectives are the settings of the objectives and loss variants, with
// TRL's names in JSON. Zero values mean TRL's defaults.
type Objectives struct {
	Objective   Objective `json:"objective,omitempty"`    // default DPO
	LossWeights []float64 `json:"loss_weights,omitempty"` // one per loss of Config.Loss; default 1 each

	FDivergence  FDivergence `json:"f_divergence_type,omitempty"`       // default reverse_kl
	FAlphaCoef   float64     `json:"f_alpha_divergence_coef,omitempty"` // α of alpha_divergence; default 0.5
	LDAlpha      *float64    `json:"ld_alpha,omitempty"`                // LD-DPO: weight of the tokens past the shorter response's length, in [0, 1]
	UseWeighting bool        `json:"use_weighting,omitempty"`           // WPO: weight each pair by the policy's length-normalised sequence probabilities
	DiscopopTau  float64     `json:"discopop_tau,omitempty"`            // τ of discopop; default 0.05

	// ReferenceFree takes the reference log-probs as 0.
	ReferenceFree bool `json:"reference_free,omitempty"`
	// SyncRefEvery > 0 is TR-DPO: the reference is kept in memory and every
	// SyncRefEvery steps becomes RefMixupAlpha·π + (1 − RefMixupAlpha)·π_ref.
	SyncRefEvery  int     `json:"ref_model_sync_steps,omitempty"`
	RefMixupAlpha float64 `json:"ref_model_mixup_alpha,omitempty"` // default 0.6

	DesirableWeight   float64 `json:"desirable_weight,omitempty"`   // KTO; default 1
	UndesirableWeight float64 `json:"undesirable_weight,omitempty"` // KTO; default 1

	SimPOGamma float64  `json:"simpo_gamma,omitempty"` // SimPO's target reward margin γ; default 0.5
	CPOAlpha   *float64 `json:"cpo_alpha,omitempty"`   // weight of CPO's NLL term; default 1 (CPO), 0 (SimPO)

	CenterRewardsCoef float64 `json:"center_rewards_coefficient,omitempty"` // reward model: coefficient of the mean squared reward
}

// losses returns the loss terms of cfg.Loss.
func (l Loss) terms() []Loss {
	if l == "" {
		return nil
	}
	var out []Loss
	for _, s := range strings.Split(string(l), ",") {
		out = append(out, Loss(strings.TrimSpace(s)))
	}
	return out
}

func (l Loss) has(x Loss) bool {
	for _, t := range l.terms() {
		if t == x {
			return true
		}
	}
	return false
}

// NeedsReference reports whether a run with cfg uses reference log-probs.
func (cfg Config) NeedsReference() bool {
	switch cfg.Objective {
	case ORPO, CPO, SimPO, Reward:
		return false
	case KTO:
		return !cfg.ReferenceFree
	}
	return !cfg.ReferenceFree && (cfg.Loss == "" || cfg.Loss.NeedsReference())
}

// checkObjectives fills the defaults of the objective settings and checks
// them against each other.
func checkObjectives(cfg *Config) error {
	if cfg.Objective == "" {
		cfg.Objective = DPO
	}
	def := func(x *float64, v float64) {
		if *x == 0 {
			*x = v
		}
	}
	def(&cfg.FAlphaCoef, 0.5)
	def(&cfg.DiscopopTau, 0.05)
	def(&cfg.RefMixupAlpha, 0.6)
	def(&cfg.DesirableWeight, 1)
	def(&cfg.UndesirableWeight, 1)
	def(&cfg.SimPOGamma, 0.5)
	if cfg.FDivergence == "" {
		cfg.FDivergence = ReverseKL
	}
	if err := checkLosses(cfg); err != nil {
		return err
	}
	switch cfg.FDivergence {
	case ReverseKL, ForwardKL, JSDivergence, AlphaDivergence:
	default:
		return fieldErr("f_divergence_type", fmt.Errorf("unknown f-divergence %q (want reverse_kl, forward_kl, js_divergence or alpha_divergence)", cfg.FDivergence))
	}
	switch {
	case cfg.Objective != DPO && (cfg.FDivergence != ReverseKL || cfg.LDAlpha != nil || cfg.UseWeighting):
		return fieldErr("objective", fmt.Errorf("f-divergence, LD-DPO and WPO weighting apply to the dpo objective, not %s", cfg.Objective))
	case cfg.LDAlpha != nil && (*cfg.LDAlpha < 0 || *cfg.LDAlpha > 1):
		return fieldErr("ld_alpha", fmt.Errorf("ld_alpha %g must be in [0, 1]", *cfg.LDAlpha))
	case cfg.UseWeighting && (cfg.Loss.has(AOT) || cfg.Loss.has(AOTUnpaired)):
		return fieldErr("use_weighting", errors.New("WPO weighting does not apply to the aot and aot_unpaired losses"))
	case cfg.SyncRefEvery < 0 || cfg.SyncRefEvery > 0 && (cfg.Objective != DPO && cfg.Objective != KTO):
		return fieldErr("ref_model_sync_steps", errors.New("reference syncing (TR-DPO) needs a positive interval and the dpo or kto objective"))
	case cfg.SyncRefEvery > 0 && cfg.ReferenceFree:
		return fieldErr("ref_model_sync_steps", errors.New("reference syncing (TR-DPO) needs a reference: it cannot be reference-free"))
	case !(cfg.RefMixupAlpha > 0 && cfg.RefMixupAlpha <= 1):
		return fieldErr("ref_model_mixup_alpha", fmt.Errorf("ref_model_mixup_alpha %g must be in (0, 1]", cfg.RefMixupAlpha))
	case cfg.Objective == KTO && cfg.BatchSize == 1:
		return fieldErr("batch_size", errors.New("KTO needs micro-batches of at least 2 examples: its KL term pairs each prompt with another example's completion"))
	case cfg.CenterRewardsCoef > 0 && cfg.Objective != Reward:
		return fieldErr("center_rewards_coefficient", errors.New("the reward centering coefficient applies to the reward objective"))
	}
	return checkObjectiveValues(cfg)
}

// checkObjectiveValues refuses negative, infinite or NaN coefficients.
func checkObjectiveValues(cfg *Config) error {
	vals := []struct {
		field string
		v     float64
	}{{"f_alpha_divergence_coef", cfg.FAlphaCoef}, {"discopop_tau", cfg.DiscopopTau}, {"desirable_weight", cfg.DesirableWeight},
		{"undesirable_weight", cfg.UndesirableWeight}, {"simpo_gamma", cfg.SimPOGamma}, {"center_rewards_coefficient", cfg.CenterRewardsCoef}}
	if cfg.CPOAlpha != nil {
		vals = append(vals, struct {
			field string
			v     float64
		}{"cpo_alpha", *cfg.CPOAlpha})
	}
	for _, x := range vals {
		if !(x.v >= 0) || math.IsInf(x.v, 0) {
			return fieldErr(x.field, fmt.Errorf("%s %v must be finite and not negative", x.field, x.v))
		}
	}
	return nil
}

// checkLosses checks cfg.Loss and its weights against the objective.
func checkLosses(cfg *Config) error {
	switch cfg.Objective {
	case DPO:
		if cfg.Loss == "" {
			cfg.Loss = Sigmoid
		}
	case CPO:
		if cfg.Loss == "" {
			cfg.Loss = Sigmoid
		}
		if t := cfg.Loss.terms(); len(t) != 1 || (t[0] != Sigmoid && t[0] != Hinge && t[0] != IPO && t[0] != SimPOLoss) {
			return fieldErr("loss", fmt.Errorf("the cpo objective takes one loss, sigmoid, hinge, ipo or simpo, not %q", cfg.Loss))
		}
	case SimPO:
		if cfg.Loss != "" && cfg.Loss != SimPOLoss {
			return fieldErr("loss", fmt.Errorf("the simpo objective has its own loss; --loss %q does not apply", cfg.Loss))
		}
		cfg.Objective, cfg.Loss = CPO, SimPOLoss
		if cfg.CPOAlpha == nil {
			zero := 0.0
			cfg.CPOAlpha = &zero
		}
	case KTO, ORPO, Reward:
		if cfg.Loss != "" {
			return fieldErr("loss", fmt.Errorf("the %s objective has its own loss; --loss %q does not apply", cfg.Objective, cfg.Loss))
		}
		if len(cfg.LossWeights) > 0 {
			return fieldErr("loss_weights", fmt.Errorf("loss weights apply to the dpo objective, not %s", cfg.Objective))
		}
	default:
		return fieldErr("objective", fmt.Errorf("unknown objective %q (want dpo, kto, orpo, cpo, simpo or reward)", cfg.Objective))
	}
	if cfg.Objective == CPO && cfg.CPOAlpha == nil {
		one := 1.0
		cfg.CPOAlpha = &one
	}
	terms := cfg.Loss.terms()
	seen := map[Loss]bool{}
	for _, t := range terms {
		if cfg.Objective == DPO && !t.valid() {
			return fieldErr("loss", fmt.Errorf("unknown loss %q (want %s)", t, lossNames()))
		}
		if seen[t] {
			return fieldErr("loss", fmt.Errorf("loss %q given twice", t))
		}
		seen[t] = true
	}
	if len(cfg.LossWeights) > 0 && len(cfg.LossWeights) != len(terms) {
		return fieldErr("loss_weights", fmt.Errorf("%d loss weights for %d losses (%s)", len(cfg.LossWeights), len(terms), cfg.Loss))
	}
	for _, w := range cfg.LossWeights {
		if math.IsNaN(w) || math.IsInf(w, 0) {
			return fieldErr("loss_weights", fmt.Errorf("loss weight %v is not a number", w))
		}
	}
	return checkSmoothing(cfg)
}

// checkSmoothing allows label smoothing only where a loss uses it.
func checkSmoothing(cfg *Config) error {
	if cfg.Loss.has(ExoPair) && !(cfg.LabelSmoothing > 0) {
		return fieldErr("label_smoothing", errors.New("the exo_pair loss needs label smoothing ε > 0 (the EXO paper uses 1e-3)"))
	}
	if cfg.LabelSmoothing == 0 {
		return nil
	}
	if cfg.Objective == CPO && !cfg.Loss.has(Hinge) && !cfg.Loss.has(IPO) {
		return nil
	}
	for _, t := range cfg.Loss.terms() {
		switch t {
		case Sigmoid, Robust, ExoPair, AOT, AOTUnpaired:
			if cfg.Objective == DPO {
				return nil
			}
		}
	}
	return fieldErr("label_smoothing", fmt.Errorf("label smoothing applies to the sigmoid, robust, exo_pair, aot and aot_unpaired losses (and CPO's sigmoid and simpo), not %s %s", cfg.Objective, cfg.Loss))
}

// weight returns the weight of the i-th loss term.
func (cfg Config) weight(i int) float64 {
	if len(cfg.LossWeights) == 0 {
		return 1
	}
	return cfg.LossWeights[i]
}

// metric is one logged figure of a micro-batch: its value and whether it
// is defined (a KTO batch without desirable examples has no
// rewards/chosen).
type metric struct {
	name          string
	value, weight *graph.Node
}

// stackMetrics returns the [2, K] tensor of values and weights.
func stackMetrics(ms []metric) *graph.Node {
	vals := make([]*graph.Node, len(ms))
	ws := make([]*graph.Node, len(ms))
	for i, m := range ms {
		vals[i] = graph.StopGradient(m.value)
		ws[i] = m.weight
		if ws[i] == nil {
			ws[i] = graph.OnesLike(vals[i])
		}
	}
	return graph.Stack([]*graph.Node{graph.Stack(vals, 0), graph.Stack(ws, 0)}, 0)
}

// buildObjective builds a micro-batch's loss and metrics.
func buildObjective(cfg Config, v *batchValues) (*graph.Node, []metric) {
	switch cfg.Objective {
	case KTO:
		return ktoObjective(cfg, v)
	case ORPO:
		return orpoObjective(cfg, v)
	case CPO:
		return cpoObjective(cfg, v)
	case Reward:
		return rewardObjective(cfg, v)
	}
	return dpoObjective(cfg, v)
}

// metricSums accumulates micro-batch metrics ([2, K]: values, then
// weights) into weighted means.
type metricSums struct{ sum, weight []float64 }

// add adds one micro-batch's metrics, each counted w times where defined.
func (a *metricSums) add(st []float32, w float64) {
	k := len(st) / 2
	if a.sum == nil {
		a.sum, a.weight = make([]float64, k), make([]float64, k)
	}
	for i := range k {
		wi := float64(st[k+i]) * w
		a.sum[i] += float64(st[i]) * wi
		a.weight[i] += wi
	}
}

// fill sets ms's values: each metric's mean over the micro-batches where
// it is defined (a metric defined in none is left out).
func (a *metricSums) fill(ms *Metrics, names []string) {
	ms.Values = map[string]float64{}
	ms.Names = ms.Names[:0]
	for i, name := range names {
		if i >= len(a.sum) || a.weight[i] == 0 {
			continue
		}
		v := a.sum[i] / a.weight[i]
		ms.Names = append(ms.Names, name)
		ms.Values[name] = v
		switch name {
		case "loss":
			ms.Loss = v
		case "rewards/chosen":
			ms.RewardsChosen = v
		case "rewards/rejected":
			ms.RewardsRejected = v
		case "rewards/accuracies", "accuracy":
			ms.RewardsAccuracies = v
		case "rewards/margins", "margin":
			ms.RewardsMargins = v
		case "logps/chosen":
			ms.LogpsChosen = v
		case "logps/rejected":
			ms.LogpsRejected = v
		}
	}
}

// fields lists the metrics as JSON key/value pairs: the objective's figures
// by name (the common named fields when Names is empty), then, for a train
// step, grad_norm and learning_rate, then the counts and timing.
func (m Metrics) fields(train bool) []jsonField {
	var out []jsonField
	if len(m.Names) > 0 {
		for _, n := range m.Names {
			out = append(out, jsonField{n, m.Values[n]})
		}
	} else {
		out = append(out, jsonField{"loss", m.Loss}, jsonField{"rewards/chosen", m.RewardsChosen},
			jsonField{"rewards/rejected", m.RewardsRejected}, jsonField{"rewards/accuracies", m.RewardsAccuracies},
			jsonField{"rewards/margins", m.RewardsMargins}, jsonField{"logps/chosen", m.LogpsChosen},
			jsonField{"logps/rejected", m.LogpsRejected})
	}
	if train {
		out = append(out, jsonField{"grad_norm", m.GradNorm}, jsonField{"learning_rate", m.LearningRate})
	}
	return append(out, jsonField{"pairs", m.Pairs}, jsonField{"tokens", m.Tokens},
		jsonField{"seconds", m.Seconds}, jsonField{"tokens_per_second", m.TokensPerSecond})
}

type jsonField struct {
	key string
	val any
}

// appendFields writes fields as `,"prefix+key":value` each.
func appendFields(b *bytes.Buffer, prefix string, fs []jsonField) error {
	for _, f := range fs {
		val, err := json.Marshal(f.val)
		if err != nil {
			return fmt.Errorf("metric %s: %w", f.key, err)
		}
		fmt.Fprintf(b, ",%q:%s", prefix+f.key, val)
	}
	return nil
}

// MarshalJSON writes the metrics as one flat object (see fields).
func (m Metrics) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	if err := appendFields(&b, "", m.fields(true)); err != nil {
		return nil, err
	}
	out := b.Bytes()
	out[0] = '{'
	return append(out, '}'), nil
}
