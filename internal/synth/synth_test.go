package synth

import (
	"math"
	"math/rand/v2"
	"os"
	"strings"
	"testing"

	"github.com/dpokit/dpokit/models"
	"github.com/dpokit/dpokit/tokenize"
)

func TestRewardByHand(t *testing.T) {
	for text, want := range map[string]float64{
		" the movie was good":            0.25,
		" awful boring film":             -2.0 / 3,
		" good bad":                      0,
		"":                               0,
		" great great great":             1,
		" it was rather dull and lovely": 0,
	} {
		if got := Reward(text); math.Abs(got-want) > 1e-12 {
			t.Errorf("Reward(%q) = %g, want %g", text, got, want)
		}
	}
}

// Every task word is one token; the tokenizer round-trips.
func TestTokenizer(t *testing.T) {
	dir := t.TempDir()
	V, eos, err := WriteTokenizer(dir)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := tokenize.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if tok.VocabSize() != V || tok.EOS()[0] != eos {
		t.Fatalf("vocab %d eos %v; want %d %d", tok.VocabSize(), tok.EOS(), V, eos)
	}
	for _, w := range Words() {
		ids, err := tok.Encode(" "+w, true)
		if err != nil || len(ids) != 1 {
			t.Fatalf("%q -> %v %v: want one token", " "+w, ids, err)
		}
	}
	r := rand.New(rand.NewPCG(1, 2))
	for range 50 {
		text := Review(r, 12)
		ids, _ := tok.Encode(text, true)
		back, _ := tok.Decode(ids, false)
		if len(ids) != 12 || back != text {
			t.Fatalf("%q: %d tokens, decodes to %q", text, len(ids), back)
		}
		if got := RewardOfTokens(tok.Tokens(ids)); math.Abs(got-Reward(text)) > 1e-12 {
			t.Fatalf("%q: reward on tokens %g, on words %g", text, got, Reward(text))
		}
	}
}

// The ONNX reward model gives RewardOfTokens, batched with right padding,
// also on sequences with junk tokens and EOS.
func TestRewardModelMatchesGo(t *testing.T) {
	lib := os.Getenv("DPOKIT_ORT_LIB")
	rt, err := models.NewRuntime(models.RuntimeOptions{Library: lib})
	if err != nil {
		t.Fatalf("needs ONNX Runtime (make ort, DPOKIT_ORT_LIB): %v", err)
	}
	defer rt.Close()
	dir := t.TempDir()
	if err := WriteRewardModel(dir); err != nil {
		t.Fatal(err)
	}
	d, err := models.OpenDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	m, err := rt.Load(d)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	tok, _ := tokenize.Load(dir)
	r := rand.New(rand.NewPCG(3, 4))
	var seqs [][]int
	var want []float64
	for i := range 40 {
		text := Review(r, 1+i%15)
		if i%5 == 0 {
			text += "goodd xq" + strings.Repeat(" the", i%3) // junk after a word
		}
		ids, _ := tok.Encode(text, false)
		if i%4 == 0 {
			ids = append(ids, tok.EOS()[0])
		}
		seqs = append(seqs, ids)
		want = append(want, RewardOfTokens(tok.Tokens(ids)))
	}
	got, err := m.Scores(seqs)
	if err != nil {
		t.Fatal(err)
	}
	for i := range want {
		if math.Abs(got[i]-want[i]) > 1e-6 {
			t.Errorf("sequence %d: ONNX %g, Go %g", i, got[i], want[i])
		}
	}
}

// Bradley–Terry labels: the better completion wins with probability
// σ(Δr/τ), checked by frequency (4 standard errors).
func TestPreferFrequencies(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for _, d := range []float64{0, 0.05, 0.2, -0.1} {
		n, wins := 20000, 0
		for range n {
			if Prefer(r, d, 0, 0.1) {
				wins++
			}
		}
		p := 1 / (1 + math.Exp(-d/0.1))
		se := math.Sqrt(p * (1 - p) / float64(n))
		if got := float64(wins) / float64(n); math.Abs(got-p) > 4*se {
			t.Errorf("Δr %g: a wins %.4f of the time, want %.4f ± %.4f", d, got, p, 4*se)
		}
	}
}
