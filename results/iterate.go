package results

// Round is one round of `dpokit iterate` (OUT/round-k/summary.json).
type Round struct {
	Round int `json:"round"`
	// Pairs is the number of pairs trained on; Dropped the prompts left out
	// (equal best and worst text, or a margin under --min-margin).
	Pairs   int `json:"pairs"`
	Dropped int `json:"dropped"`
	// MeanReward is the judge's mean reward of one sample per prompt from
	// the round's policy (round 0: the starting policy), with its standard error.
	MeanReward float64 `json:"mean_reward"`
	RewardSE   float64 `json:"reward_standard_error"`
	Model      string  `json:"model"`
	// WinRate is the round's samples against round 0's, judged (ties ½).
	WinRate       float64 `json:"win_rate_vs_round0"`
	WinRateSE     float64 `json:"win_rate_standard_error"`
	MeanBestScore float64 `json:"mean_best_score,omitempty"`
}

// Iteration is `dpokit iterate`'s OUT/iterate.json: every round so far.
type Iteration struct {
	Judge  string  `json:"judge"`
	Rounds []Round `json:"rounds"`
}
