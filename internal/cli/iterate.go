package cli

import (
	"fmt"
	"runtime"

	"github.com/urfave/cli/v2"

	"github.com/dpokit/dpokit/iterate"
	"github.com/dpokit/dpokit/logprob"
	"github.com/dpokit/dpokit/models"
	"github.com/dpokit/dpokit/sample"
	"github.com/dpokit/dpokit/score"
	"github.com/dpokit/dpokit/tokenize"
	"github.com/dpokit/dpokit/train"
)

func iterateCommand() *cli.Command {
	return &cli.Command{
		Name:  "iterate",
		Usage: "iterative on-policy DPO: each round samples from the current policy, judges, builds best-vs-worst pairs and trains against the fixed reference",
		UsageText: "dpokit iterate --policy DIR --prompts FILE --judge rm:DIR|implicit|logprob --rounds K --n N --out DIR [--ref DIR]\n" +
			"   OUT/round-k/ keeps each round's samples, pairs, model, evaluation samples and summary; a rerun resumes\n" +
			"   With --shard auto|i/n a run is one task of an array that samples the next round; the run without --shard\n" +
			"   merges the parts (finishing any shard that did not), then judges, trains and evaluates",
		Flags: append([]cli.Flag{
			&cli.StringFlag{Name: "policy", Usage: "starting policy model directory (required)"},
			&cli.StringFlag{Name: "ref", Usage: "fixed reference model directory (default: the starting policy)"},
			&cli.StringFlag{Name: "prompts", Usage: "prompts file, as for dpokit sample (required)"},
			&cli.StringFlag{Name: "out", Usage: "output directory (required; rerun to resume)"},
			&cli.StringFlag{Name: "judge", Usage: "rm:DIR (a reward model), implicit (--judge-policy against --judge-ref) or logprob (required)"},
			&cli.StringFlag{Name: "judge-policy", Usage: "policy model of an implicit or logprob judge"},
			&cli.StringFlag{Name: "judge-ref", Usage: "reference model of an implicit judge"},
			&cli.Float64Flag{Name: "judge-beta", Value: 0.1, Usage: "β of an implicit judge"},
			&cli.IntFlag{Name: "rounds", Value: 3, Usage: "rounds of sample → judge → pairs → train"},
			&cli.IntFlag{Name: "n", Value: 4, Usage: "completions per prompt and round (at least 2)"},
			&cli.Float64Flag{Name: "min-margin", Usage: "drop a prompt whose best and worst judge scores differ by less"},
			&cli.IntFlag{Name: "max-new-tokens", Value: 128, Usage: "tokens generated at most"},
			&cli.Float64Flag{Name: "temperature", Value: 1, Usage: "sampling temperature"},
			&cli.Float64Flag{Name: "top-p", Value: 1, Usage: "nucleus sampling (1: off)"},
			&cli.IntFlag{Name: "top-k", Usage: "keep the K most likely tokens (0: off)"},
			&cli.Uint64Flag{Name: "seed", Usage: "sampling seed (advanced each round)"},
			&cli.Uint64Flag{Name: "eval-seed", Value: 7, Usage: "seed of the one evaluation sample per prompt, the same every round"},
			&cli.IntFlag{Name: "batch", Value: 16, Usage: "sequences decoded together"},
			&cli.Float64Flag{Name: "beta", Value: 0.1, Usage: "β of DPO"},
			&cli.Float64Flag{Name: "lr", Value: 1e-6, Usage: "peak learning rate of each round's training"},
			&cli.IntFlag{Name: "epochs", Value: 1, Usage: "passes over each round's pairs"},
			&cli.IntFlag{Name: "batch-size", Value: 8, Usage: "pairs per optimizer step"},
			&cli.IntFlag{Name: "max-length", Value: 1024, Usage: "truncate prompt+response to this many tokens (0: no limit)"},
			&cli.IntFlag{Name: "max-prompt-length", Value: 512, Usage: "keep the last N prompt tokens (0: no limit)"},
			&cli.Uint64Flag{Name: "train-seed", Value: 42, Usage: "seed of the data order"},
			&cli.StringFlag{Name: "backend", Usage: "GoMLX backend (pure Go by default)", EnvVars: []string{"GOMLX_BACKEND"}},
		}, append(shardFlags(), runtimeFlags(runtime.NumCPU())...)...),
		Action: func(c *cli.Context) error {
			job, ro, err := iterateOptions(c)
			if err != nil {
				return err
			}
			return withRuntime(ro, &job.Runtime, func() error {
				job.Train.Reference.(*logprob.Reference).Open = job.Runtime
				sum, err := job.Run(c.Context)
				if sum != nil {
					for _, r := range sum.Rounds {
						fmt.Fprintf(c.App.ErrWriter, "round %d: pairs %d, mean reward %.4f ± %.4f, win rate vs round 0 %.3f ± %.3f\n",
							r.Round, r.Pairs, r.MeanReward, r.RewardSE, r.WinRate, r.WinRateSE)
					}
				}
				return err
			})
		},
	}
}

// iterateOptions turns the flags into an iterate job (without its runtime).
func iterateOptions(c *cli.Context) (*iterate.Job, models.RuntimeOptions, error) {
	var ro models.RuntimeOptions
	if c.Args().Len() > 0 {
		return nil, ro, usagef("unexpected arguments %q", c.Args().Slice())
	}
	if err := required(c, "policy", "prompts", "out", "judge"); err != nil {
		return nil, ro, err
	}
	kind, _, err := score.ParseJudge(c.String("judge"))
	if err != nil {
		return nil, ro, usagef("--judge: %v", err)
	}
	if kind != "rm" && c.String("judge-policy") == "" || kind == "implicit" && c.String("judge-ref") == "" {
		return nil, ro, usagef("--judge %s needs --judge-policy (and --judge-ref for implicit)", kind)
	}
	if c.Int("rounds") < 1 {
		return nil, ro, usagef("--rounds %d: must be at least 1", c.Int("rounds"))
	}
	if c.Int("n") < 2 {
		return nil, ro, usagef("--n %d: best-against-worst pairs need at least 2 completions", c.Int("n"))
	}
	opts := sample.Options{MaxNewTokens: c.Int("max-new-tokens"), Temperature: c.Float64("temperature"), TopP: c.Float64("top-p"),
		TopK: c.Int("top-k"), N: c.Int("n"), Seed: c.Uint64("seed"), Batch: c.Int("batch"), RepetitionPenalty: 1}
	if err := opts.Validate(); err != nil {
		return nil, ro, &UsageError{Err: err}
	}
	judgeBeta := c.Float64("judge-beta")
	if !(judgeBeta > 0) || judgeBeta > 1e6 {
		return nil, ro, usagef("--judge-beta %v: want a positive, finite value", judgeBeta)
	}
	cfg, err := iterateTrainConfig(c)
	if err != nil {
		return nil, ro, err
	}
	if ro, err = runtimeOptions(c); err != nil {
		return nil, ro, err
	}
	shard, err := shardOption(c)
	if err != nil {
		return nil, ro, err
	}
	pair := tokenize.PairOptions{MaxLength: c.Int("max-length"), MaxPromptLength: c.Int("max-prompt-length")}
	return &iterate.Job{
		Policy: c.String("policy"), Ref: c.String("ref"), Prompts: c.String("prompts"),
		Judge: c.String("judge"), JudgePolicy: c.String("judge-policy"), JudgeRef: c.String("judge-ref"),
		Rewarding: score.Rewarding{Beta: judgeBeta}, Rounds: c.Int("rounds"), MinMargin: c.Float64("min-margin"),
		Sample: opts, EvalSeed: c.Uint64("eval-seed"), Out: c.String("out"), Stderr: c.App.ErrWriter, Shard: shard,
		Train: train.Job{
			Prep:      train.Prep{Pair: pair, RefCache: refCache("", c.String("out"))},
			Backend:   c.String("backend"),
			Run:       train.RunOptions{Config: cfg, Epochs: c.Int("epochs"), Seed: c.Uint64("train-seed")},
			Reference: &logprob.Reference{BatchTokens: logprob.DefaultBatchTokens, Progress: c.App.ErrWriter},
			Generator: "dpokit iterate " + version(), Stderr: c.App.ErrWriter,
		},
	}, ro, nil
}

func iterateTrainConfig(c *cli.Context) (train.Config, error) {
	cfg := train.Config{Beta: c.Float64("beta"), LR: c.Float64("lr"), BatchSize: c.Int("batch-size"), GradAccum: 1, MaxGradNorm: 1}
	if !(cfg.Beta > 0) || cfg.Beta > 1e6 {
		return cfg, usagef("--beta %v: want a positive, finite value", cfg.Beta)
	}
	if c.Int("epochs") < 1 || c.Int("batch-size") < 1 {
		return cfg, usagef("--epochs and --batch-size must be at least 1")
	}
	if err := train.CheckConfig(cfg); err != nil {
		return cfg, &UsageError{Err: fmt.Errorf("training: %w", err)}
	}
	return cfg, nil
}
