package device

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Options are the XLA settings of a CUDA run.
type Options struct {
	// FP32Matmul asks for full float32 matrix multiplies. Without it XLA's
	// CUDA default applies: TF32 (go-xla leaves the dot precision at
	// DEFAULT, which XLA runs on TF32 tensor cores on Ampere and newer).
	FP32Matmul bool
}

// Setup is what a CUDA run needs.
type Setup struct {
	Plugin Plugin
	// Backend is the GoMLX backend configuration: the XLA backend with the
	// plugin's absolute path ("xla:/…/xla_cuda_plugin.so[,notf32]").
	Backend string
	// XLAFlags is the value XLA_FLAGS must have in the dpokit process
	// before the plugin is loaded: the user's flags plus
	// --xla_gpu_cuda_data_dir when a data folder was found and the user
	// gave none. "" when nothing is to be set.
	XLAFlags string
	// Link is the link made in dpokit's cache folder when the plugin's path
	// cannot be written in a backend configuration; "" otherwise.
	Link string
}

// LinkName is the plugin file name go-xla looks for.
const LinkName = "pjrt_c_api_cuda_plugin.so"

// Prepare returns the setup of a CUDA run with plugin p. It creates at most
// a link in env.CacheDir, and changes no environment variable.
func Prepare(env Env, p Plugin, o Options) (Setup, error) {
	s := Setup{Plugin: p}
	path := p.Path
	if strings.Contains(path, ",") { // the backend configuration's option separator
		link, err := linkPlugin(env.CacheDir, path)
		if err != nil {
			return s, err
		}
		s.Link, path = link, link
	}
	s.Backend = "xla:" + path
	if o.FP32Matmul {
		s.Backend += ",notf32"
	}
	if p.DataDir != "" && !strings.Contains(env.XLAFlags, "--xla_gpu_cuda_data_dir") {
		s.XLAFlags = strings.TrimSpace(env.XLAFlags + " --xla_gpu_cuda_data_dir=" + p.DataDir)
	}
	return s, nil
}

// linkPlugin links target as pjrt_c_api_cuda_plugin.so in a folder of the
// cache named by the target's path, replacing a stale link.
func linkPlugin(cacheDir, target string) (string, error) {
	if cacheDir == "" {
		return "", errors.New("no cache folder to link the PJRT plugin into")
	}
	sum := sha256.Sum256([]byte(target))
	dir := filepath.Join(cacheDir, "pjrt", hex.EncodeToString(sum[:6]))
	if strings.Contains(dir, ",") {
		return "", fmt.Errorf("PJRT plugin %s: neither its path nor the cache folder %s can be written in a GoMLX backend configuration (they hold a comma)", target, cacheDir)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	link := filepath.Join(dir, LinkName)
	if cur, err := os.Readlink(link); err == nil && cur == target {
		return link, nil
	}
	tmp := link + ".tmp"
	_ = os.Remove(tmp)
	if err := os.Symlink(target, tmp); err != nil {
		return "", fmt.Errorf("link PJRT plugin: %w", err)
	}
	if err := os.Rename(tmp, link); err != nil {
		return "", fmt.Errorf("link PJRT plugin: %w", err)
	}
	return link, nil
}
