package models

import (
	"math"
	"math/rand/v2"
	"testing"
)

// refLogSumExp is the textbook float64 form, independent of LogSumExp.
func refLogSumExp(x []float32) float64 {
	m := math.Inf(-1)
	for _, v := range x {
		m = math.Max(m, float64(v))
	}
	s := 0.0
	for _, v := range x {
		s += math.Exp(float64(v) - m)
	}
	return m + math.Log(s)
}

func TestLogSumExp(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{1, 3, 4, 5, 1023, 1024, 1025, 50257} {
		for _, scale := range []float32{0.01, 1, 30, 1000} {
			x := make([]float32, n)
			for i := range x {
				x[i] = float32(rng.NormFloat64()) * scale
			}
			got, want := LogSumExp(x), refLogSumExp(x)
			if math.Abs(got-want) > 1e-6*math.Max(1, math.Abs(want)) {
				t.Errorf("n=%d scale=%g: LogSumExp = %.9f, want %.9f", n, scale, got, want)
			}
		}
	}
	if got := LogSumExp([]float32{float32(math.Inf(-1)), 0}); math.Abs(got) > 1e-9 {
		t.Errorf("LogSumExp(-inf, 0) = %g, want 0", got)
	}
}

func BenchmarkLogSumExp(b *testing.B) {
	for _, n := range []int{32064, 50257} {
		x := make([]float32, n)
		rng := rand.New(rand.NewPCG(1, 2))
		for i := range x {
			x[i] = float32(rng.NormFloat64()) * 3
		}
		b.Run("fast/"+itoa(n), func(b *testing.B) {
			for b.Loop() {
				LogSumExp(x)
			}
		})
		b.Run("math.Exp/"+itoa(n), func(b *testing.B) {
			for b.Loop() {
				refLogSumExp(x)
			}
		})
	}
}

func itoa(n int) string {
	s := ""
	for ; n > 0; n /= 10 {
		s = string(rune('0'+n%10)) + s
	}
	return s
}
