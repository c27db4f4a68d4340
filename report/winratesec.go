package report

import (
	"fmt"
	"html/template"
	"path/filepath"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/dpokit/dpokit/results"
)

// winRateSection shows a `dpokit score winrate` result.
func winRateSection(w *results.WinRate) (sectionView, error) {
	sv := sectionView{Kind: KindWinRate, Title: "Win rate: " + name(w.Candidates, "candidates") + " against " + name(w.Baseline, "baseline")}
	cards := []card{
		{Label: "Win rate", Value: f4(w.WinRate), Sub: "± " + f4(w.StandardError) + " (SE)"},
		{Label: "95% interval", Value: f4(w.CI95[0]) + "–" + f4(w.CI95[1])},
		{Label: "Prompts", Value: strconv.Itoa(w.N), Sub: fmt.Sprintf("%d wins, %d losses, %d ties", w.Wins, w.Losses, w.Ties)},
	}
	if w.LengthControlled != nil {
		cards = append(cards, card{Label: "Length-controlled", Value: f4(*w.LengthControlled), Sub: "win rate at equal lengths"})
	}
	sv.Blocks = append(sv.Blocks, block{Cards: cards})

	rows := [][2]string{
		{"win rate (ties count ½)", pm(w.WinRate, w.StandardError)},
		{"95% interval", f4(w.CI95[0]) + " – " + f4(w.CI95[1])},
		{"prompts", strconv.Itoa(w.N)},
		{"wins / losses / ties", fmt.Sprintf("%d / %d / %d", w.Wins, w.Losses, w.Ties)},
	}
	if w.LengthControlled != nil {
		rows = append(rows, [2]string{"length-controlled win rate", f4(*w.LengthControlled)})
	}
	if w.LengthCoefficient != nil {
		rows = append(rows, [2]string{"length coefficient", f4(*w.LengthCoefficient)})
	}
	rows = append(rows,
		[2]string{"mean tokens (candidates / baseline)", fmt.Sprintf("%.1f / %.1f", w.MeanCandidateLen, w.MeanBaselineLen)},
		[2]string{"judge", w.Judge},
		[2]string{"candidates", w.Candidates},
		[2]string{"baseline", w.Baseline},
		[2]string{"baseline prompts without a candidate", strconv.Itoa(w.BaselineUnmatched)},
	)
	sv.Blocks = append(sv.Blocks, block{Heading: "Result", Table: kv(rows...)})

	svg, err := winRatePlot(w)
	if err != nil {
		return sv, err
	}
	sv.Blocks = append(sv.Blocks, block{Figures: []figure{{Title: "Win rate.", Caption: "Error bar: the 95% interval; dashed line: ½, no preference.", SVG: svg}}})
	return sv, nil
}

func name(path, empty string) string {
	if path == "" {
		return empty
	}
	return filepath.Base(path)
}

func winRatePlot(w *results.WinRate) (template.HTML, error) {
	names := []string{"win rate"}
	vals := plotter.Values{w.WinRate}
	if w.LengthControlled != nil {
		names = append(names, "length-controlled")
		vals = append(vals, *w.LengthControlled)
	}
	p := newPlot("", "win rate against the baseline")
	bars, err := plotter.NewBarChart(vals, vg.Points(44))
	if err != nil {
		return "", err
	}
	bars.Color = alpha(colBlue, 0.8)
	bars.LineStyle = draw.LineStyle{Color: colBlue, Width: vg.Points(1)}
	e := errPoints{XYs: plotter.XYs{{X: 0, Y: w.WinRate}}, YErrors: plotter.YErrors{{Low: w.WinRate - w.CI95[0], High: w.CI95[1] - w.WinRate}}}
	p.Add(bars, hline(0.5, -0.5, float64(len(vals))-0.5, colInk), yErrorBars(e, colInk))
	p.NominalX(names...)
	p.X.Min, p.X.Max = -0.6, float64(len(vals))-0.4
	p.Y.Min, p.Y.Max = 0, 1
	p.Y.Tick.Marker = plot.ConstantTicks(fracTicks())
	return render(p, 3.6*vg.Inch, 3*vg.Inch, "win rate with its 95% interval")
}

func fracTicks() []plot.Tick {
	var ts []plot.Tick
	for i := 0; i <= 10; i++ {
		t := plot.Tick{Value: float64(i) / 10}
		if i%2 == 0 {
			t.Label = strconv.FormatFloat(t.Value, 'f', 1, 64)
		}
		ts = append(ts, t)
	}
	return ts
}
