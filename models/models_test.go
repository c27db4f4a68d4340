package models

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

var testRuntime *Runtime

func TestMain(m *testing.M) {
	rt, err := NewRuntime(RuntimeOptions{Library: os.Getenv("DPOKIT_ORT_LIB")})
	if err != nil {
		fmt.Fprintf(os.Stderr, "models tests need ONNX Runtime: %v\nrun `make ort` (or set DPOKIT_ORT_LIB)\n", err)
		os.Exit(1)
	}
	testRuntime = rt
	code := m.Run()
	rt.Close()
	os.Exit(code)
}

const modelsDir = "../testdata/models"

// refCase is one PyTorch reference from testdata/models/make_models.py.
type refCase struct {
	Model      string    `json:"model"`
	Name       string    `json:"name"`
	Prompt     []int     `json:"prompt_ids"`
	Response   []int     `json:"response_ids"`
	Logp       float64   `json:"response_logp"`
	TokenLogps []float64 `json:"token_logps"`
}

func loadRefs(t *testing.T) map[string][]refCase {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(modelsDir, "reference_logps.json"))
	if err != nil {
		t.Fatal(err)
	}
	var f struct{ Cases []refCase }
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatal(err)
	}
	out := map[string][]refCase{}
	for _, c := range f.Cases {
		out[c.Model] = append(out[c.Model], c)
	}
	if len(out) != 4 {
		t.Fatalf("reference file covers %d models, want 4", len(out))
	}
	// llama-genai holds llama-ref's weights in the ONNX Runtime GenAI layout
	// (stacked past_%d / present_%d, genai_config.json, decoder.onnx).
	for _, c := range out["llama-ref"] {
		c.Model = "llama-genai"
		out["llama-genai"] = append(out["llama-genai"], c)
	}
	return out
}

func openModel(t *testing.T, name string) *Model {
	t.Helper()
	d, err := OpenDir(filepath.Join(modelsDir, name))
	if err != nil {
		t.Fatal(err)
	}
	m, err := testRuntime.Load(d)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	return m
}

// TestLogProbsMatchPyTorch holds ONNX Runtime's per-sequence response
// log-probs to PyTorch's (1e-4) for both families, with and without the KV
// cache, batched and unbatched, with left and right padding.
func TestLogProbsMatchPyTorch(t *testing.T) {
	const tol = 1e-4
	for model, cases := range loadRefs(t) {
		m := openModel(t, model)
		check := func(t *testing.T, c refCase, got []float64) {
			t.Helper()
			if len(got) != len(c.TokenLogps) {
				t.Fatalf("%s: %d token log-probs, want %d", c.Name, len(got), len(c.TokenLogps))
			}
			s := 0.0
			for _, v := range got {
				s += v
			}
			if math.Abs(s-c.Logp) > tol {
				t.Errorf("%s: response logp %.6f, PyTorch %.6f (diff %.2e)", c.Name, s, c.Logp, s-c.Logp)
			}
		}
		full := func(c refCase) Row {
			return Row{Tokens: slices.Concat(c.Prompt, c.Response), Start: len(c.Prompt)}
		}
		t.Run(model+"/full/unbatched", func(t *testing.T) {
			for _, c := range cases {
				l, err := m.Run(nil, []Row{full(c)}, PadRight)
				if err != nil {
					t.Fatal(err)
				}
				check(t, c, l.TokenLogProbs()[0])
			}
		})
		for _, pad := range []Padding{PadRight, PadLeft} {
			t.Run(fmt.Sprintf("%s/full/batched/pad%d", model, pad), func(t *testing.T) {
				var rows []Row
				for _, c := range cases {
					rows = append(rows, full(c))
				}
				l, err := m.Run(nil, rows, pad)
				if err != nil {
					t.Fatal(err)
				}
				for i, lp := range l.TokenLogProbs() {
					check(t, cases[i], lp)
				}
			})
		}
		t.Run(model+"/cache/batched", func(t *testing.T) {
			var prompts [][]int
			var rows []Row
			for i, c := range cases {
				prompts = append(prompts, c.Prompt[:len(c.Prompt)-1])
				rows = append(rows, Row{Tokens: slices.Concat(c.Prompt[len(c.Prompt)-1:], c.Response), Start: 1, From: i})
			}
			cache, err := m.Prefill(prompts)
			if err != nil {
				t.Fatal(err)
			}
			// Each prompt continued twice, in reverse order, to exercise the gather.
			rows = append(rows, rows...)
			slices.Reverse(rows[:len(cases)])
			l, err := m.Run(cache, rows, PadRight)
			if err != nil {
				t.Fatal(err)
			}
			for i, lp := range l.TokenLogProbs() {
				check(t, cases[rows[i].From], lp)
			}
		})
		t.Run(model+"/cache/unbatched", func(t *testing.T) {
			for _, c := range cases {
				cache, err := m.Prefill([][]int{c.Prompt})
				if err != nil {
					t.Fatal(err)
				}
				// Continue the whole prompt's cache with the response: the
				// first response token is then predicted by the prompt's last
				// logits, which this path does not have, so score from the 2nd.
				if len(c.Response) < 2 {
					continue
				}
				l, err := m.Run(cache, []Row{{Tokens: c.Response, Start: 1}}, PadRight)
				if err != nil {
					t.Fatal(err)
				}
				got := l.TokenLogProbs()[0]
				want := c.TokenLogps[1:]
				for k := range got {
					if math.Abs(got[k]-want[k]) > tol {
						t.Fatalf("%s token %d: %.6f, PyTorch %.6f", c.Name, k+1, got[k], want[k])
					}
				}
			}
		})
	}
}

func TestTokenOutsideVocab(t *testing.T) {
	m := openModel(t, "gpt2-ref")
	_, err := m.Run(nil, []Row{{Tokens: []int{1, 50257}, Start: 1}}, PadRight)
	var tre *TokenRangeError
	if err == nil || !errorsAs(err, &tre) || tre.ID != 50257 {
		t.Fatalf("err = %v, want TokenRangeError for 50257", err)
	}
}

// TestORTLogProbsEqualGo: the ONNX Runtime log-softmax graph agrees with the
// Go log-softmax on the same logits.
func TestORTLogProbsEqualGo(t *testing.T) {
	m := openModel(t, "gpt2-policy")
	rows := []Row{{Tokens: []int{5, 9, 100, 50256, 7}, Start: 2}, {Tokens: []int{1, 2}, Start: 1}, {Tokens: []int{3, 4, 5}, Start: 1}}
	for _, pad := range []Padding{PadLeft, PadRight} {
		l, err := m.Run(nil, rows, pad)
		if err != nil {
			t.Fatal(err)
		}
		got, err := l.ORTLogProbs()
		if err != nil {
			t.Fatal(err)
		}
		want := l.TokenLogProbs()
		for i := range want {
			if len(got[i]) != len(want[i]) {
				t.Fatalf("row %d: %d values, want %d", i, len(got[i]), len(want[i]))
			}
			for j := range want[i] {
				if math.Abs(got[i][j]-want[i][j]) > 2e-5 {
					t.Errorf("row %d token %d: ORT %.7f, Go %.7f", i, j, got[i][j], want[i][j])
				}
			}
		}
	}
}

// TestRewardModelScores holds the ONNX reward model's scores to PyTorch's
// (testdata/models/make_reward_models.py), in one right-padded batch.
func TestRewardModelScores(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(modelsDir, "rm_reference.json"))
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		Cases []struct {
			Name  string
			IDs   []int `json:"input_ids"`
			Score float64
		}
	}
	if err := json.Unmarshal(b, &f); err != nil || len(f.Cases) == 0 {
		t.Fatalf("reference: %v", err)
	}
	m := openModel(t, "rm-llama")
	var seqs [][]int
	for _, c := range f.Cases {
		seqs = append(seqs, c.IDs)
	}
	got, err := m.Scores(seqs)
	if err != nil {
		t.Fatal(err)
	}
	for i, c := range f.Cases {
		if math.Abs(got[i]-c.Score) > 1e-4 {
			t.Errorf("%s: score %.6f, PyTorch %.6f", c.Name, got[i], c.Score)
		}
	}
	bad := openModel(t, "rm-bad")
	if _, err := bad.Scores(seqs); err == nil || !strings.Contains(err.Error(), "one score per sequence") {
		t.Errorf("rm-bad: err = %v, want one score per sequence", err)
	}
}
