package train

import (
	"github.com/gomlx/gomlx/core/graph"
)

// ktoObjective is KTO (KTO paper, Eq. 7, as TRL computes it). Each example
// is a completion y with a label; with u = log π(y|x) − log π_ref(y|x) and
// the KL estimate z = max(0, mean over the micro-batch of
// log π(y′|x) − log π_ref(y′|x)) on mismatched completions y′ (no gradient),
// the loss is the mean over the examples of
//
//	w_d·(1 − σ(β(u − z)))   for a desirable y,
//	w_u·(1 − σ(β(z − u)))   for an undesirable one.
//
// Rows 0..P-1 hold the completions, rows P..2P-1 the mismatched ones.
func ktoObjective(cfg Config, v *batchValues) (*graph.Node, []metric) {
	b := cfg.Beta
	u := graph.Sub(v.chosen(v.logp), v.chosen(v.ref))
	mismatched := graph.StopGradient(graph.Sub(v.rejected(v.logp), v.rejected(v.ref)))
	kl := graph.MaxScalar(v.mean(mismatched), 0)
	good := graph.Mul(v.labels, v.pairs)
	bad := graph.Mul(graph.OneMinus(v.labels), v.pairs)
	lossGood := graph.MulScalar(graph.OneMinus(graph.Sigmoid(graph.MulScalar(graph.Sub(u, kl), b))), cfg.DesirableWeight)
	lossBad := graph.MulScalar(graph.OneMinus(graph.Sigmoid(graph.MulScalar(graph.Sub(kl, u), b))), cfg.UndesirableWeight)
	loss := v.mean(graph.Add(graph.Mul(lossGood, v.labels), graph.Mul(lossBad, graph.OneMinus(v.labels))))

	nGood, nBad := sum(good), sum(bad)
	has := func(n *graph.Node) *graph.Node {
		return graph.ConvertDType(graph.GreaterThan(n, graph.ZerosLike(n)), n.DType())
	}
	reward := graph.MulScalar(u, b)
	rc, rr := v.meanOver(reward, good), v.meanOver(reward, bad)
	pc := v.chosen(v.logp)
	lm := v.chosen(v.logitMean)
	tok := v.chosen(v.tokens)
	ms := []metric{
		{name: "loss", value: loss},
		{name: "kl", value: kl},
		{name: "rewards/chosen", value: rc, weight: has(nGood)},
		{name: "logps/chosen", value: v.meanOver(pc, good), weight: has(nGood)},
		{name: "logits/chosen", value: ratio(sum(graph.Mul(lm, good)), sum(graph.Mul(tok, good))), weight: has(nGood)},
		{name: "rewards/rejected", value: rr, weight: has(nBad)},
		{name: "logps/rejected", value: v.meanOver(pc, bad), weight: has(nBad)},
		{name: "logits/rejected", value: ratio(sum(graph.Mul(lm, bad)), sum(graph.Mul(tok, bad))), weight: has(nBad)},
		{name: "rewards/margins", value: graph.Sub(rc, rr), weight: graph.Mul(has(nGood), has(nBad))},
		{name: "entropy", value: ratio(sum(v.chosen(v.entropy)), sum(tok))},
	}
	return loss, ms
}

// MismatchedCompletions returns, for each of n examples in order, the
// example whose completion is its mismatched one for KTO's KL estimate:
// the previous example of its group of size group (the first of a group
// takes the last), TRL's pairing.
func MismatchedCompletions(n, group int) []int {
	src := make([]int, n)
	for lo := 0; lo < n; lo += group {
		hi := min(lo+group, n)
		for i := lo; i < hi; i++ {
			src[i] = i - 1
		}
		src[lo] = hi - 1
	}
	return src
}
