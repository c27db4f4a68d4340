package score

import (
	"math"
)

// Result is one scored pair; the JSON names are dpokit's stable output format.
type Result struct {
	ID                 string  `json:"id"`
	PolicyChosenLogp   float64 `json:"policy_chosen_logp"`
	PolicyRejectedLogp float64 `json:"policy_rejected_logp"`
	RefChosenLogp      float64 `json:"ref_chosen_logp"`
	RefRejectedLogp    float64 `json:"ref_rejected_logp"`
	ChosenReward       float64 `json:"chosen_reward"`
	RejectedReward     float64 `json:"rejected_reward"`
	Margin             float64 `json:"margin"`
	Correct            bool    `json:"correct"`
	ChosenTokens       int     `json:"chosen_tokens"`
	RejectedTokens     int     `json:"rejected_tokens"`
}

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
func (w Rewarding) Fill(r *Result) {
	if w.RefFree {
		r.RefChosenLogp, r.RefRejectedLogp = 0, 0
	}
	r.ChosenReward = w.Reward(r.PolicyChosenLogp, r.RefChosenLogp, r.ChosenTokens)
	r.RejectedReward = w.Reward(r.PolicyRejectedLogp, r.RefRejectedLogp, r.RejectedTokens)
	r.Margin = r.ChosenReward - r.RejectedReward
	r.Correct = r.ChosenReward > r.RejectedReward
}

// Stats are the aggregate figures of a set of results.
type Stats struct {
	Scored             int     `json:"scored"`
	Accuracy           float64 `json:"accuracy"`
	AccuracyStdErr     float64 `json:"accuracy_standard_error"`
	MeanChosenReward   float64 `json:"mean_chosen_reward"`
	MeanRejectedReward float64 `json:"mean_rejected_reward"`
	MeanMargin         float64 `json:"mean_margin"`
	MarginStdErr       float64 `json:"margin_standard_error"`
	ChosenTokens       int     `json:"chosen_tokens"`
	RejectedTokens     int     `json:"rejected_tokens"`
}

// Aggregate computes Stats over results. The standard errors are those of a
// mean of independent samples (accuracy: sqrt(p(1−p)/n); margin: sample
// standard deviation / sqrt(n)).
func Aggregate(results []Result) Stats {
	var s Stats
	n := len(results)
	s.Scored = n
	if n == 0 {
		return s
	}
	correct := 0
	for _, r := range results {
		if r.Correct {
			correct++
		}
		s.MeanChosenReward += r.ChosenReward
		s.MeanRejectedReward += r.RejectedReward
		s.MeanMargin += r.Margin
		s.ChosenTokens += r.ChosenTokens
		s.RejectedTokens += r.RejectedTokens
	}
	fn := float64(n)
	s.Accuracy = float64(correct) / fn
	s.AccuracyStdErr = math.Sqrt(s.Accuracy * (1 - s.Accuracy) / fn)
	s.MeanChosenReward /= fn
	s.MeanRejectedReward /= fn
	s.MeanMargin /= fn
	if n > 1 {
		ss := 0.0
		for _, r := range results {
			d := r.Margin - s.MeanMargin
			ss += d * d
		}
		s.MarginStdErr = math.Sqrt(ss/(fn-1)) / math.Sqrt(fn)
	}
	return s
}
