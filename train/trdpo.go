package train

import (
	"fmt"
	"github.com/dpokit/dpokit/internal/onnxproto"
	"os"
	"path/filepath"
	"strings"

	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	mlctx "github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/support/exceptions"
	"github.com/gomlx/onnx-gomlx/onnx"
)

// refScope holds TR-DPO's moving reference: a copy of every variable of
// the imported graph, which the same graph reads when called in this scope.
const refScope = "dpokit_ref"

// reference is TR-DPO's reference model, kept in memory beside the policy
// because it moves (Trust Region DPO paper): every SyncRefEvery steps it
// becomes α·π + (1 − α)·π_ref. Its log-probs are computed in the step graph,
// never read from a cache.
type reference struct {
	vars []*mlctx.Variable // the copies of the trained weights, as m.params
	sync *mlctx.Exec
}

// newReference copies the policy's variables (all of them: the graph reads
// its constants from the scope too) into refScope.
func newReference(m *Model, alpha float64) (*reference, error) {
	r := &reference{}
	err := exceptions.TryCatch[error](func() {
		src := m.ctx.RootScope().At(onnx.ModelScope)
		dst := m.ctx.RootScope().At(refScope).At(onnx.ModelScope)
		byName := map[string]*mlctx.Variable{}
		for v := range src.IterVariables() {
			if v.Scope() != src.Scope() {
				continue
			}
			val, err := v.Value()
			if err != nil {
				panic(err)
			}
			c, err := val.LocalClone()
			if err != nil {
				panic(err)
			}
			cv, err := dst.CreateVariable(v.Name(), c)
			if err != nil {
				panic(err)
			}
			byName[v.Name()] = cv.SetTrainable(false)
		}
		for _, p := range m.params {
			r.vars = append(r.vars, byName[p.v.Name()])
		}
	})
	if err != nil {
		return nil, fmt.Errorf("TR-DPO reference: %w", err)
	}
	r.sync, err = mlctx.NewExec(m.backend, m.ctx, func(ctx *mlctx.Scope, in []*graph.Node) *graph.Node {
		g := in[0].Graph()
		for i, p := range m.params {
			ref := r.vars[i].ValueGraph(g)
			r.vars[i].SetValueGraph(graph.Add(graph.MulScalar(p.v.ValueGraph(g), alpha), graph.MulScalar(ref, 1-alpha)))
		}
		return in[0]
	})
	return r, err
}

// afterStep runs what follows an optimizer step: TR-DPO's reference update
// every SyncRefEvery steps.
func (t *Trainer) afterStep() error {
	if t.ref == nil || t.step%t.cfg.SyncRefEvery != 0 {
		return nil
	}
	if _, err := t.ref.sync.Exec(float32(0)); err != nil {
		return fmt.Errorf("step %d: update the TR-DPO reference: %w", t.step, err)
	}
	return nil
}

// LoadReferenceWeights sets TR-DPO's starting reference (by default the
// starting policy) to the float32 weights of another ONNX file with the
// same initializers, such as a --ref model exported like the policy.
func (t *Trainer) LoadReferenceWeights(path string) error {
	if t.ref == nil {
		return fmt.Errorf("reference weights %s: the trainer keeps no reference (TR-DPO is off)", path)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	f, err := onnxproto.Parse(data)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	for i, p := range t.m.params {
		init, ok := f.Initializer(p.name)
		if !ok {
			return fmt.Errorf("reference %s has no initializer %q: TR-DPO needs the policy's architecture", path, p.name)
		}
		want := t.ref.vars[i].Shape()
		if init.DType != onnxproto.Float || !sameDims(init.Dims, want.Dimensions) {
			return fmt.Errorf("reference %s: initializer %q is not float32 %v", path, p.name, want.Dimensions)
		}
		raw, err := f.ReadTensor(filepath.Dir(path), init)
		if err != nil {
			return fmt.Errorf("reference %s: %w", path, err)
		}
		v := make([]float32, len(raw)/4)
		for k := range v {
			v[k] = float32frombytes(raw[4*k:])
		}
		if err := t.ref.vars[i].SetValue(tensors.FromFlatDataAndDimensions(v, want.Dimensions...)); err != nil {
			return err
		}
	}
	return nil
}

// refStateNames names the reference's tensors in a checkpoint.
func refStateName(param string) string { return "ref/" + strings.TrimPrefix(param, "/") }

func sameDims(a []int64, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != int64(b[i]) {
			return false
		}
	}
	return true
}
