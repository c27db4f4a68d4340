package train

import (
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/graph"
	mlctx "github.com/gomlx/gomlx/pkg/ml/context"
)

// batchValues are the per-sequence quantities of a micro-batch that the
// objectives are written in. Row vectors are [R]: rows 0..P-1 the chosen
// sequences (KTO: the completions), rows P..2P-1 the rejected ones (KTO:
// the mismatched completions of the KL estimate).
type batchValues struct {
	P       int
	logp    *graph.Node // summed response log-probs, LD-weighted under Config.LDAlpha
	rawLogp *graph.Node // summed response log-probs
	ref     *graph.Node // reference log-probs, weighted as logp; 0 reference-free
	tokens  *graph.Node // response tokens
	// Sums over each row's response tokens, without gradient: the mean
	// logit over the vocabulary, the entropy of the next-token
	// distribution, 1 where the top-1 prediction is the token, and
	// log p(token) − log Σ_v p(v)² (WPO).
	logitMean, entropy, correct, wpo *graph.Node
	pairs                            *graph.Node // [P]: 1 for real pairs
	labels                           *graph.Node // [P]: 1 for desirable examples (KTO)
	scores                           *graph.Node // [R]: reward model scores (Reward only)
}

func (v *batchValues) chosen(x *graph.Node) *graph.Node {
	return graph.Slice(x, graph.AxisRange(0, v.P))
}

func (v *batchValues) rejected(x *graph.Node) *graph.Node {
	return graph.Slice(x, graph.AxisRange(v.P, 2*v.P))
}

// mean is the mean of x [P] over the real pairs.
func (v *batchValues) mean(x *graph.Node) *graph.Node {
	return v.meanOver(x, v.pairs)
}

// meanOver is Σ x·w / Σ w (0 when Σ w = 0).
func (v *batchValues) meanOver(x, w *graph.Node) *graph.Node {
	return graph.Div(graph.ReduceAllSum(graph.Mul(x, w)), graph.MaxScalar(graph.ReduceAllSum(w), 1e-30))
}

// sum adds x over the real rows (padding rows hold zeros).
func sum(x *graph.Node) *graph.Node { return graph.ReduceAllSum(x) }

// ratio is a / max(b, 1).
func ratio(a, b *graph.Node) *graph.Node { return graph.Div(a, graph.MaxScalar(b, 1)) }

// batchValues builds the per-sequence values of a micro-batch from the
// graph inputs (the model's, then sel, tgt, seg, ref, pairs, tail, labels).
func (t *Trainer) batchValues(ctx *mlctx.Context, in []*graph.Node) *batchValues {
	k := len(in) - numBatchInputs
	sel, tgt, seg, ref, pairs, tail, labels := in[k], in[k+1], in[k+2], in[k+3], in[k+4], in[k+5], in[k+6]
	v := &batchValues{P: pairs.Shape().Dim(0), pairs: pairs, labels: labels, tokens: graph.ReduceSum(seg, -1), ref: ref}
	if t.cfg.Objective == Reward {
		v.scores = t.rewardScores(ctx, in[:k], seg)
		return v
	}
	lp, logits := t.m.responseLogits(ctx, in[:k], sel, tgt)
	weigh := func(x *graph.Node) *graph.Node { return x }
	if a := t.cfg.LDAlpha; a != nil {
		// LD-DPO: tokens past the shorter response's length count α.
		w := graph.OneMinus(graph.MulScalar(tail, 1-*a))
		weigh = func(x *graph.Node) *graph.Node { return graph.Mul(x, w) }
	}
	v.rawLogp = rowSums(seg, lp)
	v.logp = rowSums(seg, weigh(lp))
	if t.ref != nil {
		refLp := graph.StopGradient(t.m.responseLogps(ctx.In(refScope), in[:k], sel, tgt))
		v.ref = rowSums(seg, weigh(refLp))
	}
	if t.cfg.ReferenceFree {
		v.ref = graph.ZerosLike(ref)
	}
	st := tokenStats(logits, tgt, lp)
	v.logitMean, v.entropy, v.correct, v.wpo = rowSums(seg, st[0]), rowSums(seg, st[1]), rowSums(seg, st[2]), rowSums(seg, st[3])
	return v
}

// tokenStats returns, per response slot [N] and without gradient, the mean
// logit over the vocabulary, the entropy, 1 where the argmax is the target,
// and log p(target) − log Σ_v p(v)².
func tokenStats(logits, tgt, lp *graph.Node) [4]*graph.Node {
	x := graph.StopGradient(logits) // [N, V]
	lse := func(x *graph.Node) *graph.Node {
		mx := graph.StopGradient(graph.ReduceAndKeep(x, graph.ReduceMax, -1))
		return graph.Add(graph.Log(graph.ReduceSum(graph.Exp(graph.Sub(x, mx)), -1)), graph.Squeeze(mx, -1))
	}
	l1 := lse(x)
	p := graph.Exp(graph.Sub(x, graph.ExpandAxes(l1, -1)))
	// Σ p·(lse − x): every term ≥ 0, so the float32 sum does not cancel.
	entropy := graph.ReduceSum(graph.Mul(p, graph.Sub(graph.ExpandAxes(l1, -1), x)), -1)
	hit := graph.ConvertDType(graph.Equal(graph.ArgMax(x, -1, dtypes.Int32), graph.Squeeze(tgt, -1)), x.DType())
	logSumSq := graph.Sub(lse(graph.MulScalar(x, 2)), graph.MulScalar(l1, 2))
	return [4]*graph.Node{graph.ReduceMean(x, -1), entropy, hit, graph.Sub(graph.StopGradient(lp), logSumSq)}
}

// tokenMetrics are TRL's per-token figures: logits/chosen and
// logits/rejected (mean logit of the responses' tokens), entropy (over all
// response tokens) and mean_token_accuracy (top-1 hits on the chosen
// tokens).
func tokenMetrics(v *batchValues) []metric {
	ct, rt := v.chosen(v.tokens), v.rejected(v.tokens)
	return []metric{
		{name: "logits/chosen", value: ratio(sum(v.chosen(v.logitMean)), sum(ct))},
		{name: "logits/rejected", value: ratio(sum(v.rejected(v.logitMean)), sum(rt))},
		{name: "entropy", value: ratio(sum(v.entropy), sum(v.tokens))},
		{name: "mean_token_accuracy", value: ratio(sum(v.chosen(v.correct)), sum(ct))},
	}
}

// rewardMetrics are TRL's reward figures for implicit rewards rc, rr [P].
func rewardMetrics(v *batchValues, rc, rr *graph.Node) []metric {
	acc := graph.ConvertDType(graph.GreaterThan(rc, rr), rc.DType())
	return []metric{
		{name: "rewards/chosen", value: v.mean(rc)},
		{name: "rewards/rejected", value: v.mean(rr)},
		{name: "rewards/accuracies", value: v.mean(acc)},
		{name: "rewards/margins", value: v.mean(graph.Sub(rc, rr))},
	}
}
