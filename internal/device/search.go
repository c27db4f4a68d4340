package device

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
)

// pluginName matches the file names go-xla recognises as PJRT plugins,
// capturing the platform name (go-xla's pjrt.rePluginName).
var pluginName = regexp.MustCompile(`^(?:pjrt_c_api_(.+)_plugin|pjrt[-_]plugin[-_](.+))\.so$`)

// jaxPlugin matches the path of JAX's CUDA plugin, capturing the CUDA major version.
var jaxPlugin = regexp.MustCompile(`/jax_plugins/xla_cuda(\d+)/xla_cuda_plugin\.so$`)

// isCUDAName is go-xla's test for a CUDA plugin name (pjrt.IsCUDAName).
func isCUDAName(s string) bool {
	u := strings.ToUpper(s)
	return strings.Contains(u, "CUDA") || strings.Contains(u, "NVIDIA")
}

// FindCUDA lists the PJRT CUDA plugins found, in the order of preference,
// and every folder searched. Nothing is loaded.
func FindCUDA(env Env) (found []Plugin, tried []string) {
	seen := map[string]bool{}
	add := func(path, from, cuda string) {
		real, err := filepath.EvalSymlinks(path)
		if err != nil || !isFile(real) {
			return
		}
		if real, err = filepath.Abs(real); err != nil || seen[real] {
			return
		}
		seen[real] = true
		if m := jaxPlugin.FindStringSubmatch(real); m != nil && cuda == "" {
			cuda = m[1] // a link to JAX's plugin
		}
		p := Plugin{Path: real, From: from, CUDA: cuda}
		p.DataDir = dataDir(env, p)
		found = append(found, p)
	}
	for _, entry := range splitList(env.PJRTPluginPath) {
		tried = append(tried, entry)
		if isFile(entry) {
			add(entry, "PJRT_PLUGIN_LIBRARY_PATH", "")
			continue
		}
		for _, f := range pluginFiles(entry) {
			add(f, "PJRT_PLUGIN_LIBRARY_PATH", "")
		}
	}
	for _, dir := range goXLAFolders(env) {
		tried = append(tried, dir)
		for _, f := range pluginFiles(dir) {
			add(f, "go-xla", "")
		}
	}
	for _, site := range sitePackages(env) {
		tried = append(tried, site)
		for _, cuda := range []string{"13", "12"} {
			add(filepath.Join(site, "jax_plugins", "xla_cuda"+cuda, "xla_cuda_plugin.so"), "python "+site, cuda)
		}
	}
	return found, tried
}

// CUDAPlugin returns the first plugin FindCUDA finds, or a
// *MissingPluginError naming the folders searched.
func CUDAPlugin(env Env) (*Plugin, error) {
	found, tried := FindCUDA(env)
	if len(found) == 0 {
		return nil, &MissingPluginError{Tried: tried}
	}
	return &found[0], nil
}

// pluginFiles lists the CUDA plugin files of a folder, as go-xla names them.
func pluginFiles(dir string) []string {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil
	}
	var out []string
	for _, e := range entries {
		m := pluginName.FindStringSubmatch(e.Name())
		if m != nil && isCUDAName(m[1]+m[2]) {
			out = append(out, filepath.Join(dir, e.Name()))
		}
	}
	return out
}

// goXLAFolders are the folders go-xla searches for plugins when
// PJRT_PLUGIN_LIBRARY_PATH is not set (pjrt/dynamiclib_posix.go).
func goXLAFolders(env Env) []string {
	var dirs []string
	if env.Home != "" {
		local := filepath.Join(env.Home, ".local", "lib")
		dirs = append(dirs, filepath.Join(local, "go-xla"), filepath.Join(local, "go-xla", "nvidia"), filepath.Join(local, "gomlx", "pjrt"))
	}
	sys := env.path("/usr/local/lib")
	dirs = append(dirs, filepath.Join(sys, "go-xla"), filepath.Join(sys, "go-xla", "nvidia"), filepath.Join(sys, "gomlx", "pjrt"))
	for _, d := range splitList(env.LDLibraryPath) {
		if filepath.IsAbs(d) {
			dirs = append(dirs, d)
		}
	}
	return dirs
}

// sitePackages lists the Python package folders searched for JAX's plugin.
func sitePackages(env Env) []string {
	var out []string
	glob := func(pattern string) {
		m, _ := filepath.Glob(pattern)
		slices.Sort(m)
		slices.Reverse(m) // the newest Python first
		out = append(out, m...)
	}
	for _, prefix := range []string{env.VirtualEnv, env.CondaPrefix} {
		if prefix != "" {
			glob(filepath.Join(prefix, "lib", "python3*", "site-packages"))
		}
	}
	if env.Home != "" {
		glob(filepath.Join(env.Home, ".local", "lib", "python3*", "site-packages"))
	}
	glob(filepath.Join(env.path("/usr/local/lib"), "python3*", "dist-packages"))
	glob(filepath.Join(env.path("/usr/local/lib"), "python3*", "site-packages"))
	if d := env.path("/usr/lib/python3/dist-packages"); isDir(d) {
		out = append(out, d)
	}
	return out
}

// dataDir finds the CUDA data folder of a plugin: a folder with bin/ptxas
// among the NVIDIA wheels beside it (JAX: site-packages/nvidia/cu13 or
// nvidia/cuda_nvcc; go-xla: its nvidia folder), else /usr/local/cuda.
func dataDir(env Env, p Plugin) string {
	dir := filepath.Dir(p.Path)
	var cands []string
	if p.CUDA != "" { // site-packages/jax_plugins/xla_cudaNN/xla_cuda_plugin.so
		nv := filepath.Join(filepath.Dir(filepath.Dir(dir)), "nvidia")
		cands = append(cands, filepath.Join(nv, "cu"+p.CUDA), filepath.Join(nv, "cuda_nvcc"))
	} else {
		cands = append(cands, dir, filepath.Join(dir, "cu13"), filepath.Join(dir, "cuda_nvcc"),
			filepath.Join(filepath.Dir(dir), "nvidia"))
	}
	cands = append(cands, env.path("/usr/local/cuda"))
	for _, c := range cands {
		if isFile(filepath.Join(c, "bin", "ptxas")) {
			return c
		}
	}
	return ""
}

func (env Env) path(abs string) string {
	if env.Root == "" {
		return abs
	}
	return filepath.Join(env.Root, abs)
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, string(os.PathListSeparator)) {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func isFile(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.Mode().IsRegular()
}

func isDir(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.IsDir()
}
