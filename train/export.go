package train

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"strings"

	"github.com/gomlx/gomlx/core/tensors"

	"github.com/dpokit/dpokit/internal/fsutil"
	"github.com/dpokit/dpokit/internal/onnxproto"
)

// ExportResult says what Export wrote.
type ExportResult struct {
	Dir     string   // the output directory
	ONNX    string   // the ONNX file written, relative to Dir
	Skipped []string // files of the source directory not copied (other ONNX files, whose weights would be stale)
	Updated int      // initializers holding trained weights
}

// Export writes a complete model directory at out: every file of srcDir
// (config, tokenizer, generation files, …) copied, and the ONNX file
// (m.Path, inside srcDir) rewritten with the trained weights in place of
// its initializers' data; the graph, KV-cache inputs and outputs included,
// is unchanged (except that tied copies found by Load are written as
// separate initializers). Other ONNX files of srcDir would hold stale
// weights and are left out. The directory is assembled beside out and
// renamed into place, so out is complete or absent; out must not exist and
// must not be srcDir. provenance, when not nil, is written as
// dpokit_train.json.
func (m *Model) Export(srcDir, out string, provenance any) (*ExportResult, error) {
	srcAbs, err := filepath.Abs(srcDir)
	if err != nil {
		return nil, err
	}
	outAbs, err := filepath.Abs(out)
	if err != nil {
		return nil, err
	}
	if real, err := filepath.EvalSymlinks(srcAbs); err == nil {
		srcAbs = real
	}
	if parent, err := filepath.EvalSymlinks(filepath.Dir(outAbs)); err == nil {
		outAbs = filepath.Join(parent, filepath.Base(outAbs))
	}
	if outAbs == srcAbs || strings.HasPrefix(srcAbs, outAbs+string(filepath.Separator)) {
		return nil, fmt.Errorf("output %s would overwrite the input model directory %s", out, srcDir)
	}
	if _, err := os.Lstat(outAbs); err == nil {
		return nil, fmt.Errorf("output %s already exists (it is never overwritten)", out)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	onnxAbs, err := filepath.Abs(m.Path)
	if err != nil {
		return nil, err
	}
	if real, err := filepath.EvalSymlinks(onnxAbs); err == nil {
		onnxAbs = real
	}
	rel, err := filepath.Rel(srcAbs, onnxAbs)
	if err != nil || strings.HasPrefix(rel, "..") {
		return nil, fmt.Errorf("ONNX file %s is not inside the model directory %s", m.Path, srcDir)
	}
	ext := map[string]bool{} // external data files of the trained ONNX file, relative to srcDir
	for _, t := range m.file.Graph.Inits {
		if t.External != nil {
			ext[filepath.Join(filepath.Dir(rel), t.External.Location)] = true
		}
	}

	if err := os.MkdirAll(filepath.Dir(outAbs), 0o755); err != nil {
		return nil, err
	}
	tmp, err := os.MkdirTemp(filepath.Dir(outAbs), "."+filepath.Base(outAbs)+".tmp-")
	if err != nil {
		return nil, err
	}
	done := false
	defer func() {
		if !done {
			os.RemoveAll(tmp)
		}
	}()
	res := &ExportResult{Dir: out, ONNX: rel}
	err = filepath.WalkDir(srcAbs, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		r, _ := filepath.Rel(srcAbs, p)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(tmp, r), 0o755)
		}
		if r == rel {
			return nil // written below
		}
		if !ext[r] && isONNXFile(r) {
			res.Skipped = append(res.Skipped, r)
			return nil
		}
		if !d.Type().IsRegular() {
			// A symlink is copied as the file it leads to, only when that
			// file is inside the model directory.
			real, err := fsutil.Inside(srcAbs, r)
			if err != nil {
				res.Skipped = append(res.Skipped, r)
				return nil
			}
			if info, err := os.Stat(real); err != nil || !info.Mode().IsRegular() {
				res.Skipped = append(res.Skipped, r)
				return nil
			}
			p = real
		}
		return copyFile(p, filepath.Join(tmp, r))
	})
	if err != nil {
		return nil, fmt.Errorf("copy %s: %w", srcDir, err)
	}
	data, n, err := m.weightsONNX(tmp, filepath.Dir(rel))
	if err != nil {
		return nil, err
	}
	if m.reward != nil {
		if data, err = m.rewardONNX(data); err != nil {
			return nil, err
		}
		if err := rewriteRewardConfig(filepath.Join(tmp, "config.json")); err != nil {
			return nil, err
		}
	}
	res.Updated = n
	if err := writeSynced(filepath.Join(tmp, rel), data); err != nil {
		return nil, err
	}
	if provenance != nil {
		b, err := json.MarshalIndent(provenance, "", "  ")
		if err != nil {
			return nil, err
		}
		if err := writeSynced(filepath.Join(tmp, "dpokit_train.json"), append(b, '\n')); err != nil {
			return nil, err
		}
	}
	if err := os.Chmod(tmp, 0o755); err != nil {
		return nil, err
	}
	if err := os.Rename(tmp, outAbs); err != nil {
		return nil, err
	}
	done = true
	syncDir(filepath.Dir(outAbs))
	return res, nil
}

// isONNXFile reports whether a file is an ONNX model or another model's
// external data.
func isONNXFile(name string) bool {
	b := strings.ToLower(filepath.Base(name))
	return strings.HasSuffix(b, ".onnx") || strings.HasSuffix(b, ".onnx_data") || strings.HasSuffix(b, ".onnx.data")
}

// weightsONNX returns the ONNX file with the trained weights: inline
// initializers re-encoded, external ones written into the copies of their
// data files in the directory sub of out (the new model directory, opened
// as an os.Root: nothing outside it can be written, whatever a location
// says). It returns how many initializers it updated.
func (m *Model) weightsONNX(out, sub string) ([]byte, int, error) {
	root, err := os.OpenRoot(out)
	if err != nil {
		return nil, 0, err
	}
	defer root.Close()
	index := map[string]int{}
	for i, t := range m.file.Graph.Inits {
		index[t.Name] = i
	}
	e := onnxproto.Edit{ReplaceInits: map[int][]byte{}}
	files := map[string]*os.File{}
	defer func() {
		for _, f := range files {
			f.Close()
		}
	}()
	weights, trained, err := m.exportedWeights()
	if err != nil {
		return nil, 0, err
	}
	for _, p := range weights {
		i, ok := index[p.name]
		if !ok {
			return nil, 0, fmt.Errorf("initializer %q not found in %s", p.name, m.Path)
		}
		t := &m.file.Graph.Inits[i]
		raw := floatsBytes(p.v)
		if int64(len(raw)) != t.Elems()*4 {
			return nil, 0, fmt.Errorf("initializer %q: %d bytes of weights for %d elements", p.name, len(raw), t.Elems())
		}
		if t.External == nil {
			if e.ReplaceInits[i], err = m.file.TensorWithData(t, t.Name, raw); err != nil {
				return nil, 0, err
			}
			continue
		}
		f := files[t.External.Location]
		if f == nil {
			if f, err = root.OpenFile(filepath.Join(sub, t.External.Location), os.O_WRONLY, 0); err != nil {
				return nil, 0, fmt.Errorf("initializer %q: external data %q: %w", p.name, t.External.Location, err)
			}
			files[t.External.Location] = f
		}
		if _, err := f.WriteAt(raw, t.External.Offset); err != nil {
			return nil, 0, fmt.Errorf("initializer %q: %w", p.name, err)
		}
	}
	for name, f := range files {
		if err := f.Sync(); err != nil {
			return nil, 0, fmt.Errorf("%s: %w", name, err)
		}
	}
	data, err := m.file.Rewrite(e)
	if err != nil {
		return nil, 0, err
	}
	return data, trained, nil
}

func float32Bytes(t *tensors.Tensor) ([]byte, error) {
	v, err := tensors.CopyFlatData[float32](t)
	if err != nil {
		return nil, err
	}
	return floatsBytes(v), nil
}

func floatsBytes(v []float32) []byte {
	out := make([]byte, 4*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint32(out[4*i:], math.Float32bits(x))
	}
	return out
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	if err := out.Sync(); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

func writeSynced(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
}
