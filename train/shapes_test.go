package train

import (
	"context"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestPlanShapesHandWorked: needs (T, N) 3×(10, 5), 1×(30, 20), 2×(100, 40)
// costing T each. Aligned to 8, the chain along T has candidates 16×8,
// 32×24 and 104×40. One shape: 6·104 = 624. Two: 16 for the first three
// and 104 for the rest costs 3·16 + 3·104 = 360, 32 and 104 costs
// 4·32 + 2·104 = 336, the least. Three: 3·16 + 32 + 2·104 = 288.
func TestPlanShapesHandWorked(t *testing.T) {
	var needs []Shape
	for range 3 {
		needs = append(needs, Shape{10, 5})
	}
	needs = append(needs, Shape{30, 20}, Shape{100, 40}, Shape{100, 40})
	cost := func(s Shape) float64 { return float64(s.T) }
	want := map[int][]Shape{
		1: {{104, 40}},
		2: {{32, 24}, {104, 40}},
		3: {{16, 8}, {32, 24}, {104, 40}},
		5: {{16, 8}, {32, 24}, {104, 40}},
	}
	for k, w := range want {
		if got := planShapes(needs, k, cost); !slices.Equal(got, w) {
			t.Errorf("k=%d: %v, want %v", k, got, w)
		}
	}
}

// TestPlanShapesCovers: on random needs every need fits a planned shape,
// at most k are planned, and more shapes never cost more.
func TestPlanShapesCovers(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	var needs []Shape
	for range 500 {
		T := 4 + rng.IntN(400)
		needs = append(needs, Shape{T, 1 + rng.IntN(8*T)})
	}
	cost := func(s Shape) float64 { return float64(16*s.T) + 3*float64(s.N) }
	total := func(plan []Shape) float64 {
		c := 0.0
		for _, n := range needs {
			s, ok := fitPlan(plan, n)
			if !ok {
				t.Fatalf("need %v fits none of %v", n, plan)
			}
			c += cost(s)
		}
		return c
	}
	last := math.Inf(1)
	for k := 1; k <= 8; k++ {
		plan := planShapes(needs, k, cost)
		if len(plan) == 0 || len(plan) > k {
			t.Fatalf("k=%d: %d shapes", k, len(plan))
		}
		c := total(plan)
		if c > last {
			t.Errorf("k=%d costs %g, more than k-1's %g", k, c, last)
		}
		last = c
	}
}

// variedPairs are pairs of widely varied lengths (prompts 1–60 tokens,
// responses 1–40), so that bucketed batches take many shapes.
func variedPairs(n int, seed uint64) []Example {
	rng := rand.New(rand.NewPCG(seed, 9))
	ids := func(lo, hi int) []int {
		out := make([]int, lo+rng.IntN(hi-lo+1))
		for i := range out {
			out[i] = rng.IntN(32000)
		}
		return out
	}
	out := make([]Example, n)
	for i := range out {
		out[i] = Example{Index: i, ID: string(rune('a' + i%26)), Prompt: ids(1, 60), Chosen: ids(1, 40), Rejected: ids(1, 40),
			RefChosen: -100, RefRejected: -100}
	}
	return out
}

// TestCompileBudget runs 4 steps (and evaluations) on pairs of varied
// lengths: with --max-shapes 3 the training and evaluation graphs are
// compiled for at most 3 shapes each, all before step 1, and the losses
// equal those of a run padded to the default buckets, which needs more
// shapes on the same batches.
func TestCompileBudget(t *testing.T) {
	const K = 3
	train, eval := variedPairs(16, 1), variedPairs(4, 2)
	run := func(maxShapes int) (*Result, []float64) {
		m, err := Load(onnxPath("llama-policy"), LoadOptions{})
		if err != nil {
			t.Fatal(err)
		}
		var losses []float64
		o := RunOptions{Config: Config{LR: 1e-3, BatchSize: 2, GradAccum: 2}, Train: train, Eval: eval, EvalEvery: 2,
			MaxSteps: 4, Seed: 5, MaxShapes: maxShapes,
			Log: func(r Record) error { losses = append(losses, r.Loss); return nil }}
		res, err := Run(context.Background(), m, o)
		if err != nil {
			t.Fatal(err)
		}
		return res, losses
	}
	res, losses := run(K)
	st := res.Stats
	if len(st.Shapes) == 0 || len(st.Shapes) > K || st.CompileSeconds <= 0 || st.FirstStepSeconds < st.CompileSeconds {
		t.Fatalf("stats %+v", st)
	}
	for graph, ss := range st.Graphs {
		if len(ss) > K {
			t.Errorf("%s graph compiled for %d shapes %v, more than %d", graph, len(ss), ss, K)
		}
		for _, s := range ss {
			if !slices.Contains(st.Shapes, s) {
				t.Errorf("%s graph ran shape %v outside the plan %v", graph, s, st.Shapes)
			}
		}
	}
	bucketed, want := run(0)
	if n := len(bucketed.Stats.Graphs["train"]); n <= K {
		t.Fatalf("the default buckets need only %d training shapes here: the data are not varied enough", n)
	}
	for i := range want {
		if d := math.Abs(losses[i] - want[i]); d > 1e-5 {
			t.Errorf("record %d: loss %.7f with the plan, %.7f with buckets", i, losses[i], want[i])
		}
	}
	t.Logf("plan %v (compiled in %.2fs, first step after %.2fs); buckets ran %d training shapes %v",
		st.Shapes, st.CompileSeconds, st.FirstStepSeconds, len(bucketed.Stats.Graphs["train"]), bucketed.Stats.Graphs["train"])
}
