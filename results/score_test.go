package results

import (
	"math"
	"testing"
)

func TestAggregate(t *testing.T) {
	rs := []Result{
		{ChosenReward: 1, RejectedReward: 0, Margin: 1, Correct: true, ChosenTokens: 2, RejectedTokens: 3},
		{ChosenReward: 0, RejectedReward: 2, Margin: -2, Correct: false, ChosenTokens: 1, RejectedTokens: 1},
		{ChosenReward: 3, RejectedReward: 0, Margin: 3, Correct: true, ChosenTokens: 4, RejectedTokens: 4},
		{ChosenReward: 0, RejectedReward: -2, Margin: 2, Correct: true, ChosenTokens: 1, RejectedTokens: 2},
	}
	s := Aggregate(rs)
	// accuracy 3/4; se sqrt(.75*.25/4); margins 1,-2,3,2: mean 1, sample var (0+9+4+1)/3, se sqrt(14/3)/2.
	want := Stats{Scored: 4, Accuracy: 0.75, AccuracyStdErr: math.Sqrt(0.75 * 0.25 / 4), MeanChosenReward: 1,
		MeanRejectedReward: 0, MeanMargin: 1, MarginStdErr: math.Sqrt(14.0/3) / 2, ChosenTokens: 8, RejectedTokens: 10}
	near := func(a, b float64) bool { return math.Abs(a-b) < 1e-12 }
	if s.Scored != want.Scored || s.ChosenTokens != want.ChosenTokens || s.RejectedTokens != want.RejectedTokens ||
		!near(s.Accuracy, want.Accuracy) || !near(s.AccuracyStdErr, want.AccuracyStdErr) || !near(s.MeanChosenReward, want.MeanChosenReward) ||
		!near(s.MeanRejectedReward, want.MeanRejectedReward) || !near(s.MeanMargin, want.MeanMargin) || !near(s.MarginStdErr, want.MarginStdErr) {
		t.Errorf("Aggregate = %+v\nwant        %+v", s, want)
	}
	if z := Aggregate(nil); z.Scored != 0 || z.Accuracy != 0 {
		t.Errorf("Aggregate(nil) = %+v", z)
	}
}
