package train

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// pytorchRun is one case written by testdata/train/dpo_reference.py.
type pytorchRun struct {
	Policy string `json:"policy"`
	Config struct {
		Loss           string  `json:"loss"`
		Beta           float64 `json:"beta"`
		LabelSmoothing float64 `json:"label_smoothing"`
		Optimizer      string  `json:"optimizer"`
		LR             float64 `json:"lr"`
		WeightDecay    float64 `json:"weight_decay"`
		Warmup         int     `json:"warmup_steps"`
		MaxGradNorm    float64 `json:"max_grad_norm"`
		Steps          int     `json:"steps"`
		BatchSize      int     `json:"batch_size"`
		GradAccum      int     `json:"grad_accum"`
		Schedule       string  `json:"schedule"`
	} `json:"config"`
	Pairs []struct {
		ID          string  `json:"id"`
		Prompt      []int   `json:"prompt"`
		Chosen      []int   `json:"chosen"`
		Rejected    []int   `json:"rejected"`
		RefChosen   float64 `json:"ref_chosen_logp"`
		RefRejected float64 `json:"ref_rejected_logp"`
	} `json:"pairs"`
	Steps []map[string]float64 `json:"steps"`
}

func readPyTorchRun(t *testing.T, name string) pytorchRun {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "testdata", "train", name+".json"))
	if err != nil {
		t.Fatal(err)
	}
	var r pytorchRun
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	return r
}

func (r pytorchRun) config() Config {
	c := r.Config
	return Config{Loss: Loss(c.Loss), Beta: c.Beta, LabelSmoothing: c.LabelSmoothing, Optimizer: c.Optimizer,
		LR: c.LR, WeightDecay: c.WeightDecay, WarmupSteps: c.Warmup, MaxGradNorm: c.MaxGradNorm, Steps: c.Steps,
		BatchSize: c.BatchSize, GradAccum: c.GradAccum, Schedule: c.Schedule}
}

func (r pytorchRun) examples() []Example {
	out := make([]Example, len(r.Pairs))
	for i, p := range r.Pairs {
		out[i] = Example{Index: i, ID: p.ID, Prompt: p.Prompt, Chosen: p.Chosen, Rejected: p.Rejected,
			RefChosen: p.RefChosen, RefRejected: p.RefRejected}
	}
	return out
}

// microBatches returns the micro-batches of step k as the reference
// script takes them: in order, wrapping around.
func (r pytorchRun) microBatches(exs []Example, k int) [][]Example {
	c := r.Config
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

// TestMatchesPyTorch runs the reference script's steps and compares loss,
// gradient norm, learning rate and the reward metrics step by step.
func TestMatchesPyTorch(t *testing.T) {
	cases := []string{"gpt2_sigmoid", "gpt2_ipo", "gpt2_robust", "gpt2_hinge_rmsprop", "gpt2_sft", "llama_sigmoid"}
	if testing.Short() {
		cases = []string{"gpt2_sigmoid", "gpt2_ipo", "gpt2_robust"}
	}
	for _, name := range cases {
		t.Run(name, func(t *testing.T) {
			ref := readPyTorchRun(t, name)
			m, err := Load(onnxPath(ref.Policy), LoadOptions{})
			if err != nil {
				t.Fatal(err)
			}
			tr, err := NewTrainer(m, ref.config())
			if err != nil {
				t.Fatal(err)
			}
			exs := ref.examples()
			worst := map[string]float64{}
			for k, want := range ref.Steps {
				got, err := tr.Step(ref.microBatches(exs, k))
				if err != nil {
					t.Fatal(err)
				}
				gotMap := metricsMap(got)
				tol := trajectoryTol
				if k == 0 {
					tol = step1Tol
				}
				for key, w := range want {
					g := gotMap[key]
					d := math.Abs(g-w) / ref.scale(want, key)
					worst[key] = max(worst[key], d)
					if d > tol {
						t.Errorf("step %d %s: dpokit %.7g, PyTorch %.7g (tolerance %g)", k+1, key, g, w, tol)
					}
				}
			}
			t.Logf("worst relative differences over %d steps: %s", len(ref.Steps), fmtWorst(worst))
		})
	}
}

// metricsMap names a step's metrics as the reference script logs them.
func metricsMap(m Metrics) map[string]float64 {
	return map[string]float64{"loss": m.Loss, "grad_norm": m.GradNorm, "learning_rate": m.LearningRate,
		"rewards/chosen": m.RewardsChosen, "rewards/rejected": m.RewardsRejected,
		"rewards/accuracies": m.RewardsAccuracies, "rewards/margins": m.RewardsMargins,
		"logps/chosen": m.LogpsChosen, "logps/rejected": m.LogpsRejected}
}

// scale is what a difference in a step's metric is divided by: max(1,
// |value|), and for the rewards β·(log π − log π_ref), whose error is β
// times that of the log-probs, β·max(1, |log-probs|).
func (r pytorchRun) scale(step map[string]float64, key string) float64 {
	if strings.HasPrefix(key, "rewards/") && key != "rewards/accuracies" {
		return r.Config.Beta * max(1, math.Abs(step["logps/chosen"]), math.Abs(step["logps/rejected"]))
	}
	return max(1, math.Abs(step[key]))
}

func fmtWorst(w map[string]float64) string {
	s := ""
	for _, k := range []string{"loss", "grad_norm", "rewards/margins", "logps/chosen"} {
		s += fmt.Sprintf("%s %.1e  ", k, w[k])
	}
	return s
}
