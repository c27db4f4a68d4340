package report

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"time"

	"github.com/dpokit/dpokit/results"
)

// ExperimentSchema is the value of [Experiment.Schema] that this package
// reads. A change that old readers would misread gets a new version.
const ExperimentSchema = "dpokit.experiment/v1"

// Experiment is the results file of the controlled experiment (`make
// experiment`): DPO policies trained at several β on preferences labelled by
// a known true reward, compared on true reward and KL(π‖π_ref) with best-of-N
// sampling from the reference. Rewards are the task's true reward; KL is in
// nats per sequence.
type Experiment struct {
	Schema     string            `json:"schema"` // ExperimentSchema
	Task       Task              `json:"task"`
	Quick      bool              `json:"quick,omitempty"` // the reduced --quick run
	Reference  Reference         `json:"reference"`
	Policies   []Policy          `json:"policies"`
	BestOfN    []BestOfN         `json:"best_of_n"` // ascending N
	Commands   []string          `json:"commands"`  // the exact commands run, in order
	Versions   Versions          `json:"versions"`
	Seeds      map[string]uint64 `json:"seeds"` // by role: "data", "sample", "train", …
	Timestamps Timestamps        `json:"timestamps"`
}

// Task describes the synthetic task and its true reward.
type Task struct {
	Name         string `json:"name"`
	Description  string `json:"description"`
	Reward       string `json:"reward,omitempty"` // how the true reward is computed
	TrainPairs   int    `json:"train_pairs,omitempty"`
	HeldoutPairs int    `json:"heldout_pairs,omitempty"`
	EvalPrompts  int    `json:"eval_prompts,omitempty"`
}

// Reference is the reference (SFT) model and the true reward of its samples.
type Reference struct {
	Model         results.Identity `json:"model"`
	RewardMean    float64          `json:"reward_mean"`
	RewardSE      float64          `json:"reward_se"`
	RewardSamples []float64        `json:"reward_samples"`
}

// Policy is one DPO-trained policy and its evaluation.
type Policy struct {
	Name              string            `json:"name"`
	Beta              float64           `json:"beta"`
	Loss              string            `json:"loss"` // train's loss name, e.g. "sigmoid"
	Model             *results.Identity `json:"model,omitempty"`
	KLMean            float64           `json:"kl_mean"` // mean over samples of log π(y|x) − log π_ref(y|x)
	KLSE              float64           `json:"kl_se"`
	RewardMean        float64           `json:"reward_mean"`
	RewardSE          float64           `json:"reward_se"`
	HeldoutAccuracy   float64           `json:"heldout_accuracy"` // implicit-reward accuracy on held-out pairs (dpokit score)
	HeldoutAccuracySE float64           `json:"heldout_accuracy_se"`
	WinRateVsRef      *Rate             `json:"winrate_vs_ref,omitempty"`
	WinRateVsBestOfN  *Rate             `json:"winrate_vs_bestofn,omitempty"`
	RewardSamples     []float64         `json:"reward_samples"`
}

// Rate is a win rate (ties count ½) with its standard error, as written by
// `dpokit score winrate`.
type Rate struct {
	WinRate       float64 `json:"win_rate"`
	StandardError float64 `json:"standard_error"`
	N             int     `json:"n"`
	Baseline      string  `json:"baseline,omitempty"` // what was compared against, e.g. "best-of-16"
}

// BestOfN is best-of-N sampling from the reference, ranked by the true
// reward.
type BestOfN struct {
	N             int       `json:"n"`
	KLBound       float64   `json:"kl_bound"`              // KLBound(N)
	KLEstimate    *float64  `json:"kl_estimate,omitempty"` // an estimate from samples, when made
	RewardMean    float64   `json:"reward_mean"`
	RewardSE      float64   `json:"reward_se"`
	RewardSamples []float64 `json:"reward_samples"`
}

// Versions of the software that produced the results.
type Versions struct {
	Dpokit      string `json:"dpokit"`
	Go          string `json:"go"`
	ONNXRuntime string `json:"onnxruntime"`
	GoMLX       string `json:"gomlx,omitempty"`
}

// Timestamps of the run (RFC 3339 in JSON).
type Timestamps struct {
	Started  time.Time `json:"started"`
	Finished time.Time `json:"finished"`
}

// KLBound is the bound log N − (N−1)/N on KL(best-of-N ‖ reference).
func KLBound(n int) float64 {
	return math.Log(float64(n)) - float64(n-1)/float64(n)
}

// ReadExperiment reads and validates an experiment results file.
func ReadExperiment(path string) (*Experiment, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var e Experiment
	if err := json.Unmarshal(b, &e); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if err := e.Validate(); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &e, nil
}

// Validate checks the schema version, that numbers are finite, that N
// ascends and that each kl_bound is KLBound(N).
func (e *Experiment) Validate() error {
	if e.Schema != ExperimentSchema {
		return fmt.Errorf("field \"schema\": %q, want %q", e.Schema, ExperimentSchema)
	}
	var errs []error
	finite := func(field string, vs ...float64) {
		for _, v := range vs {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				errs = append(errs, fmt.Errorf("field %q: %v is not a finite number", field, v))
				return
			}
		}
	}
	finite("reference", e.Reference.RewardMean, e.Reference.RewardSE)
	finite("reference.reward_samples", e.Reference.RewardSamples...)
	names := map[string]bool{}
	for i, p := range e.Policies {
		f := fmt.Sprintf("policies[%d]", i)
		if p.Name == "" {
			errs = append(errs, fmt.Errorf("field %q: missing", f+".name"))
		} else if names[p.Name] {
			errs = append(errs, fmt.Errorf("field %q: %q repeats", f+".name", p.Name))
		}
		names[p.Name] = true
		finite(f, p.Beta, p.KLMean, p.KLSE, p.RewardMean, p.RewardSE, p.HeldoutAccuracy, p.HeldoutAccuracySE)
		finite(f+".reward_samples", p.RewardSamples...)
		for _, r := range []*Rate{p.WinRateVsRef, p.WinRateVsBestOfN} {
			if r != nil {
				finite(f+" win rate", r.WinRate, r.StandardError)
			}
		}
	}
	for i, b := range e.BestOfN {
		f := fmt.Sprintf("best_of_n[%d]", i)
		switch {
		case b.N < 1:
			errs = append(errs, fmt.Errorf("field %q: %d, want N ≥ 1", f+".n", b.N))
			continue
		case i > 0 && b.N <= e.BestOfN[i-1].N:
			errs = append(errs, fmt.Errorf("field %q: %d after %d, want ascending N", f+".n", b.N, e.BestOfN[i-1].N))
		}
		if want := KLBound(b.N); math.Abs(b.KLBound-want) > 1e-6 {
			errs = append(errs, fmt.Errorf("field %q: %g, want log %d − %d/%d = %.6f", f+".kl_bound", b.KLBound, b.N, b.N-1, b.N, want))
		}
		finite(f, b.RewardMean, b.RewardSE)
		if b.KLEstimate != nil {
			finite(f+".kl_estimate", *b.KLEstimate)
		}
		finite(f+".reward_samples", b.RewardSamples...)
	}
	return errors.Join(errs...)
}
