package cli

import (
	"encoding/json"
	"fmt"

	"github.com/urfave/cli/v2"

	"github.com/dpokit/dpokit/dataset"
	"github.com/dpokit/dpokit/score"
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
			&cli.IntFlag{Name: "batch-tokens", Value: score.DefaultBatchTokens, Usage: "padded tokens per forward pass"},
			&cli.BoolFlag{Name: "no-prefix-sharing", Usage: "run prompt+response as full sequences instead of sharing the prompt's KV cache"},
			&cli.StringFlag{Name: "out", Usage: "per-pair results (JSONL); default stdout"},
			&cli.StringFlag{Name: "summary", Usage: "summary JSON file"},
			&cli.BoolFlag{Name: "resume", Usage: "continue an interrupted run from OUT.partial"},
			&cli.StringFlag{Name: "shard", Usage: "i/n: score only the i-th (0-based) of n contiguous blocks"},
			&cli.BoolFlag{Name: "skip-invalid", Usage: "skip bad records (listed in the summary) instead of stopping"},
			&cli.BoolFlag{Name: "json", Usage: "print the summary as JSON instead of a table"},
		}, runtimeFlags()...),
		Action: runScore,
		Subcommands: []*cli.Command{
			mergeCommand(),
			winrateCommand(),
		},
	}
}

func runScore(c *cli.Context) error {
	if c.Args().Len() > 0 {
		return usagef("unexpected arguments %q (score takes flags only)", c.Args().Slice())
	}
	for _, f := range []string{"policy", "data"} {
		if c.String(f) == "" {
			return usagef("--%s is required", f)
		}
	}
	shard, err := score.ParseShard(c.String("shard"))
	if err != nil {
		return usagef("--%v", err)
	}
	switch c.String("format") {
	case "auto", "explicit", "implicit", "conversational":
	default:
		return usagef("--format %q: want auto, explicit, implicit or conversational", c.String("format"))
	}
	if ln := c.String("length-norm"); ln != "" && ln != "avg" {
		return usagef("--length-norm %q: want avg", ln)
	}
	if c.Float64("beta") <= 0 {
		return usagef("--beta must be positive")
	}
	if !c.Bool("ref-free") && c.String("ref") == "" {
		return usagef("--ref is required (or --ref-free)")
	}
	for _, f := range []string{"max-length", "max-prompt-length", "batch-tokens"} {
		if c.Int(f) < 0 {
			return usagef("--%s must not be negative", f)
		}
	}
	rt, err := openRuntime(c)
	if err != nil {
		return err
	}
	defer rt.Close()
	ctx, stop := signalContext()
	defer stop()
	job := &score.Job{
		Runtime:   rt,
		PolicyDir: c.String("policy"),
		RefDir:    c.String("ref"),
		Data:      c.String("data"),
		DataOpts:  dataset.Options{Format: dataset.Format(c.String("format")), SkipInvalid: c.Bool("skip-invalid")},
		Options: score.Options{
			Rewarding:       score.Rewarding{Beta: c.Float64("beta"), RefFree: c.Bool("ref-free"), LengthNorm: c.String("length-norm")},
			BatchTokens:     c.Int("batch-tokens"),
			NoPrefixSharing: c.Bool("no-prefix-sharing"),
		},
		Tokenization: score.Tokenization{MaxLength: c.Int("max-length"), MaxPromptLength: c.Int("max-prompt-length"), NoEOS: c.Bool("no-eos")},
		Out:          c.String("out"),
		Summary:      c.String("summary"),
		Stdout:       c.App.Writer,
		Stderr:       c.App.ErrWriter,
		Resume:       c.Bool("resume"),
		Shard:        shard,
	}
	sum, err := job.Run(ctx)
	if err != nil {
		return err
	}
	return printSummary(c, sum)
}

// printSummary prints the table (to stderr when pairs went to stdout) or JSON.
func printSummary(c *cli.Context, sum *score.Summary) error {
	w := c.App.Writer
	if c.String("out") == "" {
		w = c.App.ErrWriter
	}
	if c.Bool("json") {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(sum)
	}
	sum.Table(w)
	for _, s := range sum.SkippedRecords {
		fmt.Fprintf(c.App.ErrWriter, "skipped line %d (id %s): %s\n", s.Line, s.ID, s.Reason)
	}
	return nil
}

func mergeCommand() *cli.Command {
	return &cli.Command{
		Name:      "merge",
		Usage:     "merge the outputs of `score --shard i/n` runs into one",
		UsageText: "dpokit score merge --out pairs.jsonl --summary summary.json SHARD_SUMMARY.json...",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "out", Usage: "merged per-pair JSONL", Required: true},
			&cli.StringFlag{Name: "summary", Usage: "merged summary JSON"},
			&cli.BoolFlag{Name: "json", Usage: "print the summary as JSON instead of a table"},
		},
		Action: func(c *cli.Context) error {
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
