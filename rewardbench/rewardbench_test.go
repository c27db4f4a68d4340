package rewardbench

import (
	"encoding/json"
	"math"
	"os"
	"strings"
	"testing"
)

func TestBestOfN(t *testing.T) {
	cases := []struct {
		correct   float64
		incorrect []float64
		want      float64
	}{
		{2, []float64{1, 0, -1}, 1},
		{2, []float64{2, 0, -1}, 0.5},
		{2, []float64{2, 2, 2}, 0.25},
		{2, []float64{2, 3, -1}, 0},
		{-1, []float64{-1, -1, -2}, 1.0 / 3},
	}
	for _, c := range cases {
		if got := BestOfN(c.correct, c.incorrect); got != c.want {
			t.Errorf("BestOfN(%v, %v) = %v, want %v", c.correct, c.incorrect, got, c.want)
		}
	}
}

// TestAgainstReference holds Evaluate to numpy's computation of the published
// formulas (testdata/rewardbench/ties_reference.py).
func TestAgainstReference(t *testing.T) {
	raw, err := os.ReadFile("../testdata/rewardbench/reference.json")
	if err != nil {
		t.Fatal(err)
	}
	var ref struct {
		Rows []struct {
			ID, Subset         string
			Correct, Incorrect []float64
		}
		Scores map[string]float64
		Mean   float64
	}
	if err := json.Unmarshal(raw, &ref); err != nil {
		t.Fatal(err)
	}
	rows := make([]Row, len(ref.Rows))
	for i, r := range ref.Rows {
		rows[i] = Row{ID: r.ID, Subset: r.Subset, Line: i + 1, Correct: r.Correct, Incorrect: r.Incorrect}
	}
	rep, err := Evaluate(rows)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Subsets) != 6 || !rep.Complete {
		t.Fatalf("subsets %+v", rep.Subsets)
	}
	for _, s := range rep.Subsets {
		if want := ref.Scores[s.Name]; math.Abs(s.Score-want) > 1e-12 {
			t.Errorf("%s: %.15f, numpy %.15f", s.Name, s.Score, want)
		}
	}
	if math.Abs(rep.Mean-ref.Mean) > 1e-12 {
		t.Errorf("mean %.15f, numpy %.15f", rep.Mean, ref.Mean)
	}
}

func TestErrors(t *testing.T) {
	cases := []struct {
		rows []Row
		want string
	}{
		{[]Row{{ID: "1", Subset: "Math", Correct: []float64{1, 2}, Incorrect: []float64{0}}}, "only Ties has several"},
		{[]Row{{ID: "7", Subset: "Ties", Correct: []float64{1, 2}, Incorrect: []float64{0}}}, "ref:<prompt> or tied:<prompt>"},
		{[]Row{{ID: "tied:1", Subset: "Ties", Correct: []float64{1}, Incorrect: []float64{0}}, {ID: "ref:1", Subset: "Ties", Correct: []float64{1}, Incorrect: []float64{0}}}, "several correct"},
		{[]Row{{ID: "2", Subset: "Math", Correct: []float64{1}}}, "needs correct and incorrect"},
	}
	for _, c := range cases {
		if _, err := Evaluate(c.rows); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: err %v, want %q", c.rows, err, c.want)
		}
	}
}
