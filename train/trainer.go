package train

import (
	"fmt"
	"math"
	"time"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	mlctx "github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/support/exceptions"
)

// Metrics are what TRL logs for a step (or an evaluation), averaged over
// its micro-batches, each micro-batch's figure a mean over its pairs.
// Values holds every figure of the objective by TRL's name (loss,
// rewards/*, logps/*, logits/*, entropy, mean_token_accuracy, and the
// objective's own: kl, nll_loss, log_odds_ratio, …) in the order of
// Names; the named fields repeat the common ones.
type Metrics struct {
	Names  []string           `json:"-"`
	Values map[string]float64 `json:"-"`

	Loss              float64 `json:"loss"`
	RewardsChosen     float64 `json:"rewards/chosen"`
	RewardsRejected   float64 `json:"rewards/rejected"`
	RewardsAccuracies float64 `json:"rewards/accuracies"`
	RewardsMargins    float64 `json:"rewards/margins"`
	LogpsChosen       float64 `json:"logps/chosen"`
	LogpsRejected     float64 `json:"logps/rejected"`
	GradNorm          float64 `json:"grad_norm"` // before clipping
	LearningRate      float64 `json:"learning_rate"`
	Pairs             int     `json:"pairs"`
	Tokens            int     `json:"tokens"` // real (unpadded) tokens run
	Seconds           float64 `json:"seconds"`
	TokensPerSecond   float64 `json:"tokens_per_second"`
}

// NonFiniteError reports a NaN or infinite loss or gradient norm; the step
// that produced it changed no weight.
type NonFiniteError struct {
	Step  int // 1-based optimizer step
	What  string
	Value float64
}

func (e *NonFiniteError) Error() string {
	return fmt.Sprintf("step %d: %s is %v; the step was not applied", e.Step, e.What, e.Value)
}

// Trainer runs optimizer steps on a Model.
type Trainer struct {
	m    *Model
	cfg  Config
	step int // optimizer steps done

	acc    []*mlctx.Variable // accumulated gradients, one per param
	moment [][]*mlctx.Variable
	micro  *mlctx.Exec
	eval   *mlctx.Exec
	apply  *mlctx.Exec
	logps  *mlctx.Exec // lazily: per-sequence log-probs

	plan        []Shape            // the batch shapes of a run (shapes.go); nil: buckets
	shapesRun   map[string][]Shape // distinct shapes compiled or run, per step graph
	metricNames []string           // of the stats the step graphs return, set when they are built
	ref         *reference
}

// maxShapes bounds the compiled graphs kept per function: the (T, N)
// buckets of a run stay well below it.
const maxShapes = 64

// NewTrainer prepares optimizer state and the step graphs (compiled at
// first use, per shape bucket).
func NewTrainer(m *Model, cfg Config) (*Trainer, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	t := &Trainer{m: m, cfg: cfg}
	if cfg.Objective == Reward && m.reward == nil {
		if err := m.addRewardHead(); err != nil {
			return nil, err
		}
	}
	err = exceptions.TryCatch[error](func() {
		ctx := m.ctx.RootScope()
		nMoments := 2
		if cfg.Optimizer == "rmsprop" {
			nMoments = 1
		}
		t.moment = make([][]*mlctx.Variable, nMoments)
		for i, p := range m.params {
			// Zeros, one tensor per variable (buffers are donated); set
			// explicitly because a second trainer on the model finds the
			// variables of the first.
			zeroed := func(scope string) *mlctx.Variable {
				v := ctx.At("%s", scope).VariableWithValue(fmt.Sprint(i), tensors.FromShape(p.v.Shape())).SetTrainable(false)
				if err := v.SetValue(tensors.FromShape(p.v.Shape())); err != nil {
					panic(err)
				}
				return v
			}
			t.acc = append(t.acc, zeroed("dpokit_grad"))
			for k := range nMoments {
				t.moment[k] = append(t.moment[k], zeroed(fmt.Sprintf("dpokit_%s_%d", cfg.Optimizer, k)))
			}
		}
	})
	if err != nil {
		return nil, err
	}
	if cfg.SyncRefEvery > 0 {
		if m.lora != nil {
			return nil, fmt.Errorf("TR-DPO (reference syncing) with LoRA adapters: the reference would need its own copy of the weights; train without LoRA")
		}
		if t.ref, err = newReference(m, cfg.RefMixupAlpha); err != nil {
			return nil, err
		}
	}
	if t.micro, err = mlctx.NewExec(m.backend, m.ctx, t.microGraph); err != nil {
		return nil, err
	}
	if t.eval, err = mlctx.NewExec(m.backend, m.ctx, t.evalGraph); err != nil {
		return nil, err
	}
	if t.apply, err = mlctx.NewExec(m.backend, m.ctx, t.applyGraph); err != nil {
		return nil, err
	}
	t.micro.SetMaxCache(maxShapes)
	t.eval.SetMaxCache(maxShapes)
	return t, nil
}

// Config returns the configuration with defaults filled in.
func (t *Trainer) Config() Config { return t.cfg }

// StepsDone returns the number of optimizer steps applied.
func (t *Trainer) StepsDone() int { return t.step }

// batchInputs are the graph inputs after the model's: sel, tgt, seg, ref,
// pairs, tail, labels, margin.
const numBatchInputs = 8

func (t *Trainer) batchArgs(p *packed) []any { return t.m.batchArgs(p) }

// forward builds the objective of one micro-batch: its loss and its
// metrics ([2, K]: values and weights, named by t.metricNames).
func (t *Trainer) forward(ctx *mlctx.Scope, in []*graph.Node) (loss, stats *graph.Node) {
	loss, ms := buildObjective(t.cfg, t.batchValues(ctx, in))
	t.metricNames = t.metricNames[:0]
	for _, m := range ms {
		t.metricNames = append(t.metricNames, m.name)
	}
	return loss, stackMetrics(ms)
}

// microGraph adds the gradient of loss/GradAccum to the accumulators and
// returns the statistics.
func (t *Trainer) microGraph(ctx *mlctx.Scope, in []*graph.Node) *graph.Node {
	ctx.Store().SetTraining(in[0].Graph(), true) // LoRA dropout
	loss, stats := t.forward(ctx, in)
	g := loss.Graph()
	nodes := make([]*graph.Node, len(t.m.params))
	for i, p := range t.m.params {
		nodes[i] = p.v.NodeValue(g)
	}
	grads := graph.Gradient(graph.DivScalar(loss, float64(t.cfg.GradAccum)), nodes...)
	for i, a := range t.acc {
		a.SetNodeValue(graph.Add(a.NodeValue(g), grads[i]))
	}
	return stats
}

func (t *Trainer) evalGraph(ctx *mlctx.Scope, in []*graph.Node) *graph.Node {
	_, stats := t.forward(ctx, in)
	return stats
}

// applyGraph clips the accumulated gradient by its global norm, applies
// the optimizer as PyTorch does, and clears the accumulators. A
// non-finite norm leaves weights and optimizer state unchanged. Inputs are
// scalars: lr, and for AdamW lr/(1−β1^t) and sqrt(1−β2^t).
func (t *Trainer) applyGraph(ctx *mlctx.Scope, in []*graph.Node) *graph.Node {
	g := in[0].Graph()
	lr := in[0]
	sq := make([]*graph.Node, len(t.acc))
	grads := make([]*graph.Node, len(t.acc))
	for i, a := range t.acc {
		grads[i] = a.NodeValue(g)
		sq[i] = sumSquares(grads[i])
	}
	norm := graph.Sqrt(graph.ReduceAllSum(graph.Stack(sq, 0))) // float64
	ok := graph.IsFinite(norm)
	if t.cfg.MaxGradNorm > 0 {
		coef := graph.MinScalar(graph.Div(graph.Scalar(g, dtypes.Float64, t.cfg.MaxGradNorm), graph.AddScalar(norm, 1e-6)), 1)
		coef = graph.ConvertDType(coef, dtypes.Float32)
		for i := range grads {
			grads[i] = graph.Mul(grads[i], coef)
		}
	}
	keep := func(v *mlctx.Variable, next *graph.Node) {
		old := v.NodeValue(g)
		v.SetNodeValue(graph.Where(graph.BroadcastToShape(ok, old.Shape()), next, old))
	}
	cfg := t.cfg
	for i, p := range t.m.params {
		w := p.v.NodeValue(g)
		gr := grads[i]
		switch cfg.Optimizer {
		case "adamw":
			stepSize, bc2 := in[1], in[2]
			m, v := t.moment[0][i], t.moment[1][i]
			if cfg.WeightDecay > 0 {
				w = graph.Mul(w, graph.OneMinus(graph.MulScalar(lr, cfg.WeightDecay)))
			}
			mv := m.NodeValue(g)
			mNew := graph.Add(mv, graph.MulScalar(graph.Sub(gr, mv), 1-cfg.Beta1))
			vNew := graph.Add(graph.MulScalar(v.NodeValue(g), cfg.Beta2), graph.MulScalar(graph.Square(gr), 1-cfg.Beta2))
			denom := graph.AddScalar(graph.Div(graph.Sqrt(vNew), bc2), cfg.Epsilon)
			w = graph.Sub(w, graph.Mul(graph.Div(mNew, denom), stepSize))
			keep(m, mNew)
			keep(v, vNew)
		case "rmsprop":
			v := t.moment[0][i]
			if cfg.WeightDecay > 0 {
				gr = graph.Add(gr, graph.MulScalar(w, cfg.WeightDecay))
			}
			vNew := graph.Add(graph.MulScalar(v.NodeValue(g), cfg.Alpha), graph.MulScalar(graph.Square(gr), 1-cfg.Alpha))
			w = graph.Sub(w, graph.Mul(graph.Div(gr, graph.AddScalar(graph.Sqrt(vNew), cfg.Epsilon)), lr))
			keep(v, vNew)
		}
		keep(p.v, w)
		t.acc[i].SetNodeValue(graph.ZerosLike(grads[i]))
	}
	return norm
}

// sumSquares returns Σ g² over a gradient, in float64. One float32 sum over
// the millions of elements of an embedding or LM-head gradient (vocabulary
// × hidden) rounds every addition against a large running total: it moved
// the gradient norm by up to 6e-6 relative on a 256k-token model
// (internal/families). The squares are summed in float32 only along the
// shorter axes of g (short sums), then along the longest axis (the
// vocabulary) in float64, so the float64 copy holds one value per row.
func sumSquares(gr *graph.Node) *graph.Node {
	sq := graph.Square(gr)
	if sq.Rank() >= 2 {
		dims := sq.Shape().Dimensions
		longest := 0
		for a, d := range dims {
			if d > dims[longest] {
				longest = a
			}
		}
		var others []int
		for a := range dims {
			if a != longest {
				others = append(others, a)
			}
		}
		sq = graph.ReduceSum(sq, others...)
	}
	return graph.ReduceAllSum(graph.ConvertDType(sq, dtypes.Float64))
}

// Step runs one optimizer step over the micro-batches (each at most
// BatchSize pairs; GradAccum of them make a step as configured, but any
// number is accepted). It returns the step's metrics.
func (t *Trainer) Step(micro [][]Example) (Metrics, error) {
	start := time.Now()
	var ms Metrics
	if len(micro) == 0 {
		return ms, fmt.Errorf("step %d: no micro-batches", t.step+1)
	}
	var agg metricSums
	for _, exs := range micro {
		p, err := t.pack(exs)
		if err != nil {
			return ms, err
		}
		t.noteShape("train", Shape{p.T, p.N})
		out, err := t.micro.Call(t.batchArgs(p)...)
		if err != nil {
			return ms, fmt.Errorf("step %d: %w", t.step+1, err)
		}
		st, err := tensors.CopyFlatData[float32](out[0])
		if err != nil {
			return ms, err
		}
		if l := float64(st[0]); math.IsNaN(l) || math.IsInf(l, 0) {
			nf := &NonFiniteError{Step: t.step + 1, What: "loss", Value: l}
			if err := t.clearGrads(); err != nil {
				return ms, fmt.Errorf("%w; %w", nf, err)
			}
			return ms, nf
		}
		agg.add(st, 1)
		ms.Pairs += p.n
		ms.Tokens += p.tokens
	}
	k := t.step // 0-based index of this step
	lr := t.cfg.LearningRate(k)
	args := []any{float32(lr)}
	if t.cfg.Optimizer == "adamw" {
		n := float64(k + 1)
		bc1 := 1 - math.Pow(t.cfg.Beta1, n)
		bc2 := math.Sqrt(1 - math.Pow(t.cfg.Beta2, n))
		args = append(args, float32(lr/bc1), float32(bc2))
	}
	out, err := t.apply.Call(args...)
	if err != nil {
		return ms, fmt.Errorf("step %d: %w", t.step+1, err)
	}
	norm := tensors.ToScalar[float64](out[0])
	if math.IsNaN(norm) || math.IsInf(norm, 0) {
		return ms, &NonFiniteError{Step: t.step + 1, What: "gradient norm", Value: norm}
	}
	t.step++
	if err := t.afterStep(); err != nil {
		return ms, err
	}
	agg.fill(&ms, t.metricNames)
	ms.GradNorm = norm
	ms.LearningRate = lr
	ms.Seconds = time.Since(start).Seconds()
	if ms.Seconds > 0 {
		ms.TokensPerSecond = float64(ms.Tokens) / ms.Seconds
	}
	return ms, nil
}

// clearGrads zeroes the accumulators after an aborted step.
func (t *Trainer) clearGrads() error {
	for _, a := range t.acc {
		if err := a.SetValue(tensors.FromShape(a.Shape())); err != nil {
			return fmt.Errorf("clear gradient accumulators: %w", err)
		}
	}
	return nil
}

// Evaluate computes the metrics of exs without changing anything, in
// micro-batches of BatchSize pairs; each pair counts equally.
func (t *Trainer) Evaluate(exs []Example) (Metrics, error) {
	start := time.Now()
	var ms Metrics
	if len(exs) == 0 {
		return ms, fmt.Errorf("evaluate: no pairs")
	}
	var agg metricSums
	for lo := 0; lo < len(exs); lo += t.cfg.BatchSize {
		batch := exs[lo:min(lo+t.cfg.BatchSize, len(exs))]
		p, err := t.pack(batch)
		if err != nil {
			return ms, err
		}
		t.noteShape("eval", Shape{p.T, p.N})
		out, err := t.eval.Call(t.batchArgs(p)...)
		if err != nil {
			return ms, fmt.Errorf("evaluate: %w", err)
		}
		st, err := tensors.CopyFlatData[float32](out[0])
		if err != nil {
			return ms, err
		}
		agg.add(st, float64(p.n))
		ms.Pairs += p.n
		ms.Tokens += p.tokens
	}
	agg.fill(&ms, t.metricNames)
	ms.Seconds = time.Since(start).Seconds()
	if ms.Seconds > 0 {
		ms.TokensPerSecond = float64(ms.Tokens) / ms.Seconds
	}
	return ms, nil
}

// pack checks token ids against the vocabulary and lays out a micro-batch.
func (t *Trainer) pack(exs []Example) (*packed, error) {
	if err := t.m.checkIDs(exs); err != nil {
		return nil, err
	}
	return packShaped(exs, t.cfg.BatchSize, t.fit)
}

// Logps returns the summed log-probs of each pair's chosen and rejected
// response under the current weights.
func (t *Trainer) Logps(exs []Example) (chosen, rejected []float64, err error) {
	if t.logps == nil {
		t.logps, err = mlctx.NewExec(t.m.backend, t.m.ctx, t.m.logpsGraph)
		if err != nil {
			return nil, nil, err
		}
		t.logps.SetMaxCache(maxShapes)
	}
	for lo := 0; lo < len(exs); lo += t.cfg.BatchSize {
		batch := exs[lo:min(lo+t.cfg.BatchSize, len(exs))]
		p, err := t.pack(batch)
		if err != nil {
			return nil, nil, err
		}
		out, err := t.logps.Call(t.batchArgs(p)...)
		if err != nil {
			return nil, nil, err
		}
		v, err := tensors.CopyFlatData[float32](out[0])
		if err != nil {
			return nil, nil, err
		}
		for i := range batch {
			chosen = append(chosen, float64(v[i]))
			rejected = append(rejected, float64(v[p.P+i]))
		}
	}
	return chosen, rejected, nil
}
