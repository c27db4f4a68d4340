package train

import (
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

// NeedsReference reports whether the loss (any of its terms) uses
// reference log-probs.
func (l Loss) NeedsReference() bool {
	for _, t := range l.terms() {
		if t != SFT {
			return true
		}
	}
	return false
}

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
