// Package synth is the synthetic task of dpokit's controlled experiment, a
// miniature of the DPO paper's IMDb sentiment task: short "reviews" over a
// 40-word vocabulary, a reference language with mixed sentiment, and a true
// reward — the share of positive minus negative words — that is computed
// exactly, here in Go and as an ONNX reward model that dpokit's rm: judge
// and ranker run.
package synth

import (
	"math/rand/v2"
	"strings"
)

// Words of the task: positive, negative and neutral.
var (
	Positive = []string{"good", "great", "happy", "excellent", "wonderful", "fun", "lovely", "brilliant", "superb", "enjoyable"}
	Negative = []string{"bad", "awful", "sad", "boring", "terrible", "poor", "dull", "weak", "ugly", "annoying"}
	Neutral  = []string{"the", "movie", "film", "plot", "story", "actor", "it", "was", "is", "and",
		"a", "very", "quite", "rather", "this", "that", "scene", "music", "ending", "cast"}
)

// Words returns every word of the task, positive first, then negative, then neutral.
func Words() []string {
	return append(append(append([]string{}, Positive...), Negative...), Neutral...)
}

// Sentiment is +1 for a positive word, -1 for a negative one, 0 otherwise.
func Sentiment(w string) int {
	for _, p := range Positive {
		if w == p {
			return 1
		}
	}
	for _, n := range Negative {
		if w == n {
			return -1
		}
	}
	return 0
}

// Reward is the true reward of a text (prompt and completion together):
// (positive words − negative words) / words, in [-1, 1]; 0 for no words.
func Reward(text string) float64 {
	words := strings.Fields(text)
	if len(words) == 0 {
		return 0
	}
	s := 0
	for _, w := range words {
		s += Sentiment(w)
	}
	return float64(s) / float64(len(words))
}

// Review draws a text of the reference language: a mood (negative, mixed or
// positive) and n words, each a sentiment word with probability 0.35 —
// positive with probability 0.2, 0.5 or 0.8 by mood — otherwise neutral.
// Words are written with a leading space, as the tokenizer expects.
func Review(r *rand.Rand, n int) string {
	pPos := []float64{0.2, 0.5, 0.8}[r.IntN(3)]
	var b strings.Builder
	for range n {
		var w string
		switch u := r.Float64(); {
		case u < 0.35*pPos:
			w = Positive[r.IntN(len(Positive))]
		case u < 0.35:
			w = Negative[r.IntN(len(Negative))]
		default:
			w = Neutral[r.IntN(len(Neutral))]
		}
		b.WriteString(" " + w)
	}
	return b.String()
}
