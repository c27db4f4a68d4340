package families_test

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/dpokit/dpokit/models"
)

const root = "../.."

// scripts are the files whose content names the generated folder; the
// list and the hashing are those of make_families.py's script_hash.
var scripts = []string{"testdata/families/make_families.py", "testdata/families/encode.js",
	"testdata/models/make_models.py", "testdata/families/dpo_sigmoid.py", "scripts/fetch/tokenizers.sh"}

var (
	genDir string          // the generated models and references
	rt     *models.Runtime // ONNX Runtime, shared by the tests
	binDir string          // holds the dpokit binary built for the CLI tests
	man    manifest
)

type manifest struct {
	ScriptSHA string `json:"script_sha256"`
	Families  []struct {
		Name, Ref, Policy, Tokenizer string
		ModelType                    string `json:"model_type"`
	} `json:"families"`
	Variants []struct {
		Name, Family, Weights, Layout, Shows string
	} `json:"variants"`
}

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	var err error
	if genDir, err = ensureModels(); err != nil {
		fmt.Fprintln(os.Stderr, "families tests:", err)
		return 1
	}
	if err := readJSON(filepath.Join(genDir, "manifest.json"), &man); err != nil {
		fmt.Fprintln(os.Stderr, "families tests:", err)
		return 1
	}
	lib := os.Getenv("DPOKIT_ORT_LIB")
	if lib == "" {
		lib = filepath.Join(root, "third_party/onnxruntime/libonnxruntime.so.1")
	}
	if rt, err = models.NewRuntime(models.RuntimeOptions{Library: lib}); err != nil {
		fmt.Fprintf(os.Stderr, "families tests need ONNX Runtime: %v\nrun `make ort` (or set DPOKIT_ORT_LIB)\n", err)
		return 1
	}
	defer rt.Close()
	if binDir, err = os.MkdirTemp("", "dpokit-families-bin"); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(binDir)
	return m.Run()
}

// scriptHash is make_families.py's script_hash: sha256 over each script's
// path, a NUL byte and its content.
func scriptHash() (string, error) {
	h := sha256.New()
	for _, p := range scripts {
		b, err := os.ReadFile(filepath.Join(root, p))
		if err != nil {
			return "", err
		}
		h.Write([]byte(p + "\x00"))
		h.Write(b)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// ensureModels returns .cache/families/<hash>, running make_families.py
// (and scripts/fetch/tokenizers.sh) first when it is missing. The folder is
// written under another name and renamed, so it is complete or absent; a
// lock keeps two test processes from generating at once.
func ensureModels() (string, error) {
	sum, err := scriptHash()
	if err != nil {
		return "", err
	}
	base := filepath.Join(root, ".cache", "families")
	dir := filepath.Join(base, sum[:16])
	if _, err := os.Stat(filepath.Join(dir, "manifest.json")); err == nil {
		return dir, nil
	}
	if err := os.MkdirAll(base, 0o755); err != nil {
		return "", err
	}
	lock, err := os.OpenFile(filepath.Join(base, ".lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return "", err
	}
	defer lock.Close()
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		return "", err
	}
	if _, err := os.Stat(filepath.Join(dir, "manifest.json")); err == nil {
		return dir, nil // made by another process meanwhile
	}
	py := "/usr/bin/python3"
	if out, err := exec.Command(py, "-c", "import torch, onnx, numpy").CombinedOutput(); err != nil {
		return "", fmt.Errorf("the family models are made with PyTorch and onnx (%s: %v: %s): apt-get install python3-torch python3-onnx python3-numpy", py, err, strings.TrimSpace(string(out)))
	}
	if _, err := exec.LookPath("node"); err != nil {
		return "", fmt.Errorf("make_families.py runs Hugging Face's tokenizers through node: apt-get install nodejs npm")
	}
	if err := runLogged(exec.Command("bash", filepath.Join(root, "scripts/fetch/tokenizers.sh"))); err != nil {
		return "", fmt.Errorf("scripts/fetch/tokenizers.sh: %w", err)
	}
	tmp := dir + fmt.Sprintf(".tmp%d", os.Getpid())
	os.RemoveAll(tmp)
	fmt.Fprintf(os.Stderr, "families tests: making the models into %s (once per script version; a few minutes)\n", dir)
	if err := runLogged(exec.Command(py, filepath.Join(root, "testdata/families/make_families.py"), "--out", tmp)); err != nil {
		os.RemoveAll(tmp)
		return "", fmt.Errorf("make_families.py: %w", err)
	}
	return dir, os.Rename(tmp, dir)
}

// runLogged runs cmd with its output on stderr.
func runLogged(cmd *exec.Cmd) error {
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	return cmd.Run()
}

func readJSON(path string, v any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}
