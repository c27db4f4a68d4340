package cli

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestTrainObjectives runs `dpokit train` briefly with each family of
// objectives and checks the step log's metric names and where the
// reference log-probs came from.
// refUsed is in the log when a run reads reference log-probs: computed,
// cached or read from the cache.
const refUsed = `msg="reference log-probs`

func TestTrainObjectives(t *testing.T) {
	dir := t.TempDir()
	pairs := filepath.Join(dataDir, "pairs.jsonl")
	kto := filepath.Join(dir, "kto_data.jsonl")
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
			[]string{"dpo loss sigmoid,bco_pair,sft weights [0.8 0.2 1]", refUsed}, ""},
		{"ld-dpo", []string{"--data", pairs, "--ld-alpha", "0.5", "--f-divergence", "js_divergence"},
			[]string{"loss", "rewards/chosen"}, []string{refUsed}, ""},
		{"kto", []string{"--data", kto, "--objective", "kto", "--undesirable-weight", "1.5"},
			[]string{"loss", "kl", "entropy"}, []string{"kto", refUsed}, ""},
		{"tr-dpo", []string{"--data", pairs, "--sync-ref-every", "1"},
			[]string{"loss", "rewards/chosen"}, []string{"log-probs are computed in each training step"}, refUsed},
		{"simpo", []string{"--data", pairs, "--objective", "simpo", "--simpo-gamma", "0.3"},
			[]string{"loss", "nll_loss", "rewards/chosen"}, []string{"uses no reference model"}, refUsed},
		{"orpo", []string{"--data", pairs, "--objective", "orpo"},
			[]string{"loss", "nll_loss", "log_odds_ratio", "log_odds_chosen"}, []string{"uses no reference model"}, refUsed},
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
		{[]string{"--center-rewards-coef", "0.01"}, "--center-rewards-coef: the reward centering coefficient applies to the reward objective"},
		{[]string{"--objective", "reward", "--center-rewards-coef", "-1"}, "--center-rewards-coef: center_rewards_coefficient -1 must be finite"},
	} {
		args := append([]string{"--policy", gpt2Policy, "--data", pairs, "--out", filepath.Join(dir, "o")}, tc.args...)
		err, _, _ := runTrainCLI(args...)
		var ue *UsageError
		if err == nil || !strings.Contains(err.Error(), tc.want) || !errors.As(err, &ue) {
			t.Errorf("%v: err = %v; want a usage error mentioning %q", tc.args, err, tc.want)
		}
	}
}

// TestTrainLoRA: `dpokit train --lora-rank` trains adapters, writes the
// merged model and a PEFT adapter, and reports trainable parameters and
// peak memory; models inspect lists the weights --lora-targets can name.
func TestTrainLoRA(t *testing.T) {
	dir := t.TempDir()
	out, adapter := filepath.Join(dir, "merged"), filepath.Join(dir, "adapter")
	err, _, stderr := runTrainCLI("--policy", gpt2Policy, "--data", filepath.Join(dataDir, "pairs.jsonl"), "--out", out,
		"--ref-cache", filepath.Join(dir, "cache")+"/", "--max-steps", "2", "--batch-size", "2", "--lr", "1e-2",
		"--lora-rank", "4", "--lora-alpha", "8", "--lora-targets", "c_attn,mlp.c_proj", "--export-adapter", adapter, "--log", filepath.Join(dir, "log.jsonl"))
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	for _, s := range []string{"LoRA r=4 on 4 weights: ", "trainable of", "peak_rss_mb", "wrote the PEFT adapter"} {
		if !strings.Contains(stderr, s) {
			t.Errorf("stderr lacks %q:\n%s", s, stderr)
		}
	}
	var cfg struct {
		R       int      `json:"r"`
		Targets []string `json:"target_modules"`
	}
	b, err := os.ReadFile(filepath.Join(adapter, "adapter_config.json"))
	if err != nil || json.Unmarshal(b, &cfg) != nil || cfg.R != 4 || len(cfg.Targets) != 4 {
		t.Errorf("adapter config %s (%v)", b, err)
	}
	if _, err := os.Stat(filepath.Join(adapter, "adapter_model.safetensors")); err != nil {
		t.Error(err)
	}
	var prov struct {
		LoRA      *struct{ Targets []any } `json:"lora"`
		Trainable int64                    `json:"trainable_parameters"`
	}
	b, _ = os.ReadFile(filepath.Join(out, "dpokit_train.json"))
	if json.Unmarshal(b, &prov) != nil || prov.LoRA == nil || len(prov.LoRA.Targets) != 4 || prov.Trainable == 0 {
		t.Errorf("provenance lacks the LoRA settings: %s", b)
	}
	err, _, _ = runTrainCLI("--policy", gpt2Policy, "--data", filepath.Join(dataDir, "pairs.jsonl"), "--out", filepath.Join(dir, "o2"),
		"--lora-rank", "4", "--lora-targets", "q_proj")
	if err == nil || !strings.Contains(err.Error(), `"q_proj" matches no MatMul weight`) || !strings.Contains(err.Error(), "c_attn.weight") {
		t.Errorf("unknown target: %v", err)
	}
	err, _, _ = runTrainCLI("--policy", gpt2Policy, "--data", filepath.Join(dataDir, "pairs.jsonl"), "--out", filepath.Join(dir, "o3"),
		"--lora-targets", "c_attn")
	if err == nil || !strings.Contains(err.Error(), "--lora-targets needs --lora-rank") {
		t.Errorf("targets without rank: %v", err)
	}
}
