package train_test

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dpokit/dpokit/train"
)

// TestRewardModelExport: a reward model trained from a decoder (fully, and
// with LoRA adapters) exports as a sequence-classification ONNX model —
// no KV cache, logits [batch, 1] — whose scores in ONNX Runtime, on
// right-padded sequences of several lengths, are GoMLX's.
func TestRewardModelExport(t *testing.T) {
	rt := ortRuntime(t)
	src := filepath.Join(modelsDir, "llama-policy")
	for name, lora := range map[string]*train.LoRA{"full": nil, "lora": {Rank: 2, Alpha: 4, Targets: []string{"q_proj", "v_proj"}}} {
		t.Run(name, func(t *testing.T) {
			m := trainedWith(t, src, train.LoadOptions{LoRA: lora}, train.Config{LR: 2e-2,
				Objectives: train.Objectives{Objective: train.Reward, CenterRewardsCoef: 0.01}}, 4)
			out := filepath.Join(t.TempDir(), "rm")
			if _, err := m.Export(src, out, nil); err != nil {
				t.Fatal(err)
			}
			seqs := [][]int{{1, 46, 32, 31, 25, 13, 13, 63, 31}, {11, 22, 33, 44}, {7}, {5, 6, 7, 8, 9}}
			want, err := m.Rewards(seqs)
			if err != nil {
				t.Fatal(err)
			}
			om := openORT(t, rt, out)
			if om.Sig.HasCache() {
				t.Fatalf("the reward model kept a KV cache: %+v", om.Sig)
			}
			got, err := om.Scores(seqs)
			if err != nil {
				t.Fatal(err)
			}
			worst, spread := 0.0, 0.0
			for i := range seqs {
				worst = max(worst, math.Abs(got[i]-want[i]))
				spread = max(spread, math.Abs(want[i]-want[0]))
			}
			if worst > 1e-4 {
				t.Errorf("ONNX Runtime %v, GoMLX %v", got, want)
			}
			if spread < 1e-3 {
				t.Errorf("scores %v do not differ between sequences: the check would not see a wrong token", want)
			}
			var cfg struct {
				Arch      []string `json:"architectures"`
				NumLabels int      `json:"num_labels"`
			}
			b, _ := os.ReadFile(filepath.Join(out, "config.json"))
			if json.Unmarshal(b, &cfg) != nil || len(cfg.Arch) != 1 || !strings.HasSuffix(cfg.Arch[0], "ForSequenceClassification") || cfg.NumLabels != 1 {
				t.Errorf("config.json %s", b)
			}
			t.Logf("scores %.4f; max |ORT − GoMLX| %.1e", want, worst)
		})
	}
}
