package train_test

import (
	"fmt"

	"github.com/dpokit/dpokit/train"
)

// The DPO losses of one pair whose policy prefers the chosen response a
// little more than the reference does (z = 2 nats), with β = 0.1.
func ExamplePairLoss() {
	pc, pr := -10.0, -14.0 // policy: log π(y_w|x), log π(y_l|x)
	rc, rr := -11.0, -13.0 // reference
	for _, l := range []train.Loss{train.Sigmoid, train.Hinge, train.IPO} {
		fmt.Printf("%-7s %.4f\n", l, train.PairLoss(l, 0.1, 0, pc, pr, rc, rr))
	}
	fmt.Printf("cDPO    %.4f (label smoothing 0.1)\n", train.PairLoss(train.Sigmoid, 0.1, 0.1, pc, pr, rc, rr))
	fmt.Printf("robust  %.4f (label smoothing 0.1)\n", train.PairLoss(train.Robust, 0.1, 0.1, pc, pr, rc, rr))
	// Output:
	// sigmoid 0.5981
	// hinge   0.8000
	// ipo     9.0000
	// cDPO    0.6181 (label smoothing 0.1)
	// robust  0.5731 (label smoothing 0.1)
}

// Hugging Face's linear schedule with warmup: 0 at the first step, the peak
// after the warmup, 0 at the end.
func ExampleConfig_LearningRate() {
	cfg := train.Config{LR: 1e-3, WarmupSteps: 2, Steps: 6}
	for k := range 6 {
		fmt.Printf("%.2e ", cfg.LearningRate(k))
	}
	fmt.Println()
	// Output:
	// 0.00e+00 5.00e-04 1.00e-03 7.50e-04 5.00e-04 2.50e-04
}
