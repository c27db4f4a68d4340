package train

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/core/tensors"
)

// pytorchRun is one case written by testdata/train/dpo_reference.py.
type pytorchRun struct {
	Name     string
	Policy   string          `json:"policy"` // model directory, relative to testdata
	Ref      string          `json:"ref"`
	Config   json.RawMessage `json:"config"` // dpokit's Config, by its JSON names
	Examples []struct {
		ID          string  `json:"id"`
		Prompt      []int   `json:"prompt"`
		Chosen      []int   `json:"chosen"`
		Rejected    []int   `json:"rejected"`
		RefChosen   float64 `json:"ref_chosen_logp"`
		RefRejected float64 `json:"ref_rejected_logp"`
		Desirable   bool    `json:"desirable"`
		Margin      float64 `json:"margin"`
	} `json:"examples"`
	RewardHead []float32            `json:"reward_head"` // initial scalar head of a reward model
	Steps      []map[string]float64 `json:"steps"`
	LoRA       *struct {
		LoRA
		Initial []struct {
			Module string      `json:"module"`
			A      [][]float32 `json:"lora_A"` // [r, in]
		} `json:"initial"`
	} `json:"lora"`
}

func readPyTorchRun(t testing.TB, name string) pytorchRun {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "testdata", "train", "cases", name+".json"))
	if err != nil {
		t.Fatalf("%v (regenerate with /usr/bin/python3 testdata/train/dpo_reference.py %s)", err, name)
	}
	r := pytorchRun{Name: name}
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	return r
}

// testdataONNX is the model.onnx of a model directory named relative to testdata.
func testdataONNX(dir string) string { return filepath.Join("..", "testdata", dir, "model.onnx") }

func (r pytorchRun) config(t testing.TB) Config {
	t.Helper()
	var c Config
	if err := json.Unmarshal(r.Config, &c); err != nil {
		t.Fatalf("%s config: %v", r.Name, err)
	}
	return c
}

func (r pytorchRun) examples() []Example {
	out := make([]Example, len(r.Examples))
	for i, p := range r.Examples {
		out[i] = Example{Index: i, ID: p.ID, Prompt: p.Prompt, Chosen: p.Chosen, Rejected: p.Rejected,
			RefChosen: p.RefChosen, RefRejected: p.RefRejected, Desirable: p.Desirable, Margin: p.Margin}
	}
	return out
}

// microBatches returns the micro-batches of step k as the reference
// script takes them: in order, wrapping around.
func microBatches(c Config, exs []Example, k int) [][]Example {
	var out [][]Example
	for j := range c.GradAccum {
		var b []Example
		for i := range c.BatchSize {
			b = append(b, exs[((k*c.GradAccum+j)*c.BatchSize+i)%len(exs)])
		}
		out = append(out, b)
	}
	return out
}

// Tolerances against PyTorch 1.13 (float32 both sides; the reductions run
// in different orders, and differences grow as the weights move), relative
// to max(1, |PyTorch's value|) — for the rewards, to β·max(1, |log-probs|).
// Step 1 is compared tightly, all 10 steps of the trajectory more loosely.
const (
	step1Tol      = 2e-5 // |Δ| for loss, grad norm and metrics at step 1 (relative above 1)
	trajectoryTol = 1e-4 // at every one of the 10 steps
)

// referenceCases are the cases of dpo_reference.py; each must have its
// file. The short list runs under -short.
var referenceCases = []string{
	"gpt2_sigmoid", "gpt2_ipo", "gpt2_robust", "gpt2_hinge_rmsprop", "gpt2_sft", "llama_sigmoid",
	"tiny_sigmoid", "tiny_cdpo", "tiny_hinge", "tiny_ipo", "tiny_exo_pair", "tiny_nca_pair", "tiny_robust",
	"tiny_bco_pair", "tiny_sppo_hard", "tiny_aot", "tiny_aot_unpaired", "tiny_apo_zero", "tiny_apo_down",
	"tiny_discopop", "tiny_sft", "tiny_sigmoid_norm", "tiny_rpo", "tiny_mpo", "tiny_forward_kl",
	"tiny_js_divergence", "tiny_alpha_divergence", "tiny_ld", "tiny_wpo", "tiny_trdpo", "tiny_reference_free",
	"tiny_kto", "tiny_orpo", "tiny_cpo", "tiny_simpo", "tiny_llama_mpo", "tiny_llama_lora", "tiny_llama_lora_kto",
	"tiny_llama_reward", "tiny_llama_reward_lora",
}

// precisionCases are compared by TestBF16Trajectory.
var precisionCases = []string{"llama_sigmoid_bf16"}

var shortReferenceCases = []string{"gpt2_sigmoid", "tiny_cdpo", "tiny_mpo", "tiny_kto", "tiny_simpo", "tiny_llama_lora", "tiny_llama_reward"}

// TestMatchesPyTorch runs each reference case's steps and compares loss,
// gradient norm, learning rate and every metric, step by step; dpokit must
// log exactly PyTorch's metric names.
func TestMatchesPyTorch(t *testing.T) {
	cases := referenceCases
	if testing.Short() {
		cases = shortReferenceCases
	}
	files, _ := filepath.Glob(filepath.Join("..", "testdata", "train", "cases", "*.json"))
	for _, f := range files {
		if name := strings.TrimSuffix(filepath.Base(f), ".json"); !slices.Contains(referenceCases, name) && !slices.Contains(precisionCases, name) {
			t.Errorf("%s is not in referenceCases: it would never be compared", f)
		}
	}
	for _, name := range cases {
		t.Run(name, func(t *testing.T) {
			ref := readPyTorchRun(t, name)
			worst, err := runReference(t, ref, ref.config(t))
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("worst relative differences over %d steps: %s", len(ref.Steps), fmtWorst(worst))
		})
	}
}

// runReference runs ref's steps with cfg and reports each figure outside
// the tolerance with t.Errorf; it returns the worst relative differences.
func runReference(t testing.TB, ref pytorchRun, cfg Config) (map[string]float64, error) {
	var opts LoadOptions
	if ref.LoRA != nil {
		opts.LoRA = &ref.LoRA.LoRA
	}
	m, err := Load(testdataONNX(ref.Policy), opts)
	if err != nil {
		return nil, err
	}
	if ref.LoRA != nil {
		if err := setInitialLoRA(m, ref); err != nil {
			return nil, err
		}
	}
	tr, err := NewTrainer(m, cfg)
	if err != nil {
		return nil, err
	}
	if cfg.SyncRefEvery > 0 {
		if err := tr.LoadReferenceWeights(testdataONNX(ref.Ref)); err != nil {
			return nil, err
		}
	}
	if ref.RewardHead != nil {
		if err := m.reward.v.SetValue(tensors.FromFlatDataAndDimensions(ref.RewardHead, len(ref.RewardHead))); err != nil {
			return nil, err
		}
	}
	exs := ref.examples()
	worst := map[string]float64{}
	amp := curvatureFactor(ref.config(t)) // the case's, not a mutated cfg's
	for k, want := range ref.Steps {
		got, err := tr.Step(microBatches(tr.Config(), exs, k))
		if err != nil {
			return nil, err
		}
		gotMap := metricsMap(got)
		if k == 0 && !sameKeys(gotMap, want) {
			t.Errorf("dpokit logs %v, PyTorch %v", sortedKeys(gotMap), sortedKeys(want))
		}
		tol := trajectoryTol
		if k == 0 {
			tol = step1Tol
		}
		tol *= amp
		for key, w := range want {
			d := math.Abs(gotMap[key]-w) / refScale(key, w, want, tr.Config().Beta)
			worst[key] = max(worst[key], d)
			if d > tol {
				t.Errorf("step %d %s: dpokit %.7g, PyTorch %.7g (tolerance %g)", k+1, key, gotMap[key], w, tol)
			}
		}
	}
	return worst, nil
}

// curvatureFactor scales the tolerances for a loss whose gradient is more
// sensitive to the log-ratios than the sigmoid loss's, on which step1Tol and
// trajectoryTol were set.
//
// Both programs compute each pair's x = β·Δ from float32 log-probs summed in
// different orders: x differs by some δx. A DPO loss's gradient is
// Σ_pairs ℓ′(x)·β·∇Δ, so δx moves it by up to sup|ℓ″|·|δx| per pair; and
// the difference in the gradient becomes, through AdamW, a difference in
// the weights and in every figure of the later steps. For the sigmoid loss
// ℓ(x) = −log σ(x), ℓ″ = σ(x)σ(−x) ≤ 1/4. The factor is therefore
// w·sup|ℓ″| / (1/4) for a DiscoPOP term of weight w — the one loss of the
// reference cases whose curvature the base tolerances do not cover — and 1
// otherwise.
//
// DiscoPOP: with m = σ(x/τ), q = m(1−m)/τ (= dm/dx) and E = e^(−x),
//
//	ℓ   = (1−m)(−log σ(x)) + m·E
//	ℓ′  = q·(E + log σ(x)) − (1−m)σ(−x) − m·E
//	ℓ″  = q(1−2m)/τ·(E + log σ(x)) + 2q·(σ(−x) − E) + (1−m)σ(x)σ(−x) + m·E
//
// The sigmoid that mixes the two terms switches over a width τ around
// x = 0, where the pairs of a run start (Δ = 0 at step 1), so its curvature
// q(1−2m)/τ ≈ 0.096/τ² dominates: sup|ℓ″| ≈ 13.2 at x ≈ τ for TRL's
// τ = 0.05, a factor ≈ 53. (Measured: at step 3 tiny_discopop's
// gradient-norm difference is ≈ 42× tiny_sigmoid's, on the same batches,
// with log-probs that differ as little.) The sup is taken on a grid of
// step τ/64 over |x| ≤ 30, finer than the scale τ on which ℓ″ varies.
func curvatureFactor(cfg Config) float64 {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return 1
	}
	for i, l := range cfg.Loss.terms() {
		if l != DiscoPOP {
			continue
		}
		w := 1.0
		if i < len(cfg.LossWeights) {
			w = cfg.LossWeights[i]
		}
		return max(1, math.Abs(w)*discopopCurvature(cfg.DiscopopTau)/0.25)
	}
	return 1
}

// discopopCurvature is sup_x |ℓ″(x)| of DiscoPOP with τ (see
// curvatureFactor).
func discopopCurvature(tau float64) float64 {
	sig := func(z float64) float64 { return 1 / (1 + math.Exp(-z)) }
	sup := 0.0
	for x := -30.0; x <= 30; x += tau / 64 {
		m, e := sig(x/tau), math.Exp(-x)
		q := m * (1 - m) / tau
		d2 := q*(1-2*m)/tau*(e+math.Log(sig(x))) + 2*q*(sig(-x)-e) + (1-m)*sig(x)*sig(-x) + m*e
		sup = max(sup, math.Abs(d2))
	}
	return sup
}

// metricsMap names a step's metrics as the reference script logs them.
func metricsMap(m Metrics) map[string]float64 {
	out := map[string]float64{"grad_norm": m.GradNorm, "learning_rate": m.LearningRate}
	for n, v := range m.Values {
		out[n] = v
	}
	return out
}

// refScale is what a difference in key is relative to: max(1, |value|),
// and for the rewards (β·(log π − log π_ref), whose error is β times that of
// the log-probs) β times the log-probs' scale.
func refScale(key string, w float64, step map[string]float64, beta float64) float64 {
	if strings.HasPrefix(key, "rewards/") && key != "rewards/accuracies" {
		return beta * max(1, math.Abs(step["logps/chosen"]), math.Abs(step["logps/rejected"]))
	}
	return max(1, math.Abs(w))
}

func sameKeys(a, b map[string]float64) bool {
	return slices.Equal(sortedKeys(a), sortedKeys(b))
}

func sortedKeys(m map[string]float64) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

func fmtWorst(w map[string]float64) string {
	s := ""
	for _, k := range []string{"loss", "grad_norm", "rewards/margins", "logps/chosen", "entropy"} {
		if v, ok := w[k]; ok {
			s += fmt.Sprintf("%s %.1e  ", k, v)
		}
	}
	return s
}

// setInitialLoRA gives the adapters PyTorch's initial A (B starts at 0 on
// both sides); every adapter must have one.
func setInitialLoRA(m *Model, ref pytorchRun) error {
	st := m.lora
	if len(ref.LoRA.Initial) != len(st.targets) {
		return fmt.Errorf("PyTorch adapted %d modules, dpokit %d", len(ref.LoRA.Initial), len(st.targets))
	}
	for _, init := range ref.LoRA.Initial {
		k := slices.IndexFunc(st.targets, func(c LoRACandidate) bool { return c.Module() == init.Module })
		if k < 0 {
			return fmt.Errorf("PyTorch adapted %s, dpokit did not", init.Module)
		}
		r, in := len(init.A), len(init.A[0])
		at := make([]float32, in*r) // A' = Aᵀ [in, r]
		for i := range r {
			for j := range in {
				at[j*r+i] = init.A[i][j]
			}
		}
		if err := st.a[k].SetValue(tensors.FromFlatDataAndDimensions(at, in, r)); err != nil {
			return err
		}
	}
	return nil
}
