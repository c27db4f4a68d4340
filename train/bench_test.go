package train

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"testing"
	"time"
)

// BenchmarkDPOStep times one DPO optimizer step (sigmoid loss, AdamW,
// clipping) on a batch of 4 pairs — 8 sequences of 32 to 128 tokens — and,
// in the same run, PyTorch 1.13 doing the same step on the same model and
// batch (testdata/train/bench_pytorch.py), then prints both and the ratio.
// Two models: the committed llama-policy (1.0M parameters, most of them
// the 32k×32 embedding) and an 11M-parameter Llama (hidden 256, 4 layers,
// as testdata/models/README.md builds for benchmarks; made once with
// make_models.py under the temp dir).
//
//	go test -run '^$' -bench DPOStep -benchtime 10x ./train/
//
// DPOKIT_BENCH_MODEL names another model directory made by make_models.py
// instead; DPOKIT_BENCH_BACKEND a GoMLX backend configuration. Building
// with GOEXPERIMENT=simd speeds up GoMLX's matrix multiplications.
func BenchmarkDPOStep(b *testing.B) {
	dirs := map[string]string{"llama-1M": filepath.Join(modelsDir, "llama-policy"), "llama-11M": ""}
	if d := os.Getenv("DPOKIT_BENCH_MODEL"); d != "" {
		dirs = map[string]string{filepath.Base(d): d}
	}
	for _, name := range []string{"llama-1M", "llama-11M", filepath.Base(os.Getenv("DPOKIT_BENCH_MODEL"))} {
		dir, ok := dirs[name]
		if !ok {
			continue
		}
		b.Run(name, func(b *testing.B) {
			if dir == "" {
				var err error
				if dir, err = benchModel(); err != nil {
					b.Skipf("cannot build the benchmark model: %v", err)
				}
			}
			benchDPOStep(b, dir)
		})
	}
}

// benchModel builds the 11M-parameter Llama of testdata/models/README.md
// once (it needs Debian's PyTorch).
func benchModel() (string, error) {
	dir := filepath.Join(os.TempDir(), "dpokit-bench-llama-11m")
	if _, err := os.Stat(filepath.Join(dir, "model.onnx")); err == nil {
		return dir, nil
	}
	tmp := dir + ".tmp"
	os.RemoveAll(tmp)
	out, err := exec.Command("/usr/bin/python3", filepath.Join(modelsDir, "make_models.py"), "--family", "llama", "--hidden", "256",
		"--layers", "4", "--heads", "8", "--kv-heads", "4", "--intermediate", "688", "--seed", "3", "--out", tmp).CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("%v: %s", err, out)
	}
	return dir, os.Rename(tmp, dir)
}

func benchDPOStep(b *testing.B, dir string) {
	m, err := Load(filepath.Join(dir, "model.onnx"), LoadOptions{Backend: os.Getenv("DPOKIT_BENCH_BACKEND")})
	if err != nil {
		b.Fatal(err)
	}
	exs := benchPairs(min(m.Vocab(), 32000))
	cfg := Config{LR: 1e-6, BatchSize: len(exs), MaxGradNorm: 1}
	tr, err := NewTrainer(m, cfg)
	if err != nil {
		b.Fatal(err)
	}
	tokens := 0
	for _, e := range exs {
		tokens += 2*len(e.Prompt) + len(e.Chosen) + len(e.Rejected)
	}
	if _, err := tr.Step([][]Example{exs}); err != nil { // compiles the graphs
		b.Fatal(err)
	}
	runtime.GC()
	resetPeakRSS()
	b.ResetTimer()
	start := time.Now()
	steps := 0
	for b.Loop() {
		if _, err := tr.Step([][]Example{exs}); err != nil {
			b.Fatal(err)
		}
		steps++
	}
	sec := time.Since(start).Seconds() / float64(steps)
	b.StopTimer()
	peak := peakRSSMB()
	b.ReportMetric(sec*1000, "ms/step")
	b.ReportMetric(float64(tokens)/sec, "tokens/s")
	b.ReportMetric(peak, "peakRSS-MB")

	py, err := benchPyTorch(dir, exs, cfg, max(3, min(steps, 20)))
	if err != nil {
		b.Logf("PyTorch side not run: %v", err)
		return
	}
	b.ReportMetric(sec/py.Seconds, "x-pytorch-time")
	fmt.Printf("\nDPO step, %s (%s parameters): %d pairs, %d real tokens, %d CPUs\n", filepath.Base(dir), fmtParams(m.Parameters()), len(exs), tokens, runtime.NumCPU())
	fmt.Printf("%-28s %12s %12s %14s\n", "", "ms/step", "tokens/s", "peak RSS MB")
	fmt.Printf("%-28s %12.1f %12.0f %14.0f\n", "dpokit (GoMLX "+m.Backend()+")", sec*1000, float64(tokens)/sec, peak)
	fmt.Printf("%-28s %12.1f %12.0f %14.0f\n", "PyTorch "+py.Torch, py.Seconds*1000, py.TokensPerSecond, py.PeakRSS)
	fmt.Printf("%-28s %12.2f %12.2f %14.2f\n\n", "ratio dpokit/PyTorch", sec/py.Seconds, float64(tokens)/sec/py.TokensPerSecond, peak/py.PeakRSS)
}

// benchPairs: 4 pairs whose sequences are 32 to 128 tokens long.
func benchPairs(vocab int) []Example {
	rng := rand.New(rand.NewPCG(2024, 5))
	ids := func(n int) []int {
		out := make([]int, n)
		for i := range out {
			out[i] = 1 + rng.IntN(vocab-1)
		}
		return out
	}
	shape := [][3]int{{16, 16, 24}, {40, 30, 50}, {64, 64, 40}, {24, 8, 12}} // prompt, chosen, rejected
	out := make([]Example, len(shape))
	for i, s := range shape {
		out[i] = Example{Index: i, ID: strconv.Itoa(i), Prompt: ids(s[0]), Chosen: ids(s[1]), Rejected: ids(s[2]),
			RefChosen: -4 * float64(s[1]), RefRejected: -4 * float64(s[2])}
	}
	return out
}

type pytorchTiming struct {
	Seconds         float64 `json:"seconds_per_step"`
	TokensPerSecond float64 `json:"tokens_per_second"`
	PeakRSS         float64 `json:"peak_rss_mb"`
	Torch           string  `json:"torch"`
}

func benchPyTorch(dir string, exs []Example, cfg Config, steps int) (*pytorchTiming, error) {
	type pair struct {
		Prompt      []int   `json:"prompt"`
		Chosen      []int   `json:"chosen"`
		Rejected    []int   `json:"rejected"`
		RefChosen   float64 `json:"ref_chosen_logp"`
		RefRejected float64 `json:"ref_rejected_logp"`
	}
	spec := struct {
		Pairs       []pair  `json:"pairs"`
		Beta        float64 `json:"beta"`
		LR          float64 `json:"lr"`
		MaxGradNorm float64 `json:"max_grad_norm"`
	}{Beta: 0.1, LR: cfg.LR, MaxGradNorm: cfg.MaxGradNorm}
	for _, e := range exs {
		spec.Pairs = append(spec.Pairs, pair{e.Prompt, e.Chosen, e.Rejected, e.RefChosen, e.RefRejected})
	}
	f, err := os.CreateTemp("", "dpokit-bench-*.json")
	if err != nil {
		return nil, err
	}
	defer os.Remove(f.Name())
	if err := json.NewEncoder(f).Encode(spec); err != nil {
		return nil, err
	}
	f.Close()
	cmd := exec.Command("/usr/bin/python3", filepath.Join("..", "testdata", "train", "bench_pytorch.py"), dir, f.Name(), strconv.Itoa(steps))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("%v: %s", err, stderr.String())
	}
	var t pytorchTiming
	if err := json.Unmarshal(out, &t); err != nil {
		return nil, fmt.Errorf("%v: %q", err, out)
	}
	return &t, nil
}

// resetPeakRSS resets the kernel's high-water mark of this process's
// resident memory (Linux), so that peakRSSMB measures from here.
func resetPeakRSS() { _ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) }

func fmtParams(n int64) string { return fmt.Sprintf("%.2fM", float64(n)/1e6) }
