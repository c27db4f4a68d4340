package bestofn

import (
	"context"
	"testing"

	"github.com/dpokit/dpokit/results"
)

type fixed map[string]float64

func (f fixed) Rewards(_ context.Context, prompts, responses []string) ([]float64, error) {
	out := make([]float64, len(responses))
	for i, r := range responses {
		out[i] = f[prompts[i]+"|"+r]
	}
	return out, nil
}

func rec(id string, texts ...string) results.Record {
	r := results.Record{ID: id, Prompt: id}
	for i, t := range texts {
		r.Completions = append(r.Completions, results.Candidate{Completion: results.Completion{Text: t, TokenIDs: make([]int, i+1), Logp: -float64(2 * (i + 1))}})
	}
	return r
}

func TestRankPicksArgmaxFirstOnTies(t *testing.T) {
	recs := []results.Record{rec("p", "a", "b", "c"), rec("q", "x", "y")}
	f := fixed{"p|a": 1, "p|b": 3, "p|c": 3, "q|x": -1, "q|y": -2}
	if err := Rank(context.Background(), f, "", recs); err != nil {
		t.Fatal(err)
	}
	if *recs[0].Best != 1 || *recs[1].Best != 0 {
		t.Fatalf("best %d and %d, want 1 (first of the tie) and 0", *recs[0].Best, *recs[1].Best)
	}
	if *recs[0].Completions[2].Score != 3 || *recs[1].Completions[1].Score != -2 {
		t.Fatal("scores not recorded per candidate")
	}
}

// Without a ranker, the sampling model's own log-prob ranks: logp -2, -4, -6
// (best: the first); per token (-2/1, -4/2, -6/3) all tie at -2: the first.
func TestRankSelfLogprob(t *testing.T) {
	for _, norm := range []string{"", "avg"} {
		recs := []results.Record{rec("p", "a", "b", "c")}
		if err := Rank(context.Background(), nil, norm, recs); err != nil {
			t.Fatal(err)
		}
		want := map[string]float64{"": -6, "avg": -2}[norm]
		if *recs[0].Best != 0 || *recs[0].Completions[2].Score != want {
			t.Fatalf("norm %q: best %d, last score %g (want 0, %g)", norm, *recs[0].Best, *recs[0].Completions[2].Score, want)
		}
	}
}
