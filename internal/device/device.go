// Package device finds, without loading anything (no cgo), what `--device
// cuda` needs for training: the PJRT CUDA plugin that GoMLX's XLA backend
// loads, the CUDA data folder XLA compiles with (ptxas, libdevice), and the
// GoMLX backend configuration that names the plugin by its absolute path.
//
// The search reads only the [Env] it is given (internal/cli fills it from the
// environment) and, in this order:
//
//  1. PJRT_PLUGIN_LIBRARY_PATH: folders (or plugin files), ':'-separated;
//  2. go-xla's install folders, as github.com/gomlx/go-xla/pjrt searches them:
//     ~/.local/lib/go-xla(/nvidia), ~/.local/lib/gomlx/pjrt,
//     /usr/local/lib/go-xla(/nvidia), /usr/local/lib/gomlx/pjrt, and LD_LIBRARY_PATH;
//  3. Python environments holding JAX's CUDA plugin,
//     jax_plugins/xla_cuda13 then xla_cuda12 /xla_cuda_plugin.so, in the site-packages of
//     VIRTUAL_ENV, CONDA_PREFIX, ~/.local/lib/python3.*, /usr/local/lib/python3.* (dist- and
//     site-packages) and /usr/lib/python3/dist-packages.
//
// go-xla reads PJRT_PLUGIN_LIBRARY_PATH once, when its package is initialised,
// so dpokit never sets it: an absolute plugin path in the backend
// configuration ("xla:/path/to/plugin.so") makes go-xla load that file
// directly (compute/xla NewWithOptions skips its search for absolute names).
// Only a path the configuration cannot hold (one with a comma, the option
// separator) is linked, as pjrt_c_api_cuda_plugin.so, into dpokit's own cache
// folder. XLA_FLAGS is returned for the dpokit process to set on itself; the
// user's environment and files are never changed.
package device

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
)

// Kind is a device as the --device flag names it.
type Kind string

// The devices.
const (
	CPU  Kind = "cpu"
	CUDA Kind = "cuda"
)

// Parse reads a --device value.
func Parse(s string) (Kind, error) {
	switch k := Kind(strings.ToLower(strings.TrimSpace(s))); k {
	case CPU, CUDA:
		return k, nil
	}
	return "", fmt.Errorf("unknown device %q (want cpu or cuda)", s)
}

// Env is what the search reads. internal/cli fills it from the process
// environment; tests point it at fake folders.
type Env struct {
	PJRTPluginPath string // PJRT_PLUGIN_LIBRARY_PATH
	LDLibraryPath  string // LD_LIBRARY_PATH
	VirtualEnv     string // VIRTUAL_ENV
	CondaPrefix    string // CONDA_PREFIX
	Home           string // the user's home folder
	XLAFlags       string // XLA_FLAGS as the user set it
	CacheDir       string // dpokit's cache folder (os.UserCacheDir()/dpokit)
	// Root prefixes the system folders searched (/usr/local/lib/…,
	// /usr/lib/python3, /proc/driver, /dev); "" means "/".
	Root string
}

// Plugin is a PJRT CUDA plugin found on this machine.
type Plugin struct {
	Path string `json:"path"` // absolute, links resolved
	From string `json:"from"` // where it was found (PJRT_PLUGIN_LIBRARY_PATH, go-xla, python …)
	CUDA string `json:"cuda"` // CUDA major version of a JAX plugin ("12", "13"), "" when unknown
	// DataDir is the CUDA data folder (bin/ptxas, nvvm/libdevice) XLA
	// compiles kernels with; "" when none was found beside the plugin or in
	// /usr/local/cuda.
	DataDir string `json:"cuda_data_dir"`
}

// MissingPluginError says that no PJRT CUDA plugin was found; Hint says how
// to install one.
type MissingPluginError struct {
	Tried []string // folders searched
}

func (e *MissingPluginError) Error() string {
	msg := "--device cuda: no PJRT CUDA plugin found for GoMLX's XLA backend"
	if n := len(e.Tried); n > 0 {
		shown := e.Tried[:min(n, 6)]
		msg += " (searched " + strings.Join(shown, ", ")
		if n > len(shown) {
			msg += fmt.Sprintf(" and %d more", n-len(shown))
		}
		msg += ")"
	}
	return msg
}

// Hint tells the user how to get the plugin.
func (e *MissingPluginError) Hint() string {
	return `install JAX's CUDA plugin into a Python environment dpokit searches (an active venv or conda env, ~/.local, ` +
		`/usr/local): pip install -U "jax[cuda13]" (NVIDIA driver >= 580) or pip install -U "jax[cuda12]"; ` +
		"or point PJRT_PLUGIN_LIBRARY_PATH at a folder holding pjrt_c_api_cuda_plugin.so; `dpokit doctor` lists what is found"
}

// ErrNoPlugin is matched by a MissingPluginError with errors.Is.
var ErrNoPlugin = errors.New("no PJRT CUDA plugin")

// Is makes errors.Is(err, ErrNoPlugin) true.
func (e *MissingPluginError) Is(target error) bool { return target == ErrNoPlugin }

// GPUs lists the NVIDIA device files (/dev/nvidia0, …): the cards the
// driver exposes.
func GPUs(env Env) []string {
	m, _ := filepath.Glob(env.path("/dev/nvidia[0-9]*"))
	return m
}

// DriverVersion is the NVIDIA kernel driver's version
// (/proc/driver/nvidia/version), "" when no driver is loaded.
func DriverVersion(env Env) string {
	b, err := os.ReadFile(env.path("/proc/driver/nvidia/version"))
	if err != nil {
		return ""
	}
	m := driverVersion.FindSubmatch(b)
	if m == nil {
		return ""
	}
	return string(m[1])
}

var driverVersion = regexp.MustCompile(`Kernel Module(?:\s+for\s+\S+)?\s+(\d+\.\d+(?:\.\d+)?)`)
