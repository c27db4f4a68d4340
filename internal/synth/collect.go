package synth

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/dpokit/dpokit/internal/fsutil"
	"github.com/dpokit/dpokit/report"
	"github.com/dpokit/dpokit/results"
)

// cmdBestOfFile writes, from a best-of-N file ranked by the true reward
// (dpokit bestofn --rank rm:TRUE), the best of its first n candidates per
// prompt in `dpokit sample` format: the best-of-n baseline.
func cmdBestOfFile(args []string) error {
	fs := flag.NewFlagSet("best-of", flag.ContinueOnError)
	from := fs.String("from", "", "dpokit bestofn output (required)")
	n := fs.Int("n", 16, "candidates to choose among")
	out := fs.String("out", "", "output JSONL (required)")
	if err := fs.Parse(args); err != nil || *from == "" || *out == "" {
		return fmt.Errorf("usage: synth best-of --from FILE --n N --out FILE")
	}
	lines, err := readSamples(*from)
	if err != nil {
		return err
	}
	var recs []map[string]any
	for _, s := range lines {
		if len(s.Completions) < *n {
			return fmt.Errorf("%s: prompt %s has %d candidates, fewer than %d", *from, s.ID, len(s.Completions), *n)
		}
		best := bestOf(s, *n)
		c := s.Completions[best]
		recs = append(recs, map[string]any{"id": s.ID, "prompt": s.Prompt,
			"completions": []any{map[string]any{"text": c.Text, "token_ids": c.TokenIDs, "logp": c.Logp}}})
	}
	return writeJSONL(*out, recs)
}

// bestOf is the index of the highest true reward among the first n
// completions (the first on ties).
func bestOf(s sampleLine, n int) int {
	best, br := 0, math.Inf(-1)
	for j := range n {
		if r := Reward(s.Prompt + s.Completions[j].Text); r > br {
			best, br = j, r
		}
	}
	return best
}

func rewards(lines []sampleLine) []float64 {
	var out []float64
	for _, s := range lines {
		for _, c := range s.Completions {
			out = append(out, Reward(s.Prompt+c.Text))
		}
	}
	return out
}

func readJSON(path string, v any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

// cmdCollect gathers an experiment directory's outputs into the report's
// experiment JSON. Layout (written by scripts/experiment.sh): ref/,
// ref_samples.jsonl, bon.jsonl (best-of-Nmax from the reference, ranked by
// the true reward), and per policy NAME: NAME/ (model), NAME_samples.jsonl
// (with ref_logp: the KL estimate is the mean of logp − ref_logp over the
// policy's own samples), NAME_heldout.json (score summary), NAME_wr_ref.json
// and NAME_wr_bon.json (score winrate).
func cmdCollect(args []string) error {
	fs := flag.NewFlagSet("collect", flag.ContinueOnError)
	dir := fs.String("dir", "", "experiment directory (required)")
	policies := fs.String("policies", "", "comma-separated NAME=BETA (required)")
	ns := fs.String("n", "1,2,4,8,16,32,64", "best-of-N sizes")
	bonVs := fs.Int("winrate-n", 16, "the N of the best-of-N baseline in win rates")
	commands := fs.String("commands", "", "file of the commands run, one per line")
	quick := fs.Bool("quick", false, "mark the results as a --quick run")
	started := fs.String("started", "", "start time (RFC 3339)")
	ortVersion := fs.String("ort", "", "ONNX Runtime version")
	dpokitVersion := fs.String("dpokit", "", "dpokit version")
	out := fs.String("out", "", "experiment JSON (required)")
	if err := fs.Parse(args); err != nil || *dir == "" || *policies == "" || *out == "" {
		return fmt.Errorf("usage: synth collect --dir DIR --policies NAME=BETA,... --out FILE")
	}
	at := func(name string) string { return filepath.Join(*dir, name) }
	e := report.Experiment{Schema: report.ExperimentSchema, Quick: *quick,
		Versions: report.Versions{Dpokit: *dpokitVersion, Go: runtime.Version(), ONNXRuntime: *ortVersion},
		Seeds:    map[string]uint64{"corpus": 1, "train_prompts": 2, "labels": 3, "eval_prompts": 4, "pair_samples": 5, "eval_samples": 7, "best_of_n": 9, "train": 1},
		Task: report.Task{Name: "synthetic sentiment", Description: "Reviews over a 40-word vocabulary (10 positive, 10 negative, 20 neutral words); " +
			"prompts are a review's first three words, completions are sampled from the models.",
			Reward: "(positive words − negative words) / words of prompt and completion; preferences drawn from it with Bradley–Terry noise (temperature 0.1)"}}
	if t, err := time.Parse(time.RFC3339, *started); err == nil {
		e.Timestamps.Started = t
	}
	e.Timestamps.Finished = time.Now().UTC().Truncate(time.Second)
	if *commands != "" {
		b, err := os.ReadFile(*commands)
		if err != nil {
			return err
		}
		for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
			if l != "" {
				e.Commands = append(e.Commands, l)
			}
		}
	}
	for name, into := range map[string]*int{"prefs.jsonl": &e.Task.TrainPairs, "heldout.jsonl": &e.Task.HeldoutPairs, "eval_prompts.jsonl": &e.Task.EvalPrompts} {
		n, err := countLines(at(name))
		if err != nil {
			return err
		}
		*into = n
	}
	refSamples, err := readSamples(at("ref_samples.jsonl"))
	if err != nil {
		return err
	}
	e.Reference.RewardSamples = rewards(refSamples)
	e.Reference.RewardMean, e.Reference.RewardSE = results.MeanStdErr(e.Reference.RewardSamples)
	if e.Reference.Model, err = results.Identify(filepath.Join(at("ref"), "model.onnx")); err != nil {
		return err
	}
	bon, err := readSamples(at("bon.jsonl"))
	if err != nil {
		return err
	}
	for _, f := range strings.Split(*ns, ",") {
		n, err := strconv.Atoi(f)
		if err != nil || n < 1 {
			return fmt.Errorf("--n: %q is not a size", f)
		}
		row := report.BestOfN{N: n, KLBound: report.KLBound(n)}
		for _, s := range bon {
			if len(s.Completions) < n {
				return fmt.Errorf("bon.jsonl: prompt %s has %d candidates, fewer than %d", s.ID, len(s.Completions), n)
			}
			row.RewardSamples = append(row.RewardSamples, Reward(s.Prompt+s.Completions[bestOf(s, n)].Text))
		}
		row.RewardMean, row.RewardSE = results.MeanStdErr(row.RewardSamples)
		e.BestOfN = append(e.BestOfN, row)
	}
	for _, pb := range strings.Split(*policies, ",") {
		name, b, ok := strings.Cut(pb, "=")
		beta, err := strconv.ParseFloat(b, 64)
		if !ok || err != nil {
			return fmt.Errorf("--policies: %q is not NAME=BETA", pb)
		}
		p := report.Policy{Name: name, Beta: beta, Loss: "sigmoid"}
		id, err := results.Identify(filepath.Join(at(name), "model.onnx"))
		if err != nil {
			return err
		}
		p.Model = &id
		samples, err := readSamples(at(name + "_samples.jsonl"))
		if err != nil {
			return err
		}
		p.RewardSamples = rewards(samples)
		p.RewardMean, p.RewardSE = results.MeanStdErr(p.RewardSamples)
		var kl []float64
		for _, s := range samples {
			for _, c := range s.Completions {
				if c.RefLogp == nil {
					return fmt.Errorf("%s: prompt %s: no ref_logp (sample with --ref-model)", at(name+"_samples.jsonl"), s.ID)
				}
				kl = append(kl, c.Logp-*c.RefLogp)
			}
		}
		p.KLMean, p.KLSE = results.MeanStdErr(kl)
		var held results.Summary
		if err := readJSON(at(name+"_heldout.json"), &held); err != nil {
			return err
		}
		p.HeldoutAccuracy, p.HeldoutAccuracySE = held.Accuracy, held.AccuracyStdErr
		for file, into := range map[string]**report.Rate{"_wr_ref.json": &p.WinRateVsRef, "_wr_bon.json": &p.WinRateVsBestOfN} {
			var w results.WinRate
			if err := readJSON(at(name+file), &w); err != nil {
				return err
			}
			base := "reference samples"
			if file == "_wr_bon.json" {
				base = fmt.Sprintf("best-of-%d", *bonVs)
			}
			*into = &report.Rate{WinRate: w.WinRate, StandardError: w.StandardError, N: w.N, Baseline: base}
		}
		e.Policies = append(e.Policies, p)
	}
	if err := e.Validate(); err != nil {
		return err
	}
	return fsutil.WriteFile(*out, func(w io.Writer) error {
		enc := json.NewEncoder(w)
		enc.SetIndent("", " ")
		return enc.Encode(e)
	})
}

func countLines(path string) (int, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	return strings.Count(string(b), "\n"), nil
}
