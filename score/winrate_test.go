package score

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Expected values worked by hand: outcomes 1,1,1,0,½ → mean 0.7; deviations
// .3,.3,.3,-.7,-.2 → sum of squares 0.8; sample sd sqrt(0.2); se sqrt(0.2)/sqrt(5) = 0.2.
func TestTally(t *testing.T) {
	w := Tally([]float64{1, 1, 1, 0, 0.5})
	if w.N != 5 || w.Wins != 3 || w.Losses != 1 || w.Ties != 1 {
		t.Fatalf("counts %+v", w)
	}
	if math.Abs(w.WinRate-0.7) > 1e-12 || math.Abs(w.StandardError-0.2) > 1e-12 {
		t.Fatalf("win rate %g ± %g, want 0.7 ± 0.2", w.WinRate, w.StandardError)
	}
	if math.Abs(w.CI95[0]-(0.7-1.96*0.2)) > 1e-12 || w.CI95[1] != 1 {
		t.Fatalf("ci95 %v", w.CI95)
	}
}

func TestLengthControlledEqualLengthsIsRaw(t *testing.T) {
	out := []float64{1, 0, 1, 1, 0.5, 0, 1, 1}
	lc, coef := LengthControlled(out, make([]float64, len(out)))
	raw := Tally(out).WinRate
	if math.Abs(lc-raw) > 1e-9 || coef != 0 {
		t.Fatalf("length-controlled %g (coef %g), raw %g", lc, coef, raw)
	}
}

// When the candidate wins exactly when it is longer, and is longer half the
// time, length explains the wins: the controlled rate is pulled to ½ and the
// length coefficient is large and positive.
func TestLengthControlledRemovesLengthEffect(t *testing.T) {
	var out, diff []float64
	for i := 0; i < 40; i++ {
		if i%4 != 3 { // longer 3/4 of the time, wins then (with one upset)
			out, diff = append(out, 1), append(diff, 20)
		} else {
			out, diff = append(out, 0), append(diff, -20)
		}
	}
	out[0] = 0 // an upset keeps the fit finite
	out[3] = 1
	raw := Tally(out).WinRate
	lc, coef := LengthControlled(out, diff)
	if !(coef > 1) || !(math.Abs(lc-0.5) < math.Abs(raw-0.5)) {
		t.Fatalf("raw %g, controlled %g, coef %g: length effect not removed", raw, lc, coef)
	}
}

// fakeJudge rewards each response by its position in the call: it may
// give two equal texts different rewards, as a sampling judge would.
type fakeJudge []float64

func (f fakeJudge) Rewards(_ context.Context, prompts, responses []string) ([]float64, error) {
	return f[:len(responses)], nil
}
func (fakeJudge) Name() string { return "fake" }

// TestCompareFilesTies: the tie rule by hand — equal texts tie whatever
// their rewards, equal rewards tie, ties count ½.
func TestCompareFilesTies(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, texts ...string) string {
		var b strings.Builder
		for i, s := range texts {
			fmt.Fprintf(&b, `{"id":"p%d","prompt":"q%d","completions":[{"text":%q,"token_ids":[1,2]}]}`+"\n", i, i, s)
		}
		path := filepath.Join(dir, name)
		os.WriteFile(path, []byte(b.String()), 0o644)
		return path
	}
	cands := write("c.jsonl", "a", "same", "b", "c")
	base := write("b.jsonl", "x", "same", "y", "z")
	// Rewards in call order: candidate, baseline per prompt.
	// p0 2 > 1 win; p1 equal texts (1 vs 0) tie; p2 0.5 = 0.5 tie; p3 0 < 3 loss.
	j := fakeJudge{2, 1, 1, 0, 0.5, 0.5, 0, 3}
	w, err := CompareFiles(context.Background(), j, cands, base, false)
	if err != nil {
		t.Fatal(err)
	}
	// Outcomes 1, ½, ½, 0: mean ½; deviations ½,0,0,−½, sample variance (½)/3,
	// standard error sqrt(1/6)/2.
	if w.N != 4 || w.Wins != 1 || w.Ties != 2 || w.Losses != 1 || w.WinRate != 0.5 ||
		math.Abs(w.StandardError-math.Sqrt(1.0/6)/2) > 1e-12 || w.Judge != "fake" {
		t.Fatalf("win rate %+v; want 1 win, 2 ties, 1 loss, 0.5 ± %.4f", w, math.Sqrt(1.0/6)/2)
	}
}
