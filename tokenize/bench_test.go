package tokenize

import (
	"slices"
	"syscall"
	"testing"
	"time"

	"github.com/sugarme/tokenizer/pretokenizer"
)

// Benchmarks of scripts/tokenize/bench.sh, which runs Hugging Face's Rust
// library on the same corpus in the same run. Every family of golden_test.go
// is measured; -bench 'Encode/gemma3$' picks one.

// corpusTexts returns the corpus texts, their total token count under tk and
// their total size in bytes.
func corpusTexts(b *testing.B, tk *Tokenizer) (texts []string, tokens, size int) {
	b.Helper()
	for _, c := range loadCorpus(b) {
		texts = append(texts, c.raw)
		ids, err := tk.Encode(c.raw, false)
		if err != nil {
			b.Fatal(err)
		}
		tokens += len(ids)
		size += len(c.raw)
	}
	return texts, tokens, size
}

func allFamilies() []string { return slices.Concat(families, downloadedFamilies) }

// BenchmarkLoad reads a family's tokenizer files and builds the tokenizer
// (the chat template is parsed when first used).
func BenchmarkLoad(b *testing.B) {
	for _, family := range allFamilies() {
		b.Run(family, func(b *testing.B) {
			dir := familyDir(b, family)
			cpu0 := cpuSeconds(b)
			for b.Loop() {
				if _, err := Load(dir); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric((cpuSeconds(b)-cpu0)/float64(b.N), "cpu-s/op")
		})
	}
}

// BenchmarkEncode encodes the corpus one text at a time on one goroutine,
// without special tokens, after a warm-up pass (the BPE word cache is warm,
// as in the Rust benchmark). It reports texts/s, tokens/s and MB/s.
func BenchmarkEncode(b *testing.B) {
	for _, family := range allFamilies() {
		b.Run(family, func(b *testing.B) {
			tk := loadFamily(b, family)
			texts, tokens, size := corpusTexts(b, tk)
			b.ResetTimer()
			cpu0 := cpuSeconds(b)
			for b.Loop() {
				for _, s := range texts {
					if _, err := tk.Encode(s, false); err != nil {
						b.Fatal(err)
					}
				}
			}
			report(b, len(texts), tokens, size)
			b.ReportMetric(float64(tokens*b.N)/(cpuSeconds(b)-cpu0), "tokens/cpu-s")
		})
	}
}

// BenchmarkEncodeBatch encodes the corpus with EncodeBatch on all cores.
func BenchmarkEncodeBatch(b *testing.B) {
	for _, family := range allFamilies() {
		b.Run(family, func(b *testing.B) {
			tk := loadFamily(b, family)
			texts, tokens, size := corpusTexts(b, tk)
			b.ResetTimer()
			for b.Loop() {
				if _, err := tk.EncodeBatch(texts, false); err != nil {
					b.Fatal(err)
				}
			}
			report(b, len(texts), tokens, size)
		})
	}
}

// BenchmarkSplitPattern measures the Split pre-tokenizers' patterns alone on
// the corpus: the hand-written scanner against regexp2 running the same
// pattern (the fallback for patterns without a scanner).
func BenchmarkSplitPattern(b *testing.B) {
	var texts []string
	size := 0
	for _, c := range loadCorpus(b) {
		texts = append(texts, validText(c.raw))
		size += len(c.raw)
	}
	for _, p := range splitPatterns {
		for _, engine := range []string{"scanner", "regexp2"} {
			b.Run(p.name+"/"+engine, func(b *testing.B) {
				m, err := pretokenizer.NewPatternMatcher(p.pattern, true, engine == "regexp2")
				if err != nil {
					b.Fatal(err)
				}
				for b.Loop() {
					for _, s := range texts {
						if err := m.Matches(s, func(int, int) {}); err != nil {
							b.Fatal(err)
						}
					}
				}
				b.ReportMetric(float64(size*b.N)/b.Elapsed().Seconds()/1e6, "MB/s")
			})
		}
	}
}

// cpuSeconds is the CPU time this process has used (all threads, the
// garbage collector's included): on a busy machine, work per CPU second is a
// steadier measure than work per wall second.
func cpuSeconds(b *testing.B) float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
}

func report(b *testing.B, texts, tokens, size int) {
	sec := b.Elapsed().Seconds()
	if sec == 0 {
		return
	}
	b.ReportMetric(float64(texts*b.N)/sec, "texts/s")
	b.ReportMetric(float64(tokens*b.N)/sec, "tokens/s")
	b.ReportMetric(float64(size*b.N)/sec/1e6, "MB/s")
	b.ReportMetric(0, "ns/op")
}
