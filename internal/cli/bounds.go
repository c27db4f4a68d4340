package cli

import (
	"maps"
	"math"
	"runtime"
	"slices"
	"strconv"

	"github.com/urfave/cli/v2"
)

// threadsPerCore bounds --threads at this many times the cores: ONNX
// Runtime starts that many OS threads per session, each spinning for work,
// so threads beyond the cores only add contention, and thousands exhaust
// memory and hang while the session starts. A few per core still let
// policy and reference (or a KV-cache copy) overlap.
const threadsPerCore = 4

func maxThreads() int { return threadsPerCore * runtime.NumCPU() }

// Ranges of sizes and values given on the command line. Bounds, not
// tuning: each is far beyond what a run needs and close to what makes one
// overflow or exhaust memory.
const (
	// maxTokens bounds lengths and token budgets (--max-length,
	// --max-prompt-length, --max-new-tokens, --batch-tokens): a million
	// tokens, beyond any model's context.
	maxTokens = 1 << 20
	// maxBatch bounds sequences decoded or trained together (--batch,
	// --batch-size): 4096 rows of KV cache or activations.
	maxBatch = 4096
	// maxN bounds completions per prompt (--n).
	maxN = 1 << 16
	// maxBeta bounds β: the DPO paper and TRL use 0.01–0.5; at β = 1000 a
	// one-nat log-ratio already saturates σ in float32 (|x| > 88), and
	// rewards β·Δlog π overflow float64 long before β = 1e308.
	maxBeta = 1000
)

// intIn reports the int flag when it is outside lo..hi, as a usage error
// naming it.
func intIn(c *cli.Context, flag string, lo, hi int) error {
	if v := c.Int(flag); v < lo || v > hi {
		return usagef("--%s %d: want %d..%d", flag, v, lo, hi)
	}
	return nil
}

// intsIn reports the first flag, in name order, outside lo..hi[flag].
func intsIn(c *cli.Context, lo int, hi map[string]int) error {
	for _, f := range slices.Sorted(maps.Keys(hi)) {
		if err := intIn(c, f, lo, hi[f]); err != nil {
			return err
		}
	}
	return nil
}

// betaFlag reads --beta: finite, in (0, maxBeta].
func betaFlag(c *cli.Context) (float64, error) {
	beta := c.Float64("beta")
	if !(beta > 0 && beta <= maxBeta) || math.IsInf(beta, 0) {
		return 0, usagef("--beta %v: want a finite value in (0, %d]", beta, maxBeta)
	}
	return beta, nil
}

// batchTokensFlag is --batch-tokens; unset, passes are sized by the
// model's vocabulary.
func batchTokensFlag(what string) cli.Flag {
	return &cli.IntFlag{Name: "batch-tokens", DefaultText: "32 MiB of logits: 33554432 / (4 × vocabulary), 64..1024",
		Usage: "padded tokens per forward pass" + what + ", 1.." + strconv.Itoa(maxTokens) + "; peak memory grows with it and the vocabulary"}
}

// batchTokens reads --batch-tokens: 0 (sized by the vocabulary) when not
// given; given, 1..maxTokens (0 is refused, not taken as "unset").
func batchTokens(c *cli.Context) (int, error) {
	if !c.IsSet("batch-tokens") {
		return 0, nil
	}
	if err := intIn(c, "batch-tokens", 1, maxTokens); err != nil {
		return 0, err
	}
	return c.Int("batch-tokens"), nil
}
