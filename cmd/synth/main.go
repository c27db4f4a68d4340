// Command synth runs the parts of dpokit's controlled experiment that are
// about the synthetic task itself (see internal/synth): its tokenizer, its
// exact reward model, the reference language's corpus and prompts,
// preference labels drawn from the true reward, and the collection of
// results. Everything that trains, samples or scores is done by dpokit.
package main

import (
	"os"

	"github.com/dpokit/dpokit/internal/synth"
)

func main() { os.Exit(synth.Main(os.Args[1:], os.Stdout, os.Stderr)) }
