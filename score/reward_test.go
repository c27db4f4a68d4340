package score

import (
	"fmt"
	"math"
	"testing"

	"github.com/dpokit/dpokit/results"
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
			r := results.Result{PolicyChosenLogp: tc.pc, PolicyRejectedLogp: tc.pr, RefChosenLogp: tc.rc, RefRejectedLogp: tc.rr,
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

func ExampleRewarding_Reward() {
	w := Rewarding{Beta: 0.1}
	// The policy gives the chosen response 2 nats more than the reference does.
	fmt.Printf("%.2f\n", w.Reward(-10, -12, 5))
	// Output: 0.20
}
