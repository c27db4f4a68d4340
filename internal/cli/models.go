package cli

import (
	"encoding/json"

	"github.com/urfave/cli/v2"

	"github.com/dpokit/dpokit/modeldir"
)

func modelsCommand() *cli.Command {
	return &cli.Command{
		Name:  "models",
		Usage: "model directories",
		Subcommands: []*cli.Command{{
			Name:      "inspect",
			Usage:     "describe a model directory: architecture, KV cache, inputs and outputs, parameters, opsets, files",
			UsageText: "dpokit models inspect DIR [--json]",
			Flags:     []cli.Flag{&cli.BoolFlag{Name: "json", Usage: "print JSON"}},
			Action: func(c *cli.Context) error {
				if c.Args().Len() != 1 {
					return usagef("give one model directory")
				}
				d, err := modeldir.Open(c.Args().First())
				if err != nil {
					return err
				}
				info, err := modeldir.Describe(d)
				if err != nil {
					return err
				}
				if c.Bool("json") {
					enc := json.NewEncoder(c.App.Writer)
					enc.SetIndent("", "  ")
					return enc.Encode(info)
				}
				info.WriteText(c.App.Writer)
				return nil
			},
		}},
	}
}
