package report

import (
	"fmt"
	"path/filepath"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/dpokit/dpokit/results"
)

// scoreSection shows a `dpokit score` run: its figures, identities and
// skipped records, and plots of its per-pair results.
func scoreSection(s *Score) (sectionView, error) {
	sv := sectionView{Kind: KindSummary, Notes: s.Notes}
	sum := s.Summary
	var st results.Stats
	if sum != nil {
		st = sum.Stats
		sv.Title = "Implicit rewards: " + filepath.Base(sum.Data.Path)
	} else {
		st = results.Aggregate(s.Pairs)
		sv.Kind = KindPairs
		sv.Title = "Implicit rewards: " + filepath.Base(s.PairsPath)
	}
	pairs := st.Scored
	if sum != nil {
		pairs = sum.Pairs
	}
	cards := []card{
		{Label: "Accuracy", Value: f4(st.Accuracy), Sub: "± " + f4(st.AccuracyStdErr) + " (SE)"},
		{Label: "Mean margin", Value: signed(st.MeanMargin), Sub: "± " + f4(st.MarginStdErr) + " (SE)"},
		{Label: "Pairs scored", Value: strconv.Itoa(st.Scored), Sub: "of " + strconv.Itoa(pairs)},
	}
	if sum != nil {
		cards = append(cards, card{Label: "β", Value: g3(sum.Beta), Sub: variant(sum)})
	}
	sv.Blocks = append(sv.Blocks, block{Cards: cards})

	rows := [][2]string{
		{"pairs", strconv.Itoa(pairs)},
		{"scored", strconv.Itoa(st.Scored)},
	}
	if sum != nil {
		rows = append(rows, [2]string{"skipped", strconv.Itoa(sum.Skipped)})
	}
	rows = append(rows,
		[2]string{"accuracy (chosen reward > rejected)", pm(st.Accuracy, st.AccuracyStdErr)},
		[2]string{"mean chosen reward", signed(st.MeanChosenReward)},
		[2]string{"mean rejected reward", signed(st.MeanRejectedReward)},
		[2]string{"mean margin", signed(st.MeanMargin) + " ± " + f4(st.MarginStdErr)},
		[2]string{"response tokens (chosen / rejected)", thousands(int64(st.ChosenTokens)) + " / " + thousands(int64(st.RejectedTokens))},
	)
	if sum != nil {
		rows = append(rows,
			[2]string{"β", g3(sum.Beta)},
			[2]string{"reward", variant(sum)},
			[2]string{"truncated pairs", strconv.Itoa(sum.Truncated)},
			[2]string{"prompt/response boundary mismatches", strconv.Itoa(sum.BoundaryMismatches)},
			[2]string{"tokens run", thousands(sum.Tokens)},
			[2]string{"time", fmt.Sprintf("%.2f s (prepare %.2f s, score %.2f s, write %.2f s)", sum.Seconds, sum.Phases.Prepare, sum.Phases.Score, sum.Phases.Write)},
			[2]string{"throughput", fmt.Sprintf("%.0f tokens/s, %.1f pairs/s", sum.TokensPerSecond, sum.PairsPerSecond)},
		)
		if sum.Shard != "" {
			rows = append(rows, [2]string{"shard", sum.Shard})
		}
		if sum.Settings != "" {
			rows = append(rows, [2]string{"settings fingerprint", sum.Settings})
		}
	}
	if s.PairsPath != "" {
		rows = append(rows, [2]string{"per-pair results", s.PairsPath})
	}
	sv.Blocks = append(sv.Blocks, block{Heading: "Summary", Table: kv(rows...)})

	if sum != nil {
		t := &table{Head: []string{"input", "path", "sha256", "size"}}
		add := func(role string, id *results.Identity) {
			t.Rows = append(t.Rows, []cell{txt(role), mono(id.Path), mono(id.SHA256), num(bytesize(id.Bytes))})
		}
		add("policy", &sum.Policy)
		if sum.Ref != nil {
			add("reference", sum.Ref)
		}
		add("data", &sum.Data)
		sv.Blocks = append(sv.Blocks, block{Heading: "Models and data", Table: t})
		if len(sum.SkippedRecords) > 0 || sum.Skipped > 0 {
			t := &table{Head: []string{"line", "id", "reason"}}
			for _, sk := range sum.SkippedRecords {
				t.Rows = append(t.Rows, []cell{num(strconv.Itoa(sk.Line)), mono(sk.ID), txt(sk.Reason)})
			}
			sv.Blocks = append(sv.Blocks, block{Heading: fmt.Sprintf("Skipped records (%d)", sum.Skipped), Table: t})
		}
	}

	if len(s.Pairs) > 0 {
		figs, err := pairFigures(s.Pairs)
		if err != nil {
			return sv, err
		}
		sv.Blocks = append(sv.Blocks, block{Heading: "Per-pair results", Figures: figs})
	}
	return sv, nil
}

func variant(sum *results.Summary) string {
	s := "β·(log π − log π_ref), summed over response tokens"
	if sum.RefFree {
		s = "reference-free: β·log π"
	}
	if sum.LengthNorm == "avg" {
		s += ", divided by the response's token count"
	}
	return s
}

// pairFigures plots the margins, chosen against rejected rewards, and the
// two reward distributions.
func pairFigures(rs []results.Result) ([]figure, error) {
	margins := make([]float64, len(rs))
	chosen := make([]float64, len(rs))
	rejected := make([]float64, len(rs))
	var right, wrong plotter.XYs
	positive := 0
	for i, r := range rs {
		margins[i], chosen[i], rejected[i] = r.Margin, r.ChosenReward, r.RejectedReward
		if r.Margin > 0 {
			positive++
		}
		if r.ChosenReward > r.RejectedReward {
			right = append(right, plotter.XY{X: r.ChosenReward, Y: r.RejectedReward})
		} else {
			wrong = append(wrong, plotter.XY{X: r.ChosenReward, Y: r.RejectedReward})
		}
	}
	var figs []figure
	w, h := 5*vg.Inch, 3.3*vg.Inch

	// Margins.
	p := newPlot("margin = chosen reward − rejected reward", "pairs")
	lo, hi := minMax(margins, []float64{0})
	edges := zeroEdges(binCount(len(rs)), lo, hi)
	hist := histogram(margins, edges, colBlue, 0.55)
	p.Add(hist, vline(0, 0, maxWeight(hist)*1.05, colInk))
	p.Y.Min = 0
	p.Y.Tick.Marker = niceTicks{Integer: true}
	svg, err := render(p, w, h, "histogram of margins")
	if err != nil {
		return nil, err
	}
	figs = append(figs, figure{Title: "Margins.", Caption: fmt.Sprintf("%d of %d pairs (%s) have a positive margin; the dashed line is 0.", positive, len(rs), pct(float64(positive)/float64(len(rs)))), SVG: svg})

	// Chosen against rejected.
	p = newPlot("chosen reward", "rejected reward")
	lo, hi = minMax(chosen, rejected)
	lo, hi = padRange(lo, hi, 0.05)
	diag, _ := plotter.NewLine(plotter.XYs{{X: lo, Y: lo}, {X: hi, Y: hi}})
	diag.LineStyle = draw.LineStyle{Color: colAxis, Width: vg.Points(1), Dashes: []vg.Length{vg.Points(4), vg.Points(3)}}
	p.Add(diag)
	if len(right) > 0 {
		s := points(right, alpha(colBlue, 0.8), draw.CircleGlyph{}, vg.Points(3))
		p.Add(s)
		p.Legend.Add("chosen > rejected", s)
	}
	if len(wrong) > 0 {
		s := points(wrong, colRed, boldCross{}, vg.Points(3.5))
		p.Add(s)
		p.Legend.Add("chosen ≤ rejected", s)
	}
	p.Legend = plot.NewLegend() // no entries: the caption explains the marks
	p.X.Min, p.X.Max, p.Y.Min, p.Y.Max = lo, hi, lo, hi
	svg, err = render(p, w, h, "chosen against rejected reward")
	if err != nil {
		return nil, err
	}
	figs = append(figs, figure{Title: "Chosen against rejected reward.", Caption: "One point per pair: blue dots are ranked correctly (chosen reward > rejected, below the dashed diagonal), red crosses are not.", SVG: svg})

	// Distributions.
	p = newPlot("implicit reward", "responses")
	edges = binEdges(binCount(len(rs)), chosen, rejected)
	hc := histogram(chosen, edges, colBlue, 0.6)
	hr := histogram(rejected, edges, colOrange, 0.6)
	for i := range hc.Bins { // side by side within each bin
		mid := (edges[i] + edges[i+1]) / 2
		hc.Bins[i].Max, hr.Bins[i].Min = mid, mid
	}
	p.Add(hr, hc)
	p.Legend.Left = true
	p.Legend.XOffs = vg.Points(6)
	p.Y.Tick.Marker = niceTicks{Integer: true}
	p.Legend.Add(fmt.Sprintf("chosen (mean %s)", signed(mean(chosen))), hc)
	p.Legend.Add(fmt.Sprintf("rejected (mean %s)", signed(mean(rejected))), hr)
	p.Y.Min = 0
	p.Y.Max = maxWeight(hc, hr) * 1.25 // room for the legend
	svg, err = render(p, w, h, "implicit reward distributions")
	if err != nil {
		return nil, err
	}
	figs = append(figs, figure{Title: "Implicit rewards of chosen and rejected responses.", Caption: "Counts per bin, chosen (left half) beside rejected (right half).", SVG: svg})
	return figs, nil
}

func mean(vs []float64) float64 {
	if len(vs) == 0 {
		return 0
	}
	s := 0.0
	for _, v := range vs {
		s += v
	}
	return s / float64(len(vs))
}
