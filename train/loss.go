package train

import (
	"fmt"
	"math"

	"github.com/gomlx/gomlx/core/graph"
)

// Loss is a preference (or SFT) objective, named as in TRL's DPOTrainer.
type Loss string

// The losses. With z = (log π(y_w|x) − log π(y_l|x)) − (log π_ref(y_w|x) − log π_ref(y_l|x)),
// β the temperature and ε the label smoothing:
const (
	// Sigmoid is DPO: −(1−ε)·log σ(βz) − ε·log σ(−βz); ε > 0 is
	// conservative DPO (cDPO).
	Sigmoid Loss = "sigmoid"
	// Robust is robust DPO: ((1−ε)·(−log σ(βz)) + ε·log σ(−βz)) / (1−2ε).
	Robust Loss = "robust"
	// Hinge is SLiC's max(0, 1 − βz).
	Hinge Loss = "hinge"
	// IPO is (z − 1/(2β))², with log-probs averaged over response tokens
	// (policy and reference alike), as TRL computes it.
	IPO Loss = "ipo"
	// SFT is the mean negative log-likelihood of the chosen response tokens
	// (no reference needed), to train a reference model from preferred
	// completions as the DPO paper recommends when none exists.
	SFT Loss = "sft"
)

// Losses lists the supported losses.
var Losses = []Loss{Sigmoid, IPO, Hinge, Robust, SFT}

func (l Loss) valid() bool {
	for _, x := range Losses {
		if l == x {
			return true
		}
	}
	return false
}

// NeedsReference reports whether the loss uses reference log-probs.
func (l Loss) NeedsReference() bool { return l != SFT }

// PairLoss computes one pair's loss from its summed log-probs (already
// length-averaged for IPO) in float64: the same formulas as the graph, for
// checks and examples.
func PairLoss(l Loss, beta, eps, policyChosen, policyRejected, refChosen, refRejected float64) float64 {
	z := (policyChosen - policyRejected) - (refChosen - refRejected)
	logSig := func(x float64) float64 { return math.Min(x, 0) - math.Log1p(math.Exp(-math.Abs(x))) }
	switch l {
	case Sigmoid:
		return -(1-eps)*logSig(beta*z) - eps*logSig(-beta*z)
	case Robust:
		return ((1-eps)*-logSig(beta*z) + eps*logSig(-beta*z)) / (1 - 2*eps)
	case Hinge:
		return math.Max(0, 1-beta*z)
	case IPO:
		d := z - 1/(2*beta)
		return d * d
	}
	return math.NaN()
}

// logSigmoid is log σ(x) = min(x, 0) − log(1 + e^−|x|), stable for all x.
func logSigmoid(x *graph.Node) *graph.Node {
	return graph.Sub(graph.MinScalar(x, 0), graph.Log1p(graph.Exp(graph.Neg(graph.Abs(x)))))
}

// Stat indices of the per-micro-batch statistics vector.
const (
	statLoss = iota
	statRewardChosen
	statRewardRejected
	statAccuracy
	statMargin
	statLogpChosen
	statLogpRejected
	numStats
)

// objective builds a micro-batch's loss (a mean over its real pairs, or
// over its chosen tokens for SFT) and its statistics, each a mean over the
// real pairs. seq is [R] summed response log-probs, lengths [R] response
// tokens, ref [R], pairs [P].
func objective(cfg Config, seq, lengths, ref, pairs *graph.Node) (loss, stats *graph.Node) {
	P := pairs.Shape().Dim(0)
	if cfg.Loss == IPO {
		n := graph.MaxScalar(lengths, 1)
		seq = graph.Div(seq, n)
		ref = graph.Div(ref, n)
	}
	pc, pr := graph.Slice(seq, graph.AxisRange(0, P)), graph.Slice(seq, graph.AxisRange(P, 2*P))
	rc, rr := graph.Slice(ref, graph.AxisRange(0, P)), graph.Slice(ref, graph.AxisRange(P, 2*P))
	beta := float64(cfg.Beta)
	eps := cfg.LabelSmoothing
	z := graph.Sub(graph.Sub(pc, pr), graph.Sub(rc, rr))
	bz := graph.MulScalar(z, beta)
	var losses *graph.Node
	switch cfg.Loss {
	case Sigmoid:
		losses = graph.Sub(graph.MulScalar(logSigmoid(bz), -(1-eps)), graph.MulScalar(logSigmoid(graph.Neg(bz)), eps))
	case Robust:
		losses = graph.DivScalar(graph.Add(graph.MulScalar(logSigmoid(bz), -(1-eps)), graph.MulScalar(logSigmoid(graph.Neg(bz)), eps)), 1-2*eps)
	case Hinge:
		losses = graph.MaxScalar(graph.OneMinus(bz), 0)
	case IPO:
		losses = graph.Square(graph.AddScalar(z, -1/(2*beta)))
	case SFT:
		// Token mean over the chosen responses.
		chosenTok := graph.Slice(lengths, graph.AxisRange(0, P))
		loss = graph.Div(graph.Neg(graph.ReduceAllSum(pc)), graph.MaxScalar(graph.ReduceAllSum(chosenTok), 1))
	default:
		panic(fmt.Sprintf("unknown loss %q", cfg.Loss))
	}
	n := graph.MaxScalar(graph.ReduceAllSum(pairs), 1)
	mean := func(x *graph.Node) *graph.Node { return graph.Div(graph.ReduceAllSum(graph.Mul(x, pairs)), n) }
	if losses != nil {
		loss = mean(losses)
	}
	cr := graph.MulScalar(graph.StopGradient(graph.Sub(pc, rc)), beta)
	rj := graph.MulScalar(graph.StopGradient(graph.Sub(pr, rr)), beta)
	acc := graph.ConvertDType(graph.GreaterThan(cr, rj), cr.DType())
	stats = graph.Stack([]*graph.Node{
		graph.StopGradient(loss), mean(cr), mean(rj), mean(acc), mean(graph.Sub(cr, rj)),
		mean(graph.StopGradient(pc)), mean(graph.StopGradient(pr)),
	}, 0)
	return loss, stats
}
