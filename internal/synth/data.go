package synth

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"strings"

	"github.com/dpokit/dpokit/internal/fsutil"
)

const promptWords = 3

// writeJSONL writes records atomically.
func writeJSONL(path string, recs []map[string]any) error {
	return fsutil.WriteFile(path, func(w io.Writer) error {
		enc := json.NewEncoder(w)
		for _, r := range recs {
			if err := enc.Encode(r); err != nil {
				return err
			}
		}
		return nil
	})
}

// cmdCorpus writes the reference language as SFT data: prompt = a review's
// first words, chosen = the rest of it (rejected = the rest of another
// review; `dpokit train --loss sft` learns from chosen only).
func cmdCorpus(args []string) error {
	fs := flag.NewFlagSet("corpus", flag.ContinueOnError)
	n := fs.Int("n", 2000, "reviews")
	seed := fs.Uint64("seed", 1, "random seed")
	out := fs.String("out", "", "output JSONL (required)")
	if err := fs.Parse(args); err != nil || *out == "" {
		return fmt.Errorf("usage: synth corpus --n N --seed S --out FILE")
	}
	r := rand.New(rand.NewPCG(*seed, 101))
	var recs []map[string]any
	for i := range *n {
		a := strings.Fields(Review(r, promptWords+5+r.IntN(8)))
		b := strings.Fields(Review(r, promptWords+5+r.IntN(8)))
		recs = append(recs, map[string]any{
			"id":       fmt.Sprintf("c%05d", i),
			"prompt":   " " + strings.Join(a[:promptWords], " "),
			"chosen":   " " + strings.Join(a[promptWords:], " "),
			"rejected": " " + strings.Join(b[promptWords:], " "),
		})
	}
	return writeJSONL(*out, recs)
}

// cmdPrompts writes prompts: the first words of fresh reviews.
func cmdPrompts(args []string) error {
	fs := flag.NewFlagSet("prompts", flag.ContinueOnError)
	n := fs.Int("n", 200, "prompts")
	seed := fs.Uint64("seed", 2, "random seed")
	prefix := fs.String("id-prefix", "p", "id prefix")
	out := fs.String("out", "", "output JSONL (required)")
	if err := fs.Parse(args); err != nil || *out == "" {
		return fmt.Errorf("usage: synth prompts --n N --seed S --out FILE")
	}
	r := rand.New(rand.NewPCG(*seed, 202))
	var recs []map[string]any
	for i := range *n {
		w := strings.Fields(Review(r, promptWords))
		recs = append(recs, map[string]any{"id": fmt.Sprintf("%s%05d", *prefix, i), "prompt": " " + strings.Join(w, " ")})
	}
	return writeJSONL(*out, recs)
}

// sampleLine is the part of a `dpokit sample` output line that synth reads.
type sampleLine struct {
	ID          string `json:"id"`
	Prompt      string `json:"prompt"`
	Completions []struct {
		Text     string   `json:"text"`
		TokenIDs []int    `json:"token_ids"`
		Logp     float64  `json:"logp"`
		RefLogp  *float64 `json:"ref_logp"`
	} `json:"completions"`
}

func readSamples(path string) ([]sampleLine, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []sampleLine
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<26)
	for line := 1; sc.Scan(); line++ {
		var s sampleLine
		if err := json.Unmarshal(sc.Bytes(), &s); err != nil {
			return nil, fmt.Errorf("%s:%d: %w", path, line, err)
		}
		out = append(out, s)
	}
	return out, sc.Err()
}

// Prefer draws the Bradley–Terry preference between two completions with
// true rewards ra and rb: a wins with probability σ((ra − rb)/temperature).
func Prefer(r *rand.Rand, ra, rb, temperature float64) bool {
	return r.Float64() < 1/(1+math.Exp(-(ra-rb)/temperature))
}

// cmdLabel turns a sample file with two completions per prompt into
// preference pairs labelled by the true reward with Bradley–Terry noise.
func cmdLabel(args []string) error {
	fs := flag.NewFlagSet("label", flag.ContinueOnError)
	samples := fs.String("samples", "", "dpokit sample output with --n 2 (required)")
	seed := fs.Uint64("seed", 3, "random seed")
	temp := fs.Float64("temperature", 0.1, "Bradley–Terry temperature of the labeller (reward units)")
	out := fs.String("out", "", "preference pairs JSONL (required)")
	heldout := fs.String("heldout-out", "", "also write the last --heldout pairs here")
	nHeld := fs.Int("heldout", 0, "pairs held out")
	if err := fs.Parse(args); err != nil || *samples == "" || *out == "" {
		return fmt.Errorf("usage: synth label --samples FILE --out FILE [--heldout N --heldout-out FILE]")
	}
	lines, err := readSamples(*samples)
	if err != nil {
		return err
	}
	r := rand.New(rand.NewPCG(*seed, 303))
	var recs []map[string]any
	for _, s := range lines {
		if len(s.Completions) < 2 {
			return fmt.Errorf("%s: prompt %s has %d completions, want 2", *samples, s.ID, len(s.Completions))
		}
		a, b := s.Completions[0].Text, s.Completions[1].Text
		if strings.TrimSpace(a) == "" || strings.TrimSpace(b) == "" || a == b {
			continue // no preference to learn from an empty or repeated completion
		}
		ra, rb := Reward(s.Prompt+a), Reward(s.Prompt+b)
		if !Prefer(r, ra, rb, *temp) {
			a, b = b, a
		}
		recs = append(recs, map[string]any{"id": s.ID, "prompt": s.Prompt, "chosen": a, "rejected": b})
	}
	if *nHeld > 0 {
		if *nHeld >= len(recs) {
			return fmt.Errorf("--heldout %d leaves no training pairs of %d", *nHeld, len(recs))
		}
		if err := writeJSONL(*heldout, recs[len(recs)-*nHeld:]); err != nil {
			return err
		}
		recs = recs[:len(recs)-*nHeld]
	}
	return writeJSONL(*out, recs)
}
