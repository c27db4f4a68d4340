package report

import (
	"fmt"
	"image/color"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/dpokit/dpokit/results"
)

// experimentSection shows the controlled experiment: the reward–KL
// frontier of DPO policies and of best-of-N, reward distributions,
// held-out accuracy, win rates, and how the results were made.
func experimentSection(e *Experiment) (sectionView, error) {
	title := "Experiment"
	if e.Task.Name != "" {
		title += ": " + e.Task.Name
	}
	if e.Quick {
		title += " (quick run)"
	}
	sv := sectionView{Kind: KindExperiment, Title: title}
	var text []string
	if e.Task.Description != "" {
		text = append(text, e.Task.Description)
	}
	if e.Task.Reward != "" {
		text = append(text, "True reward: "+e.Task.Reward)
	}
	var sizes []string
	for _, s := range []struct {
		n    int
		what string
	}{{e.Task.TrainPairs, "training pairs"}, {e.Task.HeldoutPairs, "held-out pairs"}, {e.Task.EvalPrompts, "evaluation prompts"}} {
		if s.n > 0 {
			sizes = append(sizes, fmt.Sprintf("%s %s", thousands(int64(s.n)), s.what))
		}
	}
	if len(sizes) > 0 {
		text = append(text, strings.Join(sizes, ", ")+".")
	}
	sv.Blocks = append(sv.Blocks, block{Text: text, Cards: experimentCards(e)})

	front := frontier(e)
	sv.Blocks = append(sv.Blocks, block{Heading: "Findings", Text: findings(e, front)})

	figs, err := experimentFigures(e)
	if err != nil {
		return sv, err
	}
	sv.Blocks = append(sv.Blocks, block{Heading: "Reward against KL", Figures: figs[:1]})

	t := &table{Head: []string{"policy", "β", "loss", "KL(π‖π_ref) ± SE", "true reward ± SE", "Δ vs reference", "best-of-N at this KL", "held-out accuracy ± SE"}}
	for _, p := range e.Policies {
		d := p.RewardMean - e.Reference.RewardMean
		dc := num(signed(d))
		switch {
		case d > 2*math.Hypot(p.RewardSE, e.Reference.RewardSE):
			dc.Class = "num good"
		case d < -2*math.Hypot(p.RewardSE, e.Reference.RewardSE):
			dc.Class = "num bad"
		}
		b := num("–")
		if r, ok := front.at(p.KLMean); ok {
			b = num(f4(r))
			if p.RewardMean > r {
				b.Text += " (DPO above)"
			} else {
				b.Text += " (DPO below)"
			}
		} else if len(front.x) > 0 {
			b = num(fmt.Sprintf("beyond N=%d", front.n[len(front.n)-1]))
		}
		t.Rows = append(t.Rows, []cell{txt(p.Name), num(g3(p.Beta)), txt(p.Loss), num(pm(p.KLMean, p.KLSE)), num(pm(p.RewardMean, p.RewardSE)), dc, b, num(pm(p.HeldoutAccuracy, p.HeldoutAccuracySE))})
	}
	t.Rows = append(t.Rows, []cell{txt("reference"), num("–"), txt("–"), num("0"), num(pm(e.Reference.RewardMean, e.Reference.RewardSE)), num("–"), num("–"), num("–")})
	sv.Blocks = append(sv.Blocks, block{Heading: "DPO policies", Text: []string{"KL in nats per sequence, estimated from the policy's samples; rewards are the task's true reward. \"Best-of-N at this KL\" interpolates the best-of-N line (" + front.kind + ") at the policy's KL."}, Table: t})

	t = &table{Head: []string{"N", "KL bound log N − (N−1)/N", "KL estimate", "true reward ± SE", "samples"}}
	for _, b := range e.BestOfN {
		est := "–"
		if b.KLEstimate != nil {
			est = f4(*b.KLEstimate)
		}
		t.Rows = append(t.Rows, []cell{num(strconv.Itoa(b.N)), num(f4(b.KLBound)), num(est), num(pm(b.RewardMean, b.RewardSE)), num(strconv.Itoa(len(b.RewardSamples)))})
	}
	sv.Blocks = append(sv.Blocks, block{Heading: "Best-of-N from the reference", Table: t})

	if len(figs) > 1 {
		sv.Blocks = append(sv.Blocks, block{Heading: "Distributions and held-out accuracy", Figures: figs[1:]})
	}

	t = &table{Head: []string{"policy", "win rate vs reference ± SE", "n", "win rate vs best-of-N ± SE", "n", "best-of-N baseline"}}
	for _, p := range e.Policies {
		row := []cell{txt(p.Name)}
		for _, r := range []*Rate{p.WinRateVsRef, p.WinRateVsBestOfN} {
			if r == nil {
				row = append(row, num("–"), num("–"))
				continue
			}
			row = append(row, num(pm(r.WinRate, r.StandardError)), num(strconv.Itoa(r.N)))
		}
		base := "–"
		if p.WinRateVsBestOfN != nil && p.WinRateVsBestOfN.Baseline != "" {
			base = p.WinRateVsBestOfN.Baseline
		}
		t.Rows = append(t.Rows, append(row, txt(base)))
	}
	sv.Blocks = append(sv.Blocks, block{Heading: "Win rates", Text: []string{"Judged by the true reward prompt by prompt; ties count ½; standard errors of the mean outcome."}, Table: t})

	sv.Blocks = append(sv.Blocks, provenance(e)...)
	return sv, nil
}

func experimentCards(e *Experiment) []card {
	cards := []card{{Label: "Reference reward", Value: f4(e.Reference.RewardMean), Sub: "± " + f4(e.Reference.RewardSE)}}
	best := -1
	for i, p := range e.Policies {
		if best < 0 || p.RewardMean > e.Policies[best].RewardMean {
			best = i
		}
	}
	if best >= 0 {
		p := e.Policies[best]
		cards = append(cards, card{Label: "Best DPO reward", Value: f4(p.RewardMean), Sub: fmt.Sprintf("%s, KL %.3g", p.Name, p.KLMean)})
	}
	if n := len(e.BestOfN); n > 0 {
		b := e.BestOfN[n-1]
		cards = append(cards, card{Label: fmt.Sprintf("Best-of-%d reward", b.N), Value: f4(b.RewardMean), Sub: fmt.Sprintf("KL ≤ %.3g", b.KLBound)})
	}
	if len(e.Policies) > 0 {
		lo, hi := math.Inf(1), math.Inf(-1)
		for _, p := range e.Policies {
			lo, hi = math.Min(lo, p.HeldoutAccuracy), math.Max(hi, p.HeldoutAccuracy)
		}
		v := f4(lo)
		if hi != lo {
			v += "–" + f4(hi)
		}
		cards = append(cards, card{Label: "Held-out accuracy", Value: v, Sub: "implicit reward, chance ½"})
	}
	return cards
}

// curve is best-of-N's reward as a function of KL.
type curve struct {
	kind string // "on the KL bound" or "on the KL estimates"
	n    []int
	x, y []float64
}

func frontier(e *Experiment) curve {
	c := curve{kind: "on the KL bound"}
	est := len(e.BestOfN) > 0
	for _, b := range e.BestOfN {
		est = est && b.KLEstimate != nil
	}
	if est {
		c.kind = "on the KL estimates"
	}
	for _, b := range e.BestOfN {
		x := b.KLBound
		if est {
			x = *b.KLEstimate
		}
		c.n, c.x, c.y = append(c.n, b.N), append(c.x, x), append(c.y, b.RewardMean)
	}
	return c
}

// at interpolates the curve linearly at kl; false outside its range.
func (c curve) at(kl float64) (float64, bool) {
	for i := 1; i < len(c.x); i++ {
		if kl >= c.x[i-1] && kl <= c.x[i] && c.x[i] > c.x[i-1] {
			t := (kl - c.x[i-1]) / (c.x[i] - c.x[i-1])
			return c.y[i-1] + t*(c.y[i]-c.y[i-1]), true
		}
	}
	if len(c.x) > 0 && kl == c.x[0] {
		return c.y[0], true
	}
	return 0, false
}

// findings states, policy by policy, how DPO compares with the reference
// and with best-of-N at the same KL, above or below.
func findings(e *Experiment, c curve) []string {
	var out []string
	ref := e.Reference
	above, below, beyond := 0, 0, 0
	for _, p := range e.Policies {
		d := p.RewardMean - ref.RewardMean
		se := math.Hypot(p.RewardSE, ref.RewardSE)
		rel := "higher than"
		if d < 0 {
			rel = "lower than"
		}
		s := fmt.Sprintf("%s (β = %s): true reward %s, %s the reference's %s by %s (%.1f standard errors), at KL %s nats; held-out accuracy %s.",
			p.Name, g3(p.Beta), pm(p.RewardMean, p.RewardSE), rel, f4(ref.RewardMean), f4(math.Abs(d)), math.Abs(d)/math.Max(se, 1e-12), pm(p.KLMean, p.KLSE), pm(p.HeldoutAccuracy, p.HeldoutAccuracySE))
		if r, ok := c.at(p.KLMean); ok {
			if p.RewardMean > r {
				above++
				s += fmt.Sprintf(" Best-of-N reaches %s at this KL (%s): DPO is above it.", f4(r), c.kind)
			} else {
				below++
				s += fmt.Sprintf(" Best-of-N reaches %s at this KL (%s): DPO is below it.", f4(r), c.kind)
			}
		} else if len(c.x) > 0 {
			beyond++
			s += fmt.Sprintf(" Its KL lies beyond the largest best-of-N (N = %d, KL %s), so the two are not compared at equal KL.", c.n[len(c.n)-1], f4(c.x[len(c.x)-1]))
		}
		out = append(out, s)
	}
	if len(e.Policies) > 0 && len(c.x) > 0 {
		out = append(out, fmt.Sprintf("In all: %d of %d policies above the best-of-N line at equal KL, %d below, %d beyond its range.", above, len(e.Policies), below, beyond))
	}
	return out
}

func experimentFigures(e *Experiment) ([]figure, error) {
	var figs []figure
	c := frontier(e)

	// Reward against KL.
	p := newPlot("KL(π ‖ π_ref), nats per sequence", "true reward")
	if len(c.x) > 0 {
		xy := make(plotter.XYs, len(c.x))
		ses := make([]float64, len(c.x))
		texts := make([]string, len(c.x))
		for i := range c.x {
			xy[i] = plotter.XY{X: c.x[i], Y: c.y[i]}
			ses[i] = e.BestOfN[i].RewardSE
			texts[i] = "N=" + strconv.Itoa(c.n[i])
		}
		line, pts, _ := plotter.NewLinePoints(xy)
		line.LineStyle = draw.LineStyle{Color: colOrange, Width: vg.Points(1.6)}
		pts.GlyphStyle = draw.GlyphStyle{Color: colOrange, Shape: draw.CircleGlyph{}, Radius: vg.Points(2.6)}
		p.Add(line, pts, yErrorBars(newErrPoints(c.x, c.y, nil, ses), colOrange), labels(xy, texts, rgb(0xb0651d), vg.Points(4), vg.Points(-10)))
		p.Legend.Add("best-of-N ("+strings.TrimPrefix(c.kind, "on the ")+")", line, pts)
	}
	ref := points(plotter.XYs{{X: 0, Y: e.Reference.RewardMean}}, colInk, draw.BoxGlyph{}, vg.Points(3.5))
	p.Add(yErrorBars(newErrPoints([]float64{0}, []float64{e.Reference.RewardMean}, nil, []float64{e.Reference.RewardSE}), colInk), ref,
		labels(plotter.XYs{{X: 0, Y: e.Reference.RewardMean}}, []string{"reference"}, colInk, vg.Points(6), vg.Points(2)))
	p.Legend.Add("reference (KL 0)", ref)
	if len(e.Policies) > 0 {
		var xs, ys, xe, ye []float64
		var texts []string
		for _, q := range e.Policies {
			xs, ys, xe, ye = append(xs, q.KLMean), append(ys, q.RewardMean), append(xe, q.KLSE), append(ye, q.RewardSE)
			texts = append(texts, q.Name)
		}
		ep := newErrPoints(xs, ys, xe, ye)
		pts := points(ep.XYs, colBlue, draw.CircleGlyph{}, vg.Points(4))
		p.Add(xErrorBars(ep, colBlue), yErrorBars(ep, colBlue), pts, labels(ep.XYs, texts, rgb(0x2f557f), vg.Points(6), vg.Points(2)))
		p.Legend.Add("DPO policies", pts)
	}
	p.Legend.Left = true
	p.Legend.XOffs = vg.Points(8)
	svg, err := render(p, 8*vg.Inch, 4.4*vg.Inch, "true reward against KL: DPO policies, best-of-N and the reference")
	if err != nil {
		return nil, err
	}
	figs = append(figs, figure{Title: "Reward–KL frontier.", Caption: "True reward (mean ± SE) against KL from the reference. Best-of-N is drawn " + c.kind + " log N − (N−1)/N; DPO policies carry error bars in both directions.", SVG: svg, Wide: true})

	// Distributions.
	type group struct {
		name string
		vs   []float64
		col  color.RGBA
	}
	groups := []group{{"reference", e.Reference.RewardSamples, colGray}}
	for i, q := range e.Policies {
		groups = append(groups, group{q.Name, q.RewardSamples, series[i%len(series)]})
	}
	var bon []BestOfN
	for i := len(e.BestOfN) - 1; i >= 0 && len(bon) < 3; i -= 2 {
		if e.BestOfN[i].N > 1 {
			bon = append(bon, e.BestOfN[i])
		}
	}
	sort.Slice(bon, func(i, j int) bool { return bon[i].N < bon[j].N })
	for _, b := range bon {
		groups = append(groups, group{fmt.Sprintf("best-of-%d", b.N), b.RewardSamples, colOrange})
	}
	p = newPlot("true reward", "")
	var names []string
	for _, g := range groups {
		if len(g.vs) == 0 {
			continue
		}
		bp, err := plotter.NewBoxPlot(vg.Points(13), float64(len(names)), plotter.Values(g.vs))
		if err != nil {
			return nil, err
		}
		bp.Horizontal = true
		bp.FillColor = alpha(g.col, 0.35)
		bp.BoxStyle = draw.LineStyle{Color: g.col, Width: vg.Points(1)}
		bp.MedianStyle = draw.LineStyle{Color: g.col, Width: vg.Points(2)}
		bp.WhiskerStyle = draw.LineStyle{Color: g.col, Width: vg.Points(1)}
		bp.GlyphStyle = draw.GlyphStyle{Color: g.col, Shape: draw.CircleGlyph{}, Radius: vg.Points(1.5)}
		mean := points(plotter.XYs{{X: mean(g.vs), Y: float64(len(names))}}, colInk, draw.PlusGlyph{}, vg.Points(3.5))
		p.Add(bp, mean)
		names = append(names, fmt.Sprintf("%s (n=%d)", g.name, len(g.vs)))
	}
	if len(names) > 0 {
		p.NominalY(names...)
		p.Y.Tick.Label.Font = face(9)
		p.Y.Min, p.Y.Max = -0.6, float64(len(names))-0.4
		svg, err = render(p, 5.4*vg.Inch, vg.Length(1.2+0.32*float64(len(names)))*vg.Inch, "true reward distributions")
		if err != nil {
			return nil, err
		}
		figs = append(figs, figure{Title: "True reward distributions.", Caption: "Box: quartiles and median; whiskers to 1.5 IQR; +: mean. Best-of-N at a few N.", SVG: svg})
	}

	// Held-out accuracy.
	if len(e.Policies) > 0 {
		p = newPlot("", "held-out implicit-reward accuracy")
		vals := make(plotter.Values, len(e.Policies))
		var xs, ses []float64
		names = names[:0]
		for i, q := range e.Policies {
			vals[i] = q.HeldoutAccuracy
			xs, ses = append(xs, float64(i)), append(ses, q.HeldoutAccuracySE)
			names = append(names, q.Name)
		}
		bars, err := plotter.NewBarChart(vals, vg.Points(float64(min(40, 220/len(vals)))))
		if err != nil {
			return nil, err
		}
		bars.Color = alpha(colBlue, 0.75)
		bars.LineStyle = draw.LineStyle{Color: colBlue, Width: vg.Points(1)}
		p.Add(bars, hline(0.5, -0.5, float64(len(vals))-0.5, colInk), yErrorBars(newErrPoints(xs, vals, nil, ses), colInk))
		p.NominalX(names...)
		p.X.Min, p.X.Max = -0.6, float64(len(vals))-0.4
		p.Y.Min, p.Y.Max = 0, 1
		p.Y.Tick.Marker = plot.ConstantTicks(fracTicks())
		svg, err = render(p, 5*vg.Inch, 3.3*vg.Inch, "held-out implicit-reward accuracy")
		if err != nil {
			return nil, err
		}
		figs = append(figs, figure{Title: "Held-out implicit-reward accuracy.", Caption: "Share of held-out pairs whose chosen response gets the larger implicit reward (± SE); dashed line: chance.", SVG: svg})
	}
	return figs, nil
}

// provenance lists the models, commands, versions, seeds and times.
func provenance(e *Experiment) []block {
	var bs []block
	t := &table{Head: []string{"model", "path", "sha256", "size"}}
	addID := func(role string, id *results.Identity) {
		if id != nil && (id.Path != "" || id.SHA256 != "") {
			t.Rows = append(t.Rows, []cell{txt(role), mono(id.Path), mono(id.SHA256), num(bytesize(id.Bytes))})
		}
	}
	addID("reference", &e.Reference.Model)
	for _, p := range e.Policies {
		addID(p.Name, p.Model)
	}
	if len(t.Rows) > 0 {
		bs = append(bs, block{Heading: "Models", Table: t})
	}
	if len(e.Commands) > 0 {
		bs = append(bs, block{Heading: "Commands", Text: []string{"The exact commands that produced these results, in order."}, Code: e.Commands})
	}
	rows := [][2]string{{"dpokit", e.Versions.Dpokit}, {"Go", e.Versions.Go}, {"ONNX Runtime", e.Versions.ONNXRuntime}}
	if e.Versions.GoMLX != "" {
		rows = append(rows, [2]string{"GoMLX", e.Versions.GoMLX})
	}
	var seeds []string
	for k := range e.Seeds {
		seeds = append(seeds, k)
	}
	sort.Strings(seeds)
	for _, k := range seeds {
		rows = append(rows, [2]string{"seed: " + k, strconv.FormatUint(e.Seeds[k], 10)})
	}
	ts := e.Timestamps
	if !ts.Started.IsZero() {
		rows = append(rows, [2]string{"started", ts.Started.Format(time.RFC3339)})
	}
	if !ts.Finished.IsZero() {
		rows = append(rows, [2]string{"finished", ts.Finished.Format(time.RFC3339)})
		if !ts.Started.IsZero() {
			rows = append(rows, [2]string{"duration", ts.Finished.Sub(ts.Started).Round(time.Second).String()})
		}
	}
	bs = append(bs, block{Heading: "Versions, seeds and times", Table: kv(rows...)})
	return bs
}
