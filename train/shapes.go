package train

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/tensors"
	mlctx "github.com/gomlx/gomlx/ml/model"
)

// Shape is a compiled micro-batch shape: every row padded to T positions,
// N response-token slots (see packed). GoMLX compiles one graph per shape.
type Shape struct {
	T int `json:"positions"`
	N int `json:"response_tokens"`
}

func (s Shape) String() string { return fmt.Sprintf("%d×%d", s.T, s.N) }

// shapeAlign rounds planned dimensions up to a multiple of 8 (tensor-core
// and vector friendly; it costs at most 7 padding positions).
const shapeAlign = 8

func alignUp(n int) int { return (max(n, 1) + shapeAlign - 1) / shapeAlign * shapeAlign }

// need is the smallest shape a micro-batch fits: its longest sequence and
// its response-token count.
func need(exs []Example) Shape {
	var s Shape
	for _, e := range exs {
		s.T = max(s.T, len(e.Prompt)+max(len(e.Chosen), len(e.Rejected)))
		s.N += len(e.Chosen) + len(e.Rejected)
	}
	return s
}

// planShapes chooses at most k shapes that every need fits, minimising
// the total cost of the padded batches. The shapes form one chain (T and N
// both grow), and a batch takes the first shape it fits: the chain is
// chosen along T (each shape's N covers every batch up to its T) or along
// N, whichever costs less, by dynamic programming over the distinct
// (aligned) lengths.
func planShapes(needs []Shape, k int, cost func(Shape) float64) []Shape {
	if len(needs) == 0 || k < 1 {
		return nil
	}
	byT, costT := chainPlan(needs, k, cost, func(s Shape) (int, int) { return s.T, s.N }, func(a, b int) Shape { return Shape{a, b} })
	byN, costN := chainPlan(needs, k, cost, func(s Shape) (int, int) { return s.N, s.T }, func(a, b int) Shape { return Shape{b, a} })
	if costN < costT {
		return byN
	}
	return byT
}

// chainPlan is planShapes along one axis: key gives a need's (primary,
// other) dimensions and mk builds a shape from them.
func chainPlan(needs []Shape, k int, cost func(Shape) float64, key func(Shape) (int, int), mk func(int, int) Shape) ([]Shape, float64) {
	count := map[int]int{}
	other := map[int]int{}
	for _, n := range needs {
		a, b := key(n)
		a, b = alignUp(a), alignUp(b)
		count[a]++
		other[a] = max(other[a], b)
	}
	keys := slices.Sorted(func(yield func(int) bool) {
		for a := range count {
			if !yield(a) {
				return
			}
		}
	})
	M := len(keys)
	cand := make([]Shape, M) // candidate i: primary keys[i], other the max of every need up to it
	cum := make([]int, M+1)  // needs with primary ≤ keys[i-1]
	om := 0
	for i, a := range keys {
		om = max(om, other[a])
		cand[i] = mk(a, om)
		cum[i+1] = cum[i] + count[a]
	}
	// f[j][i]: least cost of the needs up to keys[i] with j+1 shapes, the last cand[i].
	f := make([][]float64, k)
	from := make([][]int, k)
	for j := range k {
		f[j], from[j] = make([]float64, M), make([]int, M)
		for i := range M {
			f[j][i], from[j][i] = -1, -1
			if j == 0 {
				f[0][i] = float64(cum[i+1]) * cost(cand[i])
				continue
			}
			for l := j - 1; l < i; l++ {
				if f[j-1][l] < 0 {
					continue
				}
				if c := f[j-1][l] + float64(cum[i+1]-cum[l+1])*cost(cand[i]); f[j][i] < 0 || c < f[j][i] {
					f[j][i], from[j][i] = c, l
				}
			}
		}
	}
	bestJ := 0
	for j := range k {
		if f[j][M-1] >= 0 && f[j][M-1] < f[bestJ][M-1] {
			bestJ = j
		}
	}
	var plan []Shape
	for j, i := bestJ, M-1; i >= 0 && j >= 0; i, j = from[j][i], j-1 {
		plan = append(plan, cand[i])
	}
	slices.Reverse(plan)
	return plan, f[bestJ][M-1]
}

// fitPlan returns the first planned shape a batch fits.
func fitPlan(plan []Shape, n Shape) (Shape, bool) {
	for _, s := range plan {
		if s.T >= n.T && s.N >= n.N {
			return s, true
		}
	}
	return Shape{}, false
}

// shapeCost is the relative cost of a micro-batch of shape s on m: R rows
// of T tokens through the body (about 6 flops per body weight and token,
// forward and backward) and N slots through the LM head (6·H·V each).
func (m *Model) shapeCost(rows int) func(Shape) float64 {
	body, head := float64(m.Parameters()), 0.0
	if m.head != nil {
		if v := m.headWeights(); v > 0 {
			head = float64(v)
			body = max(body-head, 1)
		}
	}
	return func(s Shape) float64 { return float64(rows*s.T)*body + float64(s.N)*head }
}

// headWeights is the number of elements of the LM head's weight.
func (m *Model) headWeights() int64 {
	for _, p := range m.params {
		if p.name == m.head.weight {
			return int64(p.v.Shape().Size())
		}
	}
	return 0 // a tied head: a Transpose of the embedding, counted in the body
}

// runOrder yields the micro-batches of each optimizer step of a run: epoch
// e visits the training pairs in a permutation seeded by (seed, e), in
// steps of BatchSize × GradAccum pairs.
type runOrder struct {
	train    []Example
	seed     uint64
	cfg      Config
	perEpoch int
	epoch    int
	perm     []int
}

// step returns the micro-batches of step k (0-based).
func (o *runOrder) step(k int) [][]Example {
	epoch, j := k/o.perEpoch, k%o.perEpoch
	if o.perm == nil || epoch != o.epoch {
		o.perm = rand.New(rand.NewPCG(o.seed, uint64(epoch))).Perm(len(o.train))
		o.epoch = epoch
	}
	per := o.cfg.BatchSize * o.cfg.GradAccum
	idx := o.perm[j*per : min((j+1)*per, len(o.train))]
	var micro [][]Example
	for lo := 0; lo < len(idx); lo += o.cfg.BatchSize {
		var b []Example
		for _, i := range idx[lo:min(lo+o.cfg.BatchSize, len(idx))] {
			b = append(b, o.train[i])
		}
		micro = append(micro, b)
	}
	return micro
}

// batches lists the micro-batches of exs in groups of size (Evaluate's).
func batches(exs []Example, size int) [][]Example {
	var out [][]Example
	for lo := 0; lo < len(exs); lo += size {
		out = append(out, exs[lo:min(lo+size, len(exs))])
	}
	return out
}

// planRun chooses the shapes of a run from steps first..total-1 and the
// evaluation batches; it returns the training and evaluation shapes used.
func (t *Trainer) planRun(ord *runOrder, first, total int, eval []Example, k int) (trainShapes, evalShapes []Shape) {
	var trainNeeds, evalNeeds []Shape
	for s := first; s < total; s++ {
		for _, b := range ord.step(s) {
			trainNeeds = append(trainNeeds, need(b))
		}
	}
	for _, b := range batches(eval, t.cfg.BatchSize) {
		evalNeeds = append(evalNeeds, need(b))
	}
	plan := planShapes(append(slices.Clone(trainNeeds), evalNeeds...), k, t.m.shapeCost(2*t.cfg.BatchSize))
	t.plan = plan
	used := func(needs []Shape) []Shape {
		var out []Shape
		for _, n := range needs {
			if s, _ := fitPlan(plan, n); !slices.Contains(out, s) {
				out = append(out, s)
			}
		}
		slices.SortFunc(out, func(a, b Shape) int { return a.T - b.T })
		return out
	}
	return used(trainNeeds), used(evalNeeds)
}

// fit is the shape a micro-batch is packed into (see planFit).
func (t *Trainer) fit(maxT, resp int) (int, int) { return planFit(t.plan)(maxT, resp) }

// planFit packs a batch into the first planned shape it fits, or without a
// plan into the buckets of pack.
func planFit(plan []Shape) func(maxT, resp int) (int, int) {
	return func(maxT, resp int) (int, int) {
		if s, ok := fitPlan(plan, Shape{maxT, resp}); ok {
			return s.T, s.N
		}
		return bucket(maxT), bucket(resp)
	}
}

// compileAhead compiles the step graphs of the given shapes and the
// optimizer update before the first step, so that no step waits for a
// compile.
func (t *Trainer) compileAhead(trainShapes, evalShapes []Shape) (time.Duration, error) {
	start := time.Now()
	var jobs []compileJob
	for _, s := range trainShapes {
		jobs = append(jobs, compileJob{"training step", t.micro, s, t.argShapes(s)})
	}
	for _, s := range evalShapes {
		jobs = append(jobs, compileJob{"evaluation", t.eval, s, t.argShapes(s)})
	}
	scalar := shapes.Make(dtypes.Float32)
	args := []shapes.Shape{scalar}
	if t.cfg.Optimizer == "adamw" {
		args = append(args, scalar, scalar)
	}
	if err := compileParallel(append(jobs, compileJob{"optimizer", t.apply, Shape{}, args})); err != nil {
		return 0, err
	}
	for _, s := range trainShapes {
		t.noteShape("train", s)
	}
	for _, s := range evalShapes {
		t.noteShape("eval", s)
	}
	return time.Since(start), nil
}

// compileJob is one graph to compile: an Exec for the inputs of a shape.
type compileJob struct {
	what  string
	exec  *mlctx.Exec
	shape Shape
	args  []shapes.Shape
}

// compileParallel builds and compiles the graphs concurrently (GoMLX's Exec
// compiles distinct shapes in parallel; XLA's compiles are the slow part).
func compileParallel(jobs []compileJob) error {
	errs := make([]error, len(jobs))
	var wg sync.WaitGroup
	for i, j := range jobs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := j.exec.Compile(j.args...); err != nil {
				errs[i] = fmt.Errorf("compile the %s graph for shape %s: %w", j.what, j.shape, err)
			}
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// argShapes are the shapes of a micro-batch's graph inputs.
func (t *Trainer) argShapes(s Shape) []shapes.Shape { return t.m.argShapes(t.cfg.BatchSize, s) }

// argShapes are the shapes of the graph inputs of a batch of P pairs.
func (m *Model) argShapes(P int, s Shape) []shapes.Shape {
	args := m.batchArgs(newPacked(P, s.T, s.N))
	out := make([]shapes.Shape, len(args))
	for i, a := range args {
		out[i] = a.(*tensors.Tensor).Shape()
	}
	return out
}

// noteShape records a shape run (or compiled) by one of the step graphs.
func (t *Trainer) noteShape(graph string, s Shape) {
	if t.shapesRun == nil {
		t.shapesRun = map[string][]Shape{}
	}
	if !slices.Contains(t.shapesRun[graph], s) {
		t.shapesRun[graph] = append(t.shapesRun[graph], s)
	}
}

// ShapesRun lists, per step graph ("train", "eval"), the distinct batch
// shapes compiled or run so far: each is one compiled graph.
func (t *Trainer) ShapesRun() map[string][]Shape { return t.shapesRun }

func formatShapes(ss []Shape) string {
	parts := make([]string, len(ss))
	for i, s := range ss {
		parts[i] = s.String()
	}
	return strings.Join(parts, " ")
}
