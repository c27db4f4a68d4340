package sample

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"testing"
)

// refDistribution is a literal, full-vocabulary transcription of Hugging
// Face's processors and warpers (independent of filter.go): it returns the
// probability of every token after the options' filters.
func refDistribution(logits []float32, history []int, o Options) []float64 {
	V := len(logits)
	s := make([]float64, V)
	for i, x := range logits {
		s[i] = float64(x)
	}
	if p := o.RepetitionPenalty; p != 0 && p != 1 {
		seen := map[int]bool{}
		for _, id := range history {
			if !seen[id] {
				seen[id] = true
				if s[id] < 0 {
					s[id] *= p
				} else {
					s[id] /= p
				}
			}
		}
	}
	if o.Temperature != 1 {
		for i := range s {
			s[i] /= o.Temperature
		}
	}
	if o.TopK > 0 && o.TopK < V {
		sorted := slices.Clone(s)
		sort.Sort(sort.Reverse(sort.Float64Slice(sorted)))
		kth := sorted[o.TopK-1]
		for i := range s {
			if s[i] < kth {
				s[i] = math.Inf(-1)
			}
		}
	}
	if o.TopP > 0 && o.TopP < 1 {
		probs := softmax(s)
		idx := make([]int, V)
		for i := range idx {
			idx[i] = i
		}
		sort.SliceStable(idx, func(a, b int) bool {
			if probs[idx[a]] != probs[idx[b]] {
				return probs[idx[a]] < probs[idx[b]]
			}
			return idx[a] > idx[b]
		})
		cum := 0.0
		for k, i := range idx {
			cum += probs[i]
			if cum <= 1-o.TopP && k < V-1 {
				s[i] = math.Inf(-1)
			}
		}
	}
	if o.MinP > 0 {
		probs := softmax(s)
		top := slices.Max(probs)
		for i := range s {
			if probs[i] < o.MinP*top {
				s[i] = math.Inf(-1)
			}
		}
	}
	return softmax(s)
}

func softmax(s []float64) []float64 {
	hi := slices.Max(s)
	out := make([]float64, len(s))
	total := 0.0
	for i, x := range s {
		out[i] = math.Exp(x - hi)
		total += out[i]
	}
	for i := range out {
		out[i] /= total
	}
	return out
}

// chiSquare compares counts with expected probabilities, pooling categories
// expected fewer than 5 times. It fails the test when a token of
// probability 0 was drawn or when the statistic exceeds the chi-square
// quantile of p = 1e-6 (Wilson–Hilferty), so a correct sampler fails with
// probability 1e-6 and the fixed seeds make the outcome reproducible.
func chiSquare(t *testing.T, counts map[int]int, probs []float64, draws int) {
	t.Helper()
	for id, c := range counts {
		if id < 0 || id >= len(probs) || probs[id] == 0 {
			t.Fatalf("token %d drawn %d times but has probability 0", id, c)
		}
	}
	stat, df := 0.0, -1
	poolE, poolO := 0.0, 0
	for id, p := range probs {
		if p == 0 {
			continue
		}
		e := p * float64(draws)
		if e < 5 {
			poolE += e
			poolO += counts[id]
			continue
		}
		d := float64(counts[id]) - e
		stat += d * d / e
		df++
	}
	if poolE > 0 {
		d := float64(poolO) - poolE
		stat += d * d / max(poolE, 5)
		df++
	}
	if df < 1 {
		t.Fatalf("only one category: nothing to test")
	}
	const z = 4.753 // standard normal quantile of 1 - 1e-6
	k := float64(df)
	crit := k * math.Pow(1-2/(9*k)+z*math.Sqrt(2/(9*k)), 3)
	if stat > crit {
		t.Errorf("chi-square %.1f > %.1f (df %d): sampled frequencies do not match the filtered distribution", stat, crit, df)
	}
}

var syntheticLogits = []float32{2.0, 1.5, 1.4, 0.3, -0.2, 0.9, -1.7, 3.1, 0.0, -0.6, 1.1, -3.0}

var filterCases = []struct {
	name string
	o    Options
	hist []int
}{
	{"temperature", Options{Temperature: 0.6}, nil},
	{"hot", Options{Temperature: 2.5}, nil},
	{"top-k", Options{Temperature: 1, TopK: 4}, nil},
	{"top-p", Options{Temperature: 1, TopP: 0.8}, nil},
	{"min-p", Options{Temperature: 1, MinP: 0.12}, nil},
	{"penalty", Options{Temperature: 1, RepetitionPenalty: 1.8}, []int{7, 7, 6, 0, 3}},
	{"all", Options{Temperature: 0.8, TopK: 7, TopP: 0.9, MinP: 0.05, RepetitionPenalty: 1.3}, []int{7, 2, 9}},
}

// TestDistributionMatchesReference: Sampler.Distribution equals the literal
// transcription on the synthetic logits and on random ones (vocab 5000).
func TestDistributionMatchesReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	big := make([]float32, 5000)
	for i := range big {
		big[i] = float32(rng.NormFloat64() * 2.5)
	}
	for _, c := range filterCases {
		for _, logits := range [][]float32{syntheticLogits, big} {
			s := NewSampler(c.o)
			ids, probs := s.Distribution(logits, c.hist, nil)
			want := refDistribution(logits, c.hist, c.o)
			got := make([]float64, len(logits))
			for k, id := range ids {
				got[id] = probs[k]
			}
			for id := range want {
				// Weights come from a float32 exponential of float32 score gaps: a few
				// 1e-6 relative error, far below what sampling can resolve.
				if (got[id] == 0) != (want[id] == 0) || math.Abs(got[id]-want[id]) > 1e-5*want[id]+1e-15 {
					t.Fatalf("%s (vocab %d) token %d: p = %g, reference %g", c.name, len(logits), id, got[id], want[id])
				}
			}
		}
	}
}

// TestSamplingFrequencies draws 200,000 tokens per filter setting from the
// synthetic logits and holds the frequencies to the reference filtered
// distribution with a chi-square test.
func TestSamplingFrequencies(t *testing.T) {
	const draws = 200000
	for i, c := range filterCases {
		t.Run(c.name, func(t *testing.T) {
			s := NewSampler(c.o)
			rng := rand.New(rand.NewPCG(uint64(i), 99))
			counts := map[int]int{}
			for range draws {
				counts[s.Next(syntheticLogits, c.hist, nil, rng)]++
			}
			chiSquare(t, counts, refDistribution(syntheticLogits, c.hist, c.o), draws)
		})
	}
}

// TestFirstStepFrequencies: on llama-ref's first step, through Generate (one
// seeded source per sample, shared prefill), the first tokens of 3,000
// samples follow the filtered next-token distribution.
func TestFirstStepFrequencies(t *testing.T) {
	m := openModel(t, "llama-ref")
	prompt := []int{1, 450, 4996, 17354, 1701}
	d, err := m.StartDecoding([][]int{prompt})
	if err != nil {
		t.Fatal(err)
	}
	logits := slices.Clone(d.Logits(0))
	d.Close()
	for _, o := range []Options{
		{Temperature: 0.7, TopK: 40},
		{Temperature: 1.2, TopP: 0.6},
		{Temperature: 1, MinP: 0.05},
	} {
		t.Run(fmt.Sprintf("T%g-k%d-p%g-minp%g", o.Temperature, o.TopK, o.TopP, o.MinP), func(t *testing.T) {
			const n = 3000
			o.MaxNewTokens, o.N, o.Batch, o.Seed = 1, n, 500, 21
			out, err := Generate(context.Background(), m, nil, [][]int{prompt}, o)
			if err != nil {
				t.Fatal(err)
			}
			counts := map[int]int{}
			for _, c := range out[0] {
				counts[c.TokenIDs[0]]++
			}
			want := refDistribution(logits, prompt, o)
			support := 0
			for _, p := range want {
				if p > 0 {
					support++
				}
			}
			if support < 3 || len(counts) < 3 {
				t.Fatalf("support %d, %d distinct tokens drawn: too few to test", support, len(counts))
			}
			chiSquare(t, counts, want, n)
		})
	}
}

func TestNthLargest(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	for trial := range 200 {
		n := 1 + rng.IntN(60)
		a := make([]float64, n)
		for i := range a {
			a[i] = float64(rng.IntN(10)) // many ties
		}
		k := 1 + rng.IntN(n)
		sorted := slices.Clone(a)
		sort.Sort(sort.Reverse(sort.Float64Slice(sorted)))
		if got := nthLargest(a, k); got != sorted[k-1] {
			t.Fatalf("trial %d: nthLargest(k=%d) = %g, want %g", trial, k, got, sorted[k-1])
		}
	}
}

func TestValidate(t *testing.T) {
	for _, c := range []struct {
		name string
		o    Options
		ok   bool
	}{
		{"greedy", Options{MaxNewTokens: 1}, true},
		{"all filters", Options{MaxNewTokens: 5, MinNewTokens: 5, Temperature: 0.7, TopK: 3, TopP: 1, MinP: 0.1, RepetitionPenalty: 1.1}, true},
		{"no max", Options{}, false},
		{"min over max", Options{MaxNewTokens: 2, MinNewTokens: 3}, false},
		{"negative temperature", Options{MaxNewTokens: 1, Temperature: -1}, false},
		{"NaN temperature", Options{MaxNewTokens: 1, Temperature: math.NaN()}, false},
		{"top-p over 1", Options{MaxNewTokens: 1, TopP: 1.5}, false},
		{"min-p negative", Options{MaxNewTokens: 1, MinP: -0.1}, false},
		{"empty stop string", Options{MaxNewTokens: 1, StopStrings: []string{""}}, false},
		{"negative top-k", Options{MaxNewTokens: 1, TopK: -1}, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			if err := c.o.Validate(); (err == nil) != c.ok {
				t.Fatalf("Validate() = %v, want ok=%v", err, c.ok)
			}
		})
	}
}

// The filtered distribution of four logits: top-k 3 drops the last token,
// top-p 0.7 then drops the least likely survivor.
func ExampleSampler_Distribution() {
	s := NewSampler(Options{Temperature: 1, TopK: 3, TopP: 0.7})
	ids, probs := s.Distribution([]float32{2, 1, 0.5, -1}, nil, nil)
	for i, id := range ids {
		fmt.Printf("token %d: %.4f\n", id, probs[i])
	}
	// Output:
	// token 0: 0.7311
	// token 1: 0.2689
}
