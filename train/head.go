package train

import (
	"slices"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/graph"
	mlctx "github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/support/exceptions"

	"github.com/dpokit/dpokit/internal/onnxproto"
)

// headOut is the language-model head at the response slots, each [N]: the
// target tokens' log-probs and, without gradient, the figures the metrics
// are made of — the mean logit over the vocabulary, the entropy of the
// next-token distribution, 1 where its argmax is the target, and (with
// wpo) log p(target) − log Σ_v p(v)².
type headOut struct {
	lp, logitMean, entropy, hit, wpo *graph.Node
}

// responseHead computes the head at the response slots: sel [N, 2] (row,
// position) and tgt [N, 1]. With a plain head (logits = MatMul(hidden,
// weight), possibly followed by an element-wise tail) only the N selected
// hidden states are multiplied; a frozen plain head (LoRA) goes through
// frozenHead.
func (m *Model) responseHead(ctx *mlctx.Scope, in []*graph.Node, sel, tgt *graph.Node, wpo bool) headOut {
	if m.head == nil {
		full := m.callGraph(ctx, in, m.logits)[0] // [R, T, V]
		target := graph.Gather(full, graph.Concatenate([]*graph.Node{sel, tgt}, -1))
		return softmaxHead(graph.Gather(full, sel), target, tgt, wpo)
	}
	if m.lora != nil && len(m.head.tail) == 0 {
		return m.frozenHead(ctx, in, sel, tgt, wpo)
	}
	out := m.callGraph(ctx, in, m.head.values()...)
	h, w := out[0], out[1]
	if h.Rank() != 3 || w.Rank() != 2 {
		exceptions.Panicf("logits MatMul inputs are %s and %s, want [batch, sequence, hidden] and [hidden, vocab]", h.Shape(), w.Shape())
	}
	tail := func(x *graph.Node) *graph.Node { return m.head.applyTail(x, out[2:]) }
	return chunkedHead(graph.Gather(h, sel), w, tgt, m.chunkRows(w.Shape().Dim(1)), wpo, tail)
}

// chunkedHead is the head on hs [N, H] (the hidden states that predict the
// response tokens), w [H, V] and tgt [N, 1], in chunks of rows tokens (all
// at once when rows <= 0) that are gradient checkpoints, as chunkedLogps;
// tail is applied to the logits hs·w (the head's element-wise tail, see
// headNode).
func chunkedHead(hs, w, tgt *graph.Node, rows int, wpo bool, tail func(*graph.Node) *graph.Node) headOut {
	N := hs.Shape().Dim(0)
	if rows <= 0 || N <= rows {
		return headChunk(hs, w, tgt, wpo, tail)
	}
	var parts [5][]*graph.Node // lp, logitMean, entropy, hit, wpo
	for lo := 0; lo < N; lo += rows {
		r := graph.AxisRange(lo, min(lo+rows, N))
		o := headChunk(graph.Slice(hs, r).Checkpoint(), w, graph.Slice(tgt, r), wpo, tail)
		for i, n := range []*graph.Node{o.lp, o.logitMean, o.entropy, o.hit, o.wpo} {
			if n != nil {
				parts[i] = append(parts[i], n.StopCheckpoint())
			}
		}
	}
	cat := func(ns []*graph.Node) *graph.Node {
		if len(ns) == 0 {
			return nil
		}
		return graph.Concatenate(ns, 0)
	}
	return headOut{lp: cat(parts[0]), logitMean: cat(parts[1]), entropy: cat(parts[2]), hit: cat(parts[3]), wpo: cat(parts[4])}
}

// headChunk is one chunk of chunkedHead: hs [n, H], w [H, V], tgt [n, 1].
func headChunk(hs, w, tgt *graph.Node, wpo bool, tail func(*graph.Node) *graph.Node) headOut {
	logits := tail(graph.DotGeneral(hs, []int{1}, nil, w, []int{0}, nil)) // [n, V]
	return softmaxHead(logits, targetLogits(logits, tgt), tgt, wpo)
}

// targetLogits picks logits[i, tgt[i]] from logits [n, V] and tgt [n, 1].
// The target's logit is taken from the same product as the normaliser's —
// not recomputed as hs·w_tgt — so that with --precision bf16 both come from
// the bfloat16-operand matmul, as in a bf16 framework.
func targetLogits(logits, tgt *graph.Node) *graph.Node {
	rows := graph.Iota(logits.Graph(), shapes.Make(tgt.DType(), logits.Shape().Dim(0), 1), 0)
	return graph.Gather(logits, graph.Concatenate([]*graph.Node{rows, tgt}, -1))
}

// softmaxHead returns the log-probs target − log Σ e^logits and the
// metrics' figures, from logits [N, V].
func softmaxHead(logits, target, tgt *graph.Node, wpo bool) headOut {
	o, _, _ := softmaxHeadParts(logits, target, tgt, wpo)
	return o
}

// softmaxHeadParts is softmaxHead that also returns e = e^(logits − max)
// and its row sums.
//
// The log-probs' normaliser sums the exponentials in float64: a float32
// sum over a large vocabulary loses the terms below half a unit in the
// last place of the running sum and biases every log-prob upwards (2e-5
// nats per token at 262k tokens), as in models' log-prob graph. The
// metrics' figures use the float32 sum.
func softmaxHeadParts(logits, target, tgt *graph.Node, wpo bool) (o headOut, e, s *graph.Node) {
	mx := graph.StopGradient(graph.ReduceAndKeep(logits, graph.ReduceMax, -1))
	shifted := graph.Sub(logits, mx)
	e = graph.Exp(shifted)
	s = graph.ReduceSum(e, -1)
	s64 := graph.ReduceSum(graph.ConvertDType(e, dtypes.Float64), -1)
	lse := graph.Add(graph.ConvertDType(graph.Log(s64), logits.DType()), graph.Squeeze(mx, -1))
	o.lp = graph.Sub(target, lse)
	o.setStats(logits, shifted, e, s, tgt, wpo)
	return o, e, s
}

// setStats fills the metrics' figures from the logits, their shift by the
// row maximum, its exponential e and Σ e. The entropy is
// log Σ e − Σ e·shifted / Σ e, both terms ≥ 0, so that the float32 sums do
// not cancel; log Σ p² = log Σ e² − 2 log Σ e.
//
// The stop-gradients are on the [N] results: one on a [N, V] tensor would
// copy it.
func (o *headOut) setStats(logits, shifted, e, s, tgt *graph.Node, wpo bool) {
	sg := graph.StopGradient
	logS := graph.Log(s)
	o.logitMean = sg(graph.ReduceMean(logits, -1))
	o.entropy = sg(graph.Sub(logS, graph.Div(graph.ReduceSum(graph.Mul(e, shifted), -1), s)))
	o.hit = sg(graph.ConvertDType(graph.Equal(graph.ArgMax(logits, -1, dtypes.Int32), graph.Squeeze(tgt, -1)), logits.DType()))
	if wpo {
		o.wpo = sg(graph.Sub(o.lp, graph.Sub(graph.Log(graph.ReduceSum(graph.Square(e), -1)), graph.MulScalar(logS, 2))))
	}
}

// headChunkBytes bounds the [slots, vocab] tensors of one chunk of a
// frozen head.
var headChunkBytes = 4 << 20

// frozenHead computes the head when its weight is not trained (LoRA): the
// log-probs' gradient with respect to the selected hidden states,
// G = w_t − Σ_v p_v·w_v, is formed in the forward pass, slot chunk by slot
// chunk, so that no [N, V] tensor outlives its chunk and the backward pass
// holds none. The log-probs are value + (Σ_h hs·G − the same without
// gradient): exactly their value, with gradient G.
//
// The chunks run one after the other: each chunk's input waits, through a
// scheduling barrier, for the previous chunk's results. Without it the
// backend may schedule the chunks side by side and hold every chunk's
// [slots, vocab] temporaries at once (on the 11M benchmark model with 4
// pairs, about 115 MB — a third of a LoRA step's peak memory).
func (m *Model) frozenHead(ctx *mlctx.Scope, in []*graph.Node, sel, tgt *graph.Node, wpo bool) headOut {
	rows := m.head.rows // [V, H]
	if rows == "" {
		rows = m.head.weight
	}
	out := m.callGraph(ctx, in, m.head.hidden, rows)
	h, emb := out[0], out[1] // emb is no parameter: no gradient is formed for it
	if m.head.rows == "" {
		emb = graph.TransposeAllAxes(emb, 1, 0)
	}
	hs := graph.Gather(h, sel) // [N, H]
	N, V := hs.Shape().Dim(0), emb.Shape().Dim(0)
	C := N
	for C%2 == 0 && C*V*4 > headChunkBytes {
		C /= 2
	}
	// chunk returns, for slots xc [C, H] with targets tc [C, 1]: the
	// log-probs, G, the mean logit, the entropy, the top-1 hits and (wpo)
	// WPO's figure.
	chunk := func(xc, tc *graph.Node) []*graph.Node {
		logits := graph.DotGeneral(xc, []int{1}, nil, emb, []int{1}, nil) // [C, V]
		ey := graph.Gather(emb, tc)                                       // [C, H]
		o, e, s := softmaxHeadParts(logits, targetLogits(logits, tc), tc, wpo)
		p := graph.Div(e, graph.ExpandAxes(s, -1))
		grad := graph.Sub(ey, graph.DotGeneral(p, []int{1}, nil, emb, []int{0}, nil))
		res := []*graph.Node{o.lp, grad, o.logitMean, o.entropy, o.hit}
		if wpo {
			res = append(res, o.wpo)
		}
		return res
	}
	x := graph.StopGradient(hs)
	var chunks [][]*graph.Node
	for c := 0; c < N; c += C {
		xc := graph.Slice(x, graph.AxisRange(c, c+C))
		if c > 0 {
			xc = graph.SchedulingBarrier(xc, chunks[len(chunks)-1]...) // after the previous chunk
		}
		chunks = append(chunks, chunk(xc, graph.Slice(tgt, graph.AxisRange(c, c+C))))
	}
	parts := make([]*graph.Node, len(chunks[0]))
	for i := range parts {
		col := make([]*graph.Node, len(chunks))
		for c := range chunks {
			col[c] = chunks[c][i]
		}
		parts[i] = graph.StopGradient(graph.Concatenate(col, 0))
	}
	lin := graph.ReduceSum(graph.Mul(hs, parts[1]), -1)
	o := headOut{lp: graph.Add(parts[0], graph.Sub(lin, graph.StopGradient(lin))),
		logitMean: parts[2], entropy: parts[3], hit: parts[4]}
	if wpo {
		o.wpo = parts[5]
	}
	return o
}

// findHead returns the LM head at the end of the graph when the logits are
// MatMul(hidden, weight) followed by nothing but Tanh and Mul / Div by
// constants (a Constant node or a one-element initializer); nil otherwise.
// That the constants are scalars is checked when the graph is built (Load's
// dry run falls back to full logits).
func findHead(f *onnxproto.Model, logits string) *headNode {
	prod := f.Producers()
	constant := func(name string) bool {
		if t, ok := f.Initializer(name); ok {
			return t.Elems() == 1
		}
		p := prod[name]
		return p != nil && p.Op == "Constant"
	}
	var tail []tailOp
	for name := logits; ; {
		n := prod[name]
		switch {
		case n == nil || n.Domain != "":
			return nil
		case n.Op == "MatMul" && len(n.Inputs) == 2:
			slices.Reverse(tail)
			return &headNode{hidden: n.Inputs[0], weight: n.Inputs[1], tail: tail}
		case n.Op == "Tanh" && len(n.Inputs) == 1:
			tail, name = append(tail, tailOp{op: n.Op}), n.Inputs[0]
		case (n.Op == "Mul" || n.Op == "Div") && len(n.Inputs) == 2 && constant(n.Inputs[1]):
			tail, name = append(tail, tailOp{op: n.Op, constant: n.Inputs[1]}), n.Inputs[0]
		case n.Op == "Mul" && len(n.Inputs) == 2 && constant(n.Inputs[0]):
			tail, name = append(tail, tailOp{op: n.Op, constant: n.Inputs[0]}), n.Inputs[1]
		default:
			return nil
		}
	}
}

// values lists the graph values the head needs: hidden, weight, then the
// tail's constants.
func (h *headNode) values() []string {
	out := []string{h.hidden, h.weight}
	for _, op := range h.tail {
		if op.constant != "" {
			out = append(out, op.constant)
		}
	}
	return out
}

// applyTail applies the tail to x; consts are the values of the tail's
// constants, in order.
func (h *headNode) applyTail(x *graph.Node, consts []*graph.Node) *graph.Node {
	k := 0
	for _, op := range h.tail {
		if op.op == "Tanh" {
			x = graph.Tanh(x)
			continue
		}
		c := consts[k]
		k++
		if c.Shape().Size() != 1 {
			exceptions.Panicf("logits %s by %q of shape %s, want a scalar", op.op, op.constant, c.Shape())
		}
		c = graph.ConvertDType(graph.Reshape(c), x.DType())
		if op.op == "Mul" {
			x = graph.Mul(x, c)
		} else {
			x = graph.Div(x, c)
		}
	}
	return x
}
