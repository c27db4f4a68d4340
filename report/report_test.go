package report

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/net/html"

	"github.com/dpokit/dpokit/results"
)

const fixtures = "../testdata/report"

func fixture(name string) string { return filepath.Join(fixtures, name) }

func TestDetect(t *testing.T) {
	tests := []struct {
		file string
		want Kind
	}{
		{"score-summary.json", KindSummary},
		{"score-pairs.jsonl", KindPairs},
		{"winrate.json", KindWinRate},
		{"experiment.json", KindExperiment},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			data, err := os.ReadFile(fixture(tt.file))
			if err != nil {
				t.Fatal(err)
			}
			got, err := Detect(data)
			if err != nil || got != tt.want {
				t.Fatalf("Detect = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
	for _, bad := range []string{"", "[1,2]", `{"a":1}`, `{"schema":"other/v1"}`, "{\"a\":1}\n{\"b\":2}\n", "not json"} {
		t.Run("bad "+bad, func(t *testing.T) {
			if k, err := Detect([]byte(bad)); err == nil {
				t.Fatalf("Detect(%q) = %q, want an error", bad, k)
			}
		})
	}
}

// page is a rendered report, parsed.
type page struct {
	src  string
	root *html.Node
}

func renderDir(t *testing.T, title string, inputs ...string) (dir string, p page) {
	t.Helper()
	pg, err := Load(title, inputs...)
	if err != nil {
		t.Fatal(err)
	}
	dir = filepath.Join(t.TempDir(), "report")
	if err := Write(dir, pg, "dpokit test"); err != nil {
		t.Fatal(err)
	}
	ents, _ := os.ReadDir(filepath.Dir(dir))
	if len(ents) != 1 {
		t.Errorf("temporary files left beside the report: %v", ents)
	}
	b, err := os.ReadFile(filepath.Join(dir, "index.html"))
	if err != nil {
		t.Fatal(err)
	}
	checkWellFormed(t, b)
	root, err := html.Parse(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	return dir, page{src: string(b), root: root}
}

// voidElements have no end tag in HTML.
var voidElements = map[string]bool{"area": true, "base": true, "br": true, "col": true, "embed": true, "hr": true,
	"img": true, "input": true, "link": true, "meta": true, "source": true, "track": true, "wbr": true}

// checkWellFormed checks that every element that is opened is closed, in
// order, and that nothing refers to other files or hosts: no http(s)
// addresses anywhere, no scripts, no src attributes, links only to the
// page's own anchors, and no url() or @import in styles.
func checkWellFormed(t *testing.T, b []byte) {
	t.Helper()
	s := strings.ToLower(string(b))
	for _, bad := range []string{"http://", "https://"} {
		if i := strings.Index(s, bad); i >= 0 {
			t.Errorf("page contains %q: …%s…", bad, s[max(0, i-60):min(len(s), i+60)])
		}
	}
	z := html.NewTokenizer(bytes.NewReader(b))
	var stack []string
	for {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			if z.Err() != io.EOF {
				t.Fatalf("tokenize: %v", z.Err())
			}
			if len(stack) > 0 {
				t.Fatalf("unclosed elements at the end: %v", stack)
			}
			return
		case html.StartTagToken, html.SelfClosingTagToken:
			tok := z.Token()
			switch tok.Data {
			case "script", "link", "iframe", "object", "embed", "img", "image", "use":
				t.Errorf("page has a <%s> element", tok.Data)
			}
			for _, a := range tok.Attr {
				v := strings.ToLower(a.Val)
				switch {
				case a.Key == "src" || strings.HasSuffix(a.Key, "href") && !strings.HasPrefix(v, "#"):
					t.Errorf("<%s %s=%q> refers to something outside the page", tok.Data, a.Key, a.Val)
				case a.Key == "style" && strings.Contains(v, "url("):
					t.Errorf("<%s style=%q> loads something", tok.Data, a.Val)
				}
			}
			if tt == html.StartTagToken && !voidElements[tok.Data] {
				stack = append(stack, tok.Data)
			}
			if tok.Data == "style" {
				if z.Next() == html.TextToken {
					css := strings.ToLower(string(z.Text()))
					if strings.Contains(css, "url(") || strings.Contains(css, "@import") {
						t.Errorf("the page's style sheet loads something")
					}
				}
				if z.Next() != html.EndTagToken {
					t.Fatalf("<style> holds more than text")
				}
				stack = stack[:len(stack)-1]
			}
		case html.EndTagToken:
			name, _ := z.TagName()
			if len(stack) == 0 || stack[len(stack)-1] != string(name) {
				t.Fatalf("</%s> closes %v", name, stack)
			}
			stack = stack[:len(stack)-1]
		}
	}
}

func (p page) all(tag string) []*html.Node {
	var out []*html.Node
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode && n.Data == tag {
			out = append(out, n)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(p.root)
	return out
}

func count(n *html.Node, tag string) int {
	k := 0
	if n.Type == html.ElementNode && n.Data == tag {
		k++
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		k += count(c, tag)
	}
	return k
}

func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

func text(n *html.Node) string {
	var b strings.Builder
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.TextNode {
			b.WriteString(n.Data)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
		if n.Type == html.ElementNode && n.Data != "code" {
			b.WriteString(" ") // cells, paragraphs, … are apart
		}
	}
	walk(n)
	return strings.TrimSpace(b.String())
}

// checkPlots checks that the page has the plots named by their labels,
// each an SVG in the SVG namespace with a viewBox and real content.
func (p page) checkPlots(t *testing.T, labels ...string) {
	t.Helper()
	got := map[string]*html.Node{}
	for _, s := range p.all("svg") {
		got[attr(s, "aria-label")] = s
	}
	if len(got) != len(labels) {
		var names []string
		for k := range got {
			names = append(names, k)
		}
		t.Errorf("%d plots %q, want %d", len(got), names, len(labels))
	}
	for _, l := range labels {
		s, ok := got[l]
		if !ok {
			t.Errorf("no plot %q", l)
			continue
		}
		if s.Namespace != "svg" || attr(s, "viewBox") == "" {
			t.Errorf("plot %q: namespace %q, viewBox %q", l, s.Namespace, attr(s, "viewBox"))
		}
		if n := count(s, "path"); n < 10 {
			t.Errorf("plot %q has %d paths: drawn empty?", l, n)
		}
		if n := count(s, "text"); n < 4 {
			t.Errorf("plot %q has %d text elements: no axes?", l, n)
		}
	}
}

// checkText checks that the page's text contains each string.
func (p page) checkText(t *testing.T, want ...string) {
	t.Helper()
	body := strings.Join(strings.Fields(text(p.root)), " ")
	for _, w := range want {
		if !strings.Contains(body, w) {
			t.Errorf("page text lacks %q", w)
		}
	}
}

// tableWith returns the rows of the first table whose header has head.
func (p page) tableWith(head string) [][]string {
	for _, tb := range p.all("table") {
		var rows [][]string
		found := false
		var walk func(*html.Node)
		walk = func(n *html.Node) {
			if n.Type == html.ElementNode && n.Data == "th" && text(n) == head {
				found = true
			}
			if n.Type == html.ElementNode && n.Data == "tr" {
				var row []string
				for c := n.FirstChild; c != nil; c = c.NextSibling {
					if c.Type == html.ElementNode && c.Data == "td" {
						row = append(row, text(c))
					}
				}
				if len(row) > 0 {
					rows = append(rows, row)
				}
			}
			for c := n.FirstChild; c != nil; c = c.NextSibling {
				walk(c)
			}
		}
		walk(tb)
		if found {
			return rows
		}
	}
	return nil
}

var scorePlots = []string{"histogram of margins", "chosen against rejected reward", "implicit reward distributions"}
var winRatePlots = []string{"win rate with its 95% interval"}
var experimentPlots = []string{"true reward against KL: DPO policies, best-of-N and the reference", "true reward distributions", "held-out implicit-reward accuracy"}

func TestRenderScore(t *testing.T) {
	_, p := renderDir(t, "score", fixture("score-summary.json"))
	p.checkPlots(t, scorePlots...)
	p.checkText(t,
		"0.5833 ± 0.1423",                  // accuracy ± SE
		"+0.2156 ± 0.1166",                 // margin ± SE
		"skipped 1",                        // skipped count
		`field "rejected": empty response`, // its reason
		"7f6234404d1a759b9bc82f6c6b44c1d1684397382215ec0eaef0e753554dd130",
		"816 tokens/s",
		"7 of 12 pairs (58.3%) have a positive margin",
	)
	if rows := p.tableWith("sha256"); len(rows) != 3 {
		t.Errorf("identity table rows %q, want policy, reference and data", rows)
	}
	if rows := p.tableWith("reason"); len(rows) != 1 || rows[0][1] != "p07b" {
		t.Errorf("skipped table %q", rows)
	}
}

func TestRenderPairsOnly(t *testing.T) {
	_, p := renderDir(t, "pairs", fixture("score-pairs.jsonl"))
	p.checkPlots(t, scorePlots...)
	p.checkText(t, "0.5833 ± 0.1423", "Only per-pair results were given")
}

func TestRenderWinRate(t *testing.T) {
	_, p := renderDir(t, "", fixture("winrate.json"))
	p.checkPlots(t, winRatePlots...)
	p.checkText(t, "0.6750 ± 0.0701", "0.5376 – 0.8124", "25 / 11 / 4", "0.6412", "14.2 / 12.9", "rm:models/true-reward")
}

func TestRenderExperiment(t *testing.T) {
	_, p := renderDir(t, "experiment", fixture("experiment.json"))
	p.checkPlots(t, experimentPlots...)
	e, err := ReadExperiment(fixture("experiment.json"))
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, c := range e.Commands {
		want = append(want, c)
	}
	want = append(want, "go1.26.8", "1.24.1", "seed: train", "4m12s", "beyond N=64", "(DPO above)")
	for _, q := range e.Policies {
		want = append(want, pm(q.RewardMean, q.RewardSE), pm(q.KLMean, q.KLSE), pm(q.HeldoutAccuracy, q.HeldoutAccuracySE), pm(q.WinRateVsRef.WinRate, q.WinRateVsRef.StandardError))
	}
	p.checkText(t, want...)
	if rows := p.tableWith("KL bound log N − (N−1)/N"); len(rows) != len(e.BestOfN) || rows[6][1] != f4(KLBound(64)) {
		t.Errorf("best-of-N table %q", rows)
	}
	if rows := p.tableWith("win rate vs reference ± SE"); len(rows) != len(e.Policies) {
		t.Errorf("win-rate table %q", rows)
	}
	// Commands are verbatim, one per line.
	pre := p.all("pre")
	if len(pre) != 1 {
		t.Fatalf("%d pre blocks, want the commands", len(pre))
	}
	var raw strings.Builder
	for c := pre[0].FirstChild; c != nil; c = c.NextSibling {
		if c.Type == html.TextNode {
			raw.WriteString(c.Data)
		} else {
			raw.WriteString(text(c))
		}
	}
	if got := raw.String(); got != strings.Join(e.Commands, "\n")+"\n" {
		t.Errorf("commands block %q", got)
	}
}

func TestRenderAll(t *testing.T) {
	_, p := renderDir(t, "all", fixture("experiment.json"), fixture("score-summary.json"), fixture("winrate.json"))
	p.checkPlots(t, append(append(append([]string{}, experimentPlots...), scorePlots...), winRatePlots...)...)
	if n := len(p.all("section")); n != 3 {
		t.Errorf("%d sections, want 3", n)
	}
	if n := count(p.all("nav")[0], "a"); n != 3 {
		t.Errorf("%d contents links, want 3", n)
	}
}

// copyFixture copies a fixture into dir under name, editing the summary's "out".
func copySummary(t *testing.T, dir, out string) string {
	t.Helper()
	var m map[string]any
	b, _ := os.ReadFile(fixture("score-summary.json"))
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	m["out"] = out
	b, _ = json.Marshal(m)
	path := filepath.Join(dir, "summary.json")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestLoadPairs(t *testing.T) {
	dir := t.TempDir()
	pairs, _ := os.ReadFile(fixture("score-pairs.jsonl"))
	os.WriteFile(filepath.Join(dir, "other.jsonl"), pairs, 0o644)
	t.Run("missing", func(t *testing.T) {
		pg, err := Load("", copySummary(t, dir, "/nowhere/pairs.jsonl"))
		if err != nil {
			t.Fatal(err)
		}
		s := pg.Sections[0].Score
		if s.Pairs != nil || len(s.Notes) != 1 || !strings.Contains(s.Notes[0], "/nowhere/pairs.jsonl were not found") {
			t.Fatalf("pairs %d, notes %q", len(s.Pairs), s.Notes)
		}
	})
	t.Run("explicit after the summary", func(t *testing.T) {
		pg, err := Load("", copySummary(t, dir, "/nowhere/pairs.jsonl"), filepath.Join(dir, "other.jsonl"), fixture("winrate.json"))
		if err != nil {
			t.Fatal(err)
		}
		if len(pg.Sections) != 2 || len(pg.Sections[0].Score.Pairs) != 12 || len(pg.Sections[0].Score.Notes) != 0 {
			t.Fatalf("sections %+v", pg.Sections)
		}
	})
	t.Run("matched by out", func(t *testing.T) {
		sum := copySummary(t, dir, filepath.Join(dir, "other.jsonl"))
		pg, err := Load("", fixture("winrate.json"), fixture("score-pairs.jsonl"), filepath.Join(dir, "other.jsonl"), sum)
		if err != nil {
			t.Fatal(err)
		}
		// The fixture's pairs stand alone (no summary before them); other.jsonl
		// comes before its summary, which then finds it by "out".
		if len(pg.Sections) != 4 {
			t.Fatalf("%d sections, want 4", len(pg.Sections))
		}
		if s := pg.Sections[3].Score; s.Summary == nil || len(s.Pairs) != 12 {
			t.Fatalf("summary section %+v", s)
		}
	})
	t.Run("inconsistent", func(t *testing.T) {
		os.WriteFile(filepath.Join(dir, "short.jsonl"), pairs[:bytes.IndexByte(pairs, '\n')+1], 0o644)
		pg, err := Load("", copySummary(t, dir, "short.jsonl"))
		if err != nil {
			t.Fatal(err)
		}
		if s := pg.Sections[0].Score; len(s.Pairs) != 1 || len(s.Notes) != 1 || !strings.Contains(s.Notes[0], "holds 1 results but the summary counts 12") {
			t.Fatalf("notes %q", s.Notes)
		}
	})
	t.Run("bad line", func(t *testing.T) {
		bad := filepath.Join(dir, "bad.jsonl")
		os.WriteFile(bad, append(append([]byte{}, pairs...), "{\"margin\": \"x\"}\n"...), 0o644)
		_, err := Load("", bad)
		if err == nil || !strings.Contains(err.Error(), "bad.jsonl:13") {
			t.Fatalf("err %v, want one naming bad.jsonl:13", err)
		}
	})
}

func TestExperimentValidate(t *testing.T) {
	read := func() *Experiment {
		e, err := ReadExperiment(fixture("experiment.json"))
		if err != nil {
			t.Fatal(err)
		}
		return e
	}
	tests := []struct {
		name string
		edit func(*Experiment)
		want string
	}{
		{"schema", func(e *Experiment) { e.Schema = "dpokit.experiment/v0" }, `"schema"`},
		{"kl bound", func(e *Experiment) { e.BestOfN[3].KLBound = 2.0794 }, "best_of_n[3].kl_bound"},
		{"order", func(e *Experiment) { e.BestOfN[2].N = 2 }, "ascending"},
		{"name", func(e *Experiment) { e.Policies[1].Name = e.Policies[0].Name }, "repeats"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := read()
			tt.edit(e)
			if err := e.Validate(); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Validate() = %v, want an error about %s", err, tt.want)
			}
		})
	}
	if got, want := KLBound(64), 3.1745; fmt.Sprintf("%.4f", got) != fmt.Sprintf("%.4f", want) {
		t.Errorf("KLBound(64) = %v, want %v", got, want)
	}
}

func TestWriteReplaces(t *testing.T) {
	pg, err := Load("", fixture("winrate.json"))
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "out")
	for i := 0; i < 2; i++ { // a second write replaces the first report
		if err := Write(dir, pg, ""); err != nil {
			t.Fatal(err)
		}
	}
	os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("mine"), 0o644)
	err = Write(dir, pg, "")
	if err == nil || !strings.Contains(err.Error(), "notes.txt") {
		t.Fatalf("Write over a directory with other files: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "notes.txt")); err != nil {
		t.Fatal("the user's file is gone")
	}
	file := filepath.Join(t.TempDir(), "file")
	os.WriteFile(file, nil, 0o644)
	if err := Write(file, pg, ""); err == nil {
		t.Fatal("Write over a file succeeded")
	}
	if _, err := Load("", filepath.Join(t.TempDir(), "missing.json")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("Load of a missing file: %v", err)
	}
}

// TestRenderEscapes checks that text from the inputs cannot add markup.
func TestRenderEscapes(t *testing.T) {
	e, err := ReadExperiment(fixture("experiment.json"))
	if err != nil {
		t.Fatal(err)
	}
	evil := `<script>alert("x")</script><img src=x>`
	e.Policies[0].Name = evil
	e.Task.Description = evil
	e.Commands = append(e.Commands, evil)
	var buf bytes.Buffer
	if err := Render(&buf, &Page{Title: evil, Sections: []Section{{Source: evil, Experiment: e}}}, evil); err != nil {
		t.Fatal(err)
	}
	checkWellFormed(t, buf.Bytes())
	root, err := html.Parse(&buf)
	if err != nil {
		t.Fatal(err)
	}
	p := page{root: root}
	if n := len(p.all("script")) + len(p.all("img")); n != 0 {
		t.Fatalf("%d script or img elements made from input text", n)
	}
	p.checkText(t, evil)
}

// TestRenderSparse renders inputs with little in them.
func TestRenderSparse(t *testing.T) {
	e := &Experiment{Schema: ExperimentSchema, Reference: Reference{RewardMean: 0.4}}
	sum, err := os.ReadFile(fixture("score-summary.json"))
	if err != nil {
		t.Fatal(err)
	}
	var s struct{ Score }
	if err := json.Unmarshal(sum, &s.Summary); err != nil {
		t.Fatal(err)
	}
	s.Summary.Ref, s.Summary.RefFree, s.Summary.LengthNorm = nil, true, "avg"
	pg := &Page{Sections: []Section{
		{Source: "e.json", Experiment: e},
		{Source: "s.json", Score: &Score{Summary: s.Summary}},
		{Source: "p.jsonl", Score: &Score{Pairs: []results.Result{}}},
	}}
	var buf bytes.Buffer
	if err := Render(&buf, pg, ""); err != nil {
		t.Fatal(err)
	}
	checkWellFormed(t, buf.Bytes())
	root, _ := html.Parse(&buf)
	p := page{root: root}
	p.checkPlots(t, experimentPlots[0])
	p.checkText(t, "reference-free: β·log π, divided by the response's token count")
}
