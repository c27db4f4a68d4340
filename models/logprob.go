package models

import (
	"math"
)

// TokenLogProbs returns, per row, the natural-log probabilities of
// Tokens[Start:] under the logits (log-softmax over the vocabulary).
func (l *Logits) TokenLogProbs() [][]float64 {
	out := make([][]float64, len(l.rows))
	V := l.Vocab
	for i, r := range l.rows {
		lp := make([]float64, 0, len(r.Tokens)-r.Start)
		for j := r.Start - 1; j < len(r.Tokens)-1; j++ {
			at := (i*l.T + l.off[i] + j) * V
			lp = append(lp, LogSoftmaxAt(l.Data[at:at+V], r.Tokens[j+1]))
		}
		out[i] = lp
	}
	return out
}

// Row returns the logits of row i at position j of its Tokens.
func (l *Logits) Row(i, j int) []float32 {
	at := (i*l.T + l.off[i] + j) * l.Vocab
	return l.Data[at : at+l.Vocab]
}

// LogSoftmaxAt returns log softmax(x)[k], computed stably as
// x[k] - max - log Σ exp(x - max).
func LogSoftmaxAt(x []float32, k int) float64 {
	return float64(x[k]) - LogSumExp(x)
}

// LogSumExp returns log Σ exp(x) computed stably (max subtracted first). The
// exponentials use a float32 polynomial (relative error below 2e-7) and the
// sum is accumulated in float64.
func LogSumExp(x []float32) float64 {
	if len(x) == 0 {
		return math.Inf(-1)
	}
	m := x[0]
	for _, v := range x[1:] {
		if v > m {
			m = v
		}
	}
	if math.IsInf(float64(m), 0) || m != m {
		return float64(m)
	}
	// Four accumulators break the dependency chain.
	var s0, s1, s2, s3 float32
	var total float64
	i := 0
	for ; i+4 <= len(x); i += 4 {
		s0 += exp32(x[i] - m)
		s1 += exp32(x[i+1] - m)
		s2 += exp32(x[i+2] - m)
		s3 += exp32(x[i+3] - m)
		if i&1023 == 1020 { // flush to float64 every 1024 values
			total += float64(s0) + float64(s1) + float64(s2) + float64(s3)
			s0, s1, s2, s3 = 0, 0, 0, 0
		}
	}
	for ; i < len(x); i++ {
		s0 += exp32(x[i] - m)
	}
	total += float64(s0) + float64(s1) + float64(s2) + float64(s3)
	return float64(m) + math.Log(total)
}

// exp32 computes e^x for x <= 0 by range reduction x = k·ln2 + r,
// |r| <= ln2/2, and a degree-6 polynomial for e^r.
func exp32(x float32) float32 {
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
