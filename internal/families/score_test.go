package families_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"path/filepath"
	"slices"
	"testing"

	"github.com/dpokit/dpokit/modeldir"
	"github.com/dpokit/dpokit/models"
	"github.com/dpokit/dpokit/sample"
)

// Log-prob tolerances against PyTorch. Both runtimes compute float32 logits
// that differ only by summation order (ONNX Runtime's kernels against
// PyTorch's BLAS), by δ ≈ a few ε·‖terms‖ per logit, ε = 2⁻²⁴: 1e-5 at most
// on testdata/models (its README), 4–6e-6 between PyTorch's own cached and
// uncached passes on these models (make_families.py's self-check). A token
// log-prob, logit_y − logsumexp(logits), is off by at most 2δ; a response
// of n ≤ 27 tokens by 2δ√n ≈ 1e-4 when the errors add like independent ones
// (2δn only if every error had the same sign, which summation-order errors
// do not).
const (
	tokenTol = 2e-5 // one token: 2δ
	seqTol   = 1e-4 // a response's sum
)

// checkLogps compares one row's token log-probs with PyTorch's.
func checkLogps(t *testing.T, what string, got, want []float64, worst *float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d token log-probs, want %d", what, len(got), len(want))
	}
	var gs, ws float64
	for i := range got {
		d := math.Abs(got[i] - want[i])
		*worst = max(*worst, d)
		if d > tokenTol {
			t.Errorf("%s token %d: dpokit %.7f, PyTorch %.7f", what, i, got[i], want[i])
		}
		gs += got[i]
		ws += want[i]
	}
	if math.Abs(gs-ws) > seqTol {
		t.Errorf("%s: response logp %.6f, PyTorch %.6f", what, gs, ws)
	}
}

// TestLogProbs holds ONNX Runtime's token log-probs on every family's ref
// and policy, and on the variants, to PyTorch's: full sequences one at a
// time and right-padded in one batch; with position_ids also left-padded
// and continuing a shared KV cache of the prompts (sliding windows and the
// merged decoder's cache branch included).
func TestLogProbs(t *testing.T) {
	for _, s := range subjects(t, true) {
		t.Run(s.dir, func(t *testing.T) {
			m := openModel(t, s.path())
			cases := s.refs.ScoreCases
			var worst float64
			var full []models.Row
			for _, c := range cases {
				full = append(full, models.Row{Tokens: slices.Concat(c.Prompt, c.Response), Start: len(c.Prompt)})
			}
			for i, r := range full {
				l, err := m.Run(nil, []models.Row{r}, models.PadRight)
				if err != nil {
					t.Fatal(err)
				}
				checkLogps(t, cases[i].Name+" alone", l.TokenLogProbs()[0], s.logps(i), &worst)
			}
			pads := map[string]models.Padding{"right": models.PadRight}
			if s.hasPositions() {
				pads["left"] = models.PadLeft
			}
			for name, pad := range pads {
				l, err := m.Run(nil, full, pad)
				if err != nil {
					t.Fatal(err)
				}
				for i, lp := range l.TokenLogProbs() {
					checkLogps(t, fmt.Sprintf("%s %s-padded", cases[i].Name, name), lp, s.logps(i), &worst)
				}
			}
			if s.hasPositions() {
				checkCached(t, m, s, &worst)
			} else if _, err := m.Prefill([][]int{cases[0].Prompt}); err == nil {
				t.Error("Prefill on a model without position_ids: no error, want a refusal (padded prompts would get wrong positions)")
			}
			t.Logf("largest token log-prob difference from PyTorch: %.2e", worst)
		})
	}
}

// checkCached prefills every prompt but its last token (left-padded, one
// batch), then scores last prompt token + response on that cache, the
// cases in reverse order so that rows gather other cache rows.
func checkCached(t *testing.T, m *models.Model, s subject, worst *float64) {
	t.Helper()
	cases := s.refs.ScoreCases
	var prompts [][]int
	var rows []models.Row
	for i, c := range cases {
		n := len(c.Prompt)
		prompts = append(prompts, c.Prompt[:n-1])
		rows = append(rows, models.Row{Tokens: slices.Concat(c.Prompt[n-1:], c.Response), Start: 1, From: i})
	}
	cache, err := m.Prefill(prompts)
	if err != nil {
		t.Fatal(err)
	}
	slices.Reverse(rows)
	l, err := m.Run(cache, rows, models.PadRight)
	if err != nil {
		t.Fatal(err)
	}
	for i, lp := range l.TokenLogProbs() {
		c := rows[i].From
		checkLogps(t, cases[c].Name+" on the prompts' cache", lp, s.logps(c), worst)
	}
}

// TestGreedy: greedy decoding on the KV cache (both prompts in one
// left-padded batch where the model takes position_ids) gives PyTorch's
// argmax tokens. The reference prompts were chosen so that every step's
// top-1/top-2 logit margin is at least 1e-3, two orders above the logit
// differences between the runtimes, so equality is the right test.
func TestGreedy(t *testing.T) {
	for _, s := range subjects(t, false) {
		t.Run(s.dir, func(t *testing.T) {
			m := openModel(t, s.path())
			var prompts [][]int
			maxNew := 0
			for _, g := range s.refs.Greedy {
				prompts = append(prompts, g.PromptIDs)
				maxNew = max(maxNew, g.MaxNew)
			}
			out, err := sample.Generate(context.Background(), m, nil, prompts,
				sample.Options{MaxNewTokens: maxNew, Temperature: 0, EOS: m.Dir.EOS(), Batch: len(prompts)})
			if err != nil {
				t.Fatal(err)
			}
			for i, g := range s.refs.Greedy {
				if got := out[i][0].TokenIDs; !slices.Equal(got, g.Tokens) {
					t.Errorf("prompt %v: dpokit %v, PyTorch %v (smallest margin %.2g)", g.PromptIDs, got, g.Tokens, g.MinMargin)
				}
			}
		})
	}
}

// TestInspect: `dpokit models inspect --json` reports each directory's
// architecture, sizes, KV cache, inputs and files as its config.json and
// the script that made it say.
func TestInspect(t *testing.T) {
	for _, s := range subjects(t, true) {
		t.Run(s.dir, func(t *testing.T) {
			out, _ := dpokit(t, "models", "inspect", "--json", s.path())
			var info modeldir.Info
			if err := json.Unmarshal([]byte(out), &info); err != nil {
				t.Fatalf("inspect output: %v\n%s", err, out)
			}
			c := s.refs.Config
			num := func(keys ...string) int {
				for _, k := range keys {
					if v, ok := c[k].(float64); ok {
						return int(v)
					}
				}
				t.Fatalf("config.json has none of %v", keys)
				return 0
			}
			arch := c["architectures"].([]any)[0].(string)
			checks := []struct {
				name      string
				got, want any
			}{
				{"model_type", info.ModelType, c["model_type"]},
				{"architecture", info.Architecture, arch},
				{"vocab_size", info.Vocab, num("vocab_size")},
				{"layers", info.Layers, num("num_hidden_layers", "n_layer")},
				{"attention_heads", info.Heads, num("num_attention_heads", "n_head")},
				{"kv_heads", info.KVHeads, num("num_key_value_heads", "n_head")},
				{"head_dim", info.HeadDim, num("head_dim")},
				{"parameters", info.Parameters, s.refs.Parameters},
				{"position_ids input", hasInput(info, "position_ids"), s.hasPositions()},
				{"use_cache_branch input", hasInput(info, "use_cache_branch"), s.layout == "merged"},
				{"onnx file", filepath.Base(info.ONNX), map[bool]string{true: "decoder_model_merged.onnx", false: "model.onnx"}[s.layout == "merged"]},
				{"external data file", hasFile(info, "model.onnx_data"), s.layout == "external"},
			}
			for _, k := range checks {
				if fmt.Sprint(k.got) != fmt.Sprint(k.want) {
					t.Errorf("%s: inspect says %v, want %v", k.name, k.got, k.want)
				}
			}
			if len(info.KVNames) != 2*info.Layers || len(info.CustomDomains) != 0 {
				t.Errorf("KV inputs %v (want 2 per layer), custom domains %v (want none)", info.KVNames, info.CustomDomains)
			}
		})
	}
}

func hasInput(info modeldir.Info, name string) bool {
	return slices.ContainsFunc(info.Inputs, func(v modeldir.ValueInfo) bool { return v.Name == name })
}

func hasFile(info modeldir.Info, name string) bool {
	return slices.ContainsFunc(info.Files, func(f modeldir.FileSize) bool { return f.Name == name })
}
