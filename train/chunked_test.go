package train

import (
	"fmt"
	"math"
	"slices"
	"testing"

	"github.com/gomlx/gomlx/core/tensors"
)

// TestChunkedLogpsEqualUnchunked: the LM head in chunks of 1, 5 and 7
// response tokens (gradient checkpoints) gives the log-probs, loss and
// gradient of every weight of the head computed at once, within
// 1e-5 relative to max(1, |value|) (summed log-probs here are −20…−60: the
// matrix multiply blocks a 7-row product differently from a 40-row one, a
// few float32 ulps).
func TestChunkedLogpsEqualUnchunked(t *testing.T) {
	const tol = 1e-5
	exs := randomPairs(4, 32000, 5)
	for i := range exs {
		exs[i].RefChosen, exs[i].RefRejected = -20, -21
	}
	type run struct {
		chosen, rejected []float64
		loss             float64
		grads            []float32 // every trained weight's gradient, concatenated
	}
	do := func(chunk int) run {
		m, err := Load(onnxPath("llama-policy"), LoadOptions{LogitChunk: chunk})
		if err != nil {
			t.Fatal(err)
		}
		tr, err := NewTrainer(m, Config{LR: 1e-2, BatchSize: 4, Schedule: "constant"})
		if err != nil {
			t.Fatal(err)
		}
		var r run
		if r.chosen, r.rejected, err = tr.Logps(exs); err != nil {
			t.Fatal(err)
		}
		r.loss, r.grads = microGradients(t, tr, exs)
		return r
	}
	want := do(-1)
	for _, chunk := range []int{1, 5, 7} {
		got := do(chunk)
		worst := 0.0
		what := ""
		diff := func(a, b float64, w string) {
			if d := math.Abs(a-b) / max(1, math.Abs(b)); d > worst {
				worst, what = d, fmt.Sprintf("%s %.8g vs %.8g", w, a, b)
			}
		}
		for i := range exs {
			diff(got.chosen[i], want.chosen[i], "chosen logp")
			diff(got.rejected[i], want.rejected[i], "rejected logp")
		}
		diff(got.loss, want.loss, "loss")
		for i, g := range want.grads {
			diff(float64(got.grads[i]), float64(g), "gradient")
		}
		if worst > tol {
			t.Errorf("chunks of %d: max difference %.2e > %g (%s)", chunk, worst, tol, what)
		}
		t.Logf("chunks of %d: max difference %.1e (%s)", chunk, worst, what)
	}
	if slices.Max(want.grads) <= 0 {
		t.Fatal("no gradient")
	}
}

// microGradients runs one micro-batch's forward and backward pass and
// returns its loss and the accumulated gradient of every trained weight.
func microGradients(t *testing.T, tr *Trainer, exs []Example) (float64, []float32) {
	t.Helper()
	p, err := tr.pack(exs)
	if err != nil {
		t.Fatal(err)
	}
	out, err := tr.micro.Call(tr.batchArgs(p)...)
	if err != nil {
		t.Fatal(err)
	}
	st, err := tensors.CopyFlatData[float32](out[0])
	if err != nil {
		t.Fatal(err)
	}
	var grads []float32
	for _, a := range tr.acc {
		v, err := a.Value()
		if err != nil {
			t.Fatal(err)
		}
		g, err := tensors.CopyFlatData[float32](v)
		if err != nil {
			t.Fatal(err)
		}
		grads = append(grads, g...)
	}
	return float64(st[0]), grads
}
