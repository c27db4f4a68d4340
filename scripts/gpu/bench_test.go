// Package gpu holds the GPU benchmark script (bench.py) and its CPU check.
package gpu

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestBenchCPU runs bench.py --cpu end to end: tiny models of both
// vocabularies built and exported, pairs tokenized by dpokit, dpokit train
// (fp32 and bf16, reference log-probs on GoMLX) and PyTorch eager (fp32 and
// bf16 autocast) on the same ids — whose reference log-probs the script
// checks against each other — ONNX Runtime's reference rate, and the table.
func TestBenchCPU(t *testing.T) {
	py := os.Getenv("DPOKIT_PYTHON")
	if py == "" {
		py = "/usr/bin/python3"
	}
	if out, err := exec.Command(py, "-c", "import torch, onnx, numpy").CombinedOutput(); err != nil {
		t.Fatalf("bench.py needs PyTorch, onnx and numpy for %s (Debian: apt-get install python3-torch python3-onnx python3-numpy, or `make deps`): %v\n%s", py, err, out)
	}
	ort := os.Getenv("DPOKIT_ORT_LIB")
	if ort == "" {
		ort, _ = filepath.Abs("../../third_party/onnxruntime/libonnxruntime.so.1")
	}
	if _, err := os.Stat(ort); err != nil {
		t.Fatalf("this test needs ONNX Runtime: run `make ort` or set DPOKIT_ORT_LIB (%v)", err)
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "dpokit")
	if out, err := exec.Command("go", "build", "-o", bin, "../../cmd/dpokit").CombinedOutput(); err != nil {
		t.Fatalf("build dpokit: %v\n%s", err, out)
	}
	res := filepath.Join(dir, "bench.json")
	cmd := exec.Command(py, "bench.py", "--dpokit", bin, "--cpu", "--work", filepath.Join(dir, "work"), "--json", res)
	cmd.Env = append(os.Environ(), "DPOKIT_ORT_LIB="+ort)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("bench.py --cpu: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "| model | run | steady tokens/s | compile s | time to first step s |") {
		t.Errorf("no table in the output:\n%s", out)
	}
	var r struct {
		Rows []struct {
			Model, Run                              string
			TokensPerS, CompileS, FirstStepS, WallS *float64
			PeakMiB, RefPairsPerS                   *float64
		}
		Notes []string
	}
	b, err := os.ReadFile(res)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	if len(r.Rows) != 9 {
		t.Fatalf("%d rows, want 4 runs per model and the ONNX Runtime reference:\n%s", len(r.Rows), out)
	}
	for _, row := range r.Rows[:8] {
		pos := func(v *float64) bool { return v != nil && *v > 0 }
		if !pos(row.TokensPerS) || !pos(row.FirstStepS) || !pos(row.WallS) || *row.WallS < *row.FirstStepS || !pos(row.PeakMiB) ||
			!pos(row.RefPairsPerS) || (strings.HasPrefix(row.Run, "dpokit") && !pos(row.CompileS)) {
			t.Errorf("row %s %s has missing or impossible figures: %s", row.Model, row.Run, b)
		}
	}
	if !strings.Contains(strings.Join(r.Notes, "\n"), "vs PyTorch on the same ids") {
		t.Errorf("notes lack the reference check: %v", r.Notes)
	}
	t.Logf("%s", out[strings.Index(string(out), "dpokit train vs PyTorch"):])
}
