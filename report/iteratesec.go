package report

import (
	"fmt"
	"html/template"
	"strconv"

	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/dpokit/dpokit/results"
)

// iterationSection shows `dpokit iterate`'s rounds: the judge's mean reward
// and the win rate against round 0, per round.
func iterationSection(it *results.Iteration) (sectionView, error) {
	sv := sectionView{Kind: KindIteration, Title: "Iterative DPO: " + strconv.Itoa(len(it.Rounds)-1) + " rounds judged by " + it.Judge}
	last := it.Rounds[len(it.Rounds)-1]
	sv.Blocks = append(sv.Blocks, block{Cards: []card{
		{Label: "Mean reward, round 0", Value: f4(it.Rounds[0].MeanReward), Sub: "± " + f4(it.Rounds[0].RewardSE) + " (SE)"},
		{Label: fmt.Sprintf("Mean reward, round %d", last.Round), Value: f4(last.MeanReward), Sub: "± " + f4(last.RewardSE) + " (SE)"},
		{Label: "Win rate against round 0", Value: f4(last.WinRate), Sub: "± " + f4(last.WinRateSE) + " (SE)"},
	}})
	t := &table{Head: []string{"round", "pairs", "dropped", "mean reward", "win rate vs round 0", "model"}}
	for _, r := range it.Rounds {
		t.Rows = append(t.Rows, []cell{num(strconv.Itoa(r.Round)), num(strconv.Itoa(r.Pairs)), num(strconv.Itoa(r.Dropped)),
			num(pm(r.MeanReward, r.RewardSE)), num(pm(r.WinRate, r.WinRateSE)), mono(r.Model)})
	}
	sv.Blocks = append(sv.Blocks, block{Heading: "Rounds", Table: t})
	var figs []figure
	for _, f := range []struct {
		title, axis string
		val, se     func(results.Round) float64
	}{
		{"Mean reward per round.", "judge's mean reward", func(r results.Round) float64 { return r.MeanReward }, func(r results.Round) float64 { return r.RewardSE }},
		{"Win rate against round 0.", "win rate vs round 0", func(r results.Round) float64 { return r.WinRate }, func(r results.Round) float64 { return r.WinRateSE }},
	} {
		svg, err := roundPlot(it.Rounds, f.axis, f.val, f.se)
		if err != nil {
			return sv, err
		}
		figs = append(figs, figure{Title: f.title, Caption: "Error bars: ± one standard error; round 0 is the starting policy.", SVG: svg})
	}
	sv.Blocks = append(sv.Blocks, block{Figures: figs})
	return sv, nil
}

func roundPlot(rounds []results.Round, axis string, val, se func(results.Round) float64) (template.HTML, error) {
	p := newPlot("round", axis)
	xys := make(plotter.XYs, len(rounds))
	e := errPoints{XYs: make(plotter.XYs, len(rounds)), YErrors: make(plotter.YErrors, len(rounds))}
	for i, r := range rounds {
		xys[i] = plotter.XY{X: float64(r.Round), Y: val(r)}
		e.XYs[i] = xys[i]
		e.YErrors[i] = struct{ Low, High float64 }{se(r), se(r)}
	}
	line, err := plotter.NewLine(xys)
	if err != nil {
		return "", err
	}
	line.LineStyle = draw.LineStyle{Color: colBlue, Width: vg.Points(1.5)}
	p.Add(line, yErrorBars(e, colBlue), points(xys, colBlue, draw.CircleGlyph{}, vg.Points(3)))
	return render(p, 5*vg.Inch, 3*vg.Inch, axis+" per round")
}
