package score

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"sort"
	"strings"
)

// WinRate is the result of comparing candidate outputs with baseline
// outputs prompt by prompt (stable JSON field names).
type WinRate struct {
	N                 int        `json:"n"`
	Wins              int        `json:"wins"`
	Losses            int        `json:"losses"`
	Ties              int        `json:"ties"`
	WinRate           float64    `json:"win_rate"` // ties count ½
	StandardError     float64    `json:"standard_error"`
	CI95              [2]float64 `json:"ci95"`
	LengthControlled  *float64   `json:"length_controlled_win_rate,omitempty"`
	LengthCoefficient *float64   `json:"length_coefficient,omitempty"`
	MeanCandidateLen  float64    `json:"mean_candidate_tokens"`
	MeanBaselineLen   float64    `json:"mean_baseline_tokens"`
	Judge             string     `json:"judge"`
	Candidates        string     `json:"candidates"`
	Baseline          string     `json:"baseline"`
	BaselineUnmatched int        `json:"baseline_unmatched"` // baseline prompts with no candidate
}

// Output is the part of a sample/bestofn output line that win rates use.
type Output struct {
	ID          string `json:"id"`
	Prompt      string `json:"prompt"`
	Best        *int   `json:"best"`
	Completions []struct {
		Text     string `json:"text"`
		TokenIDs []int  `json:"token_ids"`
	} `json:"completions"`
	line int
}

// ReadOutputs reads a sample or bestofn output file.
func ReadOutputs(path string) ([]Output, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r := bufio.NewReader(f)
	var out []Output
	seen := map[string]int{}
	for line := 1; ; line++ {
		b, err := r.ReadBytes('\n')
		if len(strings.TrimSpace(string(b))) > 0 {
			var o Output
			if err := json.Unmarshal(b, &o); err != nil {
				return nil, fmt.Errorf("%s:%d: %w", path, line, err)
			}
			o.line = line
			switch {
			case o.ID == "":
				return nil, fmt.Errorf("%s:%d: field \"id\": missing: outputs are matched by prompt id", path, line)
			case len(o.Completions) == 0:
				return nil, fmt.Errorf("%s:%d: field \"completions\": empty", path, line)
			case o.Best != nil && (*o.Best < 0 || *o.Best >= len(o.Completions)):
				return nil, fmt.Errorf("%s:%d: field \"best\": %d is not a completion index", path, line, *o.Best)
			}
			if first, ok := seen[o.ID]; ok {
				return nil, fmt.Errorf("%s:%d: field \"id\": %q repeats line %d", path, line, o.ID, first)
			}
			seen[o.ID] = line
			out = append(out, o)
		}
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
	}
}

// text returns the completion the output stands for (best, else first) and
// its token count.
func (o Output) text() (string, int) {
	c := o.Completions[0]
	if o.Best != nil {
		c = o.Completions[*o.Best]
	}
	n := len(c.TokenIDs)
	if n == 0 {
		n = len(strings.Fields(c.Text))
	}
	return c.Text, n
}

// CompareFiles pairs the outputs of two files by id and judges each pair.
// Every candidate id must be in the baseline.
func CompareFiles(ctx context.Context, j Judge, candidates, baseline string, lengthControlled bool) (*WinRate, error) {
	cands, err := ReadOutputs(candidates)
	if err != nil {
		return nil, err
	}
	bases, err := ReadOutputs(baseline)
	if err != nil {
		return nil, err
	}
	byID := map[string]Output{}
	for _, b := range bases {
		byID[b.ID] = b
	}
	var missing []string
	var prompts, texts []string
	var outcome, lenDiff []float64
	var cLen, bLen []int
	for _, c := range cands {
		b, ok := byID[c.ID]
		if !ok {
			missing = append(missing, c.ID)
			continue
		}
		if b.Prompt != c.Prompt {
			return nil, fmt.Errorf("prompt %q: %s:%d and %s:%d hold different prompt texts", c.ID, candidates, c.line, baseline, b.line)
		}
		ct, cn := c.text()
		bt, bn := b.text()
		prompts = append(prompts, c.Prompt, c.Prompt)
		texts = append(texts, ct, bt)
		cLen, bLen = append(cLen, cn), append(bLen, bn)
	}
	if len(missing) > 0 {
		sort.Strings(missing)
		if len(missing) > 10 {
			missing = append(missing[:10], fmt.Sprintf("and %d more", len(missing)-10))
		}
		return nil, fmt.Errorf("the baseline %s lacks prompts of %s: %s", baseline, candidates, strings.Join(missing, ", "))
	}
	if len(cLen) == 0 {
		return nil, errors.New("no prompts to compare")
	}
	rewards, err := j.Rewards(ctx, prompts, texts)
	if err != nil {
		return nil, err
	}
	for i := range cLen {
		rc, rb := rewards[2*i], rewards[2*i+1]
		switch {
		case texts[2*i] == texts[2*i+1] || rc == rb:
			outcome = append(outcome, 0.5)
		case rc > rb:
			outcome = append(outcome, 1)
		default:
			outcome = append(outcome, 0)
		}
		lenDiff = append(lenDiff, float64(cLen[i]-bLen[i]))
	}
	w := Tally(outcome)
	w.Judge, w.Candidates, w.Baseline = j.Name(), candidates, baseline
	w.BaselineUnmatched = len(bases) - len(cLen)
	for i := range cLen {
		w.MeanCandidateLen += float64(cLen[i]) / float64(len(cLen))
		w.MeanBaselineLen += float64(bLen[i]) / float64(len(cLen))
	}
	if lengthControlled {
		lc, coef := LengthControlled(outcome, lenDiff)
		w.LengthControlled, w.LengthCoefficient = &lc, &coef
	}
	return w, nil
}

// Tally counts outcomes (1 win, ½ tie, 0 loss). The win rate is their mean;
// its standard error is the sample standard deviation over √n, and ci95 is
// the normal interval clipped to [0, 1].
func Tally(outcome []float64) *WinRate {
	w := &WinRate{N: len(outcome)}
	if w.N == 0 {
		return w
	}
	sum := 0.0
	for _, y := range outcome {
		switch y {
		case 1:
			w.Wins++
		case 0:
			w.Losses++
		default:
			w.Ties++
		}
		sum += y
	}
	n := float64(w.N)
	w.WinRate = sum / n
	if w.N > 1 {
		ss := 0.0
		for _, y := range outcome {
			ss += (y - w.WinRate) * (y - w.WinRate)
		}
		w.StandardError = math.Sqrt(ss/(n-1)) / math.Sqrt(n)
	}
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
