package train

import (
	"errors"
	"math"
	"testing"

	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
)

// bf16Tol is the stated tolerance of a bf16 run against float32, in units
// of bfloat16's unit roundoff u = 2^-8 (each matmul operand is rounded by
// at most u, relative): loss, log-probs and rewards within 2u, the gradient
// norm (a sum of squares of every gradient, each rounded through the
// backward matmuls) within 4u, relative to max(1, |value|) as in
// TestMatchesPyTorch.
func bf16Tol(key string) float64 {
	const u = 1.0 / 256
	if key == "grad_norm" {
		return 4 * u
	}
	return 2 * u
}

// TestBF16Trajectory runs 10 DPO steps with --precision bf16 on the
// pure-Go backend (which has bfloat16 matrix multiplies) beside
// testdata/train/cases/llama_sigmoid_bf16.json — PyTorch with every matmul's
// operands rounded to bfloat16 and float32 accumulation (dpo_reference.py)
// — and cases/llama_sigmoid.json, the same steps in float32.
//
// Step 1 (same weights) checks the arithmetic: the two programs sum in
// different orders (float32 differences: step1Tol), and a float32
// difference can move an operand across a bfloat16 rounding boundary, an
// error no larger than bfloat16 rounding itself, which PyTorch measures as
// the gap g between its bf16 and fp32 runs: so dpokit must be within g +
// step1Tol of PyTorch's bf16 step, and at least g/2 away from its fp32 one
// (bf16 in effect). Over the 10 steps AdamW amplifies such differences (a
// tiny gradient's sign decides a full step), so the trajectory is held to
// the stated tolerance bf16Tol against both PyTorch runs.
func TestBF16Trajectory(t *testing.T) {
	bf := readPyTorchRun(t, "llama_sigmoid_bf16")
	fp := readPyTorchRun(t, "llama_sigmoid")
	m, err := Load(testdataONNX(bf.Policy), LoadOptions{Precision: BF16})
	if errors.Is(err, ErrBF16Product) {
		t.Skipf("bf16 is refused on this build and CPU (TestBF16ProductCheck checks the refusal): %v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	tr, err := NewTrainer(m, bf.config(t))
	if err != nil {
		t.Fatal(err)
	}
	exs := bf.examples()
	worstBF, worstFP := map[string]float64{}, map[string]float64{}
	for k, want := range bf.Steps {
		got, err := tr.Step(microBatches(tr.Config(), exs, k))
		if err != nil {
			t.Fatal(err)
		}
		g := metricsMap(got)
		for key, w := range want {
			scale := refScale(key, w, want, tr.Config().Beta)
			f := fp.Steps[k][key]
			gap, d, dfp := math.Abs(w-f)/scale, math.Abs(g[key]-w)/scale, math.Abs(g[key]-f)/scale
			worstBF[key], worstFP[key] = max(worstBF[key], d), max(worstFP[key], dfp)
			if k == 0 && d > gap+step1Tol {
				t.Errorf("step 1 %s: dpokit bf16 %.7g, PyTorch bf16 %.7g (fp32 %.7g): %.1e > gap %.1e + %.0e", key, g[key], w, f, d, gap, step1Tol)
			}
			if k == 0 && (key == "grad_norm" || key == "logps/chosen") && dfp < gap/2 {
				t.Errorf("step 1 %s: dpokit bf16 %.7g is %.1e from PyTorch fp32 %.7g, bf16 gap %.1e: bf16 not in effect?", key, g[key], dfp, f, gap)
			}
			if tol := bf16Tol(key); d > tol || dfp > tol {
				t.Errorf("step %d %s: dpokit bf16 %.7g, PyTorch bf16 %.7g, fp32 %.7g: beyond %.1e", k+1, key, g[key], w, f, tol)
			}
		}
	}
	t.Logf("worst relative differences, vs PyTorch bf16: %s", fmtWorst(worstBF))
	t.Logf("worst relative differences, vs PyTorch fp32: %s", fmtWorst(worstFP))
}

func TestParsePrecision(t *testing.T) {
	for in, want := range map[string]Precision{"": FP32, "fp32": FP32, "BF16": BF16} {
		if p, err := ParsePrecision(in); err != nil || p != want {
			t.Errorf("ParsePrecision(%q) = %q, %v", in, p, err)
		}
	}
	if _, err := ParsePrecision("fp16"); err == nil {
		t.Error("fp16 accepted")
	}
}

// TestBF16ProductCheck: checkBF16 refuses exactly the backends whose
// bfloat16 product is wrong. A weight-gradient layout (contraction over the
// first axis) is computed with bf16 operands and compared with a float64
// loop; the check must pass when they agree (every plain build) and fail
// when they do not (GoMLX's AVX2 kernel with GOEXPERIMENT=simd).
func TestBF16ProductCheck(t *testing.T) {
	inner, err := NewBackend("")
	if err != nil {
		t.Fatal(err)
	}
	b := &wrapped{Backend: inner, bf16: true}
	const K, M, N = 64, 24, 40
	lhs, rhs := make([]float32, K*M), make([]float32, K*N)
	for i := range lhs {
		lhs[i] = float32(i%9-4) / 2
	}
	for i := range rhs {
		rhs[i] = float32(i%7-3) / 2
	}
	out := graph.MustExecOnce(b, func(x, y *graph.Node) *graph.Node {
		return graph.DotGeneral(x, []int{0}, nil, y, []int{0}, nil)
	}, tensors.FromFlatDataAndDimensions(lhs, K, M), tensors.FromFlatDataAndDimensions(rhs, K, N))
	got, err := tensors.CopyFlatData[float32](out)
	if err != nil {
		t.Fatal(err)
	}
	right := true
	for m := range M {
		for n := range N {
			s := 0.0
			for k := range K {
				s += float64(lhs[k*M+m]) * float64(rhs[k*N+n])
			}
			right = right && got[m*N+n] == float32(s)
		}
	}
	err = checkBF16(b)
	switch {
	case right && err != nil:
		t.Errorf("the bf16 product is right, but the check refuses it: %v", err)
	case !right && !errors.Is(err, ErrBF16Product):
		t.Errorf("the bf16 product is wrong, but the check gives %v", err)
	}
	t.Logf("bf16 product right: %v; check: %v", right, err)
}
