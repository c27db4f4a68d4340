package cli

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestTrainObjectives runs `dpokit train` briefly with each family of
// objectives and checks the step log's metric names and where the
// reference log-probs came from.
func TestTrainObjectives(t *testing.T) {
	dir := t.TempDir()
	pairs := filepath.Join(dataDir, "pairs.jsonl")
	kto := filepath.Join(dir, "kto.jsonl")
	os.WriteFile(kto, []byte(`{"prompt": "What is 7 times 8?", "completion": " 7 times 8 is 56.", "label": true}
{"prompt": "What is 7 times 8?", "completion": " 7 times 8 is 54.", "label": false}
{"prompt": "Capital of France?", "completion": " Paris.", "label": true}
{"prompt": "Capital of France?", "completion": " Lyon.", "label": false}
`), 0o644)
	cache := filepath.Join(dir, "cache") + string(filepath.Separator)
	for _, tc := range []struct {
		name        string
		args        []string
		keys        []string // in every train record
		stderr      []string
		notInStderr string
	}{
		{"mpo", []string{"--data", pairs, "--loss", "sigmoid,bco_pair,sft", "--loss-weights", "0.8,0.2,1.0"},
			[]string{"loss", "rewards/margins", "logits/chosen", "logits/rejected", "entropy", "mean_token_accuracy"},
			[]string{"dpo loss sigmoid,bco_pair,sft weights [0.8 0.2 1]", "reference log-probs:"}, ""},
		{"ld-dpo", []string{"--data", pairs, "--ld-alpha", "0.5", "--f-divergence", "js_divergence"},
			[]string{"loss", "rewards/chosen"}, []string{"reference log-probs:"}, ""},
		{"kto", []string{"--data", kto, "--objective", "kto", "--undesirable-weight", "1.5"},
			[]string{"loss", "kl", "entropy"}, []string{"kto", "reference log-probs:"}, ""},
		{"tr-dpo", []string{"--data", pairs, "--sync-ref-every", "1"},
			[]string{"loss", "rewards/chosen"}, []string{"log-probs are computed in each training step"}, "reference log-probs:"},
		{"simpo", []string{"--data", pairs, "--objective", "simpo", "--simpo-gamma", "0.3"},
			[]string{"loss", "nll_loss", "rewards/chosen"}, []string{"uses no reference model"}, "reference log-probs:"},
		{"orpo", []string{"--data", pairs, "--objective", "orpo"},
			[]string{"loss", "nll_loss", "log_odds_ratio", "log_odds_chosen"}, []string{"uses no reference model"}, "reference log-probs:"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			logf := filepath.Join(dir, tc.name+".jsonl")
			args := append([]string{"--policy", gpt2Policy, "--out", filepath.Join(dir, tc.name), "--log", logf,
				"--ref-cache", cache, "--max-steps", "2", "--batch-size", "2", "--lr", "1e-3"}, tc.args...)
			err, _, stderr := runTrainCLI(args...)
			if err != nil {
				t.Fatalf("%v\n%s", err, stderr)
			}
			recs := readJSONL(t, logf)
			if len(recs) != 2 {
				t.Fatalf("%d records, want 2", len(recs))
			}
			for _, r := range recs {
				for _, k := range tc.keys {
					if _, ok := r[k].(float64); !ok {
						t.Errorf("record lacks %s: %v", k, r)
					}
				}
			}
			for _, s := range tc.stderr {
				if !strings.Contains(stderr, s) {
					t.Errorf("stderr lacks %q:\n%s", s, stderr)
				}
			}
			if tc.notInStderr != "" && strings.Contains(stderr, tc.notInStderr) {
				t.Errorf("stderr has %q:\n%s", tc.notInStderr, stderr)
			}
		})
	}
}

func TestTrainObjectiveErrors(t *testing.T) {
	dir := t.TempDir()
	pairs := filepath.Join(dataDir, "pairs.jsonl")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--loss", "sigmoid,sft", "--loss-weights", "1,x"}, `--loss-weights "1,x": "x" is not a number`},
		{[]string{"--loss", "sigmoid,sft", "--loss-weights", "1"}, "1 loss weights for 2 losses"},
		{[]string{"--objective", "kto", "--loss", "sigmoid"}, "kto objective has its own loss"},
		{[]string{"--objective", "kto", "--batch-size", "1"}, "at least 2 examples"},
		{[]string{"--ld-alpha", "2"}, "ld_alpha 2 must be in [0, 1]"},
		{[]string{"--f-divergence", "kl"}, `unknown f-divergence "kl"`},
		{[]string{"--simpo-gamma", "0", "--objective", "simpo"}, "--simpo-gamma must not be 0"},
	} {
		args := append([]string{"--policy", gpt2Policy, "--data", pairs, "--out", filepath.Join(dir, "o")}, tc.args...)
		err, _, _ := runTrainCLI(args...)
		var ue *UsageError
		if err == nil || !strings.Contains(err.Error(), tc.want) || !errors.As(err, &ue) {
			t.Errorf("%v: err = %v; want a usage error mentioning %q", tc.args, err, tc.want)
		}
	}
}
