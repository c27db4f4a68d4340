package train

import (
	"github.com/gomlx/gomlx/core/graph"
	mlctx "github.com/gomlx/gomlx/ml/model"
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
	margin                           *graph.Node // [P]: Example.Margin
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
func (t *Trainer) batchValues(ctx *mlctx.Scope, in []*graph.Node) *batchValues {
	k := len(in) - numBatchInputs
	sel, tgt, seg, ref, pairs, tail, labels := in[k], in[k+1], in[k+2], in[k+3], in[k+4], in[k+5], in[k+6]
	v := &batchValues{P: pairs.Shape().Dim(0), pairs: pairs, labels: labels, tokens: graph.ReduceSum(seg, -1), ref: ref, margin: in[k+7]}
	if t.cfg.Objective == Reward {
		v.scores = t.m.rewardScores(ctx, in[:k])
		return v
	}
	head := t.m.responseHead(ctx, in[:k], sel, tgt, t.cfg.UseWeighting)
	lp := head.lp
	weigh := func(x *graph.Node) *graph.Node { return x }
	if a := t.cfg.LDAlpha; a != nil {
		// LD-DPO: tokens past the shorter response's length count α.
		w := graph.OneMinus(graph.MulScalar(tail, 1-*a))
		weigh = func(x *graph.Node) *graph.Node { return graph.Mul(x, w) }
	}
	v.rawLogp = rowSums(seg, lp)
	v.logp = rowSums(seg, weigh(lp))
	if t.ref != nil {
		refLp := graph.StopGradient(t.m.responseLogps(ctx.At(refScope), in[:k], sel, tgt))
		v.ref = rowSums(seg, weigh(refLp))
	}
	if t.cfg.ReferenceFree {
		v.ref = graph.ZerosLike(ref)
	}
	v.logitMean, v.entropy, v.correct = rowSums(seg, head.logitMean), rowSums(seg, head.entropy), rowSums(seg, head.hit)
	if head.wpo != nil {
		v.wpo = rowSums(seg, head.wpo)
	}
	return v
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
