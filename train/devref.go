package train

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"slices"

	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	mlctx "github.com/gomlx/gomlx/ml/model"

	"github.com/dpokit/dpokit/internal/progress"
	"github.com/dpokit/dpokit/modeldir"
	"github.com/dpokit/dpokit/tokenize"
)

// DeviceReference computes reference log-probs with the GoMLX forward
// pass on the training backend — on the GPU with --device cuda — instead
// of ONNX Runtime. It always runs in float32 (the backend's matmul
// precision: TF32 on CUDA unless its configuration has "notf32"), whatever
// the training precision, so that its values stand for ONNX Runtime's in
// the reference cache (keyed by model, data and tokenization only).
type DeviceReference struct {
	Backend    string // GoMLX backend configuration (the training one)
	BatchSize  int    // pairs per forward pass (default 16)
	MaxShapes  int    // batch shapes compiled (0: pad to buckets)
	LogitChunk int    // see LoadOptions.LogitChunk
	Progress   io.Writer

	// policy is the loaded, not yet trained policy: a reference of the same
	// ONNX file is computed with it instead of loading the weights twice.
	policy *Model
}

// Engine names what computes the log-probs (for logs).
func (r *DeviceReference) Engine() string { return "GoMLX (" + r.backendName() + ")" }

func (r *DeviceReference) backendName() string {
	if r.Backend == "" {
		return "go"
	}
	return r.Backend
}

// Logps returns the summed log-probs of each pair's chosen and rejected
// response under the model in dir, in the pairs' order.
func (r *DeviceReference) Logps(ctx context.Context, dir *modeldir.Dir, pairs []tokenize.Encoded) (chosen, rejected []float64, err error) {
	path, err := trainable(dir)
	if err != nil {
		return nil, nil, err
	}
	m := r.policy
	if m == nil || filepath.Clean(m.Path) != filepath.Clean(path) {
		if m, err = Load(path, LoadOptions{Backend: r.Backend, Signature: &dir.Signature, LogitChunk: r.LogitChunk}); err != nil {
			return nil, nil, err
		}
		defer m.ctx.Finalize() // frees its weights on the device
	}
	exs := make([]Example, len(pairs))
	for i, p := range pairs {
		exs[i] = Example{Index: i, ID: p.ID, Prompt: p.Prompt, Chosen: p.Chosen, Rejected: p.Rejected}
	}
	return m.referenceLogps(ctx, exs, max(1, r.BatchSize), r.MaxShapes, r.Progress)
}

// referenceLogps runs the forward pass over exs, longest first, in batches
// of size pairs padded to at most maxShapes shapes, and returns the summed
// log-probs in exs' order.
func (m *Model) referenceLogps(ctx context.Context, exs []Example, size, maxShapes int, prog io.Writer) (chosen, rejected []float64, err error) {
	if err := m.checkIDs(exs); err != nil {
		return nil, nil, err
	}
	order := make([]int, len(exs))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return need(exs[b:b+1]).T - need(exs[a:a+1]).T })
	var groups [][]Example
	var needs []Shape
	for lo := 0; lo < len(order); lo += size {
		var g []Example
		for _, i := range order[lo:min(lo+size, len(order))] {
			g = append(g, exs[i])
		}
		groups, needs = append(groups, g), append(needs, need(g))
	}
	var plan []Shape
	if maxShapes > 0 {
		plan = planShapes(needs, maxShapes, m.shapeCost(2*size))
	}
	exec, err := mlctx.NewExec(m.backend, m.ctx, m.logpsGraph)
	if err != nil {
		return nil, nil, err
	}
	exec.WithName(fp32Graph + "reference_logps").SetMaxCache(maxShapesCache)
	defer exec.Finalize()
	var jobs []compileJob
	for _, s := range plan {
		jobs = append(jobs, compileJob{"reference", exec, s, m.argShapes(size, s)})
	}
	if err := compileParallel(jobs); err != nil {
		return nil, nil, err
	}
	chosen, rejected = make([]float64, len(exs)), make([]float64, len(exs))
	bar := progress.New(prog, "reference log-probs", "pairs", len(exs))
	defer bar.Finish()
	for gi, g := range groups {
		if err := ctx.Err(); err != nil {
			return nil, nil, err
		}
		p, err := packShaped(g, size, planFit(plan))
		if err != nil {
			return nil, nil, err
		}
		v, err := m.runLogps(exec, p)
		if err != nil {
			return nil, nil, err
		}
		for i := range g {
			at := order[gi*size+i]
			chosen[at], rejected[at] = float64(v[i]), float64(v[p.P+i])
		}
		bar.Add(len(g))
	}
	return chosen, rejected, nil
}

// maxShapesCache bounds the compiled graphs kept per forward-only function.
const maxShapesCache = 64

// logpsGraph is the forward pass of a packed batch: each row's summed
// response log-probs, [R].
func (m *Model) logpsGraph(ctx *mlctx.Scope, in []*graph.Node) *graph.Node {
	k := len(in) - numBatchInputs
	return rowSums(in[k+2], m.responseLogps(ctx, in[:k], in[k], in[k+1]))
}

// batchArgs are the graph inputs of a packed batch: the model's, then
// sel, tgt, seg, ref, pairs, tail, labels and margin (numBatchInputs).
func (m *Model) batchArgs(p *packed) []any {
	return append(m.feed(p.seqInputs),
		tensors.FromFlatDataAndDimensions(p.sel, p.N, 2),
		tensors.FromFlatDataAndDimensions(p.tgt, p.N, 1),
		tensors.FromFlatDataAndDimensions(p.seg, p.R, p.N),
		tensors.FromFlatDataAndDimensions(p.ref, p.R),
		tensors.FromFlatDataAndDimensions(p.pairs, p.P),
		tensors.FromFlatDataAndDimensions(p.tail, p.N),
		tensors.FromFlatDataAndDimensions(p.labels, p.P),
		tensors.FromFlatDataAndDimensions(p.margin, p.P))
}

// runLogps runs logpsGraph on a packed batch.
func (m *Model) runLogps(exec *mlctx.Exec, p *packed) ([]float32, error) {
	out, err := exec.Call(m.batchArgs(p)...)
	if err != nil {
		return nil, err
	}
	return tensors.CopyFlatData[float32](out[0])
}

// checkIDs checks token ids against the vocabulary.
func (m *Model) checkIDs(exs []Example) error {
	for _, e := range exs {
		for _, s := range [3][]int{e.Prompt, e.Chosen, e.Rejected} {
			for _, id := range s {
				if id < 0 || (m.vocab > 0 && id >= m.vocab) {
					return fmt.Errorf("pair %s: token id %d outside the model's vocabulary of %d", e.ID, id, m.vocab)
				}
			}
		}
	}
	return nil
}
