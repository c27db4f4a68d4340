package train

import (
	"errors"
	"fmt"
	"math"
)

// Config holds the hyperparameters of a run. The zero values of the
// optional fields mean TRL's defaults where TRL has one.
type Config struct {
	Loss           Loss    `json:"loss"`            // default Sigmoid; several comma-separated ("sigmoid,sft") are summed with LossWeights
	Beta           float64 `json:"beta"`            // default 0.1
	LabelSmoothing float64 `json:"label_smoothing"` // ε of cDPO (sigmoid), robust DPO, EXO, AOT and CPO, in [0, 0.5)
	Objectives

	Optimizer   string  `json:"optimizer"`     // "adamw" (default) or "rmsprop"
	LR          float64 `json:"learning_rate"` // peak learning rate; default 1e-6 (the DPO paper's)
	WeightDecay float64 `json:"weight_decay"`  // decoupled (AdamW) or L2 (RMSprop), as PyTorch
	Beta1       float64 `json:"adam_beta1"`    // AdamW; default 0.9
	Beta2       float64 `json:"adam_beta2"`    // AdamW; default 0.999
	Alpha       float64 `json:"rmsprop_alpha"` // RMSprop smoothing; default 0.99
	Epsilon     float64 `json:"epsilon"`       // default 1e-8
	Schedule    string  `json:"lr_schedule"`   // "linear" (default: decay to 0 at the last step, as Hugging Face) or "constant"
	WarmupSteps int     `json:"warmup_steps"`  // linear warmup from 0

	BatchSize   int     `json:"batch_size"`    // pairs per micro-batch; default 8
	GradAccum   int     `json:"grad_accum"`    // micro-batches per optimizer step; default 1
	MaxGradNorm float64 `json:"max_grad_norm"` // clip the global gradient norm to this; 0 = no clipping
	Steps       int     `json:"steps"`         // optimizer steps of the whole run (for the schedule)
}

// withDefaults returns cfg with defaults filled in, or an error for values
// out of range.
func (cfg Config) withDefaults() (Config, error) {
	if err := checkObjectives(&cfg); err != nil {
		return cfg, err
	}
	def := func(x *float64, v float64) {
		if *x == 0 {
			*x = v
		}
	}
	def(&cfg.Beta, 0.1)
	def(&cfg.LR, 1e-6)
	def(&cfg.Beta1, 0.9)
	def(&cfg.Beta2, 0.999)
	def(&cfg.Alpha, 0.99)
	def(&cfg.Epsilon, 1e-8)
	if cfg.Optimizer == "" {
		cfg.Optimizer = "adamw"
	}
	if cfg.Schedule == "" {
		cfg.Schedule = "linear"
	}
	if cfg.BatchSize == 0 {
		cfg.BatchSize = 8
	}
	if cfg.GradAccum == 0 {
		cfg.GradAccum = 1
	}
	switch {
	case cfg.Optimizer != "adamw" && cfg.Optimizer != "rmsprop":
		return cfg, fieldErr("optimizer", fmt.Errorf("unknown optimizer %q (want adamw or rmsprop)", cfg.Optimizer))
	case cfg.Schedule != "linear" && cfg.Schedule != "constant":
		return cfg, fieldErr("lr_schedule", fmt.Errorf("unknown schedule %q (want linear or constant)", cfg.Schedule))
	case !(cfg.Beta > 0) || math.IsInf(cfg.Beta, 0):
		return cfg, fieldErr("beta", errors.New("beta must be positive and finite"))
	case !(cfg.LabelSmoothing >= 0 && cfg.LabelSmoothing < 0.5):
		return cfg, fieldErr("label_smoothing", errors.New("label smoothing must be in [0, 0.5)"))
	case !(cfg.LR > 0) || math.IsInf(cfg.LR, 0):
		return cfg, fieldErr("learning_rate", errors.New("learning rate must be positive and finite"))
	case !(cfg.WeightDecay >= 0) || math.IsInf(cfg.WeightDecay, 0):
		return cfg, fieldErr("weight_decay", errors.New("weight decay must be finite and not negative"))
	case !(cfg.MaxGradNorm >= 0) || math.IsInf(cfg.MaxGradNorm, 0):
		return cfg, fieldErr("max_grad_norm", errors.New("max grad norm must be finite and not negative"))
	case cfg.WarmupSteps < 0:
		return cfg, fieldErr("warmup_steps", errors.New("warmup steps must not be negative"))
	case cfg.Steps < 0:
		return cfg, fieldErr("steps", errors.New("steps must not be negative"))
	case cfg.BatchSize < 1:
		return cfg, fieldErr("batch_size", errors.New("batch size must be at least 1"))
	case cfg.GradAccum < 1:
		return cfg, fieldErr("grad_accum", errors.New("gradient accumulation must be at least 1"))
	case cfg.Beta1 < 0 || cfg.Beta1 >= 1 || cfg.Beta2 < 0 || cfg.Beta2 >= 1 || cfg.Alpha < 0 || cfg.Alpha >= 1:
		return cfg, errors.New("optimizer betas and alpha must be in [0, 1)")
	}
	return cfg, nil
}

// LearningRate returns the learning rate of optimizer step k (0-based), as
// Hugging Face's get_linear_schedule_with_warmup / constant-with-warmup
// LambdaLR: k/warmup during warmup (so 0 at the very first step), then
// constant or linearly decaying to 0 at step Steps.
func (cfg Config) LearningRate(k int) float64 {
	w := cfg.WarmupSteps
	if k < w {
		return cfg.LR * float64(k) / float64(max(1, w))
	}
	if cfg.Schedule == "constant" || cfg.Steps <= 0 {
		return cfg.LR
	}
	return cfg.LR * max(0, float64(cfg.Steps-k)/float64(max(1, cfg.Steps-w)))
}

// ConfigError is a configuration value out of range; Field is the
// Config field's JSON name.
type ConfigError struct {
	Field string
	Err   error
}

func (e *ConfigError) Error() string { return e.Err.Error() }
func (e *ConfigError) Unwrap() error { return e.Err }

func fieldErr(field string, err error) error { return &ConfigError{Field: field, Err: err} }

// CheckConfig reports a configuration error (unknown loss, optimizer or
// schedule, values out of range) without loading anything.
func CheckConfig(cfg Config) error {
	_, err := cfg.withDefaults()
	return err
}
