package score

import (
	"context"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/dpokit/dpokit/logprob"
	"github.com/dpokit/dpokit/tokenize"
)

// TestRefFreeNorms scores the PyTorch reference cases as pairs (chosen =
// the case's response, rejected = its first token) reference-free with
// RewardBench v1's three reductions and checks the rewards against the
// reductions of PyTorch's per-token log-probs.
func TestRefFreeNorms(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(modelsDir, "reference_logps.json"))
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		Cases []struct {
			Model, Name string
			Prompt      []int     `json:"prompt_ids"`
			Response    []int     `json:"response_ids"`
			TokenLogps  []float64 `json:"token_logps"`
		}
	}
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatal(err)
	}
	reduce := map[string]func([]float64) float64{
		"sum": func(x []float64) (s float64) {
			for _, v := range x {
				s += v
			}
			return s
		},
		"avg": func(x []float64) (s float64) {
			for _, v := range x {
				s += v / float64(len(x))
			}
			return s
		},
		"norm": func(x []float64) (s float64) {
			for _, v := range x {
				s += v * v
			}
			return -math.Sqrt(s)
		},
	}
	policy := load(t, "llama-policy")
	var pairs []tokenize.Encoded
	tokens := map[string][]float64{}
	for _, c := range f.Cases {
		if c.Model == "llama-policy" {
			pairs = append(pairs, tokenize.Encoded{Index: len(pairs), ID: c.Name, Prompt: c.Prompt, Chosen: c.Response, Rejected: c.Response[:1]})
			tokens[c.Name] = c.TokenLogps
		}
	}
	for norm, fn := range reduce {
		w := Rewarding{Beta: 0.3, RefFree: true, RefFreeNorm: norm}
		err := Run(context.Background(), policy, nil, logprob.Plan(pairs, 0, true), true, Options{Rewarding: w}, func(b []Indexed) error {
			for _, r := range b {
				tk := tokens[r.ID]
				tol := 4 * 1.03e-5 * float64(len(tk)) // as internal/cli's tolerance: per token, twice ORT's largest logit difference, doubled
				if math.Abs(r.ChosenReward-0.3*fn(tk)) > tol || math.Abs(r.RejectedReward-0.3*fn(tk[:1])) > tol {
					t.Errorf("%s %s: rewards %g %g, want %g %g", norm, r.ID, r.ChosenReward, r.RejectedReward, 0.3*fn(tk), 0.3*fn(tk[:1]))
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	bad := []Rewarding{{Beta: 1, RefFreeNorm: "norm"}, {Beta: 1, RefFree: true, RefFreeNorm: "l1"}, {Beta: 1, RefFree: true, RefFreeNorm: "avg", LengthNorm: "avg"}}
	for _, w := range bad {
		if w.Check() == nil {
			t.Errorf("%+v: accepted", w)
		}
	}
}
