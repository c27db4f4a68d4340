// Package fastmath holds the float32 exponential that dpokit's Go-side
// softmax work uses: accurate to 2e-7 relative, several times faster than
// math.Exp on float64.
package fastmath

import "math"

// Exp32 computes e^x for x <= 0 by range reduction x = k·ln2 + r,
// |r| <= ln2/2, and a degree-6 polynomial for e^r.
func Exp32(x float32) float32 {
	if x < -87 {
		return 0
	}
	const log2e = 1.4426950408889634
	const ln2hi = 0.693145751953125
	const ln2lo = 1.428606765330187e-06
	ki := int32(x*log2e - 0.5) // x <= 0: truncation toward zero rounds to nearest
	k := float32(ki)
	r := x - k*ln2hi - k*ln2lo
	p := float32(1.0 / 720)
	p = p*r + 1.0/120
	p = p*r + 1.0/24
	p = p*r + 1.0/6
	p = p*r + 0.5
	p = p*r + 1
	p = p*r + 1
	return p * math.Float32frombits(uint32(ki+127)<<23)
}
