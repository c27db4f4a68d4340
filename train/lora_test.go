package train

import (
	"encoding/json"
	"github.com/dpokit/dpokit/internal/resume"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestLoRACheckpoint: a checkpoint of a LoRA run holds the adapters and
// their optimizer moments, nothing else; loading it into a fresh model
// with the same adapters restores the trained function.
func TestLoRACheckpoint(t *testing.T) {
	path := testdataONNX("train/tiny-llama-policy")
	lora := &LoRA{Rank: 4, Alpha: 8, Dropout: 0.1, Targets: []string{"q_proj", "v_proj"}, Seed: 7}
	m, err := Load(path, LoadOptions{LoRA: lora})
	if err != nil {
		t.Fatal(err)
	}
	full, _ := Load(path, LoadOptions{})
	if m.Parameters() != 2*(4*32+4*32+4*32+4*16) || m.Parameters()*30 > full.Parameters() { // q_proj 32→32, v_proj 32→16, 2 layers
		t.Errorf("%d trained parameters with LoRA, %d without", m.Parameters(), full.Parameters())
	}
	dir := t.TempDir()
	exs := readPyTorchRun(t, "tiny_sigmoid").examples()
	opts := RunOptions{Config: Config{LR: 1e-2, BatchSize: 3}, Train: exs, MaxSteps: 3, CheckpointDir: dir, Identity: resume.New("lora")}
	res, err := Run(t.Context(), m, opts)
	if err != nil {
		t.Fatal(err)
	}
	var st checkpointState
	b, _ := os.ReadFile(filepath.Join(res.Checkpoint, stateFile))
	if err := json.Unmarshal(b, &st); err != nil {
		t.Fatal(err)
	}
	for _, e := range st.Tensors {
		if _, name, _ := strings.Cut(e.Name, "/"); !strings.HasPrefix(name, loraPrefix) {
			t.Errorf("checkpoint holds %s, not an adapter", e.Name)
		}
	}
	if info, _ := os.Stat(filepath.Join(res.Checkpoint, tensorsFile)); info.Size() != 3*4*m.Parameters() {
		t.Errorf("tensors.bin has %d bytes, want weights and two moments of %d adapter parameters", info.Size(), m.Parameters())
	}
	back, err := Load(path, LoadOptions{LoRA: &LoRA{Rank: 4, Alpha: 8, Dropout: 0.1, Targets: []string{"q_proj", "v_proj"}, Seed: 99}})
	if err != nil {
		t.Fatal(err)
	}
	opts.Resume = true
	if again, err := Run(t.Context(), back, opts); err != nil || again.Resumed != 3 {
		t.Fatalf("resume: %v, %+v", err, again)
	}
	rows := [][]int{{1, 2, 3, 4, 5}}
	a, _ := m.Logits(rows)
	c, _ := back.Logits(rows)
	if !slices.Equal(a[0], c[0]) {
		t.Error("the resumed adapters give other logits")
	}
	base, _ := full.Logits(rows)
	if slices.Equal(a[0], base[0]) {
		t.Error("training the adapters left the logits unchanged")
	}
}

// TestLoRATargets: names, module suffixes and globs select MatMul weights;
// the tied embedding (also a Gather's input) and the logits MatMul are no
// candidates; a target matching nothing is an error listing the candidates.
func TestLoRATargets(t *testing.T) {
	data, err := os.ReadFile(testdataONNX("train/tiny-llama-policy"))
	if err != nil {
		t.Fatal(err)
	}
	cands, err := LoRACandidates(data)
	if err != nil {
		t.Fatal(err)
	}
	if len(cands) != 14 {
		t.Errorf("%d candidates, want the 7 projections of 2 layers: %+v", len(cands), cands)
	}
	for _, c := range cands {
		if strings.Contains(c.Initializer, "embed") {
			t.Errorf("the tied embedding is a candidate: %+v", c)
		}
	}
	for _, tc := range []struct {
		targets []string
		want    int
	}{
		{[]string{"q_proj"}, 2},
		{[]string{"model.layers.0.mlp.up_proj.weight"}, 1},
		{[]string{"model.layers.1.*"}, 7},
		{[]string{"*_proj.weight", "q_proj"}, 14},
	} {
		got, err := selectTargets(cands, tc.targets)
		if err != nil || len(got) != tc.want {
			t.Errorf("%v: %d targets (%v), want %d", tc.targets, len(got), err, tc.want)
		}
	}
	_, err = selectTargets(cands, []string{"c_attn"})
	if err == nil || !strings.Contains(err.Error(), `"c_attn" matches no MatMul weight`) || !strings.Contains(err.Error(), "q_proj.weight") {
		t.Errorf("error %v", err)
	}
	if _, err := Load(testdataONNX("train/tiny-llama-policy"), LoadOptions{LoRA: &LoRA{Rank: 0, Alpha: 8, Targets: []string{"q_proj"}}}); err == nil || !strings.Contains(err.Error(), "rank ≥ 1") {
		t.Errorf("rank 0: %v", err)
	}
}

// TestFrozenHeadChunks: the frozen head (LoRA) gives the same step — loss,
// gradient norm, metrics — whether it runs the response slots in one chunk
// or in chunks of 4.
func TestFrozenHeadChunks(t *testing.T) {
	ref := readPyTorchRun(t, "tiny_llama_lora")
	cfg := ref.config(t)
	step := func() Metrics {
		m, err := Load(testdataONNX(ref.Policy), LoadOptions{LoRA: &ref.LoRA.LoRA})
		if err != nil {
			t.Fatal(err)
		}
		if err := setInitialLoRA(m, ref); err != nil {
			t.Fatal(err)
		}
		tr, err := NewTrainer(m, cfg)
		if err != nil {
			t.Fatal(err)
		}
		var ms Metrics
		for k := range 3 {
			if ms, err = tr.Step(microBatches(tr.Config(), ref.examples(), k)); err != nil {
				t.Fatal(err)
			}
		}
		return ms
	}
	whole := step()
	defer func(b int) { headChunkBytes = b }(headChunkBytes)
	headChunkBytes = 4 * 512 * 4 // 4 slots of the 512-token vocabulary
	chunked := step()
	for _, n := range whole.Names {
		if d := math.Abs(whole.Values[n] - chunked.Values[n]); d > 1e-6*max(1, math.Abs(whole.Values[n])) {
			t.Errorf("%s: %g in one chunk, %g in chunks", n, whole.Values[n], chunked.Values[n])
		}
	}
	if d := math.Abs(whole.GradNorm - chunked.GradNorm); d > 1e-6*whole.GradNorm {
		t.Errorf("grad norm %g vs %g", whole.GradNorm, chunked.GradNorm)
	}
}

// TestLoRADropout: dropout on the adapters' input changes training steps
// (not the step-1 loss: B starts at 0), its masks follow LoRA.Seed, and
// evaluation uses none.
func TestLoRADropout(t *testing.T) {
	exs := readPyTorchRun(t, "tiny_sigmoid").examples()
	run := func(p float64, seed uint64) (loss2, eval float64) {
		m, err := Load(testdataONNX("train/tiny-llama-policy"), LoadOptions{LoRA: &LoRA{Rank: 4, Alpha: 8, Dropout: p, Targets: []string{"q_proj", "v_proj"}, Seed: seed}})
		if err != nil {
			t.Fatal(err)
		}
		tr, err := NewTrainer(m, Config{LR: 1e-2, BatchSize: 3, Schedule: "constant"})
		if err != nil {
			t.Fatal(err)
		}
		var ms Metrics
		for k := range 2 {
			if ms, err = tr.Step(microBatches(tr.Config(), exs, k)); err != nil {
				t.Fatal(err)
			}
		}
		ev1, _ := tr.Evaluate(exs)
		ev2, _ := tr.Evaluate(exs)
		if ev1.Loss != ev2.Loss {
			t.Errorf("evaluation is not deterministic: %g, %g", ev1.Loss, ev2.Loss)
		}
		return ms.Loss, ev1.Loss
	}
	// The same A (seed 1) in every run; only the dropout differs.
	none, _ := run(0, 1)
	a, _ := run(0.3, 1)
	b, _ := run(0.3, 1)
	if a != b {
		t.Errorf("the same seed gave step-2 losses %g and %g", a, b)
	}
	if a == none {
		t.Errorf("dropout 0.3 left the step-2 loss at %g", a)
	}
}
