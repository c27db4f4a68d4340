package train_test

import (
	"bytes"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"

	"github.com/dpokit/dpokit/models"
	"github.com/dpokit/dpokit/train"
)

const modelsDir = "../testdata/models"

var (
	ortOnce sync.Once
	ortRT   *models.Runtime
	ortErr  error
)

// ortRuntime opens ONNX Runtime once for the tests that check exported
// models with it (DPOKIT_ORT_LIB, as in the models tests, or the library
// `make ort` fetches).
func ortRuntime(t *testing.T) *models.Runtime {
	t.Helper()
	ortOnce.Do(func() {
		lib := os.Getenv("DPOKIT_ORT_LIB")
		if lib == "" {
			lib = "../third_party/onnxruntime/libonnxruntime.so.1"
		}
		ortRT, ortErr = models.NewRuntime(models.RuntimeOptions{Library: lib})
	})
	if ortErr != nil {
		t.Fatalf("this test needs ONNX Runtime: %v (run `make ort` or set DPOKIT_ORT_LIB)", ortErr)
	}
	return ortRT
}

// trained returns the policy after a few large steps, so that its weights
// are far from those of the file it came from.
func trained(t *testing.T, dir string) *train.Model {
	return trainedWith(t, dir, train.LoadOptions{}, train.Config{LR: 1e-2}, 3)
}

// trainedWith loads the model at dir with opts and runs steps constant-rate
// steps of cfg (batch size 2) on two fixed pairs.
func trainedWith(t *testing.T, dir string, opts train.LoadOptions, cfg train.Config, steps int) *train.Model {
	t.Helper()
	m, err := train.Load(filepath.Join(dir, "model.onnx"), opts)
	if err != nil {
		t.Fatal(err)
	}
	cfg.BatchSize, cfg.Schedule = 2, "constant"
	tr, err := train.NewTrainer(m, cfg)
	if err != nil {
		t.Fatal(err)
	}
	exs := []train.Example{
		{ID: "a", Prompt: []int{5, 6, 7}, Chosen: []int{8, 9}, Rejected: []int{10, 11, 12}},
		{ID: "b", Prompt: []int{1, 2}, Chosen: []int{3}, Rejected: []int{4, 4}},
	}
	for range steps {
		if _, err := tr.Step([][]train.Example{exs}); err != nil {
			t.Fatal(err)
		}
	}
	return m
}

// TestExportRunsInONNXRuntime: ONNX Runtime on the exported directory gives
// the logits GoMLX gives for the trained weights, within 1e-4, on full
// sequences and continuing a KV cache; and it is a complete model directory.
func TestExportRunsInONNXRuntime(t *testing.T) {
	const tol = 1e-4
	rt := ortRuntime(t)
	seqs := [][]int{{1, 46, 32, 31, 25, 13, 13, 63, 31}, {11, 22, 33, 44}, {7, 8, 9, 10, 11, 12}}
	dirs := map[string]string{
		"gpt2-policy":  filepath.Join(modelsDir, "gpt2-policy"),
		"llama-policy": filepath.Join(modelsDir, "llama-policy"),
		// eval-mode export: tied LayerNorm copies behind Identity nodes
		"evalmode-gpt2": filepath.Join("..", "testdata", "train", "evalmode-gpt2"),
	}
	for name, src := range dirs {
		t.Run(name, func(t *testing.T) {
			m := trained(t, src)
			out := filepath.Join(t.TempDir(), "trained")
			res, err := m.Export(src, out, map[string]string{"base": name})
			if err != nil {
				t.Fatal(err)
			}
			if res.Updated == 0 {
				t.Fatal("no initializer updated")
			}
			entries, _ := os.ReadDir(src)
			for _, e := range entries {
				f := e.Name()
				if f == "model.onnx" {
					continue
				}
				a, err1 := os.ReadFile(filepath.Join(src, f))
				b, err2 := os.ReadFile(filepath.Join(out, f))
				if err1 != nil || err2 != nil || !bytes.Equal(a, b) {
					t.Errorf("%s not copied unchanged (%v, %v)", f, err1, err2)
				}
			}
			want, err := m.Logits(seqs)
			if err != nil {
				t.Fatal(err)
			}
			V := m.Vocab()
			ort := openORT(t, rt, out)
			orig := openORT(t, rt, src)
			d, _ := models.OpenDir(out)
			if !d.Signature.HasCache() || d.Signature.Vocab != V {
				t.Fatalf("exported signature %+v lost the KV cache or vocabulary", d.Signature)
			}
			if n := d.Graph.OpCounts["Identity"]; len(m.Ties) > 0 && n != 0 {
				t.Errorf("%d Identity nodes left after untying %d initializers", n, len(m.Ties))
			}
			diff := func(l *models.Logits, row, pos, at int) float64 {
				got := l.Row(row, pos)
				w := want[row][at*V : (at+1)*V]
				worst := 0.0
				for k := range w {
					worst = max(worst, math.Abs(float64(got[k]-w[k])))
				}
				return worst
			}
			var rows []models.Row
			for _, s := range seqs {
				rows = append(rows, models.Row{Tokens: s, Start: 1})
			}
			full, err := ort.Run(nil, rows, models.PadRight)
			if err != nil {
				t.Fatal(err)
			}
			before, err := orig.Run(nil, rows, models.PadRight)
			if err != nil {
				t.Fatal(err)
			}
			worstFull, moved := 0.0, 0.0
			for i, s := range seqs {
				for j := range s {
					worstFull = max(worstFull, diff(full, i, j, j))
					moved = max(moved, diff(before, i, j, j))
				}
			}
			if worstFull > tol {
				t.Errorf("no cache: max |ONNX Runtime − GoMLX| logit %.2e > %g", worstFull, tol)
			}
			if moved < 100*tol {
				t.Errorf("training moved the logits by only %.2e: the test would not see unexported weights", moved)
			}
			// KV cache: prefill all but the last 3 tokens, continue with them.
			var prompts [][]int
			rows = rows[:0]
			for i, s := range seqs {
				k := len(s) - 3
				prompts = append(prompts, s[:k])
				rows = append(rows, models.Row{Tokens: slices.Clone(s[k:]), Start: 1, From: i})
			}
			cache, err := ort.Prefill(prompts)
			if err != nil {
				t.Fatal(err)
			}
			cont, err := ort.Run(cache, rows, models.PadRight)
			if err != nil {
				t.Fatal(err)
			}
			worstCache := 0.0
			for i, s := range seqs {
				k := len(s) - 3
				for j := range 3 {
					worstCache = max(worstCache, diff(cont, i, j, k+j))
				}
			}
			if worstCache > tol {
				t.Errorf("KV cache: max |ONNX Runtime − GoMLX| logit %.2e > %g", worstCache, tol)
			}
			t.Logf("max |ORT − GoMLX| logits: %.2e full, %.2e with KV cache (training moved them by %.2f)", worstFull, worstCache, moved)
			if _, err := m.Export(src, out, nil); err == nil {
				t.Error("export over an existing directory succeeded")
			}
			if _, err := m.Export(src, src, nil); err == nil {
				t.Error("export over the input succeeded")
			}
		})
	}
}
