package results

// WinRate is the result of comparing candidate outputs with baseline
// outputs prompt by prompt (`dpokit score winrate`).
type WinRate struct {
	N                 int        `json:"n"`
	Wins              int        `json:"wins"`
	Losses            int        `json:"losses"`
	Ties              int        `json:"ties"`
	WinRate           float64    `json:"win_rate"` // ties count ½
	StandardError     float64    `json:"standard_error"`
	CI95              [2]float64 `json:"ci95"`
	LengthControlled  *float64   `json:"length_controlled_win_rate,omitempty"`
	LengthCoefficient *float64   `json:"length_coefficient,omitempty"`
	MeanCandidateLen  float64    `json:"mean_candidate_tokens"`
	MeanBaselineLen   float64    `json:"mean_baseline_tokens"`
	Judge             string     `json:"judge"`
	Candidates        string     `json:"candidates"`
	Baseline          string     `json:"baseline"`
	BaselineUnmatched int        `json:"baseline_unmatched"` // baseline prompts with no candidate
}
