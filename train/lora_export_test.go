package train_test

import (
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dpokit/dpokit/models"
	"github.com/dpokit/dpokit/train"
)

// loraTrained loads the model at dir with adapters and trains them a few
// large steps, so that B·A is far from 0.
func loraTrained(t *testing.T, dir string, lora train.LoRA) *train.Model {
	return trainedWith(t, dir, train.LoadOptions{LoRA: &lora}, train.Config{LR: 5e-2}, 4)
}

// openORT opens a model directory in ONNX Runtime, closed when the test ends.
func openORT(t *testing.T, rt *models.Runtime, dir string) *models.Model {
	t.Helper()
	d, err := models.OpenDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	om, err := rt.Load(d)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { om.Close() })
	return om
}

// TestLoRAExport: the merged export is what ONNX Runtime runs to GoMLX's
// logits with the adapters on; the PEFT adapter, read back by the Python
// reference reader, gives the merged weights as base + (α/r)·B·A on
// exactly the targets; the reader rejects an export without the merge.
func TestLoRAExport(t *testing.T) {
	const tol = 1e-4
	rt := ortRuntime(t)
	src := filepath.Join(modelsDir, "llama-policy")
	m := loraTrained(t, src, train.LoRA{Rank: 4, Alpha: 16, Targets: []string{"q_proj", "v_proj", "down_proj"}, Seed: 3})
	if info := m.LoRAInfo(); len(info.Targets) != 6 {
		t.Fatalf("targets %+v, want q_proj, v_proj and down_proj of 2 layers", info.Targets)
	}
	dir := t.TempDir()
	out, adapter := filepath.Join(dir, "merged"), filepath.Join(dir, "adapter")
	res, err := m.Export(src, out, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Updated != 6 {
		t.Errorf("%d initializers updated, want the 6 targets", res.Updated)
	}
	if err := m.WritePEFTAdapter(adapter, src); err != nil {
		t.Fatal(err)
	}
	seqs := [][]int{{1, 46, 32, 31, 25, 13, 13, 63, 31}, {11, 22, 33, 44}}
	want, err := m.Logits(seqs)
	if err != nil {
		t.Fatal(err)
	}
	worst, moved := ortLogitsDiff(t, rt, out, seqs, want), ortLogitsDiff(t, rt, src, seqs, want)
	if worst > tol {
		t.Errorf("max |ONNX Runtime − GoMLX| logit %.2e > %g", worst, tol)
	}
	if moved < 100*tol {
		t.Errorf("the adapters moved the logits by only %.2e: the test would not see an unmerged export", moved)
	}
	check := func(merged string) (string, error) {
		cmd := exec.Command("/usr/bin/python3", filepath.Join("..", "testdata", "train", "check_peft_adapter.py"),
			adapter, filepath.Join(src, "model.onnx"), filepath.Join(merged, "model.onnx"))
		b, err := cmd.CombinedOutput()
		return string(b), err
	}
	if msg, err := check(out); err != nil {
		t.Fatalf("reference reader: %v\n%s", err, msg)
	} else {
		t.Logf("ORT − GoMLX %.1e (adapters moved logits by %.2f); reader: %s", worst, moved, strings.TrimSpace(msg))
	}
	if msg, err := check(src); err == nil || !strings.Contains(msg, "merged differs") {
		t.Errorf("the reader accepted the base model as the merged one: %v %s", err, msg)
	}
	if err := m.WritePEFTAdapter(adapter, src); err == nil {
		t.Error("the adapter was written over an existing directory")
	}
}

// TestLoRAConv1DExport: weights stored [in, out] (an eval-mode export with
// folded transposes, named onnx::MatMul_*) merge as W + (α/r)·(B·A)ᵀ, which
// ONNX Runtime reproduces; a PEFT adapter is refused, since those names are
// no PyTorch modules.
func TestLoRAConv1DExport(t *testing.T) {
	rt := ortRuntime(t)
	src := filepath.Join("..", "testdata", "train", "evalmode-gpt2")
	data, err := os.ReadFile(filepath.Join(src, "model.onnx"))
	if err != nil {
		t.Fatal(err)
	}
	cands, err := train.LoRACandidates(data)
	if err != nil || len(cands) == 0 {
		t.Fatalf("candidates %v, %v", cands, err)
	}
	var direct []string
	for _, c := range cands {
		if !c.Transposed {
			direct = append(direct, c.Initializer)
		}
	}
	if len(direct) == 0 {
		t.Fatalf("no [in, out] weight among %+v", cands)
	}
	m := loraTrained(t, src, train.LoRA{Rank: 2, Alpha: 4, Targets: direct, Seed: 1})
	out := filepath.Join(t.TempDir(), "merged")
	if _, err := m.Export(src, out, nil); err != nil {
		t.Fatal(err)
	}
	seqs := [][]int{{1, 46, 32, 31, 25, 13}, {11, 22, 33}}
	want, err := m.Logits(seqs)
	if err != nil {
		t.Fatal(err)
	}
	if d := ortLogitsDiff(t, rt, out, seqs, want); d > 1e-4 {
		t.Errorf("max |ONNX Runtime − GoMLX| logit %.2e", d)
	}
	if d := ortLogitsDiff(t, rt, src, seqs, want); d < 1e-2 {
		t.Errorf("the adapters moved the logits by only %.2e", d)
	}
	err = m.WritePEFTAdapter(filepath.Join(t.TempDir(), "adapter"), src)
	if err == nil || !strings.Contains(err.Error(), "not named after a PyTorch module") {
		t.Errorf("PEFT adapter of onnx::MatMul weights: %v", err)
	}
}

// ortLogitsDiff returns the largest |ONNX Runtime − want| logit of the
// model directory dir on seqs (want as train.Model.Logits returns them).
func ortLogitsDiff(t *testing.T, rt *models.Runtime, dir string, seqs [][]int, want [][]float32) float64 {
	t.Helper()
	om := openORT(t, rt, dir)
	var rows []models.Row
	for _, s := range seqs {
		rows = append(rows, models.Row{Tokens: s, Start: 1})
	}
	got, err := om.Run(nil, rows, models.PadRight)
	if err != nil {
		t.Fatal(err)
	}
	V := len(want[0]) / len(seqs[0])
	worst := 0.0
	for i, s := range seqs {
		for j := range s {
			g := got.Row(i, j)
			for k, w := range want[i][j*V : (j+1)*V] {
				worst = max(worst, math.Abs(float64(g[k]-w)))
			}
		}
	}
	return worst
}
