package cli

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/dpokit/dpokit/report"
)

func reportCommand() *cli.Command {
	return &cli.Command{
		Name:  "report",
		Usage: "render score summaries, win rates and experiment results as a static HTML page",
		UsageText: "dpokit report [--out DIR] [--title TEXT] FILE...\n\n" +
			"FILE is a score summary (its per-pair results are read from the summary's \"out\",\n" +
			"or give the per-pair JSONL right after it), a per-pair JSONL alone, a `score winrate`\n" +
			"result, or experiment results. Each makes a section of DIR/index.html, which needs\n" +
			"nothing but a browser: no scripts, fonts or network.",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "out", Usage: "directory to write index.html into (replaced atomically); default FILE's name without its extension, plus -report, beside the first FILE"},
			&cli.StringFlag{Name: "title", Value: "dpokit report", Usage: "page title"},
		},
		Action: func(c *cli.Context) error {
			opts := reportOptions{Out: c.String("out"), Title: c.String("title"), Inputs: c.Args().Slice()}
			if len(opts.Inputs) == 0 {
				return usagef("give the files to report on")
			}
			if opts.Out == "" {
				first := opts.Inputs[0]
				opts.Out = strings.TrimSuffix(first, filepath.Ext(first)) + "-report"
			}
			dir, err := runReport(opts)
			if err != nil {
				return err
			}
			fmt.Fprintln(c.App.Writer, filepath.Join(dir, "index.html"))
			return nil
		},
	}
}

type reportOptions struct {
	Out, Title string
	Inputs     []string
}

func runReport(o reportOptions) (string, error) {
	page, err := report.Load(o.Title, o.Inputs...)
	if err != nil {
		return "", err
	}
	if err := report.Write(o.Out, page, "dpokit "+version()); err != nil {
		return "", err
	}
	return o.Out, nil
}
