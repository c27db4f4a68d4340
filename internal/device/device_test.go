package device

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fakeTree builds files (empty, or links when the value starts with "->")
// under a temporary root and returns it.
func fakeTree(t *testing.T, files map[string]string) string {
	t.Helper()
	root := t.TempDir()
	for name, content := range files {
		p := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if target, ok := strings.CutPrefix(content, "->"); ok {
			if err := os.Symlink(filepath.Join(root, target), p); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

func TestFindCUDAOrderAndDataDirs(t *testing.T) {
	jax13 := "venv/lib/python3.12/site-packages/jax_plugins/xla_cuda13/xla_cuda_plugin.so"
	jax12 := "home/.local/lib/python3.11/site-packages/jax_plugins/xla_cuda12/xla_cuda_plugin.so"
	root := fakeTree(t, map[string]string{
		jax13: "elf",
		"venv/lib/python3.12/site-packages/nvidia/cu13/bin/ptxas": "x",
		jax12: "elf",
		"home/.local/lib/python3.11/site-packages/nvidia/cuda_nvcc/bin/ptxas":     "x",
		"home/.local/lib/go-xla/nvidia/pjrt_c_api_cuda_plugin.so":                 "elf",
		"home/.local/lib/go-xla/nvidia/bin/ptxas":                                 "x",
		"home/.local/lib/go-xla/pjrt_c_api_cpu_plugin.so":                         "elf", // not CUDA
		"custom/pjrt_c_api_cuda_plugin.so":                                        "elf",
		"usr/local/cuda/bin/ptxas":                                                "x",
		"usr/lib/python3/dist-packages/jax_plugins/xla_cuda12/xla_cuda_plugin.so": "elf",
		// a link in PJRT_PLUGIN_LIBRARY_PATH to JAX's plugin is resolved
		"links/pjrt_c_api_cuda_plugin.so": "->" + jax13,
	})
	env := Env{
		PJRTPluginPath: filepath.Join(root, "custom") + ":" + filepath.Join(root, "links"),
		VirtualEnv:     filepath.Join(root, "venv"),
		Home:           filepath.Join(root, "home"),
		Root:           root,
	}
	found, tried := FindCUDA(env)
	type want struct{ path, from, cuda, data string }
	wants := []want{
		{"custom/pjrt_c_api_cuda_plugin.so", "PJRT_PLUGIN_LIBRARY_PATH", "", "usr/local/cuda"},
		{jax13, "PJRT_PLUGIN_LIBRARY_PATH", "13", "venv/lib/python3.12/site-packages/nvidia/cu13"},
		{"home/.local/lib/go-xla/nvidia/pjrt_c_api_cuda_plugin.so", "go-xla", "", "home/.local/lib/go-xla/nvidia"},
		{jax12, "python", "12", "home/.local/lib/python3.11/site-packages/nvidia/cuda_nvcc"},
		{"usr/lib/python3/dist-packages/jax_plugins/xla_cuda12/xla_cuda_plugin.so", "python", "12", "usr/local/cuda"},
	}
	if len(found) != len(wants) {
		t.Fatalf("found %d plugins, want %d: %+v", len(found), len(wants), found)
	}
	for i, w := range wants {
		p := found[i]
		if p.Path != filepath.Join(root, w.path) || !strings.HasPrefix(p.From, w.from) || p.CUDA != w.cuda || p.DataDir != filepath.Join(root, w.data) {
			t.Errorf("plugin %d: %+v, want %+v", i, p, w)
		}
	}
	if len(tried) < 8 {
		t.Errorf("tried %v", tried)
	}
}

func TestMissingPlugin(t *testing.T) {
	root := fakeTree(t, map[string]string{"home/.local/lib/go-xla/pjrt_c_api_cpu_plugin.so": "elf"})
	_, err := CUDAPlugin(Env{Home: filepath.Join(root, "home"), Root: root})
	var me *MissingPluginError
	if !errors.As(err, &me) || !errors.Is(err, ErrNoPlugin) {
		t.Fatalf("error %v, want a MissingPluginError", err)
	}
	if !strings.Contains(me.Hint(), `pip install -U "jax[cuda13]"`) || !strings.Contains(err.Error(), "go-xla") {
		t.Errorf("message %q, hint %q", err, me.Hint())
	}
}

func TestPrepare(t *testing.T) {
	root := t.TempDir()
	p := Plugin{Path: "/opt/jax/site-packages/jax_plugins/xla_cuda13/xla_cuda_plugin.so", DataDir: "/opt/jax/site-packages/nvidia/cu13"}
	s, err := Prepare(Env{XLAFlags: "--xla_dump_to=/tmp/x", CacheDir: root}, p, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if s.Backend != "xla:"+p.Path || s.Link != "" || s.XLAFlags != "--xla_dump_to=/tmp/x --xla_gpu_cuda_data_dir="+p.DataDir {
		t.Errorf("setup %+v", s)
	}
	// the user's own data dir wins; full fp32 matmuls
	s, _ = Prepare(Env{XLAFlags: "--xla_gpu_cuda_data_dir=/usr/cuda"}, p, Options{FP32Matmul: true})
	if s.XLAFlags != "" || s.Backend != "xla:"+p.Path+",notf32" {
		t.Errorf("setup %+v", s)
	}
	// a path with a comma is linked into the cache folder
	odd := fakeTree(t, map[string]string{"a,b/xla_cuda_plugin.so": "elf"})
	p = Plugin{Path: filepath.Join(odd, "a,b", "xla_cuda_plugin.so")}
	for range 2 { // twice: the existing link is reused
		s, err = Prepare(Env{CacheDir: root}, p, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if target, err := os.Readlink(s.Link); err != nil || target != p.Path || s.Backend != "xla:"+s.Link ||
			filepath.Base(s.Link) != LinkName || !strings.HasPrefix(s.Link, root) {
			t.Errorf("setup %+v (link to %q, %v)", s, target, err)
		}
	}
}

func TestParseAndDriver(t *testing.T) {
	for in, want := range map[string]Kind{"cpu": CPU, "CUDA": CUDA, " cuda ": CUDA} {
		if k, err := Parse(in); err != nil || k != want {
			t.Errorf("Parse(%q) = %q, %v", in, k, err)
		}
	}
	if _, err := Parse("gpu"); err == nil {
		t.Error("Parse(gpu) accepted")
	}
	root := fakeTree(t, map[string]string{
		"proc/driver/nvidia/version": "NVRM version: NVIDIA UNIX Open Kernel Module for x86_64  580.65.06  Release Build  (dvs-builder@U16-I3-B03-4-3)  Sun Jul 27 06:54:38 UTC 2025\nGCC version:",
		"dev/nvidia0":                "", "dev/nvidiactl": "",
	})
	env := Env{Root: root}
	if v := DriverVersion(env); v != "580.65.06" {
		t.Errorf("driver %q", v)
	}
	if g := GPUs(env); len(g) != 1 || filepath.Base(g[0]) != "nvidia0" {
		t.Errorf("GPUs %v", g)
	}
	if v := DriverVersion(Env{Root: t.TempDir()}); v != "" {
		t.Errorf("driver %q without one", v)
	}
}
