package cli

import (
	"context"
	"errors"
	"log/slog"
	"path/filepath"
	"runtime"

	"github.com/urfave/cli/v2"

	"github.com/dpokit/dpokit/bestofn"
	"github.com/dpokit/dpokit/dataset"
	"github.com/dpokit/dpokit/models"
	"github.com/dpokit/dpokit/results"
	"github.com/dpokit/dpokit/sample"
	"github.com/dpokit/dpokit/score"
)

func samplingFlags(defaultN int) []cli.Flag {
	return append([]cli.Flag{
		&cli.StringFlag{Name: "model", Usage: "model directory to sample from (required)"},
		&cli.StringFlag{Name: "prompts", Usage: "prompts: JSONL/JSON/Parquet with `prompt` (text or messages) or `messages`, optional `id`; " +
			"or the questions of AlpacaEval, Arena-Hard v2 or MT-Bench (detected) (required)"},
		&cli.StringFlag{Name: "out", Usage: "output JSONL, one line per prompt (required)"},
		&cli.IntFlag{Name: "n", Value: defaultN, Usage: "completions per prompt"},
		&cli.IntFlag{Name: "max-new-tokens", Value: 128, Usage: "tokens generated at most"},
		&cli.IntFlag{Name: "min-new-tokens", Usage: "EOS, stop tokens and stop strings are ignored before this many tokens"},
		&cli.Float64Flag{Name: "temperature", Value: 1, Usage: "0 = greedy"},
		&cli.IntFlag{Name: "top-k", Usage: "keep the K most likely tokens (0: off)"},
		&cli.Float64Flag{Name: "top-p", Value: 1, Usage: "nucleus sampling (1: off)"},
		&cli.Float64Flag{Name: "min-p", Usage: "drop tokens less likely than MIN-P × the most likely (0: off)"},
		&cli.Float64Flag{Name: "repetition-penalty", Value: 1, Usage: "Hugging Face repetition penalty (1: off)"},
		&cli.StringSliceFlag{Name: "stop", KeepSpace: true, Usage: "stop string (repeatable; kept as given, spaces, newlines and commas included)"},
		&cli.IntSliceFlag{Name: "stop-token", Usage: "stop token id (repeatable); EOS ids of generation_config.json always stop"},
		&cli.Uint64Flag{Name: "seed", Value: 0, Usage: "random seed: same seed, same output, whatever --batch"},
		&cli.IntFlag{Name: "batch", Value: 16, Usage: "sequences decoded together"},
		&cli.BoolFlag{Name: "resume", Usage: "continue an interrupted run from OUT.partial"},
		&cli.BoolFlag{Name: "skip-invalid", Usage: "skip bad prompt records (reported) instead of stopping"},
		&cli.StringFlag{Name: "ref-model", Usage: "also give each completion's log-prob under this model (ref_logp), on the exact token ids"},
		&cli.StringFlag{Name: "bench", Value: "auto", Usage: "judge harness of a question file: auto (detected from the first record), alpacaeval, arenahard or mtbench"},
		&cli.StringFlag{Name: "answers-out", Usage: "also write the answers to a question file as the harness reads them (AlpacaEval JSON, Arena-Hard or MT-Bench JSONL)"},
		&cli.StringFlag{Name: "model-name", Usage: "generator / model / model_id in --answers-out (default: the --model folder's name)"},
	}, append(shardFlags(), runtimeFlags(runtime.NumCPU())...)...)
}

func sampleCommand() *cli.Command {
	return &cli.Command{
		Name:      "sample",
		Usage:     "generate completions from an ONNX decoder on its KV cache",
		UsageText: "dpokit sample --model DIR --prompts FILE --out FILE.jsonl [--n 1] [--temperature 1] [--max-new-tokens 128]",
		Flags:     samplingFlags(1),
		Action: func(c *cli.Context) error {
			job, ro, err := sampleOptions(c)
			if err != nil {
				return err
			}
			return generate(c.Context, job, &job.Runtime, ro)
		},
		Subcommands: []*cli.Command{sampleMergeCommand()},
	}
}

func sampleMergeCommand() *cli.Command {
	return &cli.Command{
		Name:      "merge",
		Usage:     "join the parts that `sample` or `bestofn` with --shard auto|i/n wrote beside --out",
		UsageText: "dpokit sample merge --out samples.jsonl [--baseline-out best.jsonl] [--answers-out answers.json]",
		Description: "Finds the parts next to each output (OUT-shard-IIIII-of-NNNNN.EXT and their done markers), refuses a\n" +
			"missing part, parts of different runs and parts changed since their shard finished, and writes the files\n" +
			"one unsharded run writes, byte for byte.",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "out", Usage: "merged output JSONL (required); the parts are found beside it"},
			&cli.StringFlag{Name: "baseline-out", Usage: "also merge bestofn's --baseline-out parts into this file"},
			&cli.StringFlag{Name: "answers-out", Usage: "also merge the --answers-out parts into this file"},
		},
		Action: func(c *cli.Context) error {
			if c.Args().Len() > 0 {
				return usagef("unexpected arguments %q (merge finds the parts beside --out)", c.Args().Slice())
			}
			if err := required(c, "out"); err != nil {
				return err
			}
			n, err := sample.MergeParts(c.String("out"), map[string]string{"baseline": c.String("baseline-out"), "answers": c.String("answers-out")})
			if err != nil {
				return err
			}
			slog.Info("merged", "records", n, "out", c.String("out"))
			return nil
		},
	}
}

func bestofnCommand() *cli.Command {
	return &cli.Command{
		Name:      "bestofn",
		Usage:     "draw N completions per prompt (one shared prefill) and rank them",
		UsageText: "dpokit bestofn --model DIR --prompts FILE --n 16 --rank implicit|logprob|rm:DIR --out FILE.jsonl [--policy DIR --ref DIR --beta B] [--baseline-out FILE.jsonl]",
		Flags: append(samplingFlags(16),
			&cli.StringFlag{Name: "rank", Value: "logprob", Usage: "implicit (--policy/--ref), logprob (--policy, or the sampling model) or rm:DIR"},
			&cli.StringFlag{Name: "policy", Usage: "policy model for --rank implicit or logprob"},
			&cli.StringFlag{Name: "ref", Usage: "reference model for --rank implicit"},
			&cli.Float64Flag{Name: "beta", Value: 0.1, Usage: "β of the implicit reward"},
			&cli.StringFlag{Name: "length-norm", Usage: "avg: divide log-probs by the completion's token count"},
			&cli.StringFlag{Name: "baseline-out", Usage: "also write the best completion per prompt in `dpokit sample` format"},
			batchTokensFlag(" of the ranking models"),
		),
		Action: func(c *cli.Context) error {
			job, ro, err := bestofnOptions(c)
			if err != nil {
				return err
			}
			return generate(c.Context, job, &job.Runtime, ro)
		},
	}
}

// generator is a generation job: sample's or bestofn's.
type generator interface {
	Run(ctx context.Context) ([]results.Record, error)
}

// generate runs a generation job on a runtime opened into *rt. An option
// the job finds out of range once it knows the model (a stop token outside
// the vocabulary) is a usage error naming its flag.
func generate(ctx context.Context, g generator, rt **models.Runtime, ro models.RuntimeOptions) error {
	return withRuntime(ro, rt, func() error {
		_, err := g.Run(ctx)
		var oe *sample.OptionError
		if errors.As(err, &oe) {
			return optionUsage(err)
		}
		return err
	})
}

// optionUsage turns a sample.OptionError into a usage error naming the
// flag.
func optionUsage(err error) error {
	var oe *sample.OptionError
	if errors.As(err, &oe) && sampleFlags[oe.Option] != "" {
		return usagef("--%s %v: want %s", sampleFlags[oe.Option], oe.Value, oe.Want)
	}
	return &UsageError{Err: err}
}

// withRuntime opens ONNX Runtime into *rt for the duration of run.
func withRuntime(ro models.RuntimeOptions, rt **models.Runtime, run func() error) error {
	var err error
	if *rt, err = models.NewRuntime(ro); err != nil {
		return err
	}
	return errors.Join(run(), (*rt).Close())
}

// sampleFlags maps sample.Options fields to the flags that set them.
var sampleFlags = map[string]string{
	"MaxNewTokens": "max-new-tokens", "MinNewTokens": "min-new-tokens", "Temperature": "temperature",
	"TopK": "top-k", "TopP": "top-p", "MinP": "min-p", "RepetitionPenalty": "repetition-penalty",
	"StopStrings": "stop", "StopTokens": "stop-token", "N": "n", "Batch": "batch", "Seed": "seed",
}

// sampleOptions turns the flags into a sample job (without its runtime).
func sampleOptions(c *cli.Context) (*sample.Job, models.RuntimeOptions, error) {
	var ro models.RuntimeOptions
	if c.Args().Len() > 0 {
		return nil, ro, usagef("unexpected arguments %q", c.Args().Slice())
	}
	if err := required(c, "model", "prompts", "out"); err != nil {
		return nil, ro, err
	}
	opts := sample.Options{
		MaxNewTokens: c.Int("max-new-tokens"), MinNewTokens: c.Int("min-new-tokens"),
		Temperature: c.Float64("temperature"), TopK: c.Int("top-k"), TopP: c.Float64("top-p"), MinP: c.Float64("min-p"),
		RepetitionPenalty: c.Float64("repetition-penalty"), StopStrings: c.StringSlice("stop"), StopTokens: c.IntSlice("stop-token"),
		N: c.Int("n"), Seed: c.Uint64("seed"), Batch: c.Int("batch"),
	}
	if err := intsIn(c, 1, map[string]int{"n": maxN, "batch": maxBatch, "max-new-tokens": maxTokens}); err != nil {
		return nil, ro, err
	}
	if err := opts.Validate(); err != nil {
		return nil, ro, optionUsage(err)
	}
	ro, err := runtimeOptions(c)
	if err != nil {
		return nil, ro, err
	}
	shard, err := shardOption(c)
	if err != nil {
		return nil, ro, err
	}
	bench, err := benchOption(c)
	if err != nil {
		return nil, ro, err
	}
	name := c.String("model-name")
	if name == "" {
		name = filepath.Base(filepath.Clean(c.String("model")))
	}
	return &sample.Job{
		Model: c.String("model"), Prompts: c.String("prompts"), SkipInvalid: c.Bool("skip-invalid"), Options: opts,
		RefModel: c.String("ref-model"), Out: c.String("out"), Resume: c.Bool("resume"), Stderr: c.App.ErrWriter,
		Shard: shard, Bench: bench, AnswersOut: c.String("answers-out"), ModelName: name,
	}, ro, nil
}

// benchOption reads --bench.
func benchOption(c *cli.Context) (dataset.Benchmark, error) {
	switch b := dataset.Benchmark(c.String("bench")); b {
	case "auto":
		return "", nil
	case dataset.AlpacaEval, dataset.ArenaHard, dataset.MTBench:
		return b, nil
	}
	return "", usagef("--bench %q: want auto, alpacaeval, arenahard or mtbench", c.String("bench"))
}

// bestofnOptions turns the flags into a best-of-N job.
func bestofnOptions(c *cli.Context) (*bestofn.Job, models.RuntimeOptions, error) {
	sj, ro, err := sampleOptions(c)
	if err != nil {
		return nil, ro, err
	}
	kind, _, err := score.ParseJudge(c.String("rank"))
	if err != nil {
		return nil, ro, usagef("--rank: %v", err)
	}
	if kind == "implicit" && (c.String("policy") == "" || c.String("ref") == "") {
		return nil, ro, usagef("--rank implicit needs --policy and --ref")
	}
	rw, err := rewarding(c)
	if err != nil {
		return nil, ro, err
	}
	bt, err := batchTokens(c)
	if err != nil {
		return nil, ro, err
	}
	return &bestofn.Job{Job: *sj, Rank: c.String("rank"), Policy: c.String("policy"), Ref: c.String("ref"),
		Rewarding: rw, BatchTokens: bt, BaselineOut: c.String("baseline-out")}, ro, nil
}
