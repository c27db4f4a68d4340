package train

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/dpokit/dpokit/internal/testmodel"
)

// FuzzLoad: whatever the ONNX file holds, Load (onnxproto, the checks,
// untying, onnx-gomlx's parser and import) returns an error or a model,
// never a panic, and reads no external data outside the file's directory.
// Seeds: the small training test model whole (with its tied copies) and
// the skeletons of the shipped models.
func FuzzLoad(f *testing.F) {
	small, err := os.ReadFile(filepath.Join("..", "testdata", "train", "evalmode-gpt2", "model.onnx"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(small)
	for _, name := range []string{"gpt2-ref", "llama-ref"} {
		sk, err := testmodel.Skeleton(onnxPath(name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(sk)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		dir := t.TempDir()
		path := filepath.Join(dir, "model.onnx")
		os.WriteFile(path, data, 0o644)
		m, err := Load(path, LoadOptions{})
		if err != nil {
			return
		}
		if len(m.params) == 0 || m.Parameters() <= 0 {
			t.Fatalf("loaded without trainable weights")
		}
	})
}
