// Command dpokit scores, samples and trains causal language models exported
// to ONNX with Direct Preference Optimization.
package main

import (
	"os"

	"github.com/dpokit/dpokit/internal/cli"
)

func main() { os.Exit(cli.Main(os.Args, os.Stdout, os.Stderr)) }
