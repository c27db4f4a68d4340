package fastmath

import (
	"math"
	"testing"
)

func TestExp32(t *testing.T) {
	for x := float32(-87); x <= 0; x += 0.0137 {
		got, want := float64(Exp32(x)), math.Exp(float64(x))
		if rel := math.Abs(got-want) / want; rel > 3e-7 {
			t.Fatalf("Exp32(%g) = %g, want %g (rel err %.2e)", x, got, want, rel)
		}
	}
	if Exp32(-100) != 0 {
		t.Fatalf("Exp32(-100) = %g, want 0", Exp32(-100))
	}
}
