package train

import (
	"github.com/gomlx/gomlx/core/graph"
)

// The reference-free objectives read the policy's log-probs only; their
// implicit rewards are β times the policy's (average) log-probs.

// nllChosen is the mean negative log-likelihood of the micro-batch's
// chosen response tokens.
func nllChosen(v *batchValues) *graph.Node {
	return graph.Neg(ratio(sum(v.chosen(v.rawLogp)), sum(v.chosen(v.tokens))))
}

// averageLogps returns the chosen and rejected log-probs divided by their
// response lengths.
func averageLogps(v *batchValues) (pw, pl *graph.Node) {
	n := graph.MaxScalar(v.tokens, 1)
	avg := graph.Div(v.rawLogp, n)
	return v.chosen(avg), v.rejected(avg)
}

// orpoObjective is ORPO (ORPO paper, Eqs. 4–7): with p the average
// log-probs and log odds(y) = p − log(1 − e^p), the loss is
// NLL(chosen) − β·mean(log σ(log odds(y_w) − log odds(y_l))).
func orpoObjective(cfg Config, v *batchValues) (*graph.Node, []metric) {
	pw, pl := averageLogps(v)
	log1mexp := func(x *graph.Node) *graph.Node { return graph.Log1p(graph.Neg(graph.Exp(x))) }
	logOdds := graph.Sub(graph.Sub(pw, pl), graph.Sub(log1mexp(pw), log1mexp(pl)))
	ratioTerm := logSigmoid(logOdds)
	nll := nllChosen(v)
	loss := graph.Sub(nll, graph.MulScalar(v.mean(ratioTerm), cfg.Beta))
	ms := policyRewardMetrics(cfg, v, loss, pw, pl)
	ms = append(ms, metric{name: "nll_loss", value: nll}, metric{name: "log_odds_ratio", value: v.mean(ratioTerm)},
		metric{name: "log_odds_chosen", value: v.mean(logOdds)})
	return loss, append(ms, tokenMetrics(v)...)
}

// cpoObjective is CPO (CPO paper, Eq. 3) and SimPO: with p the policy's
// log-probs (averaged for ipo and simpo) and x = p_w − p_l (minus γ/β for
// simpo), the mean of the sigmoid (label-smoothed), hinge or ipo loss of x
// plus CPOAlpha times NLL(chosen).
func cpoObjective(cfg Config, v *batchValues) (*graph.Node, []metric) {
	b := cfg.Beta
	pw, pl := v.chosen(v.rawLogp), v.rejected(v.rawLogp)
	if cfg.Loss == IPO || cfg.Loss == SimPOLoss {
		pw, pl = averageLogps(v)
	}
	x := graph.Sub(pw, pl)
	if cfg.Loss == SimPOLoss {
		x = graph.AddScalar(x, -cfg.SimPOGamma/b)
	}
	var per *graph.Node
	switch cfg.Loss {
	case Hinge:
		per = graph.MaxScalar(graph.OneMinus(graph.MulScalar(x, b)), 0)
	case IPO:
		per = graph.Square(graph.AddScalar(x, -1/(2*b)))
	default:
		per = smoothedSigmoid(graph.MulScalar(x, b), cfg.LabelSmoothing)
	}
	loss := v.mean(per)
	nll := graph.ZerosLike(loss)
	if a := *cfg.CPOAlpha; a != 0 {
		nll = nllChosen(v)
		loss = graph.Add(loss, graph.MulScalar(nll, a))
	}
	ms := policyRewardMetrics(cfg, v, loss, pw, pl)
	ms = append(ms, metric{name: "nll_loss", value: nll})
	return loss, append(ms, tokenMetrics(v)...)
}

// policyRewardMetrics are the loss and TRL's reward and log-prob metrics
// with the rewards β·p of the policy's log-probs p.
func policyRewardMetrics(cfg Config, v *batchValues, loss, pw, pl *graph.Node) []metric {
	ms := []metric{{name: "loss", value: loss}}
	ms = append(ms, rewardMetrics(v, graph.MulScalar(pw, cfg.Beta), graph.MulScalar(pl, cfg.Beta))...)
	return append(ms, metric{name: "logps/chosen", value: v.mean(pw)}, metric{name: "logps/rejected", value: v.mean(pl)})
}
