package cli

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dpokit/dpokit/internal/synth"
)

// TestRewardModelOnSynth trains a reward model with `dpokit train
// --objective reward` on the synthetic task's Bradley–Terry preferences
// (internal/synth: labels drawn from the true reward with the experiment's
// temperature 0.1) and checks that
//   - its held-out accuracy approaches the true reward's on the same noisy
//     labels: within 3 binomial standard errors of it (the true reward's
//     accuracy is the best a model of the labels can reach), and more than
//     3 above chance;
//   - `dpokit bestofn --rank rm:DIR` with it picks, from 8 samples of a
//     reference model, completions whose true reward beats a random pick
//     (the candidates' mean) by more than 3 standard errors over prompts.
func TestRewardModelOnSynth(t *testing.T) {
	if testing.Short() {
		t.Skip("trains two models for about two minutes; runs without -short")
	}
	dir := t.TempDir()
	at := func(name string) string { return filepath.Join(dir, name) }
	if code := synth.Main([]string{"corpus", "--n", "3300", "--seed", "1", "--out", at("corpus.jsonl")}, os.Stdout, os.Stderr); code != 0 {
		t.Fatal("synth corpus failed")
	}
	if code := synth.Main([]string{"prompts", "--n", "60", "--seed", "4", "--out", at("prompts.jsonl")}, os.Stdout, os.Stderr); code != 0 {
		t.Fatal("synth prompts failed")
	}
	trueAcc, n := labelPreferences(t, at("corpus.jsonl"), at("prefs.jsonl"), at("heldout.jsonl"), 300)
	init := "../../testdata/experiment/init"
	common := []string{"--batch-size", "16", "--max-length", "64", "--seed", "1", "--ref-cache", at("cache") + "/"}
	// The reference (SFT on the task's language, as the experiment makes it): the reward
	// model starts from it, as in RLHF pipelines, and best-of-N samples from it.
	err, _, stderr := runTrainCLI(append([]string{"--loss", "sft", "--policy", init, "--data", at("corpus.jsonl"),
		"--out", at("ref"), "--max-steps", "200", "--lr", "3e-3"}, common...)...)
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}

	err, _, stderr = runTrainCLI("--objective", "reward", "--policy", at("ref"), "--data", at("prefs.jsonl"),
		"--eval-data", at("heldout.jsonl"), "--out", at("rm"), "--epochs", "2", "--log", at("rm.log"),
		"--lr", "3e-3", "--warmup-steps", "20", "--batch-size", "32", "--max-length", "64", "--seed", "1",
		"--center-rewards-coef", "0.01")
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	if !strings.Contains(stderr, "held_out_accuracy=") {
		t.Errorf("the summary lacks the held-out accuracy:\n%s", stderr)
	}
	var prov struct {
		Config struct {
			Objective string  `json:"objective"`
			Center    float64 `json:"center_rewards_coefficient"`
		} `json:"config"`
	}
	if b, err := os.ReadFile(at("rm/dpokit_train.json")); err != nil || json.Unmarshal(b, &prov) != nil ||
		prov.Config.Objective != "reward" || prov.Config.Center != 0.01 {
		t.Errorf("dpokit_train.json config %+v (%v): want the reward objective with --center-rewards-coef 0.01", prov.Config, err)
	}
	var rmAcc float64
	for _, r := range readJSONL(t, at("rm.log")) {
		if a, ok := r["eval_accuracy"].(float64); ok {
			rmAcc = a
		}
	}
	se := math.Sqrt(trueAcc * (1 - trueAcc) / float64(n))
	t.Logf("held-out accuracy on %d Bradley–Terry labels: reward model %.3f, true reward %.3f (SE %.3f)", n, rmAcc, trueAcc, se)
	if rmAcc < trueAcc-3*se || rmAcc < 0.5+3*math.Sqrt(0.25/float64(n)) {
		t.Errorf("reward model accuracy %.3f: want within 3 SE (%.3f) of the true reward's %.3f and clearly above chance", rmAcc, se, trueAcc)
	}

	code, _, stderr := run("bestofn", "--model", at("ref"), "--prompts", at("prompts.jsonl"), "--n", "8", "--max-new-tokens", "16",
		"--temperature", "1", "--seed", "9", "--rank", "rm:"+at("rm"), "--out", at("bon.jsonl"))
	if code != 0 {
		t.Fatalf("bestofn: %s", stderr)
	}
	var gains []float64
	for _, r := range readJSONL(t, at("bon.jsonl")) {
		prompt := r["prompt"].(string)
		cands := r["completions"].([]any)
		best := int(r["best"].(float64))
		mean := 0.0
		for _, c := range cands {
			mean += synth.Reward(prompt+c.(map[string]any)["text"].(string)) / float64(len(cands))
		}
		gains = append(gains, synth.Reward(prompt+cands[best].(map[string]any)["text"].(string))-mean)
	}
	m, s := meanSE(gains)
	t.Logf("best-of-8 by the reward model: true reward %+.3f ± %.3f over a random pick (%d prompts)", m, s, len(gains))
	if m < 3*s || len(gains) != 60 {
		t.Errorf("best-of-8 by the reward model gains %.3f ± %.3f true reward over a random pick: want more than 3 SE", m, s)
	}
}

// labelPreferences relabels the synth corpus's (prompt, chosen, rejected)
// records — two reviews' continuations of one prompt — by the true reward
// with Bradley–Terry noise, writes all but the last `held` pairs to train
// and those to heldout, and returns the true reward's accuracy on the
// held-out labels (ties count ½).
func labelPreferences(t *testing.T, corpus, train, heldout string, held int) (float64, int) {
	t.Helper()
	r := rand.New(rand.NewPCG(3, 303))
	var lines []string
	acc := 0.0
	recs := readJSONL(t, corpus)
	for i, rec := range recs {
		p, a, b := rec["prompt"].(string), rec["chosen"].(string), rec["rejected"].(string)
		ra, rb := synth.Reward(p+a), synth.Reward(p+b)
		if !synth.Prefer(r, ra, rb, 0.1) {
			a, b, ra, rb = b, a, rb, ra
		}
		if i >= len(recs)-held {
			switch {
			case ra > rb:
				acc++
			case ra == rb:
				acc += 0.5
			}
		}
		line, _ := json.Marshal(map[string]string{"id": fmt.Sprint(i), "prompt": p, "chosen": a, "rejected": b})
		lines = append(lines, string(line))
	}
	cut := len(lines) - held
	os.WriteFile(train, []byte(strings.Join(lines[:cut], "\n")+"\n"), 0o644)
	os.WriteFile(heldout, []byte(strings.Join(lines[cut:], "\n")+"\n"), 0o644)
	return acc / float64(held), held
}

func meanSE(x []float64) (mean, se float64) {
	for _, v := range x {
		mean += v / float64(len(x))
	}
	for _, v := range x {
		se += (v - mean) * (v - mean) / float64(len(x)-1)
	}
	return mean, math.Sqrt(se / float64(len(x)))
}
