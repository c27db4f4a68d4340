package cli

import (
	"log/slog"
	"slices"

	"github.com/urfave/cli/v2"

	"github.com/dpokit/dpokit/dataset"
	"github.com/dpokit/dpokit/models"
	"github.com/dpokit/dpokit/results"
	"github.com/dpokit/dpokit/score"
	"github.com/dpokit/dpokit/tokenize"
)

func scoreCommand() *cli.Command {
	return &cli.Command{
		Name:      "score",
		Usage:     "score a preference dataset with DPO implicit rewards β·(log π(y|x) − log π_ref(y|x))",
		UsageText: "dpokit score --policy DIR --ref DIR --data FILE [--beta 0.1] [--out pairs.jsonl] [--summary summary.json]",
		Flags: append([]cli.Flag{
			&cli.StringFlag{Name: "policy", Usage: "policy model directory (required)"},
			&cli.StringFlag{Name: "ref", Usage: "reference model directory (not needed with --ref-free)"},
			&cli.StringFlag{Name: "data", Usage: "preference pairs: .jsonl, .jsonl.gz, .json (array) or .parquet (required)"},
			&cli.StringFlag{Name: "format", Value: "auto", Usage: "auto, explicit, implicit (Anthropic HH), conversational, or rewardbench2 (RewardBench 2 rows: every completion scored, subset scores in the summary)"},
			&cli.Float64Flag{Name: "beta", Value: 0.1, Usage: "β of the implicit reward"},
			&cli.BoolFlag{Name: "ref-free", Usage: "reference-free: take the reference log-probs as 0"},
			&cli.StringFlag{Name: "ref-free-norm", Usage: "with --ref-free, RewardBench v1's reduction of the per-token log-probs: sum (default), avg or norm (−‖·‖₂)"},
			&cli.StringFlag{Name: "length-norm", Usage: "avg: divide log-probs by the response's token count"},
			&cli.IntFlag{Name: "max-length", Usage: "truncate prompt+response to this many tokens (0: no limit)"},
			&cli.IntFlag{Name: "max-prompt-length", Usage: "keep the last N prompt tokens (0: no limit)"},
			&cli.BoolFlag{Name: "no-eos", Usage: "do not append the EOS token to responses"},
			batchTokensFlag(""),
			&cli.BoolFlag{Name: "no-prefix-sharing", Usage: "run prompt+response as full sequences instead of sharing the prompt's KV cache"},
			&cli.StringFlag{Name: "out", Usage: "per-pair results (JSONL); default stdout (with --json: not written)"},
			&cli.StringFlag{Name: "summary", Usage: "summary JSON file"},
			&cli.BoolFlag{Name: "resume", Usage: "continue an interrupted run from OUT.partial"},
			&cli.BoolFlag{Name: "skip-invalid", Usage: "skip bad records (listed in the summary) instead of stopping"},
			&cli.BoolFlag{Name: "json", Usage: "print the summary as JSON on stdout instead of a table"},
		}, append(shardFlags(), runtimeFlags()...)...),
		Action: runScore,
		Subcommands: []*cli.Command{
			mergeCommand(),
			winrateCommand(),
		},
	}
}

func runScore(c *cli.Context) error {
	job, ro, err := scoreOptions(c)
	if err != nil {
		return err
	}
	if job.Runtime, err = models.NewRuntime(ro); err != nil {
		return err
	}
	defer job.Runtime.Close()
	sum, err := job.Run(c.Context)
	if err != nil {
		return err
	}
	return printSummary(c, sum)
}

// scoreOptions turns the flags into a score job (without its runtime).
func scoreOptions(c *cli.Context) (*score.Job, models.RuntimeOptions, error) {
	var ro models.RuntimeOptions
	if c.Args().Len() > 0 {
		return nil, ro, usagef("unexpected arguments %q (score takes flags only)", c.Args().Slice())
	}
	if err := required(c, "policy", "data"); err != nil {
		return nil, ro, err
	}
	shard, err := shardOption(c)
	if err != nil {
		return nil, ro, err
	}
	if shard.N > 0 && c.String("out") == "" {
		return nil, ro, usagef("--shard needs --out: each shard writes its part beside it")
	}
	if !c.Bool("ref-free") && c.String("ref") == "" {
		return nil, ro, usagef("--ref is required (or --ref-free)")
	}
	if c.Bool("resume") && c.String("out") == "" {
		return nil, ro, usagef("--resume needs --out: the results of an interrupted run are kept beside the output file")
	}
	rw, err := rewarding(c)
	if err != nil {
		return nil, ro, err
	}
	format, pair, err := pairOptions(c, dataset.RewardBench2)
	if err != nil {
		return nil, ro, err
	}
	bt, err := batchTokens(c)
	if err != nil {
		return nil, ro, err
	}
	if ro, err = runtimeOptions(c); err != nil {
		return nil, ro, err
	}
	job := &score.Job{
		PolicyDir: c.String("policy"), RefDir: c.String("ref"), Data: c.String("data"),
		DataOpts: dataset.Options{Format: format, SkipInvalid: c.Bool("skip-invalid")},
		Options:  score.Options{Rewarding: rw, BatchTokens: bt, NoPrefixSharing: c.Bool("no-prefix-sharing")},
		Pair:     pair, Out: c.String("out"), Summary: c.String("summary"),
		Stdout: c.App.Writer, Stderr: c.App.ErrWriter, Resume: c.Bool("resume"), Shard: shard,
	}
	if c.Bool("json") && job.Out == "" {
		job.Stdout = nil // stdout carries the summary
		slog.Info("per-pair results are not written: --json prints the summary on stdout; give --out to keep them")
	}
	return job, ro, nil
}

// rewarding reads --beta, --ref-free (when defined) and --length-norm.
func rewarding(c *cli.Context) (score.Rewarding, error) {
	beta, err := betaFlag(c)
	if err != nil {
		return score.Rewarding{}, err
	}
	ln := c.String("length-norm")
	if ln != "" && ln != "avg" {
		return score.Rewarding{}, usagef("--length-norm %q: want avg", ln)
	}
	rw := score.Rewarding{Beta: beta, RefFree: c.Bool("ref-free"), LengthNorm: ln, RefFreeNorm: c.String("ref-free-norm")}
	switch {
	case rw.RefFreeNorm != "" && rw.RefFreeNorm != "sum" && rw.RefFreeNorm != "avg" && rw.RefFreeNorm != "norm":
		return rw, usagef("--ref-free-norm %q: want sum, avg or norm", rw.RefFreeNorm)
	case rw.RefFreeNorm != "" && !rw.RefFree:
		return rw, usagef("--ref-free-norm needs --ref-free")
	case rw.RefFreeNorm != "" && ln != "":
		return rw, usagef("--ref-free-norm and --length-norm: give one")
	}
	return rw, nil
}

// pairOptions reads --format (a pair format, or one of more), --max-length,
// --max-prompt-length and --no-eos.
func pairOptions(c *cli.Context, more ...dataset.Format) (dataset.Format, tokenize.PairOptions, error) {
	var p tokenize.PairOptions
	f, err := dataset.ParseFormat(c.String("format"))
	if i := slices.Index(more, dataset.Format(c.String("format"))); i >= 0 {
		f, err = more[i], nil
	}
	if err != nil {
		return "", p, usagef("--format: %v", err)
	}
	if c.Int("max-length") == 1 {
		return "", p, usagef("--max-length 1 leaves no room for a prompt token and a response token: want 0 (no limit) or at least 2")
	}
	for _, f := range []string{"max-length", "max-prompt-length"} {
		if err := intIn(c, f, 0, maxTokens); err != nil {
			return "", p, err
		}
	}
	p = tokenize.PairOptions{MaxLength: c.Int("max-length"), MaxPromptLength: c.Int("max-prompt-length"), NoEOS: c.Bool("no-eos")}
	return f, p, nil
}

// printSummary prints the table, or with --json the JSON, on stdout (the
// table on stderr when the per-pair results went to stdout).
func printSummary(c *cli.Context, sum results.Report) error {
	if c.Bool("json") {
		return results.EncodeSummary(c.App.Writer, sum)
	}
	w := c.App.Writer
	if c.String("out") == "" {
		w = c.App.ErrWriter
	}
	return sum.Table(w)
}

func mergeCommand() *cli.Command {
	return &cli.Command{
		Name:  "merge",
		Usage: "join the parts that `score --shard auto|i/n` wrote beside --out",
		UsageText: "dpokit score merge --out pairs.jsonl [--summary summary.json]\n" +
			"dpokit score merge --out pairs.jsonl [--summary summary.json] SHARD_SUMMARY.json...",
		Description: "Without arguments, merge finds the parts next to --out (OUT-shard-IIIII-of-NNNNN.EXT and their done markers),\n" +
			"refuses a missing part, parts of different runs and parts changed since their shard finished, and writes\n" +
			"the per-pair file one unsharded run writes, byte for byte. With arguments, it joins the shards whose\n" +
			"summary files are given.",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "out", Usage: "merged per-pair JSONL (required); the parts are found beside it"},
			&cli.StringFlag{Name: "summary", Usage: "merged summary JSON"},
			&cli.BoolFlag{Name: "json", Usage: "print the summary as JSON instead of a table"},
		},
		Action: func(c *cli.Context) error {
			if err := required(c, "out"); err != nil {
				return err
			}
			var sum results.Report
			var err error
			if c.Args().Len() == 0 {
				sum, err = score.MergeParts(c.String("out"), c.String("summary"))
			} else {
				sum, err = score.Merge(c.Args().Slice(), c.String("out"), c.String("summary"))
			}
			if err != nil {
				return err
			}
			return printSummary(c, sum)
		},
	}
}

// required reports the first of the flags that is empty.
func required(c *cli.Context, flags ...string) error {
	for _, f := range flags {
		if c.String(f) == "" {
			return usagef("--%s is required", f)
		}
	}
	return nil
}

// nonNegative reports the first of the int flags that is negative.
func nonNegative(c *cli.Context, flags ...string) error {
	for _, f := range flags {
		if c.Int(f) < 0 {
			return usagef("--%s %d: must not be negative", f, c.Int(f))
		}
	}
	return nil
}
