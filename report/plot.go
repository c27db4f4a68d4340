package report

import (
	"bytes"
	"fmt"
	"html/template"
	"image/color"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgsvg"
)

// Colours (Tableau 10), used for the same roles on every plot.
var (
	colBlue   = rgb(0x4e79a7)
	colOrange = rgb(0xf28e2b)
	colRed    = rgb(0xe15759)
	colTeal   = rgb(0x76b7b2)
	colGreen  = rgb(0x59a14f)
	colPurple = rgb(0xb07aa1)
	colBrown  = rgb(0x9c755f)
	colGray   = rgb(0x79706e)
	colInk    = rgb(0x333333)
	colAxis   = rgb(0x8a8a8a)
	colGrid   = rgb(0xe6e6e6)
	series    = []color.RGBA{colBlue, colGreen, colPurple, colTeal, colBrown, colRed}
)

func rgb(v uint32) color.RGBA {
	return color.RGBA{R: uint8(v >> 16), G: uint8(v >> 8), B: uint8(v), A: 0xff}
}

func alpha(c color.RGBA, a float64) color.Color {
	return color.NRGBA{R: c.R, G: c.G, B: c.B, A: uint8(a * 255)}
}

// figure is one plot on the page.
type figure struct {
	Title   string
	Caption string
	SVG     template.HTML
	Wide    bool // spans the page's width
}

var sans = font.Font{Typeface: "Liberation", Variant: "Sans"}

func face(size vg.Length) font.Font {
	f := sans
	f.Size = size
	return f
}

// newPlot returns a plot in the report's style: sans-serif text, light
// grid, grey axes and no title (the page's caption names it).
func newPlot(xLabel, yLabel string) *plot.Plot {
	p := plot.New()
	p.BackgroundColor = color.White
	for _, ax := range []*plot.Axis{&p.X, &p.Y} {
		ax.Label.TextStyle.Font = face(10)
		ax.Label.TextStyle.Color = colInk
		ax.Tick.Label.Font = face(9)
		ax.Tick.Label.Color = colInk
		ax.LineStyle.Color = colAxis
		ax.LineStyle.Width = vg.Points(0.75)
		ax.Tick.LineStyle.Color = colAxis
		ax.Tick.LineStyle.Width = vg.Points(0.75)
		ax.Padding = vg.Points(4)
	}
	p.X.Label.Text, p.Y.Label.Text = xLabel, yLabel
	p.X.Tick.Marker, p.Y.Tick.Marker = niceTicks{}, niceTicks{}
	p.Legend.TextStyle.Font = face(9)
	p.Legend.TextStyle.Color = colInk
	p.Legend.Top = true
	p.Legend.ThumbnailWidth = vg.Points(14)
	p.Legend.Padding = vg.Points(3)
	g := plotter.NewGrid()
	g.Vertical.Color, g.Horizontal.Color = colGrid, colGrid
	g.Vertical.Width, g.Horizontal.Width = vg.Points(0.6), vg.Points(0.6)
	p.Add(g)
	return p
}

var (
	svgPreamble  = regexp.MustCompile(`(?s)^.*?<svg `)
	svgSize      = regexp.MustCompile(`^width="[^"]*" height="[^"]*"`)
	svgNamespace = regexp.MustCompile(`\s*xmlns(:xlink)?="[^"]*"`)
)

// render draws p as an SVG element to inline in HTML: the XML prologue and
// namespace declarations (implied in HTML) are dropped, the size is left
// to CSS (the viewBox keeps the aspect ratio), and the Liberation fonts
// that the text was measured with fall back to metric-compatible ones.
func render(p *plot.Plot, w, h vg.Length, label string) (template.HTML, error) {
	c := vgsvg.New(w, h)
	p.Draw(draw.New(c))
	var buf bytes.Buffer
	if _, err := c.WriteTo(&buf); err != nil {
		return "", fmt.Errorf("plot %q: %w", label, err)
	}
	s := svgPreamble.ReplaceAllString(buf.String(), "")
	s = svgSize.ReplaceAllString(s, "")
	s = svgNamespace.ReplaceAllString(s, "")
	s = strings.ReplaceAll(s, "font-family:Liberation Sans;", "font-family:'Liberation Sans',Arial,Helvetica,sans-serif;")
	s = strings.ReplaceAll(s, "font-family:Liberation Serif;", "font-family:'Liberation Serif','Times New Roman',serif;")
	// Shown at most a little above its natural size (1 pt = 4/3 px), so
	// text is about the same size on every plot.
	attrs := fmt.Sprintf(`<svg class="plot" role="img" aria-label="%s" style="max-width:%.0fpx" `,
		template.HTMLEscapeString(label), w.Points()*4/3*1.15)
	return template.HTML(attrs + s), nil
}

// bins returns n equal-width histogram bin edges spanning all values.
func binEdges(n int, sets ...[]float64) []float64 {
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, s := range sets {
		for _, v := range s {
			lo, hi = math.Min(lo, v), math.Max(hi, v)
		}
	}
	if math.IsInf(lo, 1) {
		lo, hi = 0, 1
	}
	if hi-lo < 1e-12 {
		d := math.Max(math.Abs(lo)*0.05, 0.5)
		lo, hi = lo-d, hi+d
	}
	edges := make([]float64, n+1)
	for i := range edges {
		edges[i] = lo + (hi-lo)*float64(i)/float64(n)
	}
	return edges
}

// binCount picks a number of histogram bins for n values.
func binCount(n int) int {
	return min(max(int(math.Ceil(1.5*math.Sqrt(float64(n)))), 6), 40)
}

// zeroEdges returns about n equal-width bin edges spanning [lo, hi] (which
// holds 0), with 0 an edge.
func zeroEdges(n int, lo, hi float64) []float64 {
	if hi-lo < 1e-12 {
		return binEdges(n, []float64{lo, hi})
	}
	w := (hi - lo) / float64(n)
	first, last := math.Floor(lo/w+1e-9), math.Ceil(hi/w-1e-9)
	if last == first {
		last++
	}
	var edges []float64
	for i := first; i <= last; i++ {
		edges = append(edges, i*w)
	}
	return edges
}

// histogram counts vs into the bins given by edges.
func histogram(vs, edges []float64, fill color.RGBA, fillAlpha float64) *plotter.Histogram {
	n := len(edges) - 1
	h := &plotter.Histogram{Width: edges[1] - edges[0], FillColor: alpha(fill, fillAlpha)}
	h.LineStyle = draw.LineStyle{Color: fill, Width: vg.Points(1)}
	h.Bins = make([]plotter.HistogramBin, n)
	for i := range h.Bins {
		h.Bins[i].Min, h.Bins[i].Max = edges[i], edges[i+1]
	}
	for _, v := range vs {
		i := int((v - edges[0]) / h.Width)
		h.Bins[min(max(i, 0), n-1)].Weight++
	}
	return h
}

func maxWeight(hs ...*plotter.Histogram) float64 {
	m := 0.0
	for _, h := range hs {
		for _, b := range h.Bins {
			m = math.Max(m, b.Weight)
		}
	}
	return m
}

// vline is a dashed vertical line at x from y0 to y1.
func vline(x, y0, y1 float64, c color.Color) *plotter.Line {
	l, _ := plotter.NewLine(plotter.XYs{{X: x, Y: y0}, {X: x, Y: y1}})
	l.LineStyle = draw.LineStyle{Color: c, Width: vg.Points(1), Dashes: []vg.Length{vg.Points(4), vg.Points(3)}}
	return l
}

// hline is a dashed horizontal line at y from x0 to x1.
func hline(y, x0, x1 float64, c color.Color) *plotter.Line {
	l, _ := plotter.NewLine(plotter.XYs{{X: x0, Y: y}, {X: x1, Y: y}})
	l.LineStyle = draw.LineStyle{Color: c, Width: vg.Points(1), Dashes: []vg.Length{vg.Points(4), vg.Points(3)}}
	return l
}

// points is a scatter of xys in colour c with the given glyph.
func points(xys plotter.XYs, c color.Color, shape draw.GlyphDrawer, radius vg.Length) *plotter.Scatter {
	s, _ := plotter.NewScatter(xys)
	s.GlyphStyle = draw.GlyphStyle{Color: c, Shape: shape, Radius: radius}
	return s
}

// errPoints are points with symmetric errors in x and/or y.
type errPoints struct {
	plotter.XYs
	plotter.XErrors
	plotter.YErrors
}

func newErrPoints(xs, ys, xerr, yerr []float64) errPoints {
	e := errPoints{XYs: make(plotter.XYs, len(xs)), XErrors: make(plotter.XErrors, len(xs)), YErrors: make(plotter.YErrors, len(xs))}
	for i := range xs {
		e.XYs[i] = plotter.XY{X: xs[i], Y: ys[i]}
		if xerr != nil {
			e.XErrors[i].Low, e.XErrors[i].High = xerr[i], xerr[i]
		}
		if yerr != nil {
			e.YErrors[i].Low, e.YErrors[i].High = yerr[i], yerr[i]
		}
	}
	return e
}

func yErrorBars(e errPoints, c color.Color) *plotter.YErrorBars {
	b, _ := plotter.NewYErrorBars(e)
	b.LineStyle = draw.LineStyle{Color: c, Width: vg.Points(1)}
	b.CapWidth = vg.Points(5)
	return b
}

func xErrorBars(e errPoints, c color.Color) *plotter.XErrorBars {
	b, _ := plotter.NewXErrorBars(e)
	b.LineStyle = draw.LineStyle{Color: c, Width: vg.Points(1)}
	b.CapWidth = vg.Points(5)
	return b
}

// labels writes texts beside the points xys.
func labels(xys plotter.XYs, texts []string, c color.Color, dx, dy vg.Length) *plotter.Labels {
	l, _ := plotter.NewLabels(plotter.XYLabels{XYs: xys, Labels: texts})
	for i := range l.TextStyle {
		l.TextStyle[i].Font = face(8)
		l.TextStyle[i].Color = c
	}
	l.Offset = vg.Point{X: dx, Y: dy}
	return l
}

// padRange widens [lo, hi] by a fraction of its span on each side.
func padRange(lo, hi, frac float64) (float64, float64) {
	d := (hi - lo) * frac
	if d == 0 {
		d = math.Max(math.Abs(lo)*0.1, 0.5)
	}
	return lo - d, hi + d
}

func minMax(sets ...[]float64) (float64, float64) {
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, s := range sets {
		if len(s) > 0 {
			lo, hi = math.Min(lo, slices.Min(s)), math.Max(hi, slices.Max(s))
		}
	}
	return lo, hi
}

// niceTicks labels an axis at 1, 2 or 5 × 10^k steps, about six of them
// (the step nearest a sixth of the range),
// with a minor tick between labels. Integer makes the step at least 1
// (for counts).
type niceTicks struct{ Integer bool }

func (t niceTicks) Ticks(lo, hi float64) []plot.Tick {
	if !(hi > lo) || math.IsInf(lo, 0) || math.IsInf(hi, 0) {
		return nil
	}
	raw := (hi - lo) / 6
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	step := mag
	for _, m := range []float64{2, 5, 10} {
		if math.Abs(math.Log(m*mag/raw)) < math.Abs(math.Log(step/raw)) {
			step = m * mag
		}
	}
	if t.Integer {
		step = math.Max(1, math.Round(step))
	}
	prec := max(0, -int(math.Floor(math.Log10(step)+1e-9)))
	var ts []plot.Tick
	first := math.Ceil(lo/step-1e-9) - 1
	for i := first; i*step <= hi+step*1e-9; i++ {
		v := i * step
		if v >= lo-step*1e-9 {
			ts = append(ts, plot.Tick{Value: v, Label: label(v, prec)})
		}
		if mv := v + step/2; mv >= lo && mv <= hi && (!t.Integer || step >= 2 && math.Mod(step, 2) == 0) {
			ts = append(ts, plot.Tick{Value: mv})
		}
	}
	return ts
}

func label(v float64, prec int) string {
	s := strconv.FormatFloat(v, 'f', prec, 64)
	if strings.Trim(s, "-0.") == "" {
		s = strings.TrimPrefix(s, "-") // no "-0.0"
	}
	return s
}

// boldCross is a × glyph drawn with a 1.5 pt line (draw.CrossGlyph's is
// too thin to see at a glance).
type boldCross struct{}

func (boldCross) DrawGlyph(c *draw.Canvas, sty draw.GlyphStyle, pt vg.Point) {
	c.SetLineStyle(draw.LineStyle{Color: sty.Color, Width: vg.Points(1.5)})
	r := sty.Radius * math.Sqrt2 / 2
	c.Stroke(vg.Path{{Type: vg.MoveComp, Pos: vg.Point{X: pt.X - r, Y: pt.Y - r}}, {Type: vg.LineComp, Pos: vg.Point{X: pt.X + r, Y: pt.Y + r}}})
	c.Stroke(vg.Path{{Type: vg.MoveComp, Pos: vg.Point{X: pt.X - r, Y: pt.Y + r}}, {Type: vg.LineComp, Pos: vg.Point{X: pt.X + r, Y: pt.Y - r}}})
}
