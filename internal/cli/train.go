package cli

import (
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/dpokit/dpokit/dataset"
	"github.com/dpokit/dpokit/internal/device"
	"github.com/dpokit/dpokit/logprob"
	"github.com/dpokit/dpokit/models"
	"github.com/dpokit/dpokit/train"
)

func trainCommand() *cli.Command {
	return &cli.Command{
		Name:  "train",
		Usage: "train a policy with DPO (or SFT) on GoMLX, starting from its ONNX weights, and write an ONNX model directory",
		UsageText: "dpokit train --policy DIR [--ref DIR] --data FILE --out DIR [--loss sigmoid] [--beta 0.1] [--lr 1e-6]\n" +
			"   reference log-probs come from ONNX Runtime (the score code path) and are cached; --ref defaults to --policy",
		Flags: append([]cli.Flag{
			&cli.StringFlag{Name: "policy", Usage: "starting policy model directory (required)"},
			&cli.StringFlag{Name: "ref", Usage: "reference model directory (default: the starting policy)"},
			&cli.StringFlag{Name: "data", Usage: "preference pairs: .jsonl, .jsonl.gz, .json or .parquet (required)"},
			&cli.StringFlag{Name: "out", Usage: "model directory to write (must not exist; required)"},
			&cli.StringFlag{Name: "format", Value: "auto", Usage: "auto, explicit, implicit (Anthropic HH) or conversational"},
			&cli.BoolFlag{Name: "skip-invalid", Usage: "skip bad records (each reported) instead of stopping"},
			&cli.StringFlag{Name: "eval-data", Usage: "preference pairs to evaluate on"},
			&cli.IntFlag{Name: "eval-every", Usage: "evaluate every N steps (0: at the end only)"},
			&cli.StringFlag{Name: "objective", Value: "dpo", Usage: "dpo, kto (unpaired {prompt, completion, label} data), orpo, cpo, simpo or reward"},
			&cli.StringFlag{Name: "loss", Usage: "dpo: one or several comma-separated of sigmoid (default), hinge, ipo, exo_pair, nca_pair, robust, bco_pair, sppo_hard, aot, aot_unpaired, apo_zero, apo_down, discopop, sft, sigmoid_norm; cpo: sigmoid, hinge, ipo or simpo"},
			&cli.StringFlag{Name: "loss-weights", Usage: "comma-separated weights of the --loss terms (default 1 each), e.g. 0.8,0.2,1.0 for MPO"},
			&cli.Float64Flag{Name: "beta", Value: 0.1, Usage: "β of DPO (ORPO's λ, the reward scale of KTO, CPO and SimPO)"},
			&cli.Float64Flag{Name: "label-smoothing", Usage: "ε: sigmoid with ε > 0 is conservative DPO (cDPO); robust, exo_pair, aot, aot_unpaired and cpo use it too"},
			&cli.StringFlag{Name: "f-divergence", Value: "reverse_kl", Usage: "f-DPO regulariser: reverse_kl, forward_kl, js_divergence or alpha_divergence"},
			&cli.Float64Flag{Name: "f-alpha-coef", Value: 0.5, Usage: "α of --f-divergence alpha_divergence"},
			&cli.Float64Flag{Name: "ld-alpha", Usage: "LD-DPO: weight in [0, 1] of the response tokens past the shorter response's length (unset: off)"},
			&cli.BoolFlag{Name: "use-weighting", Usage: "WPO: weight each pair by the policy's length-normalised sequence probabilities"},
			&cli.Float64Flag{Name: "discopop-tau", Value: 0.05, Usage: "τ of the discopop loss"},
			&cli.BoolFlag{Name: "reference-free", Usage: "take the reference log-probs as 0 (no reference model)"},
			&cli.IntFlag{Name: "sync-ref-every", Usage: "TR-DPO: every N steps the reference becomes α·policy + (1−α)·reference (it is kept in memory; 0: off)"},
			&cli.Float64Flag{Name: "ref-mixup-alpha", Value: 0.6, Usage: "α of --sync-ref-every"},
			&cli.Float64Flag{Name: "desirable-weight", Value: 1, Usage: "kto: weight of the desirable examples' losses"},
			&cli.Float64Flag{Name: "undesirable-weight", Value: 1, Usage: "kto: weight of the undesirable examples' losses"},
			&cli.Float64Flag{Name: "simpo-gamma", Value: 0.5, Usage: "simpo: target reward margin γ"},
			&cli.Float64Flag{Name: "cpo-alpha", Usage: "cpo and simpo: weight of the chosen responses' NLL (default 1 for cpo, 0 for simpo)"},
			&cli.Float64Flag{Name: "center-rewards-coef", Usage: "reward: coefficient of the mean squared reward (r_w + r_l)², which centres the rewards on 0 (TRL's center_rewards_coefficient; 0: off)"},
			&cli.IntFlag{Name: "lora-rank", Usage: "train LoRA adapters of this rank on --lora-targets instead of all weights (0: full fine-tuning)"},
			&cli.Float64Flag{Name: "lora-alpha", Value: 16, Usage: "LoRA α: the adapters add (α/rank)·B·A"},
			&cli.Float64Flag{Name: "lora-dropout", Usage: "dropout on the adapters' input while training"},
			&cli.StringFlag{Name: "lora-targets", Usage: "comma-separated MatMul weights to adapt: module names (q_proj matches ...q_proj.weight), initializer names or globs; `dpokit models inspect` lists them"},
			&cli.StringFlag{Name: "export-adapter", Usage: "with --lora-rank: also write the adapters as a Hugging Face PEFT adapter directory (adapter_config.json, adapter_model.safetensors)"},
			&cli.StringFlag{Name: "optimizer", Value: "adamw", Usage: "adamw or rmsprop (PyTorch's)"},
			&cli.Float64Flag{Name: "lr", Value: 1e-6, Usage: "peak learning rate"},
			&cli.Float64Flag{Name: "weight-decay", Usage: "AdamW decoupled weight decay (RMSprop: L2)"},
			&cli.StringFlag{Name: "lr-schedule", Value: "linear", Usage: "linear (to 0 at the last step) or constant, after warmup"},
			&cli.IntFlag{Name: "warmup-steps", Usage: "linear warmup steps"},
			&cli.IntFlag{Name: "epochs", Value: 1, Usage: "passes over the data"},
			&cli.IntFlag{Name: "max-steps", Usage: "optimizer steps (overrides --epochs)"},
			&cli.IntFlag{Name: "batch-size", Value: 8, Usage: "pairs per micro-batch"},
			&cli.IntFlag{Name: "grad-accum", Value: 1, Usage: "micro-batches per optimizer step"},
			&cli.Float64Flag{Name: "max-grad-norm", Value: 1, Usage: "clip the global gradient norm (0: no clipping)"},
			&cli.IntFlag{Name: "max-length", Value: 1024, Usage: "truncate prompt+response to this many tokens (0: no limit)"},
			&cli.IntFlag{Name: "max-prompt-length", Value: 512, Usage: "keep the last N prompt tokens (0: no limit)"},
			&cli.BoolFlag{Name: "no-eos", Usage: "do not append the EOS token to responses"},
			&cli.IntFlag{Name: "save-every", Usage: "checkpoint every N steps (0: only at the end or when interrupted)"},
			&cli.StringFlag{Name: "checkpoint-dir", Usage: "checkpoints (default OUT.ckpt)"},
			&cli.BoolFlag{Name: "resume", Usage: "continue from the newest checkpoint"},
			&cli.Uint64Flag{Name: "seed", Value: 42, Usage: "seed of the data order"},
			&cli.StringFlag{Name: "backend", Usage: "GoMLX backend: go (pure Go, default) or xla:cpu where XLA's plugin is installed (--device cuda chooses XLA on CUDA)", EnvVars: []string{"GOMLX_BACKEND"}},
			&cli.StringFlag{Name: "precision", Value: "fp32", Usage: "fp32, or bf16: bfloat16 matmul operands (float32 accumulation, master weights and optimizer state)"},
			&cli.BoolFlag{Name: "tf32", Value: true, Usage: "--device cuda: float32 matmuls on TF32 tensor cores (XLA's default there); --tf32=false for full float32"},
			&cli.IntFlag{Name: "max-shapes", Value: 4, Usage: "batch shapes chosen from the data and compiled before step 1 (0: pad to fixed buckets, compiled when first met)"},
			&cli.IntFlag{Name: "logit-chunk", Usage: "response tokens whose LM-head logits are computed at once (0: about 256 MiB of logits; -1: all)"},
			&cli.StringFlag{Name: "ref-engine", Value: "auto", Usage: "reference log-probs: onnxruntime, gomlx (the training backend's forward pass), or auto (gomlx with --device cuda)"},
			&cli.StringFlag{Name: "log", Usage: "step log (JSON Lines); default stdout"},
			&cli.StringFlag{Name: "ref-cache", Usage: "reference log-prob file (default: a file per reference model, data and tokenization under the user cache dir)"},
			batchTokensFlag(" when computing reference log-probs"),
		}, runtimeFlags()...),
		Action: runTrain,
	}
}

func runTrain(c *cli.Context) error {
	job, err := trainOptions(c)
	if err != nil {
		return err
	}
	if c.String("device") == string(device.CUDA) {
		s, err := cudaSetup(!c.Bool("tf32"))
		if err == nil {
			err = applyCUDAEnv(s)
		}
		if err != nil {
			return err
		}
	}
	_, err = job.Do(c.Context)
	return err
}

// configFlags maps train.Config's JSON field names to their flags.
var configFlags = map[string]string{"learning_rate": "lr", "lr_schedule": "lr-schedule", "label_smoothing": "label-smoothing",
	"weight_decay": "weight-decay", "warmup_steps": "warmup-steps", "batch_size": "batch-size", "grad_accum": "grad-accum",
	"max_grad_norm": "max-grad-norm", "loss": "loss", "beta": "beta", "optimizer": "optimizer",
	"objective": "objective", "loss_weights": "loss-weights", "f_divergence_type": "f-divergence", "f_alpha_divergence_coef": "f-alpha-coef",
	"ld_alpha": "ld-alpha", "use_weighting": "use-weighting", "discopop_tau": "discopop-tau", "reference_free": "reference-free",
	"ref_model_sync_steps": "sync-ref-every", "ref_model_mixup_alpha": "ref-mixup-alpha", "desirable_weight": "desirable-weight",
	"undesirable_weight": "undesirable-weight", "simpo_gamma": "simpo-gamma", "cpo_alpha": "cpo-alpha",
	"center_rewards_coefficient": "center-rewards-coef"}

// trainOptions turns the flags into a train job; its reference log-probs
// come from ONNX Runtime, opened only when they are not cached.
func trainOptions(c *cli.Context) (*train.Job, error) {
	if c.Args().Len() > 0 {
		return nil, usagef("unexpected arguments %q (train takes flags only)", c.Args().Slice())
	}
	if err := required(c, "policy", "data", "out"); err != nil {
		return nil, err
	}
	if _, err := os.Stat(c.String("out")); err == nil {
		return nil, usagef("--out %s already exists (dpokit train never overwrites a model directory)", c.String("out"))
	}
	format, pair, err := pairOptions(c)
	if err != nil {
		return nil, err
	}
	if err := nonNegative(c, "max-steps", "warmup-steps", "eval-every", "save-every", "max-shapes"); err != nil {
		return nil, err
	}
	if err := intsIn(c, 1, map[string]int{"epochs": math.MaxInt32, "batch-size": maxBatch, "grad-accum": math.MaxInt32}); err != nil {
		return nil, err
	}
	bt, err := batchTokens(c)
	if err != nil {
		return nil, err
	}
	cfg, err := trainConfig(c)
	if err != nil {
		return nil, err
	}
	lora, err := loraFlags(c)
	if err != nil {
		return nil, err
	}
	ro, err := runtimeOptions(c)
	if err != nil {
		return nil, err
	}
	dev, err := trainDevice(c)
	if err != nil {
		return nil, err
	}
	return &train.Job{
		PolicyDir: c.String("policy"), RefDir: c.String("ref"), Data: c.String("data"), EvalData: c.String("eval-data"),
		Out: c.String("out"), CheckpointDir: c.String("checkpoint-dir"), LogPath: c.String("log"),
		Prep: train.Prep{DataOpts: dataset.Options{Format: format, SkipInvalid: c.Bool("skip-invalid")}, Pair: pair,
			RefCache: refCache(c.String("ref-cache"), c.String("out"))},
		Backend: dev.backend, Precision: dev.precision, LogitChunk: c.Int("logit-chunk"), RefOnDevice: dev.refOnDevice,
		LoRA: lora, ExportAdapter: c.String("export-adapter"),
		Run: train.RunOptions{Config: cfg, Epochs: c.Int("epochs"), MaxSteps: c.Int("max-steps"), Seed: c.Uint64("seed"),
			EvalEvery: c.Int("eval-every"), SaveEvery: c.Int("save-every"), Resume: c.Bool("resume"), MaxShapes: c.Int("max-shapes")},
		Reference: &logprob.Reference{Runtime: func() (*models.Runtime, error) { return models.NewRuntime(ro) },
			BatchTokens: bt, Progress: c.App.ErrWriter},
		Generator: "dpokit train " + version(), Stdout: c.App.Writer, Stderr: c.App.ErrWriter,
	}, nil
}

// trainConfig reads the hyperparameters; a value out of range is a usage
// error naming its flag.
func trainConfig(c *cli.Context) (train.Config, error) {
	beta, err := betaFlag(c)
	if err != nil {
		return train.Config{}, err
	}
	cfg := train.Config{
		Loss: train.Loss(c.String("loss")), Beta: beta, LabelSmoothing: c.Float64("label-smoothing"),
		Optimizer: c.String("optimizer"), LR: c.Float64("lr"), WeightDecay: c.Float64("weight-decay"),
		Schedule: c.String("lr-schedule"), WarmupSteps: c.Int("warmup-steps"),
		BatchSize: c.Int("batch-size"), GradAccum: c.Int("grad-accum"), MaxGradNorm: c.Float64("max-grad-norm"),
	}
	objectives, err := objectiveFlags(c)
	if err != nil {
		return cfg, err
	}
	cfg.Objectives = objectives
	if err := train.CheckConfig(cfg); err != nil {
		var ce *train.ConfigError
		if errors.As(err, &ce) && configFlags[ce.Field] != "" {
			return cfg, usagef("--%s: %v", configFlags[ce.Field], ce.Err)
		}
		return cfg, &UsageError{Err: err}
	}
	return cfg, nil
}

// refCache is the reference log-prob cache: the --ref-cache file, else a
// directory (one file per key) under the user cache dir, else beside the
// output.
func refCache(flag, out string) string {
	if flag != "" {
		return flag
	}
	dir, err := os.UserCacheDir()
	if err == nil {
		dir = filepath.Join(dir, "dpokit", "ref-logps")
	} else {
		dir = filepath.Clean(out) + ".ckpt" + string(filepath.Separator) + "ref-logps"
	}
	if !strings.HasSuffix(dir, string(filepath.Separator)) {
		dir += string(filepath.Separator)
	}
	return dir
}

// trainSetup is where and how train runs: the GoMLX backend, the precision
// and the reference engine.
type trainSetup struct {
	backend     string
	precision   train.Precision
	refOnDevice bool
}

// trainDevice reads --device, --backend, --precision and --ref-engine.
// --device cuda picks GoMLX's XLA backend with the PJRT CUDA plugin found
// (exit status 3 with an install hint when none is) and, by default,
// reference log-probs on it.
func trainDevice(c *cli.Context) (trainSetup, error) {
	var s trainSetup
	var err error
	if s.precision, err = train.ParsePrecision(c.String("precision")); err != nil {
		return s, usagef("--precision %q: want fp32 or bf16", c.String("precision"))
	}
	if c.Int("logit-chunk") < -1 {
		return s, usagef("--logit-chunk %d: want -1, 0 or a positive count", c.Int("logit-chunk"))
	}
	dev, err := device.Parse(c.String("device"))
	if err != nil {
		return s, usagef("--device %q: want cpu or cuda", c.String("device"))
	}
	s.backend = c.String("backend")
	if dev == device.CUDA {
		if s.backend != "" {
			return s, usagef("--backend %q and --device cuda both choose the GoMLX backend: give one", s.backend)
		}
		cs, err := cudaSetup(!c.Bool("tf32"))
		if err != nil {
			return s, err
		}
		s.backend, s.refOnDevice = cs.Backend, true
	}
	switch c.String("ref-engine") {
	case "auto":
	case "onnxruntime":
		s.refOnDevice = false
	case "gomlx":
		s.refOnDevice = true
	default:
		return s, usagef("--ref-engine %q: want auto, onnxruntime or gomlx", c.String("ref-engine"))
	}
	return s, nil
}
