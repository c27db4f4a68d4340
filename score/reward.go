package score

import (
	"fmt"
	"math"

	"github.com/dpokit/dpokit/results"
)

// Rewarding says how log-probs become implicit rewards.
type Rewarding struct {
	Beta       float64
	RefFree    bool   // reference log-probs taken as 0 (a uniform reference)
	LengthNorm string // "" (sum) or "avg" (log-probs divided by the response's token count)
	// RefFreeNorm, with RefFree, reduces the response's per-token log-probs
	// as RewardBench v1's reference-free DPO rewards do: "sum" (the
	// default), "avg" (their mean) or "norm" (−‖per-token log-probs‖₂).
	RefFreeNorm string
}

// Check reports settings that do not go together.
func (w Rewarding) Check() error {
	switch {
	case w.LengthNorm != "" && w.LengthNorm != "avg":
		return fmt.Errorf("length normalisation %q: want avg", w.LengthNorm)
	case w.RefFreeNorm != "" && w.RefFreeNorm != "sum" && w.RefFreeNorm != "avg" && w.RefFreeNorm != "norm":
		return fmt.Errorf("reference-free norm %q: want sum, avg or norm", w.RefFreeNorm)
	case w.RefFreeNorm != "" && !w.RefFree:
		return fmt.Errorf("a reference-free norm (%s) needs reference-free rewards", w.RefFreeNorm)
	case w.RefFreeNorm != "" && w.LengthNorm != "":
		return fmt.Errorf("reference-free norm %s and length normalisation %s: give one", w.RefFreeNorm, w.LengthNorm)
	}
	return nil
}

// Tokens reports whether the rewards need each token's log-prob, not only
// their sum: the reference-free "norm".
func (w Rewarding) Tokens() bool { return w.RefFree && w.RefFreeNorm == "norm" }

// Reward returns β·(logπ(y|x) − logπ_ref(y|x)) for a response of n tokens,
// applying the length normalisation and reference-free settings ("sum"
// and "avg"; "norm" needs the tokens: NormReward).
func (w Rewarding) Reward(policyLogp, refLogp float64, n int) float64 {
	if w.RefFree {
		refLogp = 0
	}
	if (w.LengthNorm == "avg" || w.RefFree && w.RefFreeNorm == "avg") && n > 0 {
		policyLogp /= float64(n)
		refLogp /= float64(n)
	}
	return w.Beta * (policyLogp - refLogp)
}

// NormReward is the reference-free "norm" reward of a response whose
// per-token log-probs have the Euclidean norm norm: β·(−norm).
func (w Rewarding) NormReward(norm float64) float64 { return -w.Beta * norm }

// Norm is the Euclidean norm of per-token log-probs.
func Norm(tokens []float64) float64 {
	s := 0.0
	for _, v := range tokens {
		s += v * v
	}
	return math.Sqrt(s)
}

// Fill computes the rewards, margin and correctness of r from its log-probs
// and token counts; norms are the policy's per-token log-prob norms of the
// chosen and rejected responses, used by the reference-free "norm" only.
func (w Rewarding) Fill(r *results.Result, norms ...float64) {
	if w.RefFree {
		r.RefChosenLogp, r.RefRejectedLogp = 0, 0
	}
	if w.Tokens() && len(norms) == 2 {
		r.ChosenReward, r.RejectedReward = w.NormReward(norms[0]), w.NormReward(norms[1])
	} else {
		r.ChosenReward = w.Reward(r.PolicyChosenLogp, r.RefChosenLogp, r.ChosenTokens)
		r.RejectedReward = w.Reward(r.PolicyRejectedLogp, r.RefRejectedLogp, r.RejectedTokens)
	}
	r.Margin = r.ChosenReward - r.RejectedReward
	r.Correct = r.ChosenReward > r.RejectedReward
}
