package train

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

const modelsDir = "../testdata/models"

func onnxPath(name string) string { return filepath.Join(modelsDir, name, "model.onnx") }

// loaded caches models across tests (loading parses and checks the graph).
var loaded = map[string]*Model{}

func loadModel(t testing.TB, name string, opts LoadOptions) *Model {
	t.Helper()
	key := name
	if opts.FullLogits {
		key += "/full"
	}
	if m, ok := loaded[key]; ok {
		return m
	}
	m, err := Load(onnxPath(name), opts)
	if err != nil {
		t.Fatal(err)
	}
	loaded[key] = m
	return m
}

type pytorchRefs struct {
	Models map[string]struct {
		Seq struct {
			IDs    []int       `json:"input_ids"`
			First8 [][]float64 `json:"logits_first8"`
		} `json:"seq_logits_check"`
	} `json:"models"`
	Cases []struct {
		Model      string    `json:"model"`
		Prompt     []int     `json:"prompt_ids"`
		Response   []int     `json:"response_ids"`
		TokenLogps []float64 `json:"token_logps"`
	} `json:"cases"`
}

func readPyTorchRefs(t *testing.T) pytorchRefs {
	b, err := os.ReadFile(filepath.Join(modelsDir, "reference_logps.json"))
	if err != nil {
		t.Fatal(err)
	}
	var r pytorchRefs
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	return r
}

// TestLogitsMatchPyTorch: the imported graph's logits equal PyTorch's
// (testdata/models/reference_logps.json) within 1e-4.
func TestLogitsMatchPyTorch(t *testing.T) {
	refs := readPyTorchRefs(t)
	for _, name := range []string{"gpt2-policy", "llama-policy"} {
		t.Run(name, func(t *testing.T) {
			m := loadModel(t, name, LoadOptions{})
			ref := refs.Models[name].Seq
			got, err := m.Logits([][]int{ref.IDs, ref.IDs[:3]})
			if err != nil {
				t.Fatal(err)
			}
			V := m.Vocab()
			worst := 0.0
			for p, row := range ref.First8 {
				for k, want := range row {
					worst = max(worst, math.Abs(float64(got[0][p*V+k])-want))
					if p < 3 {
						worst = max(worst, math.Abs(float64(got[1][p*V+k])-want))
					}
				}
			}
			if worst > 1e-4 {
				t.Errorf("max |GoMLX − PyTorch| logit difference %.2e > 1e-4", worst)
			}
			t.Logf("max logit difference %.2e over %d positions", worst, len(ref.First8))
		})
	}
}

func TestLoadFindsHeadAndParams(t *testing.T) {
	for _, name := range []string{"gpt2-policy", "llama-policy"} {
		m := loadModel(t, name, LoadOptions{})
		if m.head == nil {
			t.Errorf("%s: lm_head MatMul not found", name)
		}
		if len(m.Ties) != 0 {
			t.Errorf("%s: unexpected ties %v", name, m.Ties)
		}
		names := make([]string, len(m.params))
		for i, p := range m.params {
			names[i] = p.name
		}
		if !slices.Contains(names, map[string]string{"gpt2-policy": "transformer.wte.weight", "llama-policy": "model.embed_tokens.weight"}[name]) {
			t.Errorf("%s: embedding not among trained params %v", name, names)
		}
		t.Logf("%s: %d tensors, %d parameters, vocab %d", name, len(m.params), m.Parameters(), m.Vocab())
	}
}
