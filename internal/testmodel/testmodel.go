// Package testmodel builds hostile model directories for tests: copies of
// a test model whose files lead out of the directory. It is used by tests
// only.
package testmodel

import (
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"

	"github.com/dpokit/dpokit/internal/onnxproto"
)

// Ways a model directory can lead out.
const (
	DotDot  = "dotdot"  // an external data location "../outside/w.bin"
	Symlink = "symlink" // location "w.bin", a symlink in the directory to ../outside/w.bin
	Genai   = "genai"   // genai_config.json names "../outside/model.onnx" as the decoder
	TokLink = "toklink" // tokenizer.json is a symlink to ../outside/tokenizer.json
)

// Escaping writes under top a model directory top/model, a copy of src
// (whose model.onnx must hold its weights inline) led out of in the given
// way, and the file it leads to under top/outside. It returns the model
// directory and that outside file.
func Escaping(top, src, how string) (dir, outside string, err error) {
	dir, out := filepath.Join(top, "model"), filepath.Join(top, "outside")
	for _, d := range []string{dir, out} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return "", "", err
		}
	}
	if err := copyDir(src, dir); err != nil {
		return "", "", err
	}
	switch how {
	case DotDot, Symlink:
		outside = filepath.Join(out, "w.bin")
		loc := "../outside/w.bin"
		if how == Symlink {
			loc = "w.bin"
			if err := os.Symlink(filepath.Join("..", "outside", "w.bin"), filepath.Join(dir, "w.bin")); err != nil {
				return "", "", err
			}
		}
		return dir, outside, externalize(dir, loc, outside)
	case Genai:
		outside = filepath.Join(out, "model.onnx")
		if err := os.Rename(filepath.Join(dir, "model.onnx"), outside); err != nil {
			return "", "", err
		}
		cfg := `{"model": {"type": "llama", "decoder": {"filename": "../outside/model.onnx"}}}`
		return dir, outside, os.WriteFile(filepath.Join(dir, "genai_config.json"), []byte(cfg), 0o644)
	case TokLink:
		outside = filepath.Join(out, "tokenizer.json")
		if err := os.Rename(filepath.Join(dir, "tokenizer.json"), outside); err != nil {
			return "", "", err
		}
		return dir, outside, os.Symlink(filepath.Join("..", "outside", "tokenizer.json"), filepath.Join(dir, "tokenizer.json"))
	}
	return "", "", fmt.Errorf("testmodel: unknown way out %q", how)
}

// WithNaN writes at dst (an existing directory) a copy of the model
// directory src whose largest float32 initializer holds NaN everywhere,
// and returns that initializer's name.
func WithNaN(dst, src string) (string, error) {
	if err := copyDir(src, dst); err != nil {
		return "", err
	}
	path := filepath.Join(dst, "model.onnx")
	data, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	m, err := onnxproto.Parse(data)
	if err != nil {
		return "", err
	}
	big := -1
	for i, t := range m.Graph.Inits {
		if t.DType == onnxproto.Float && (big < 0 || t.Elems() > m.Graph.Inits[big].Elems()) {
			big = i
		}
	}
	if big < 0 {
		return "", fmt.Errorf("testmodel: %s has no float32 initializer", src)
	}
	t := &m.Graph.Inits[big]
	raw := make([]byte, 4*t.Elems())
	for k := 0; k < len(raw); k += 4 {
		binary.LittleEndian.PutUint32(raw[k:], math.Float32bits(float32(math.NaN())))
	}
	tp, err := m.TensorWithData(t, t.Name, raw)
	if err != nil {
		return "", err
	}
	out, err := m.Rewrite(onnxproto.Edit{ReplaceInits: map[int][]byte{big: tp}})
	if err != nil {
		return "", err
	}
	return t.Name, os.WriteFile(path, out, 0o644)
}

// externalize moves the large float initializers of dir/model.onnx to
// blob (the file at location, relative to dir, is where it should be).
func externalize(dir, location, blob string) error {
	path := filepath.Join(dir, "model.onnx")
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	m, err := onnxproto.Parse(data)
	if err != nil {
		return err
	}
	model, raw, err := m.Externalize(dir, location, func(t *onnxproto.Tensor) bool { return t.Elems() >= 1024 })
	if err != nil {
		return err
	}
	if err := os.WriteFile(blob, raw, 0o644); err != nil {
		return err
	}
	return os.WriteFile(path, model, 0o644)
}

func copyDir(src, dst string) error {
	entries, err := os.ReadDir(src)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if !e.Type().IsRegular() {
			continue
		}
		if err := copyFile(filepath.Join(src, e.Name()), filepath.Join(dst, e.Name())); err != nil {
			return err
		}
	}
	return nil
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// Skeleton is the ONNX file at path without its initializers' data: a
// model's structure, small enough to seed a fuzzer.
func Skeleton(path string) ([]byte, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	m, err := onnxproto.Parse(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return m.Skeleton()
}
