package cli

import (
	"log/slog"

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
			&cli.StringFlag{Name: "format", Value: "auto", Usage: "auto, explicit, implicit (Anthropic HH) or conversational"},
			&cli.Float64Flag{Name: "beta", Value: 0.1, Usage: "β of the implicit reward"},
			&cli.BoolFlag{Name: "ref-free", Usage: "reference-free: take the reference log-probs as 0"},
			&cli.StringFlag{Name: "length-norm", Usage: "avg: divide log-probs by the response's token count"},
			&cli.IntFlag{Name: "max-length", Usage: "truncate prompt+response to this many tokens (0: no limit)"},
			&cli.IntFlag{Name: "max-prompt-length", Usage: "keep the last N prompt tokens (0: no limit)"},
			&cli.BoolFlag{Name: "no-eos", Usage: "do not append the EOS token to responses"},
			batchTokensFlag(""),
			&cli.BoolFlag{Name: "no-prefix-sharing", Usage: "run prompt+response as full sequences instead of sharing the prompt's KV cache"},
			&cli.StringFlag{Name: "out", Usage: "per-pair results (JSONL); default stdout (with --json: not written)"},
			&cli.StringFlag{Name: "summary", Usage: "summary JSON file"},
			&cli.BoolFlag{Name: "resume", Usage: "continue an interrupted run from OUT.partial"},
			&cli.StringFlag{Name: "shard", Usage: "i/n: score only the i-th (0-based) of n contiguous blocks"},
			&cli.BoolFlag{Name: "skip-invalid", Usage: "skip bad records (listed in the summary) instead of stopping"},
			&cli.BoolFlag{Name: "json", Usage: "print the summary as JSON on stdout instead of a table"},
		}, runtimeFlags()...),
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
	shard, err := results.ParseShard(c.String("shard"))
	if err != nil {
		return nil, ro, usagef("--%v", err)
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
	format, pair, err := pairOptions(c)
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
	return score.Rewarding{Beta: beta, RefFree: c.Bool("ref-free"), LengthNorm: ln}, nil
}

// pairOptions reads --format, --max-length, --max-prompt-length and --no-eos.
func pairOptions(c *cli.Context) (dataset.Format, tokenize.PairOptions, error) {
	var p tokenize.PairOptions
	f, err := dataset.ParseFormat(c.String("format"))
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
func printSummary(c *cli.Context, sum *results.Summary) error {
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
		Name:      "merge",
		Usage:     "merge the outputs of `score --shard i/n` runs into one",
		UsageText: "dpokit score merge --out pairs.jsonl --summary summary.json SHARD_SUMMARY.json...",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "out", Usage: "merged per-pair JSONL (required)"},
			&cli.StringFlag{Name: "summary", Usage: "merged summary JSON"},
			&cli.BoolFlag{Name: "json", Usage: "print the summary as JSON instead of a table"},
		},
		Action: func(c *cli.Context) error {
			if err := required(c, "out"); err != nil {
				return err
			}
			if c.Args().Len() == 0 {
				return usagef("give the shard summary files")
			}
			sum, err := score.Merge(c.Args().Slice(), c.String("out"), c.String("summary"))
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
