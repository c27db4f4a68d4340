package score

import (
	"fmt"
	"math"
	"testing"
)

// The expected values below are worked by hand from the DPO formulas,
// r = β·(log π(y|x) − log π_ref(y|x)), not produced by this package.
func TestRewardingFill(t *testing.T) {
	for _, tc := range []struct {
		name                string
		w                   Rewarding
		pc, pr, rc, rr      float64
		nc, nr              int
		chosen, rej, margin float64
		correct             bool
	}{
		{"sum", Rewarding{Beta: 0.1}, -10, -12, -11, -11, 4, 5, 0.1, -0.1, 0.2, true},
		{"beta 0.5", Rewarding{Beta: 0.5}, -3, -4, -2, -5, 2, 2, -0.5, 0.5, -1, false},
		{"tie is not correct", Rewarding{Beta: 1}, -3, -4, -3, -4, 1, 1, 0, 0, 0, false},
		{"ref free", Rewarding{Beta: 0.2, RefFree: true}, -10, -20, -99, -99, 1, 1, -2, -4, 2, true},
		{"avg", Rewarding{Beta: 1, LengthNorm: "avg"}, -8, -9, -4, -6, 4, 3, -1, -1, 0, false},
		{"avg ref free", Rewarding{Beta: 2, RefFree: true, LengthNorm: "avg"}, -8, -9, 0, 0, 4, 3, -4, -6, 2, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := Result{PolicyChosenLogp: tc.pc, PolicyRejectedLogp: tc.pr, RefChosenLogp: tc.rc, RefRejectedLogp: tc.rr,
				ChosenTokens: tc.nc, RejectedTokens: tc.nr}
			tc.w.Fill(&r)
			near := func(a, b float64) bool { return math.Abs(a-b) < 1e-12 }
			if !near(r.ChosenReward, tc.chosen) || !near(r.RejectedReward, tc.rej) || !near(r.Margin, tc.margin) || r.Correct != tc.correct {
				t.Errorf("got chosen %g rejected %g margin %g correct %v; want %g %g %g %v",
					r.ChosenReward, r.RejectedReward, r.Margin, r.Correct, tc.chosen, tc.rej, tc.margin, tc.correct)
			}
		})
	}
}

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

func ExampleRewarding_Reward() {
	w := Rewarding{Beta: 0.1}
	// The policy gives the chosen response 2 nats more than the reference does.
	fmt.Printf("%.2f\n", w.Reward(-10, -12, 5))
	// Output: 0.20
}
