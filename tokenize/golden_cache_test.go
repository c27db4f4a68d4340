package tokenize

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sync"
	"testing"
)

// The downloaded families' tokenizer files are fetched by
// scripts/fetch/tokenizers.sh into .cache/tokenizers, and their goldens are
// written by scripts/tokenize/reference.mjs into .cache/tokenize-golden, named
// by a hash of everything they depend on: the script, the corpus and the
// tokenizer files. Both steps run here when their result is missing; they need
// node and npm, and the test fails saying so when these are absent.

// tokenizerCache (chat_test.go) is ../.cache/tokenizers.
const (
	repoRoot    = ".."
	goldenCache = "../.cache/tokenize-golden"
)

// familyDir returns the directory of a committed or downloaded family,
// fetching the downloaded ones when they are missing.
func familyDir(t testing.TB, family string) string {
	t.Helper()
	if slices.Contains(families, family) {
		return filepath.Join(testdata, family)
	}
	if _, ok := variantFamilies[family]; ok {
		return variantDir(t, family)
	}
	dir := filepath.Join(tokenizerCache, family)
	if err := fetchOnce(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "tokenizer.json")); err != nil {
		t.Fatalf("%s: %v (scripts/fetch/tokenizers.sh did not provide it)", family, err)
	}
	return dir
}

// fetchOnce runs scripts/fetch/tokenizers.sh when a family or the reference
// library is missing from the cache.
var fetchOnce = sync.OnceValue(func() error {
	complete := true
	for _, f := range downloadedFamilies {
		if _, err := os.Stat(filepath.Join(tokenizerCache, f, ".sha512")); err != nil {
			complete = false
		}
	}
	if _, err := os.Stat(filepath.Join(tokenizerCache, "node_modules", ".dpokit-refs")); err != nil {
		complete = false
	}
	if complete {
		return nil
	}
	if err := needTools("node", "npm", "openssl"); err != nil {
		return err
	}
	cmd := exec.Command("bash", "scripts/fetch/tokenizers.sh")
	cmd.Dir = repoRoot
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("scripts/fetch/tokenizers.sh: %v\n%s", err, out)
	}
	return nil
})

func needTools(names ...string) error {
	for _, n := range names {
		if _, err := exec.LookPath(n); err != nil {
			return fmt.Errorf("the tokenizer goldens need %s (Hugging Face's Rust tokenizers run through node; "+
				"install node and npm, e.g. apt-get install -y nodejs npm): %v", n, err)
		}
	}
	return nil
}

// cachedGolden returns the golden file of a downloaded family, running
// reference.mjs to write it when it is not in the cache.
func cachedGolden(t testing.TB, family string) string {
	t.Helper()
	dir := familyDir(t, family)
	h := sha256.New()
	for _, f := range []string{
		filepath.Join(repoRoot, "scripts/tokenize/reference.mjs"),
		filepath.Join(testdata, "corpus.json.gz"),
		filepath.Join(dir, "tokenizer.json"),
		filepath.Join(dir, "tokenizer_config.json"),
		filepath.Join(dir, "special_tokens_map.json"),
	} {
		b, err := os.ReadFile(f)
		if err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
		fmt.Fprintf(h, "%s %d\n", filepath.Base(f), len(b))
		h.Write(b)
	}
	path := filepath.Join(goldenCache, fmt.Sprintf("%s-%s.json.gz", family, hex.EncodeToString(h.Sum(nil))[:16]))
	if _, err := os.Stat(path); err == nil {
		return path
	}
	if err := needTools("node"); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(goldenCache, 0o755); err != nil {
		t.Fatal(err)
	}
	abs, _ := filepath.Abs(path)
	absDir, _ := filepath.Abs(dir)
	cmd := exec.Command("node", "scripts/tokenize/reference.mjs", "golden", absDir, abs)
	cmd.Dir = repoRoot
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("reference.mjs golden %s: %v\n%s", family, err, out)
	}
	return path
}

func fileSHA256(t testing.TB, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}
