package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"

	"github.com/urfave/cli/v2"

	"github.com/dpokit/dpokit/internal/fsutil"
	"github.com/dpokit/dpokit/models"
	"github.com/dpokit/dpokit/results"
	"github.com/dpokit/dpokit/score"
)

func winrateCommand() *cli.Command {
	return &cli.Command{
		Name:      "winrate",
		Usage:     "win rate of candidate outputs against baseline outputs, prompt by prompt, judged by a reward",
		UsageText: "dpokit score winrate --candidates A.jsonl --baseline B.jsonl --judge implicit|logprob|rm:DIR [--policy DIR --ref DIR] [--out result.json]",
		Flags: append([]cli.Flag{
			&cli.StringFlag{Name: "candidates", Usage: "sample/bestofn output to evaluate (required)"},
			&cli.StringFlag{Name: "baseline", Usage: "sample/bestofn output to compare against (required)"},
			&cli.StringFlag{Name: "judge", Usage: "implicit (--policy/--ref), logprob (--policy) or rm:DIR (required)"},
			&cli.StringFlag{Name: "policy", Usage: "policy model for the implicit or logprob judge"},
			&cli.StringFlag{Name: "ref", Usage: "reference model for the implicit judge"},
			&cli.Float64Flag{Name: "beta", Value: 0.1, Usage: "β of the implicit reward"},
			&cli.StringFlag{Name: "length-norm", Usage: "avg: length-normalised log-probs"},
			&cli.BoolFlag{Name: "length-controlled", Usage: "add a length-controlled win rate (AlpacaEval 2 style logistic fit)"},
			&cli.StringFlag{Name: "out", Usage: "result JSON file (also printed)"},
			batchTokensFlag(""),
		}, runtimeFlags()...),
		Action: runWinrate,
	}
}

// winrateJob is one `score winrate` run.
type winrateJob struct {
	Judge                score.JudgeSpec
	Candidates, Baseline string
	LengthControlled     bool
	Out                  string
	Runtime              models.RuntimeOptions
}

func winrateOptions(c *cli.Context) (*winrateJob, error) {
	if c.Args().Len() > 0 {
		return nil, usagef("unexpected arguments %q", c.Args().Slice())
	}
	if err := required(c, "candidates", "baseline", "judge"); err != nil {
		return nil, err
	}
	kind, _, err := score.ParseJudge(c.String("judge"))
	if err != nil {
		return nil, usagef("--judge: %v", err)
	}
	if kind != "rm" && c.String("policy") == "" {
		return nil, usagef("--judge %s needs --policy", kind)
	}
	if kind == "implicit" && c.String("ref") == "" {
		return nil, usagef("--judge implicit needs --policy and --ref")
	}
	rw, err := rewarding(c)
	if err != nil {
		return nil, err
	}
	bt, err := batchTokens(c)
	if err != nil {
		return nil, err
	}
	ro, err := runtimeOptions(c)
	if err != nil {
		return nil, err
	}
	return &winrateJob{
		Judge:      score.JudgeSpec{Kind: c.String("judge"), Policy: c.String("policy"), Ref: c.String("ref"), Rewarding: rw, BatchTokens: bt},
		Candidates: c.String("candidates"), Baseline: c.String("baseline"), LengthControlled: c.Bool("length-controlled"),
		Out: c.String("out"), Runtime: ro,
	}, nil
}

func runWinrate(c *cli.Context) error {
	j, err := winrateOptions(c)
	if err != nil {
		return err
	}
	ins := []fsutil.Path{{Flag: "--candidates", Path: j.Candidates}, {Flag: "--baseline", Path: j.Baseline}}
	outs := []fsutil.Path{{Flag: "--out", Path: j.Out}}
	if err := errors.Join(fsutil.CheckAliases(ins, outs), fsutil.CheckWritable(outs...)); err != nil {
		return err
	}
	var rt *models.Runtime
	var w *results.WinRate
	err = withRuntime(j.Runtime, &rt, func() error {
		w, err = compare(c.Context, rt, j)
		return err
	})
	if err != nil {
		return err
	}
	if j.Out != "" {
		if err := fsutil.WriteFile(j.Out, func(wr io.Writer) error { return results.EncodeSummary(wr, w) }); err != nil {
			return err
		}
	}
	return printWinRate(c.App.Writer, w)
}

func compare(ctx context.Context, rt *models.Runtime, j *winrateJob) (*results.WinRate, error) {
	judge, err := score.OpenJudge(rt, j.Judge)
	if err != nil {
		return nil, err
	}
	w, err := score.CompareFiles(ctx, judge, j.Candidates, j.Baseline, j.LengthControlled)
	return w, errors.Join(err, judge.Close())
}

func printWinRate(out io.Writer, w *results.WinRate) error {
	_, err := fmt.Fprintf(out, "win rate %.4f ± %.4f (95%% CI %.4f–%.4f), n %d: %d wins, %d losses, %d ties\n",
		w.WinRate, w.StandardError, w.CI95[0], w.CI95[1], w.N, w.Wins, w.Losses, w.Ties)
	if err == nil && w.LengthControlled != nil {
		_, err = fmt.Fprintf(out, "length-controlled win rate %.4f (length coefficient %s)\n", *w.LengthControlled, strconv.FormatFloat(*w.LengthCoefficient, 'f', 3, 64))
	}
	if err == nil {
		_, err = fmt.Fprintf(out, "mean tokens: candidates %.1f, baseline %.1f\n", w.MeanCandidateLen, w.MeanBaselineLen)
	}
	return err
}
