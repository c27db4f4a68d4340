package models

import (
	"math"

	"github.com/dpokit/dpokit/internal/fastmath"
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
		s0 += fastmath.Exp32(x[i] - m)
		s1 += fastmath.Exp32(x[i+1] - m)
		s2 += fastmath.Exp32(x[i+2] - m)
		s3 += fastmath.Exp32(x[i+3] - m)
		if i&1023 == 1020 { // flush to float64 every 1024 values
			total += float64(s0) + float64(s1) + float64(s2) + float64(s3)
			s0, s1, s2, s3 = 0, 0, 0, 0
		}
	}
	for ; i < len(x); i++ {
		s0 += fastmath.Exp32(x[i] - m)
	}
	total += float64(s0) + float64(s1) + float64(s2) + float64(s3)
	return float64(m) + math.Log(total)
}
