package report

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// TestQuickExperiment runs `scripts/experiment.sh --quick` — the whole
// controlled experiment with dpokit's commands at its smallest size — twice,
// checks that DPO did what the method promises, that the rerun gives the
// same numbers, and that the report renders in headless Chromium.
func TestQuickExperiment(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the quick experiment twice (about 90 s)")
	}
	bin, err := exec.LookPath("chromium")
	if err != nil {
		t.Fatalf("chromium is needed to test the HTML report in a browser; install it with: %s", chromiumInstall)
	}
	var runs []*Experiment
	var dir string
	for i := range 2 {
		dir = filepath.Join(t.TempDir(), "experiment")
		cmd := exec.Command("bash", "scripts/experiment.sh", "--quick", "--out", dir)
		cmd.Dir = ".."
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("run %d: %v\n%s", i+1, err, tail(string(out), 3000))
		}
		e, err := ReadExperiment(filepath.Join(dir, "experiment.json"))
		if err != nil {
			t.Fatal(err)
		}
		runs = append(runs, e)
	}
	e := runs[0]
	if len(e.Policies) != 3 || len(e.BestOfN) < 4 || len(e.Commands) < 10 {
		t.Fatalf("%d policies, %d best-of-N rows, %d commands", len(e.Policies), len(e.BestOfN), len(e.Commands))
	}
	for _, p := range e.Policies {
		if p.RewardMean-e.Reference.RewardMean < 2*(p.RewardSE+e.Reference.RewardSE) {
			t.Errorf("%s: true reward %.3f ± %.3f is not clearly above the reference's %.3f ± %.3f",
				p.Name, p.RewardMean, p.RewardSE, e.Reference.RewardMean, e.Reference.RewardSE)
		}
		if p.HeldoutAccuracy-0.5 < 2*p.HeldoutAccuracySE {
			t.Errorf("%s: held-out implicit-reward accuracy %.3f ± %.3f is not clearly above chance", p.Name, p.HeldoutAccuracy, p.HeldoutAccuracySE)
		}
		if p.KLMean <= 0 {
			t.Errorf("%s: KL estimate %.3f, want > 0", p.Name, p.KLMean)
		}
	}
	if first, last := e.Policies[0], e.Policies[len(e.Policies)-1]; !(first.Beta < last.Beta && first.KLMean > last.KLMean) {
		t.Errorf("smaller β should move further from the reference: %s KL %.2f, %s KL %.2f", first.Name, first.KLMean, last.Name, last.KLMean)
	}
	if b := e.BestOfN; b[len(b)-1].RewardMean <= b[0].RewardMean {
		t.Errorf("best-of-%d reward %.3f not above best-of-%d's %.3f", b[len(b)-1].N, b[len(b)-1].RewardMean, b[0].N, b[0].RewardMean)
	}
	// The same seeds give the same numbers.
	r := runs[1]
	for i, p := range e.Policies {
		q := r.Policies[i]
		if p.KLMean != q.KLMean || p.RewardMean != q.RewardMean || p.HeldoutAccuracy != q.HeldoutAccuracy || *p.WinRateVsRef != *q.WinRateVsRef {
			t.Errorf("%s: rerun gave other numbers: %+v vs %+v", p.Name, p, q)
		}
	}
	for i, b := range e.BestOfN {
		if b.RewardMean != r.BestOfN[i].RewardMean {
			t.Errorf("best-of-%d: rerun reward %v vs %v", b.N, b.RewardMean, r.BestOfN[i].RewardMean)
		}
	}

	// The report, in a browser: every plot and table laid out, a real screenshot.
	index := filepath.Join(dir, "report", "index.html")
	page, err := os.ReadFile(index)
	if err != nil {
		t.Fatal(err)
	}
	probed := filepath.Join(t.TempDir(), "probe.html")
	os.WriteFile(probed, bytes.Replace(page, []byte("</body>"), []byte(probeScript+"</body>"), 1), 0o644)
	shot := filepath.Join(t.TempDir(), "experiment.png")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	p := readProbe(t, chromium(ctx, t, bin, probed, "--window-size=1280,2000", "--dump-dom"))
	chromium(ctx, t, bin, index, "--window-size=1280,2000", "--screenshot="+shot)
	if p.Sections != 1 || len(p.Plots) != len(experimentPlots) || len(p.Tables) < 4 {
		t.Errorf("rendered %d sections, %d plots (want %d), %d tables", p.Sections, len(p.Plots), len(experimentPlots), len(p.Tables))
	}
	for _, pl := range p.Plots {
		if pl.W < 250 || pl.H < 120 || pl.Shapes < 10 {
			t.Errorf("plot %q laid out at %d×%d px with %d shapes", pl.Label, pl.W, pl.H, pl.Shapes)
		}
	}
	checkScreenshot(t, shot)
	if *keep != "" {
		os.MkdirAll(*keep, 0o755)
		if s, err := os.ReadFile(shot); err == nil {
			os.WriteFile(filepath.Join(*keep, "experiment-quick.png"), s, 0o644)
		}
	}
}
