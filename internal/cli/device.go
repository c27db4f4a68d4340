package cli

import (
	"os"
	"path/filepath"

	"github.com/dpokit/dpokit/internal/device"
)

// deviceRoot prefixes the system folders the plugin search reads ("" is
// "/"); tests point it at fake folders.
var deviceRoot = ""

// deviceEnv is what the PJRT plugin search reads from the environment.
func deviceEnv() device.Env {
	env := device.Env{Root: deviceRoot,
		PJRTPluginPath: os.Getenv("PJRT_PLUGIN_LIBRARY_PATH"), LDLibraryPath: os.Getenv("LD_LIBRARY_PATH"),
		VirtualEnv: os.Getenv("VIRTUAL_ENV"), CondaPrefix: os.Getenv("CONDA_PREFIX"), XLAFlags: os.Getenv("XLA_FLAGS"),
	}
	env.Home, _ = os.UserHomeDir()
	if dir, err := os.UserCacheDir(); err == nil {
		env.CacheDir = filepath.Join(dir, "dpokit")
	}
	return env
}

// cudaSetup finds the PJRT CUDA plugin for --device cuda and returns the
// GoMLX backend configuration and XLA flags that use it (a
// *device.MissingPluginError, exit status 3, when there is none).
func cudaSetup(fp32Matmul bool) (device.Setup, error) {
	env := deviceEnv()
	p, err := device.CUDAPlugin(env)
	if err != nil {
		return device.Setup{}, err
	}
	return device.Prepare(env, *p, device.Options{FP32Matmul: fp32Matmul})
}

// applyCUDAEnv sets, in the dpokit process only, the XLA flags the plugin
// needs (its CUDA data folder) before the plugin is loaded; go-xla's own
// check for an nvidia/ folder beside the plugin is then not needed.
func applyCUDAEnv(s device.Setup) error {
	if s.XLAFlags == "" {
		return nil
	}
	if err := os.Setenv("XLA_FLAGS", s.XLAFlags); err != nil {
		return err
	}
	return os.Setenv("GOPJRT_CUDA_CHECKS", "0")
}
