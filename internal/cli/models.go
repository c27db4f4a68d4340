package cli

import (
	"encoding/json"

	"github.com/urfave/cli/v2"

	"github.com/dpokit/dpokit/modeldir"
	"github.com/dpokit/dpokit/train"
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
				targets, err := loraCandidates(d.ONNX)
				if err != nil {
					return err
				}
				if c.Bool("json") {
					enc := json.NewEncoder(c.App.Writer)
					enc.SetIndent("", "  ")
					return enc.Encode(struct {
						modeldir.Info
						LoRATargets []train.LoRACandidate `json:"lora_targets"`
					}{info, targets})
				}
				info.WriteText(c.App.Writer)
				writeLoRACandidates(c.App.Writer, targets)
				return nil
			},
		}},
	}
}
