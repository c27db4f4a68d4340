package report

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

var keep = flag.String("keep", "", "copy the browser test's report and screenshot into this directory")

// chromiumInstall is how to get the browser the test needs.
const chromiumInstall = "apt-get update && apt-get install -y chromium"

// chromium runs headless Chromium on a page with extra arguments and
// returns its standard output.
func chromium(ctx context.Context, t *testing.T, bin, page string, args ...string) []byte {
	t.Helper()
	profile := t.TempDir()
	base := []string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
		"--disable-component-update", "--disable-sync", "--no-first-run", "--hide-scrollbars",
		"--user-data-dir=" + profile}
	cmd := exec.CommandContext(ctx, bin, append(append(base, args...), "file://"+page)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Errorf("%s %s: %v\n%s", bin, strings.Join(args, " "), err, tail(stderr.String(), 2000))
	}
	return stdout.Bytes()
}

func tail(s string, n int) string {
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}

// probeScript measures, after layout, every plot and table of the page and
// writes the sizes into <body data-probe>, which --dump-dom then shows.
// It is added to a copy of the page only: the report has no scripts.
const probeScript = `<script>
(function () {
  function box(e) { var r = e.getBoundingClientRect(); return {w: Math.round(r.width), h: Math.round(r.height)}; }
  var out = {plots: [], tables: [], sections: document.querySelectorAll("section.report").length};
  document.querySelectorAll("svg.plot").forEach(function (s) {
    var b = box(s); b.label = s.getAttribute("aria-label"); b.shapes = s.querySelectorAll("path,text").length; out.plots.push(b);
  });
  document.querySelectorAll("table").forEach(function (t) {
    var b = box(t); b.rows = t.querySelectorAll("tbody tr").length; out.tables.push(b);
  });
  document.body.setAttribute("data-probe", JSON.stringify(out));
})();
</script>`

type probe struct {
	Sections int
	Plots    []struct {
		Label  string
		W, H   int
		Shapes int
	}
	Tables []struct{ W, H, Rows int }
}

// TestBrowser opens a report of every kind of input in headless Chromium,
// reads the laid-out DOM and checks that each plot and table has a size,
// and checks that a screenshot of the page is not blank.
func TestBrowser(t *testing.T) {
	bin, err := exec.LookPath("chromium")
	if err != nil {
		t.Fatalf("chromium is needed to test the HTML report in a browser; install it with: %s", chromiumInstall)
	}
	dir, _ := renderDir(t, "dpokit report: browser test", fixture("experiment.json"), fixture("score-summary.json"), fixture("winrate.json"))
	index := filepath.Join(dir, "index.html")
	b, err := os.ReadFile(index)
	if err != nil {
		t.Fatal(err)
	}
	probed := filepath.Join(t.TempDir(), "probe.html")
	if err := os.WriteFile(probed, bytes.Replace(b, []byte("</body>"), []byte(probeScript+"</body>"), 1), 0o644); err != nil {
		t.Fatal(err)
	}
	shot := filepath.Join(t.TempDir(), "screenshot.png")

	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
	defer cancel()
	var dom []byte
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		dom = chromium(ctx, t, bin, probed, "--window-size=1280,2000", "--dump-dom")
	}()
	go func() {
		defer wg.Done()
		chromium(ctx, t, bin, index, "--window-size=1280,2000", "--screenshot="+shot)
	}()
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}

	p := readProbe(t, dom)
	if p.Sections != 3 {
		t.Errorf("%d sections rendered, want 3", p.Sections)
	}
	want := append(append(append([]string{}, experimentPlots...), scorePlots...), winRatePlots...)
	if len(p.Plots) != len(want) {
		t.Errorf("%d plots rendered, want %d", len(p.Plots), len(want))
	}
	for _, pl := range p.Plots {
		if pl.W < 250 || pl.H < 120 || pl.Shapes < 10 {
			t.Errorf("plot %q laid out at %d×%d px with %d shapes", pl.Label, pl.W, pl.H, pl.Shapes)
		}
	}
	if len(p.Tables) != 9 { // experiment 5, score 3, win rate 1
		t.Errorf("%d tables rendered, want 9", len(p.Tables))
	}
	for i, tb := range p.Tables {
		if tb.Rows == 0 || tb.W < 100 || tb.H < 20*tb.Rows {
			t.Errorf("table %d laid out at %d×%d px with %d rows", i, tb.W, tb.H, tb.Rows)
		}
	}
	checkScreenshot(t, shot)

	if *keep != "" {
		os.MkdirAll(*keep, 0o755)
		os.WriteFile(filepath.Join(*keep, "index.html"), b, 0o644)
		if s, err := os.ReadFile(shot); err == nil {
			os.WriteFile(filepath.Join(*keep, "screenshot.png"), s, 0o644)
		}
	}
}

func readProbe(t *testing.T, dom []byte) probe {
	t.Helper()
	const key = `data-probe="`
	i := bytes.Index(dom, []byte(key))
	if i < 0 {
		t.Fatalf("the dumped DOM has no probe results: did the page load?\n%s", tail(string(dom), 500))
	}
	rest := dom[i+len(key):]
	j := bytes.IndexByte(rest, '"')
	raw := strings.NewReplacer("&quot;", `"`, "&amp;", "&", "&lt;", "<", "&gt;", ">", "&#39;", "'").Replace(string(rest[:j]))
	var p probe
	if err := json.Unmarshal([]byte(raw), &p); err != nil {
		t.Fatalf("probe results %q: %v", raw, err)
	}
	return p
}

// checkScreenshot checks that the PNG is the window's size and shows a
// page: many colours, and ink over a fair share of it.
func checkScreenshot(t *testing.T, path string) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("no screenshot: %v", err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("screenshot %s: %v", path, err)
	}
	r := img.Bounds()
	if r.Dx() != 1280 || r.Dy() != 2000 {
		t.Errorf("screenshot is %v, want 1280×2000", r.Size())
	}
	colours := map[[3]uint32]int{}
	for y := r.Min.Y; y < r.Max.Y; y += 2 {
		for x := r.Min.X; x < r.Max.X; x += 2 {
			c := pixel(img, x, y)
			colours[c]++
		}
	}
	var bg [3]uint32
	most := 0
	for c, n := range colours {
		if n > most {
			bg, most = c, n
		}
	}
	total := (r.Dx() / 2) * (r.Dy() / 2)
	ink := 0
	for c, n := range colours {
		if dist(c, bg) > 40 {
			ink += n
		}
	}
	if len(colours) < 50 || float64(ink) < 0.02*float64(total) {
		t.Errorf("screenshot looks blank: %d colours, %.1f%% of pixels away from the background %v", len(colours), 100*float64(ink)/float64(total), bg)
	}
	t.Logf("screenshot: %d colours, %.1f%% ink", len(colours), 100*float64(ink)/float64(total))
}

func pixel(img image.Image, x, y int) [3]uint32 {
	r, g, b, _ := img.At(x, y).RGBA()
	return [3]uint32{r >> 8, g >> 8, b >> 8}
}

func dist(a, b [3]uint32) int {
	d := 0
	for i := range a {
		v := int(a[i]) - int(b[i])
		if v < 0 {
			v = -v
		}
		d += v
	}
	return d
}
