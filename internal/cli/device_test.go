package cli

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dpokit/dpokit/train"
)

// isolateDevices points the plugin search at an empty fake machine (plus
// the given files) and returns its root.
func isolateDevices(t *testing.T, files ...string) string {
	t.Helper()
	root := t.TempDir()
	for _, f := range files {
		p := filepath.Join(root, f)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("fake"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	old := deviceRoot
	deviceRoot = root
	t.Cleanup(func() { deviceRoot = old })
	for _, v := range []string{"PJRT_PLUGIN_LIBRARY_PATH", "VIRTUAL_ENV", "CONDA_PREFIX", "LD_LIBRARY_PATH", "XLA_FLAGS", "GOMLX_BACKEND"} {
		t.Setenv(v, "")
	}
	t.Setenv("HOME", filepath.Join(root, "home"))
	t.Setenv("XDG_CACHE_HOME", filepath.Join(root, "cache"))
	return root
}

// Without a PJRT CUDA plugin, train --device cuda exits 3 with the install
// hint, before reading anything.
func TestTrainCUDAWithoutPlugin(t *testing.T) {
	isolateDevices(t)
	code, _, stderr := run("train", "--device", "cuda", "--policy", gpt2Policy, "--data", filepath.Join(dataDir, "pairs.jsonl"),
		"--out", filepath.Join(t.TempDir(), "out"))
	if code != 3 || !strings.Contains(stderr, `pip install -U "jax[cuda13]"`) || !strings.Contains(stderr, "no PJRT CUDA plugin") {
		t.Fatalf("exit %d, stderr %q; want 3 with the install hint", code, stderr)
	}
}

// With JAX's plugin in a Python environment, --device cuda trains on XLA
// with it (by absolute path), reference log-probs on the device, and
// XLA_FLAGS naming its CUDA data folder; --tf32=false asks for full fp32.
func TestTrainCUDAFlags(t *testing.T) {
	site := "usr/local/lib/python3.12/dist-packages"
	root := isolateDevices(t, site+"/jax_plugins/xla_cuda13/xla_cuda_plugin.so", site+"/nvidia/cu13/bin/ptxas")
	plugin := filepath.Join(root, site, "jax_plugins/xla_cuda13/xla_cuda_plugin.so")
	args := []string{"--policy", "P", "--data", "D", "--out", filepath.Join(t.TempDir(), "o"), "--device", "cuda"}
	j, err := parseWith(t, trainCommand(), trainOptions, append(args, "--precision", "bf16", "--max-shapes", "3", "--tf32=false", "--logit-chunk", "64")...)
	if err != nil {
		t.Fatal(err)
	}
	if j.Backend != "xla:"+plugin+",notf32" || !j.RefOnDevice || j.Precision != train.BF16 || j.Run.MaxShapes != 3 || j.LogitChunk != 64 {
		t.Fatalf("job backend %q ref on device %v precision %q max shapes %d chunk %d", j.Backend, j.RefOnDevice, j.Precision, j.Run.MaxShapes, j.LogitChunk)
	}
	j, err = parseWith(t, trainCommand(), trainOptions, append(args, "--ref-engine", "onnxruntime")...)
	if err != nil || j.Backend != "xla:"+plugin || j.RefOnDevice || j.Precision != train.FP32 || j.Run.MaxShapes != 4 {
		t.Fatalf("job %+v, %v", j, err)
	}
	s, err := cudaSetup(false)
	if err != nil || s.XLAFlags != "--xla_gpu_cuda_data_dir="+filepath.Join(root, site, "nvidia/cu13") {
		t.Fatalf("setup %+v, %v", s, err)
	}
	for _, bad := range [][]string{{"--backend", "go"}, {"--precision", "fp16"}, {"--ref-engine", "torch"}, {"--max-shapes", "-1"}} {
		_, err := parseWith(t, trainCommand(), trainOptions, append(args, bad...)...)
		var ue *UsageError
		if !errors.As(err, &ue) || !strings.Contains(err.Error(), bad[0]) {
			t.Errorf("%v: error %v, want a usage error naming %s", bad, err, bad[0])
		}
	}
}

// doctor lists the plugin found, what train would use, and ONNX Runtime.
func TestDoctorJSON(t *testing.T) {
	site := "home/.local/lib/python3.11/site-packages"
	root := isolateDevices(t, site+"/jax_plugins/xla_cuda12/xla_cuda_plugin.so", "dev/nvidia0")
	code, stdout, stderr := run("doctor", "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var r doctorReport
	if err := json.Unmarshal([]byte(stdout), &r); err != nil {
		t.Fatal(err)
	}
	want := filepath.Join(root, site, "jax_plugins/xla_cuda12/xla_cuda_plugin.so")
	if len(r.PJRT.CUDA) != 1 || r.PJRT.CUDA[0].Path != want || r.PJRT.CUDA[0].CUDA != "12" || r.PJRT.Train == nil ||
		r.PJRT.Train.Backend != "xla:"+want || len(r.NVIDIA.GPUs) != 1 {
		t.Errorf("report %+v", r)
	}
	if r.ONNXRuntime.Version == "" || len(r.ONNXRuntime.Providers) == 0 || r.ONNXRuntime.Providers[0] != "CPUExecutionProvider" {
		t.Errorf("ONNX Runtime %+v", r.ONNXRuntime)
	}
	if !strings.Contains(strings.Join(r.GoMLX.Backends, " "), "go") {
		t.Errorf("GoMLX backends %v", r.GoMLX.Backends)
	}
}

// train --ref-engine gomlx --precision bf16 --max-shapes 2 runs end to end
// on the pure-Go backend; the output's dpokit_train.json reports the
// compile, the time to the first step, the reference engine and memory;
// the reference cache it wrote is reused by an ONNX Runtime run (the key
// is the model, data and tokenization, not the engine).
func TestTrainDeviceOptionsEndToEnd(t *testing.T) {
	dir := t.TempDir()
	cache := filepath.Join(dir, "ref.jsonl")
	args := []string{"train", "--policy", gpt2Policy, "--ref", gpt2Ref, "--data", filepath.Join(dataDir, "pairs.jsonl"),
		"--max-steps", "2", "--batch-size", "4", "--ref-cache", cache, "--log", filepath.Join(dir, "log.jsonl")}
	out := filepath.Join(dir, "a")
	code, _, stderr := run(append(args, "--out", out, "--ref-engine", "gomlx", "--precision", "bf16", "--max-shapes", "2")...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	b, err := os.ReadFile(filepath.Join(out, "dpokit_train.json"))
	if err != nil {
		t.Fatal(err)
	}
	var prov struct {
		Precision   string         `json:"precision"`
		Performance train.RunStats `json:"performance"`
	}
	if err := json.Unmarshal(b, &prov); err != nil {
		t.Fatal(err)
	}
	p := prov.Performance
	if prov.Precision != "bf16" || len(p.Shapes) == 0 || len(p.Shapes) > 2 || len(p.Graphs["train"]) > 2 || p.CompileSeconds <= 0 ||
		p.FirstStepSeconds <= p.CompileSeconds || !strings.HasPrefix(p.RefEngine, "GoMLX") || p.RefPairs != 24 || p.PeakRSSBytes <= 0 {
		t.Fatalf("provenance precision %q, performance %+v", prov.Precision, p)
	}
	if !strings.Contains(stderr, "time_to_first_step_seconds") || !strings.Contains(stderr, "compiled ahead of step 1") {
		t.Errorf("log lacks the compile and first-step lines: %s", stderr)
	}
	code, _, stderr = run(append(args, "--out", filepath.Join(dir, "b"), "--ref-engine", "onnxruntime")...)
	if code != 0 || !strings.Contains(stderr, "reference log-probs (cached)") {
		t.Fatalf("exit %d; the ONNX Runtime run did not reuse the cache: %s", code, stderr)
	}
}
