package sample

import (
	"context"
	"fmt"
	"os"
	"testing"
)

// BenchmarkGreedy reports greedy tokens per second on llama-ref (vocab
// 32064): 8 prompts of 12 to 40 tokens, 64 new tokens each (no EOS), decoded
// one row at a time and 8 rows at a time. %onnxruntime is the share of the
// time spent inside ONNX Runtime; with this tiny model most of the rest is
// the per-row argmax and log-softmax over the vocabulary.
func BenchmarkGreedy(b *testing.B) {
	m := openModel(b, "llama-ref")
	var prompts [][]int
	for i := range 8 {
		p := []int{1}
		for j := range 11 + 4*i {
			p = append(p, (i*1009+j*7919)%32000)
		}
		prompts = append(prompts, p)
	}
	const newTokens = 64
	for _, batch := range []int{1, 8} {
		b.Run(fmt.Sprintf("batch=%d", batch), func(b *testing.B) {
			opts := Options{MaxNewTokens: newTokens, Batch: batch}
			tokens := 0
			ort0, _ := m.ORTTime()
			for b.Loop() {
				out, err := Generate(context.Background(), m, nil, prompts, opts)
				if err != nil {
					b.Fatal(err)
				}
				for _, cs := range out {
					tokens += len(cs[0].TokenIDs)
				}
			}
			ort, _ := m.ORTTime()
			b.ReportMetric(float64(tokens)/b.Elapsed().Seconds(), "tokens/s")
			b.ReportMetric(100*(ort-ort0).Seconds()/b.Elapsed().Seconds(), "%onnxruntime")
		})
	}
}

// BenchmarkBestOf16 compares drawing 16 completions of one prompt as one
// batch sharing the prompt's prefill (best-of-16) with 16 single samples
// drawn one after another, 32 tokens each. DPOKIT_BENCH_MODEL names another
// model directory (make bench uses its benchmark model).
func BenchmarkBestOf16(b *testing.B) {
	name := "llama-ref"
	if d := os.Getenv("DPOKIT_BENCH_MODEL"); d != "" {
		name = d
	}
	m := openModel(b, name)
	prompt := []int{1}
	for j := range 200 {
		prompt = append(prompt, (j*7919)%32000)
	}
	opts := Options{MaxNewTokens: 32, MinNewTokens: 32, Temperature: 1}
	b.Run("best-of-16", func(b *testing.B) {
		o := opts
		o.N, o.Batch = 16, 16
		for b.Loop() {
			if _, err := Generate(context.Background(), m, nil, [][]int{prompt}, o); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(b.Elapsed().Seconds()/float64(b.N), "s/prompt")
	})
	b.Run("16-sequential", func(b *testing.B) {
		o := opts
		o.N, o.Batch = 1, 1
		for b.Loop() {
			for s := range 16 {
				o.Seed = uint64(s)
				if _, err := Generate(context.Background(), m, nil, [][]int{prompt}, o); err != nil {
					b.Fatal(err)
				}
			}
		}
		b.ReportMetric(b.Elapsed().Seconds()/float64(b.N), "s/prompt")
	})
}

// BenchPromptIDs is the prompt of BenchmarkGreedyBatch1; scripts/bench.sh
// gives transformers.js the same ids.
var benchPromptIDs = []int{1, 450, 4996, 17354, 1701, 29916, 432, 17204, 975, 278, 17366}

// BenchmarkGreedyBatch1 generates 256 tokens greedily at batch 1 (EOS
// masked, so every run makes all 256) on DPOKIT_BENCH_MODEL or llama-ref.
func BenchmarkGreedyBatch1(b *testing.B) {
	name := "llama-ref"
	if d := os.Getenv("DPOKIT_BENCH_MODEL"); d != "" {
		name = d
	}
	m := openModel(b, name)
	opts := Options{MaxNewTokens: 256, MinNewTokens: 256, Batch: 1, EOS: m.Dir.EOS()}
	tokens := 0
	ort0, _ := m.ORTTime()
	for b.Loop() {
		out, err := Generate(context.Background(), m, nil, [][]int{benchPromptIDs}, opts)
		if err != nil {
			b.Fatal(err)
		}
		tokens += len(out[0][0].TokenIDs)
	}
	ort, _ := m.ORTTime()
	b.ReportMetric(float64(tokens)/b.Elapsed().Seconds(), "tokens/s")
	b.ReportMetric(100*(ort-ort0).Seconds()/b.Elapsed().Seconds(), "%onnxruntime")
}
