package train

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/dpokit/dpokit/internal/onnxproto"
	"github.com/dpokit/dpokit/internal/testmodel"
)

// TestLoadRefusesExternalDataOutside: an ONNX file whose external data
// leads out of its directory (../, or a symlink) is refused by Load,
// naming the tensor and the location, before onnx-gomlx or untie open
// anything.
func TestLoadRefusesExternalDataOutside(t *testing.T) {
	for _, how := range []string{testmodel.DotDot, testmodel.Symlink} {
		t.Run(how, func(t *testing.T) {
			dir, outside, err := testmodel.Escaping(t.TempDir(), filepath.Join(modelsDir, "gpt2-policy"), how)
			if err != nil {
				t.Fatal(err)
			}
			_, err = Load(filepath.Join(dir, "model.onnx"), LoadOptions{})
			var ee *onnxproto.ExternalError
			if !errors.As(err, &ee) || ee.Tensor == "" {
				t.Fatalf("err = %v, want an external data location refused", err)
			}
			if _, err := os.Stat(outside); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestExportWritesOnlyInsideItsDirectory: even when the model's external
// data location names a file outside (here changed after Load), Export
// writes nothing outside its new directory: the write fails, the outside
// file keeps its bytes and no output directory is left.
func TestExportWritesOnlyInsideItsDirectory(t *testing.T) {
	src := externalCopy(t, filepath.Join("..", "testdata", "train", "evalmode-gpt2"))
	m, err := Load(filepath.Join(src, "model.onnx"), LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	const loc, evil = "weights.onnx_data", "../outside/w.binx" // same length: the protobuf stays valid
	data := bytes.ReplaceAll(m.file.Data, []byte(loc), []byte(evil))
	if m.file, err = onnxproto.Parse(data); err != nil {
		t.Fatal(err)
	}
	top := t.TempDir()
	os.Mkdir(filepath.Join(top, "outside"), 0o755)
	victim := filepath.Join(top, "outside", "w.binx")
	want := bytes.Repeat([]byte("keep"), 1<<16)
	os.WriteFile(victim, want, 0o644)
	out := filepath.Join(top, "out")
	if _, err := m.Export(src, out, nil); err == nil {
		t.Fatal("export wrote through a location outside its directory")
	}
	if got, _ := os.ReadFile(victim); !bytes.Equal(got, want) {
		t.Fatal("the file outside the output directory was overwritten")
	}
	if _, err := os.Stat(out); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("output directory left behind: %v", err)
	}
}
