package score

import "github.com/dpokit/dpokit/results"

// Rewarding says how log-probs become implicit rewards.
type Rewarding struct {
	Beta       float64
	RefFree    bool   // reference log-probs taken as 0 (a uniform reference)
	LengthNorm string // "" (sum) or "avg" (log-probs divided by the response's token count)
}

// Reward returns β·(logπ(y|x) − logπ_ref(y|x)) for a response of n tokens,
// applying the length normalisation and reference-free settings.
func (w Rewarding) Reward(policyLogp, refLogp float64, n int) float64 {
	if w.RefFree {
		refLogp = 0
	}
	if w.LengthNorm == "avg" && n > 0 {
		policyLogp /= float64(n)
		refLogp /= float64(n)
	}
	return w.Beta * (policyLogp - refLogp)
}

// Fill computes the rewards, margin and correctness of r from its log-probs
// and token counts.
func (w Rewarding) Fill(r *results.Result) {
	if w.RefFree {
		r.RefChosenLogp, r.RefRejectedLogp = 0, 0
	}
	r.ChosenReward = w.Reward(r.PolicyChosenLogp, r.RefChosenLogp, r.ChosenTokens)
	r.RejectedReward = w.Reward(r.PolicyRejectedLogp, r.RefRejectedLogp, r.RejectedTokens)
	r.Margin = r.ChosenReward - r.RejectedReward
	r.Correct = r.ChosenReward > r.RejectedReward
}
