package train_test

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"path/filepath"
	"testing"

	"github.com/dpokit/dpokit/logprob"
	"github.com/dpokit/dpokit/modeldir"
	"github.com/dpokit/dpokit/models"
	"github.com/dpokit/dpokit/tokenize"
	"github.com/dpokit/dpokit/train"
)

// TestDeviceReferenceMatchesONNXRuntime: reference log-probs from the GoMLX
// forward pass (pure-Go backend; batches of 4 pairs padded to 2 planned
// shapes, LM head in chunks of 7 tokens) equal ONNX Runtime's (full
// sequences, float64 log-softmax) within a bound derived from the logits.
//
// A token's log-prob is ℓ_y − logsumexp(ℓ); both terms move by at most the
// largest logit difference, so per token |Δ| ≤ 2δ, where δ bounds the
// logits' difference: δ_ort, GoMLX vs ONNX Runtime on the same sequences,
// plus δ_pad, GoMLX on a sequence alone vs in a padded batch (the
// reference pass pads to other lengths) — both measured here — and GoMLX's
// float32 log-softmax rounds once more: ulp(16) per token (log-sum-exps
// here are below 16). A pair's bound is n·(2(δ_ort + δ_pad) + ulp(16)) for
// its n response tokens.
func TestDeviceReferenceMatchesONNXRuntime(t *testing.T) {
	dir, err := modeldir.Open(filepath.Join(modelsDir, "llama-ref"))
	if err != nil {
		t.Fatal(err)
	}
	pairs := encodedPairs(8, dir.Signature.Vocab, 3)
	ref := &train.DeviceReference{BatchSize: 4, MaxShapes: 2, LogitChunk: 7}
	chosen, rejected, err := ref.Logps(context.Background(), dir, pairs)
	if err != nil {
		t.Fatal(err)
	}
	om, err := ortRuntime(t).Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer om.Close()
	wantC, wantR, err := logprob.ResponseLogps(om, pairs, false)
	if err != nil {
		t.Fatal(err)
	}
	dOrt, dPad := logitDifferences(t, dir, om, pairs)
	ulp16 := math.Pow(2, -19)
	worst := 0.0
	for i, p := range pairs {
		for side, got := range map[string][2]float64{"chosen": {chosen[i], wantC[i]}, "rejected": {rejected[i], wantR[i]}} {
			n := len(p.Chosen)
			if side == "rejected" {
				n = len(p.Rejected)
			}
			bound := float64(n) * (2*(dOrt+dPad) + ulp16)
			d := math.Abs(got[0] - got[1])
			worst = max(worst, d/bound)
			if d > bound {
				t.Errorf("pair %s %s (%d tokens): GoMLX %.6f, ONNX Runtime %.6f: |Δ| %.2e > bound %.2e", p.ID, side, n, got[0], got[1], d, bound)
			}
		}
	}
	t.Logf("δ_ort %.2e, δ_pad %.2e; worst |Δ|/bound %.2f", dOrt, dPad, worst)
}

// encodedPairs are n pairs of random ids of varied lengths.
func encodedPairs(n, vocab int, seed uint64) []tokenize.Encoded {
	rng := rand.New(rand.NewPCG(seed, 1))
	ids := func(lo, hi int) []int {
		out := make([]int, lo+rng.IntN(hi-lo+1))
		for i := range out {
			out[i] = rng.IntN(min(vocab, 32000))
		}
		return out
	}
	out := make([]tokenize.Encoded, n)
	for i := range out {
		out[i] = tokenize.Encoded{Index: i, ID: fmt.Sprintf("p%d", i), Prompt: ids(1, 40), Chosen: ids(1, 30), Rejected: ids(1, 30)}
	}
	return out
}

// logitDifferences measures, over the full sequences of pairs, the largest
// logit difference between GoMLX and ONNX Runtime (one batch each), and
// between GoMLX on a sample of the sequences alone and in that batch.
func logitDifferences(t *testing.T, dir *modeldir.Dir, om *models.Model, pairs []tokenize.Encoded) (dOrt, dPad float64) {
	t.Helper()
	m, err := train.Load(filepath.Join(dir.Path, "model.onnx"), train.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var seqs [][]int
	var rows []models.Row
	for _, p := range pairs {
		for _, r := range [][]int{p.Chosen, p.Rejected} {
			s := append(append([]int{}, p.Prompt...), r...)
			seqs = append(seqs, s)
			rows = append(rows, models.Row{Tokens: s, Start: 1})
		}
	}
	batch, err := m.Logits(seqs)
	if err != nil {
		t.Fatal(err)
	}
	ort, err := om.Run(nil, rows, models.PadRight)
	if err != nil {
		t.Fatal(err)
	}
	V := m.Vocab()
	for i, s := range seqs {
		for j := range s {
			o := ort.Row(i, j)
			for k := range V {
				dOrt = max(dOrt, math.Abs(float64(batch[i][j*V+k]-o[k])))
			}
		}
		if i%4 != 0 { // a sample: each length is a compile
			continue
		}
		alone, err := m.Logits([][]int{s})
		if err != nil {
			t.Fatal(err)
		}
		for k, a := range alone[0] {
			dPad = max(dPad, math.Abs(float64(batch[i][k]-a)))
		}
	}
	return dOrt, dPad
}
