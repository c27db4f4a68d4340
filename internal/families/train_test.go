package families_test

import (
	"maps"
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dpokit/dpokit/models"
	"github.com/dpokit/dpokit/train"
)

// trainRef is a run in testdata/families/dpo_sigmoid.py's schema, written by
// make_families.py with its functions on the family's policy and ref.
type trainRef struct {
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
		ID             string
		Prompt, Chosen []int
		Rejected       []int
		RC             float64 `json:"ref_chosen_logp"`
		RR             float64 `json:"ref_rejected_logp"`
	} `json:"pairs"`
	Steps []map[string]float64 `json:"steps"`
}

func (r trainRef) config() train.Config {
	c := r.Config
	return train.Config{Loss: train.Loss(c.Loss), Beta: c.Beta, LabelSmoothing: c.LabelSmoothing, Optimizer: c.Optimizer,
		LR: c.LR, WeightDecay: c.WeightDecay, WarmupSteps: c.Warmup, MaxGradNorm: c.MaxGradNorm, Steps: c.Steps,
		BatchSize: c.BatchSize, GradAccum: c.GradAccum, Schedule: c.Schedule}
}

// micro returns step k's micro-batches as the reference takes them: pairs
// in order, wrapping around.
func (r trainRef) micro(k int) [][]train.Example {
	c := r.Config
	out := make([][]train.Example, c.GradAccum)
	for j := range out {
		for i := range c.BatchSize {
			n := ((k*c.GradAccum+j)*c.BatchSize + i) % len(r.Pairs)
			p := r.Pairs[n]
			out[j] = append(out[j], train.Example{Index: n, ID: p.ID, Prompt: p.Prompt, Chosen: p.Chosen,
				Rejected: p.Rejected, RefChosen: p.RC, RefRejected: p.RR})
		}
	}
	return out
}

// Trajectory tolerances, relative to max(1, |PyTorch|), the rewards
// (β·log-prob differences) relative to β·max(1, |log-probs|). Both sides run
// the same float32 model and differ by rounding in other orders (u = 2⁻²⁴
// per operation); PyTorch computes its head and log-softmax in float64
// (make_families.py's response_logps), so the differences are dpokit's
// float32 sums and those of PyTorch's layers. At step 1 the weights are
// the same:
//
//   - log-probs and rewards: each token within 2δ (tokenTol), a token's
//     log-prob at least ln 32,000 ≈ 10 nats in magnitude (random ids, near
//     uniform models), so relative 2δ/10 = 2e-6 even if every token's error
//     had the same sign;
//   - loss: |d loss / d z| ≤ β for z = (π_c − π_r) − (ref_c − ref_r), and z
//     of two responses of ≤ 6 tokens is off by 2δ·√12 for independent token
//     errors: 0.1·7e-5 = 7e-6;
//   - gradient norm: the longest float32 sum of the backward pass is the
//     head's over the vocabulary, d hidden = Σ_v d logit_v·w_v, dominated by
//     the target's term. GoMLX's matrix multiplications (generic, AVX2 and
//     AVX-512 kernels alike) add it to the output in panels of Kc = 64–512
//     terms: relative error ≈ u·(√Kc + √(V/Kc)) ≤ 4.3e-6 at V = 262,208
//     (one sequential sum would be u·√(V/3) = 1.8e-5, which is what
//     PyTorch's float32 head gave with Debian's reference BLAS). The other
//     sums are short (≤ 64 terms, u·√64 = 5e-7 each).
//
// step1Tol is 2e-5, over 4× the largest of these. Later steps add the
// effect of the weights' difference, which AdamW's normalised update
// (lr·m̂/√v̂, lr ≤ 2e-3) grows by about lr times the gradients' relative
// error per step; trajectoryTol allows 5× step 1 and is issue 10's bound
// (1e-4). Seen here, with the generic, AVX2 and AVX-512
// GoMLX kernels (GOEXPERIMENT=simd, GOMLX_SIMD_AVX512=false): at most
// 2.4e-6 at step 1 (grad norm) and 2.7e-6 over the 10 steps.
const (
	step1Tol      = 2e-5
	trajectoryTol = 1e-4
)

func metricsMap(m train.Metrics) map[string]float64 {
	return map[string]float64{"loss": m.Loss, "grad_norm": m.GradNorm, "learning_rate": m.LearningRate,
		"rewards/chosen": m.RewardsChosen, "rewards/rejected": m.RewardsRejected,
		"rewards/accuracies": m.RewardsAccuracies, "rewards/margins": m.RewardsMargins,
		"logps/chosen": m.LogpsChosen, "logps/rejected": m.LogpsRejected}
}

// TestTrain runs the reference's 10 DPO steps (sigmoid loss, AdamW, warmup
// and linear decay, clipping, 2 micro-batches of 2 pairs) on every
// family's policy and on the variants, compares loss, grad norm, learning
// rate and TRL's metrics at each step with PyTorch's, then exports the
// trained weights and holds ONNX Runtime's logits on the exported directory
// to GoMLX's.
func TestTrain(t *testing.T) {
	for _, s := range subjects(t, false) {
		t.Run(s.dir, func(t *testing.T) {
			d, err := models.OpenDir(s.path())
			if err != nil {
				t.Fatal(err)
			}
			m, err := train.Load(d.ONNX, train.LoadOptions{})
			if err != nil {
				t.Fatal(err)
			}
			ref := s.refs.Train
			tr, err := train.NewTrainer(m, ref.config())
			if err != nil {
				t.Fatal(err)
			}
			first, worst := map[string]float64{}, map[string]float64{}
			for k, want := range ref.Steps {
				got, err := tr.Step(ref.micro(k))
				if err != nil {
					t.Fatal(err)
				}
				compareStep(t, k, metricsMap(got), want, ref.Config.Beta, worst)
				if k == 0 {
					maps.Copy(first, worst)
				}
			}
			t.Logf("largest relative differences at step 1: loss %.1e, grad_norm %.1e, margins %.1e, logps %.1e; over %d steps: loss %.1e, grad_norm %.1e, margins %.1e, logps %.1e",
				first["loss"], first["grad_norm"], first["rewards/margins"], max(first["logps/chosen"], first["logps/rejected"]),
				len(ref.Steps), worst["loss"], worst["grad_norm"], worst["rewards/margins"], max(worst["logps/chosen"], worst["logps/rejected"]))
			checkExport(t, m, s)
		})
	}
}

func compareStep(t *testing.T, k int, got, want map[string]float64, beta float64, worst map[string]float64) {
	t.Helper()
	tol := trajectoryTol
	if k == 0 {
		tol = step1Tol
	}
	logpScale := max(1, math.Abs(want["logps/chosen"]), math.Abs(want["logps/rejected"]))
	for key, w := range want {
		scale := max(1, math.Abs(w))
		if strings.HasPrefix(key, "rewards/") && key != "rewards/accuracies" {
			scale = beta * logpScale
		}
		d := math.Abs(got[key]-w) / scale
		worst[key] = max(worst[key], d)
		if d > tol {
			t.Errorf("step %d %s: dpokit %.7g, PyTorch %.7g (tolerance %g)", k+1, key, got[key], w, tol)
		}
	}
}

// exportTol bounds |ONNX Runtime − GoMLX| on one logit of the exported
// model: the same float32 weights, other summation orders (δ ≈ 1e-5 as
// above, for logits of magnitude up to ~30).
const exportTol = 1e-4

// checkExport writes the trained model directory and runs it in ONNX
// Runtime: its logits must be GoMLX's at every position of a few sequences
// (ids spread over the whole vocabulary), and, where the model takes
// position_ids, also when the first sequence continues a KV cache of its
// first four tokens (for the merged decoder: the cache branch).
func checkExport(t *testing.T, m *train.Model, s subject) {
	t.Helper()
	out := filepath.Join(t.TempDir(), "trained")
	if _, err := m.Export(s.path(), out, nil); err != nil {
		t.Fatal(err)
	}
	V := m.Vocab()
	seqs := [][]int{{1, V / 3, V / 2, V - 1, 7, 11, V / 5, 3, 2, V / 7}, {V - 2, 5, V / 11, 13}}
	want, err := m.Logits(seqs)
	if err != nil {
		t.Fatal(err)
	}
	om := openModel(t, out)
	var rows []models.Row
	for _, sq := range seqs {
		rows = append(rows, models.Row{Tokens: sq, Start: 1})
	}
	l, err := om.Run(nil, rows, models.PadRight)
	if err != nil {
		t.Fatal(err)
	}
	var worst float64
	for i, sq := range seqs {
		for j := range sq {
			worst = max(worst, maxDiff(l.Row(i, j), want[i][j*V:(j+1)*V]))
		}
	}
	if s.hasPositions() {
		const p = 4
		cache, err := om.Prefill([][]int{seqs[0][:p]})
		if err != nil {
			t.Fatal(err)
		}
		l, err := om.Run(cache, []models.Row{{Tokens: seqs[0][p:], Start: 1}}, models.PadRight)
		if err != nil {
			t.Fatal(err)
		}
		for j := range seqs[0][p:] {
			worst = max(worst, maxDiff(l.Row(0, j), want[0][(p+j)*V:(p+j+1)*V]))
		}
	}
	if worst > exportTol {
		t.Errorf("exported model in ONNX Runtime: logits differ from GoMLX's by up to %.2e (tolerance %g)", worst, exportTol)
	}
	t.Logf("exported model: largest logit difference ONNX Runtime vs GoMLX %.2e", worst)
}

func maxDiff(a, b []float32) float64 {
	var d float64
	for i := range a {
		d = max(d, math.Abs(float64(a[i]-b[i])))
	}
	return d
}
