package train

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dpokit/dpokit/internal/resume"
)

// randomPairs makes n pairs of random token ids below vocab.
func randomPairs(n, vocab int, seed uint64) []Example {
	rng := rand.New(rand.NewPCG(seed, 7))
	ids := func(lo, hi int) []int {
		out := make([]int, lo+rng.IntN(hi-lo+1))
		for i := range out {
			out[i] = rng.IntN(vocab)
		}
		return out
	}
	out := make([]Example, n)
	for i := range out {
		out[i] = Example{Index: i, ID: string(rune('a' + i%26)), Prompt: ids(2, 8), Chosen: ids(1, 6), Rejected: ids(1, 6)}
	}
	return out
}

// withReference fills the reference log-probs with those of the model as
// loaded (the reference defaults to the starting policy).
func withReference(t *testing.T, name string, exs []Example) []Example {
	t.Helper()
	m, err := Load(onnxPath(name), LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	tr, err := NewTrainer(m, Config{BatchSize: 4})
	if err != nil {
		t.Fatal(err)
	}
	c, r, err := tr.Logps(exs)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]Example, len(exs))
	for i, e := range exs {
		e.RefChosen, e.RefRejected = c[i], r[i]
		out[i] = e
	}
	return out
}

// TestResumeEqualsUninterrupted: a run stopped by cancellation (which
// checkpoints) or by a crash after a periodic checkpoint (kill -9: the steps
// since are lost), then resumed, logs exactly the losses of a run that was
// never interrupted — across an epoch boundary, whose data order comes from
// the seed.
func TestResumeEqualsUninterrupted(t *testing.T) {
	exs := withReference(t, "gpt2-policy", randomPairs(10, 50000, 1))
	base := RunOptions{
		Config: Config{LR: 1e-3, BatchSize: 2, GradAccum: 2, WarmupSteps: 1, MaxGradNorm: 1},
		Train:  exs, Epochs: 2, Seed: 42, Identity: resume.New("test"),
	}
	run := func(o RunOptions, stopAfter int, crash bool) ([]float64, error) {
		m, err := Load(onnxPath("gpt2-policy"), LoadOptions{})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		var losses []float64
		o.Log = func(r Record) error {
			losses = append(losses, r.Loss)
			if r.Step == stopAfter {
				if crash {
					return errors.New("killed")
				}
				cancel()
			}
			return nil
		}
		_, err = Run(ctx, m, o)
		return losses, err
	}
	want, err := run(base, -1, false)
	if err != nil {
		t.Fatal(err)
	}
	if len(want) != 6 {
		t.Fatalf("%d steps, want 6 (3 per epoch)", len(want))
	}
	for _, crash := range []bool{false, true} {
		o := base
		o.CheckpointDir = t.TempDir()
		o.SaveEvery = 2
		first, err := run(o, 3, crash)
		if err == nil {
			t.Fatal("interrupted run returned no error")
		}
		o.Resume = true
		rest, err := run(o, -1, false)
		if err != nil {
			t.Fatal(err)
		}
		resumedAt := 3
		if crash {
			resumedAt = 2 // the last periodic checkpoint
		}
		got := append(first[:resumedAt:resumedAt], rest...)
		if len(got) != len(want) {
			t.Fatalf("crash=%v: %d steps after resuming, want %d", crash, len(got), len(want))
		}
		for i := range want {
			if got[i] != want[i] {
				t.Errorf("crash=%v: step %d loss %.9g, uninterrupted %.9g", crash, i+1, got[i], want[i])
			}
		}
	}
}

// TestAccuracyRises: trained on a small preference set, the implicit
// reward ranks chosen above rejected on it far more often than chance.
func TestAccuracyRises(t *testing.T) {
	exs := withReference(t, "llama-policy", randomPairs(16, 32000, 3))
	m, err := Load(onnxPath("llama-policy"), LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	o := RunOptions{Config: Config{LR: 2e-3, BatchSize: 4, Beta: 0.1, Schedule: "constant"}, Train: exs, Eval: exs, Epochs: 6, Seed: 1}
	tr, _ := NewTrainer(m, o.Config)
	before, err := tr.Evaluate(exs)
	if err != nil {
		t.Fatal(err)
	}
	res, err := Run(context.Background(), m, o)
	if err != nil {
		t.Fatal(err)
	}
	if res.Eval == nil || res.Eval.RewardsAccuracies < 0.9 {
		t.Fatalf("accuracy after %d steps: %+v", res.Steps, res.Eval)
	}
	if before.RewardsAccuracies > 0.5 || math.Abs(before.Loss-math.Ln2) > 1e-3 {
		t.Errorf("before training: accuracy %.2f, loss %.4f; want ≤ 0.5 and ln 2 (policy = reference)", before.RewardsAccuracies, before.Loss)
	}
	t.Logf("accuracy %.2f → %.2f, loss %.4f → %.4f, margin %+.3f after %d steps", before.RewardsAccuracies,
		res.Eval.RewardsAccuracies, before.Loss, res.Eval.Loss, res.Eval.RewardsMargins, res.Steps)
}

// TestNonFiniteLossStops: a NaN loss stops the run before the step is
// applied, naming the last good checkpoint, which stays the latest.
func TestNonFiniteLossStops(t *testing.T) {
	exs := randomPairs(4, 32000, 5)
	dir := t.TempDir()
	o := RunOptions{Config: Config{LR: 1e-3, BatchSize: 2}, Train: exs, MaxSteps: 4, SaveEvery: 1, CheckpointDir: dir, Identity: resume.New("nan")}
	m, err := Load(onnxPath("llama-policy"), LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	o.Log = func(r Record) error {
		if r.Step == 2 {
			cancel() // stops after checkpointing step 2
		}
		return nil
	}
	if _, err := Run(ctx, m, o); !errors.Is(err, context.Canceled) {
		t.Fatal(err)
	}
	o.Log = nil
	before, _ := m.Logits([][]int{{1, 2, 3}}) // the weights of step 2
	good, _ := LatestCheckpoint(dir)
	bad := make([]Example, len(exs))
	copy(bad, exs)
	for i := range bad {
		bad[i].RefChosen = math.NaN()
	}
	// Resume the same run (same fingerprint) on poisoned reference values.
	m, _ = Load(onnxPath("llama-policy"), LoadOptions{})
	o.Train, o.Resume = bad, true
	_, err = Run(context.Background(), m, o)
	var nf *NonFiniteError
	if !errors.As(err, &nf) || nf.Step != 3 {
		t.Fatalf("err = %v, want a NonFiniteError at step 3", err)
	}
	if latest, _ := LatestCheckpoint(dir); latest != good || !strings.Contains(err.Error(), filepath.Base(good)) {
		t.Errorf("latest checkpoint %s (error %q), want %s", latest, err, good)
	}
	after, _ := m.Logits([][]int{{1, 2, 3}})
	for i := range before[0] {
		if before[0][i] != after[0][i] {
			t.Fatal("the failed step changed the weights")
		}
	}
}

// TestCheckpointRejectsOtherRuns: a damaged checkpoint or one of another
// run is refused without changing the trainer.
func TestCheckpointRejectsOtherRuns(t *testing.T) {
	m, err := Load(onnxPath("llama-policy"), LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	tr, err := NewTrainer(m, Config{BatchSize: 2})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if _, _, err := tr.LoadCheckpoint(dir, "x"); !errors.Is(err, ErrNoCheckpoint) {
		t.Fatalf("empty dir: %v", err)
	}
	p, err := tr.SaveCheckpoint(dir, "run-a", nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := tr.LoadCheckpoint(dir, "run-b"); err == nil {
		t.Error("checkpoint of another run accepted")
	}
	if _, _, err := tr.LoadCheckpoint(dir, "run-a"); err != nil {
		t.Errorf("own checkpoint refused: %v", err)
	}
	f := filepath.Join(p, tensorsFile)
	b, _ := os.ReadFile(f)
	b[len(b)/2] ^= 1
	os.WriteFile(f, b, 0o644)
	if _, _, err := tr.LoadCheckpoint(dir, "run-a"); err == nil {
		t.Error("damaged checkpoint accepted")
	}
}
