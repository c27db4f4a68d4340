package score

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sort"
	"strings"

	"github.com/dpokit/dpokit/results"
)

// chosenText returns the completion a record stands for (best, else
// first) and its token count (its words where it holds no token ids).
func chosenText(r results.Record) (string, int) {
	c, _ := r.Chosen()
	n := len(c.TokenIDs)
	if n == 0 {
		n = len(strings.Fields(c.Text))
	}
	return c.Text, n
}

// CompareFiles pairs the outputs of two files by id and judges each pair.
// Every candidate id must be in the baseline. A pair is a tie (½) when both
// texts are equal or the judge gives both the same reward.
func CompareFiles(ctx context.Context, j Judge, candidates, baseline string, lengthControlled bool) (*results.WinRate, error) {
	cands, err := results.ReadRecords(candidates)
	if err != nil {
		return nil, err
	}
	bases, err := results.ReadRecords(baseline)
	if err != nil {
		return nil, err
	}
	prompts, texts, lens, err := matchOutputs(cands, bases, candidates, baseline)
	if err != nil {
		return nil, err
	}
	rewards, err := j.Rewards(ctx, prompts, texts)
	if err != nil {
		return nil, err
	}
	if len(rewards) != len(texts) {
		return nil, fmt.Errorf("judge %s gave %d rewards for %d responses", j.Name(), len(rewards), len(texts))
	}
	n := len(lens) / 2
	outcome, lenDiff := make([]float64, n), make([]float64, n)
	var cLen, bLen []float64
	for i := range n {
		outcome[i] = Outcome(texts[2*i], texts[2*i+1], rewards[2*i], rewards[2*i+1])
		lenDiff[i] = float64(lens[2*i] - lens[2*i+1])
		cLen, bLen = append(cLen, float64(lens[2*i])), append(bLen, float64(lens[2*i+1]))
	}
	w := Tally(outcome)
	w.Judge, w.Candidates, w.Baseline = j.Name(), candidates, baseline
	w.BaselineUnmatched = len(bases) - n
	w.MeanCandidateLen, _ = results.MeanStdErr(cLen)
	w.MeanBaselineLen, _ = results.MeanStdErr(bLen)
	if lengthControlled {
		lc, coef := LengthControlled(outcome, lenDiff)
		w.LengthControlled, w.LengthCoefficient = &lc, &coef
	}
	return w, nil
}

// Outcome is a candidate's result against the baseline: 1 win, 0 loss, ½
// when the texts are equal or the rewards tie.
func Outcome(candText, baseText string, candReward, baseReward float64) float64 {
	switch {
	case candText == baseText || candReward == baseReward:
		return 0.5
	case candReward > baseReward:
		return 1
	}
	return 0
}

// matchOutputs pairs each candidate with the baseline record of its id and
// returns, per pair, the prompt twice, the candidate's and the baseline's
// texts and their token counts.
func matchOutputs(cands, bases []results.Record, candidates, baseline string) (prompts, texts []string, lens []int, err error) {
	byID := map[string]results.Record{}
	for _, b := range bases {
		byID[b.ID] = b
	}
	var missing []string
	for _, c := range cands {
		b, ok := byID[c.ID]
		if !ok {
			missing = append(missing, c.ID)
			continue
		}
		if b.Prompt != c.Prompt {
			return nil, nil, nil, fmt.Errorf("prompt %q: %s:%d and %s:%d hold different prompt texts", c.ID, candidates, c.Line, baseline, b.Line)
		}
		ct, cn := chosenText(c)
		bt, bn := chosenText(b)
		prompts = append(prompts, c.Prompt, c.Prompt)
		texts = append(texts, ct, bt)
		lens = append(lens, cn, bn)
	}
	if len(missing) > 0 {
		sort.Strings(missing)
		if len(missing) > 10 {
			missing = append(missing[:10], fmt.Sprintf("and %d more", len(missing)-10))
		}
		return nil, nil, nil, fmt.Errorf("the baseline %s lacks prompts of %s: %s", baseline, candidates, strings.Join(missing, ", "))
	}
	if len(prompts) == 0 {
		return nil, nil, nil, errors.New("no prompts to compare")
	}
	return prompts, texts, lens, nil
}

// Tally counts outcomes (1 win, ½ tie, 0 loss). The win rate is their mean;
// its standard error is the sample standard deviation over √n, and ci95 is
// the normal interval clipped to [0, 1].
func Tally(outcome []float64) *results.WinRate {
	w := &results.WinRate{N: len(outcome)}
	if w.N == 0 {
		return w
	}
	for _, y := range outcome {
		switch y {
		case 1:
			w.Wins++
		case 0:
			w.Losses++
		default:
			w.Ties++
		}
	}
	w.WinRate, w.StandardError = results.MeanStdErr(outcome)
	w.CI95 = [2]float64{math.Max(0, w.WinRate-1.96*w.StandardError), math.Min(1, w.WinRate+1.96*w.StandardError)}
	return w
}

// LengthControlled fits, in the manner of AlpacaEval 2's length-controlled
// win rate, the logistic model
//
//	P(candidate wins) = σ(a + b·tanh(d / sd(d)))
//
// to the outcomes (ties as ½, a fractional Bernoulli likelihood) by Newton's
// method, where d is the candidate's length minus the baseline's in tokens,
// and returns σ(a) — the win rate predicted at equal lengths — and b. With
// no spread in d the length term is dropped and σ(a) is the raw win rate.
// AlpacaEval's instruction-difficulty term is left out: one candidate
// model is compared with one baseline.
func LengthControlled(outcome, lenDiff []float64) (winRate, coef float64) {
	n := len(outcome)
	if n == 0 {
		return 0, 0
	}
	mean := 0.0
	for _, d := range lenDiff {
		mean += d / float64(n)
	}
	sd := 0.0
	for _, d := range lenDiff {
		sd += (d - mean) * (d - mean)
	}
	if n > 1 {
		sd = math.Sqrt(sd / float64(n-1))
	}
	x := make([]float64, n)
	if sd > 0 {
		for i, d := range lenDiff {
			x[i] = math.Tanh(d / sd)
		}
	}
	a, b := 0.0, 0.0
	const ridge = 1e-6 // on b only: keeps the fit finite when lengths separate the outcomes
	for iter := 0; iter < 100; iter++ {
		ga, gb := 0.0, -ridge*b
		haa, hab, hbb := 0.0, 0.0, ridge
		for i, y := range outcome {
			p := 1 / (1 + math.Exp(-(a + b*x[i])))
			ga += y - p
			gb += (y - p) * x[i]
			v := p * (1 - p)
			haa += v
			hab += v * x[i]
			hbb += v * x[i] * x[i]
		}
		det := haa*hbb - hab*hab
		if det <= 1e-300 {
			break
		}
		da := (hbb*ga - hab*gb) / det
		db := (haa*gb - hab*ga) / det
		a, b = a+da, b+db
		if math.Abs(da)+math.Abs(db) < 1e-12 || math.Abs(a) > 40 {
			break
		}
	}
	return 1 / (1 + math.Exp(-a)), b
}
