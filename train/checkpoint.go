package train

import (
	"bufio"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/gomlx/gomlx/core/tensors"
	mlctx "github.com/gomlx/gomlx/ml/model"

	"github.com/dpokit/dpokit/internal/fsutil"
	"github.com/dpokit/dpokit/internal/resume"
)

// A checkpoint directory holds one subdirectory per saved step,
// step-NNNNNNNN/{state.json, tensors.bin}, and a file "latest" naming the
// newest complete one. A step directory is assembled under a temporary name
// and renamed into place, and "latest" is replaced atomically after it, so
// a crash (kill -9 included) leaves the previous checkpoint intact.
const (
	latestFile   = "latest"
	stateFile    = "state.json"
	tensorsFile  = "tensors.bin"
	keepSnapshot = 2 // step directories kept
)

// checkpointState is state.json.
type checkpointState struct {
	Format      int             `json:"dpokit_checkpoint"`
	Step        int             `json:"step"` // optimizer steps done
	Fingerprint string          `json:"fingerprint"`
	Run         json.RawMessage `json:"run,omitempty"`
	Tensors     []tensorEntry   `json:"tensors"`
	SHA256      string          `json:"sha256"` // of tensors.bin
}

type tensorEntry struct {
	Name   string `json:"name"`
	Shape  []int  `json:"shape"`
	Offset int64  `json:"offset"`
}

// CheckpointError reports a checkpoint that cannot be used.
type CheckpointError struct {
	Dir string
	Err error
}

func (e *CheckpointError) Error() string { return fmt.Sprintf("checkpoint %s: %v", e.Dir, e.Err) }
func (e *CheckpointError) Unwrap() error { return e.Err }

// ErrNoCheckpoint is returned (wrapped) by LoadCheckpoint when the
// directory holds no checkpoint.
var ErrNoCheckpoint = errors.New("no checkpoint")

// stateVariables lists the variables a checkpoint holds, by stable names:
// the weights by ONNX initializer name and the optimizer's moments.
func (t *Trainer) stateVariables() ([]string, []*mlctx.Variable) {
	var names []string
	var vars []*mlctx.Variable
	for i, p := range t.m.params {
		names = append(names, "weight/"+p.name)
		vars = append(vars, p.v)
		for k := range t.moment {
			names = append(names, fmt.Sprintf("%s.%d/%s", t.cfg.Optimizer, k, p.name))
			vars = append(vars, t.moment[k][i])
		}
		if t.ref != nil {
			names = append(names, refStateName(p.name))
			vars = append(vars, t.ref.vars[i])
		}
	}
	return names, vars
}

// SaveCheckpoint writes the weights, the optimizer state and the step count
// (with run, the caller's state, and fingerprint, the identity of the run
// that a resume must match) as a new step directory of dir, and returns
// its path.
func (t *Trainer) SaveCheckpoint(dir, fingerprint string, run any) (string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	name := fmt.Sprintf("step-%08d", t.step)
	tmp, err := os.MkdirTemp(dir, "."+name+".tmp-")
	if err != nil {
		return "", err
	}
	ok := false
	defer func() {
		if !ok {
			os.RemoveAll(tmp)
		}
	}()
	st := checkpointState{Format: 1, Step: t.step, Fingerprint: fingerprint}
	if run != nil {
		if st.Run, err = json.Marshal(run); err != nil {
			return "", err
		}
	}
	f, err := os.Create(filepath.Join(tmp, tensorsFile))
	if err != nil {
		return "", err
	}
	h := sha256.New()
	w := bufio.NewWriterSize(io.MultiWriter(f, h), 1<<20)
	names, vars := t.stateVariables()
	var off int64
	for i, v := range vars {
		val, err := v.Value()
		if err != nil {
			f.Close()
			return "", err
		}
		raw, err := float32Bytes(val)
		if err != nil {
			f.Close()
			return "", fmt.Errorf("%s: %w", names[i], err)
		}
		if _, err := w.Write(raw); err != nil {
			f.Close()
			return "", err
		}
		st.Tensors = append(st.Tensors, tensorEntry{Name: names[i], Shape: v.Shape().Dimensions, Offset: off})
		off += int64(len(raw))
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return "", err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return "", err
	}
	if err := f.Close(); err != nil {
		return "", err
	}
	st.SHA256 = hex.EncodeToString(h.Sum(nil))
	b, err := json.MarshalIndent(st, "", " ")
	if err != nil {
		return "", err
	}
	if err := writeSynced(filepath.Join(tmp, stateFile), append(b, '\n')); err != nil {
		return "", err
	}
	final := filepath.Join(dir, name)
	if err := os.RemoveAll(final); err != nil { // a step directory an interrupted earlier run left
		return "", err
	}
	if err := os.Chmod(tmp, 0o755); err != nil {
		return "", err
	}
	if err := os.Rename(tmp, final); err != nil {
		return "", err
	}
	ok = true
	syncDir(dir)
	if err := fsutil.WriteFile(filepath.Join(dir, latestFile), func(w io.Writer) error {
		_, err := io.WriteString(w, name+"\n")
		return err
	}); err != nil {
		return "", err
	}
	pruneCheckpoints(dir, name)
	return final, nil
}

// pruneCheckpoints removes step directories older than the newest
// keepSnapshot, and leftovers of interrupted saves.
func pruneCheckpoints(dir, latest string) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	var steps []string
	for _, e := range entries {
		switch n := e.Name(); {
		case strings.HasPrefix(n, ".step-") && strings.Contains(n, ".tmp-"):
			os.RemoveAll(filepath.Join(dir, n))
		case strings.HasPrefix(n, "step-") && e.IsDir() && n <= latest:
			steps = append(steps, n)
		}
	}
	slices.Sort(steps)
	for _, n := range steps[:max(0, len(steps)-keepSnapshot)] {
		os.RemoveAll(filepath.Join(dir, n))
	}
}

// LatestCheckpoint returns the newest complete step directory of dir, or
// an error wrapping ErrNoCheckpoint.
func LatestCheckpoint(dir string) (string, error) {
	b, err := os.ReadFile(filepath.Join(dir, latestFile))
	if errors.Is(err, fs.ErrNotExist) {
		return "", &CheckpointError{Dir: dir, Err: ErrNoCheckpoint}
	}
	if err != nil {
		return "", err
	}
	name := strings.TrimSpace(string(b))
	if !strings.HasPrefix(name, "step-") || strings.ContainsAny(name, `/\`) {
		return "", &CheckpointError{Dir: dir, Err: fmt.Errorf("latest names %q", name)}
	}
	return filepath.Join(dir, name), nil
}

// LoadCheckpoint restores the newest checkpoint of dir into the trainer.
// It fails, changing nothing, when the checkpoint is damaged, does not fit
// the model, or was written by a run with another fingerprint. It returns
// the run state saved with it (nil if none) and its step.
func (t *Trainer) LoadCheckpoint(dir, fingerprint string) (json.RawMessage, int, error) {
	sub, err := LatestCheckpoint(dir)
	if err != nil {
		return nil, 0, err
	}
	fail := func(err error) (json.RawMessage, int, error) {
		return nil, 0, &CheckpointError{Dir: sub, Err: err}
	}
	b, err := os.ReadFile(filepath.Join(sub, stateFile))
	if err != nil {
		return fail(err)
	}
	var st checkpointState
	if err := json.Unmarshal(b, &st); err != nil {
		return fail(fmt.Errorf("%s: %w", stateFile, err))
	}
	if st.Format != 1 {
		return fail(fmt.Errorf("format %d not supported", st.Format))
	}
	if err := resume.Differ([]byte(st.Fingerprint), []byte(fingerprint)); err != nil {
		return fail(fmt.Errorf("--resume refused: %w; start again without --resume or use another checkpoint directory", err))
	}
	data, err := os.ReadFile(filepath.Join(sub, tensorsFile))
	if err != nil {
		return fail(err)
	}
	if h := sha256.Sum256(data); hex.EncodeToString(h[:]) != st.SHA256 {
		return fail(errors.New("tensors.bin is damaged (checksum mismatch)"))
	}
	names, vars := t.stateVariables()
	if len(st.Tensors) != len(vars) {
		return fail(fmt.Errorf("%d tensors, the trainer has %d", len(st.Tensors), len(vars)))
	}
	values := make([]*tensors.Tensor, len(vars))
	for i, e := range st.Tensors {
		if e.Name != names[i] || !slices.Equal(e.Shape, vars[i].Shape().Dimensions) {
			return fail(fmt.Errorf("tensor %d is %s %v, the trainer has %s %v", i, e.Name, e.Shape, names[i], vars[i].Shape().Dimensions))
		}
		n := vars[i].Shape().Size()
		if e.Offset < 0 || e.Offset+int64(4*n) > int64(len(data)) {
			return fail(fmt.Errorf("tensor %s outside tensors.bin", e.Name))
		}
		v := make([]float32, n)
		for k := range v {
			v[k] = math.Float32frombits(binary.LittleEndian.Uint32(data[e.Offset+int64(4*k):]))
		}
		values[i] = tensors.FromFlatDataAndDimensions(v, e.Shape...)
	}
	for i, v := range vars {
		if err := v.SetValue(values[i]); err != nil {
			return fail(err)
		}
	}
	if err := t.clearGrads(); err != nil {
		return fail(err)
	}
	t.step = st.Step
	return st.Run, st.Step, nil
}

func float32frombytes(b []byte) float32 { return math.Float32frombits(binary.LittleEndian.Uint32(b)) }

// CheckIdentity refuses, naming what changed, the newest checkpoint of
// dir when it was written by a run whose inputs differ from those id
// names (only id's inputs are compared: Run adds the hyperparameters). A
// run calls it before the costly preparation its resume would waste.
func CheckIdentity(dir string, id *resume.Key) error {
	st, sub, err := readState(dir)
	if err != nil {
		return err
	}
	if err := resume.CheckPart([]byte(st.Fingerprint), id); err != nil {
		return &CheckpointError{Dir: sub, Err: fmt.Errorf("--resume refused: %w; start again without --resume or use another checkpoint directory", err)}
	}
	return nil
}

func readState(dir string) (*checkpointState, string, error) {
	sub, err := LatestCheckpoint(dir)
	if err != nil {
		return nil, "", err
	}
	b, err := os.ReadFile(filepath.Join(sub, stateFile))
	if err != nil {
		return nil, sub, &CheckpointError{Dir: sub, Err: err}
	}
	var st checkpointState
	if err := json.Unmarshal(b, &st); err != nil {
		return nil, sub, &CheckpointError{Dir: sub, Err: err}
	}
	return &st, sub, nil
}

// CheckpointStep returns the step of the newest checkpoint in dir.
func CheckpointStep(dir string) (int, error) {
	st, _, err := readState(dir)
	if err != nil {
		return 0, err
	}
	return st.Step, nil
}
