package tokenize

import (
	"testing"
)

// corpusTexts returns the corpus texts and their total token count under tk.
func corpusTexts(b *testing.B, tk *Tokenizer) ([]string, int) {
	b.Helper()
	corpus := loadCorpus(b)
	texts := make([]string, len(corpus))
	tokens := 0
	for i, c := range corpus {
		texts[i] = c.raw
		ids, err := tk.Encode(c.raw, false)
		if err != nil {
			b.Fatal(err)
		}
		tokens += len(ids)
	}
	return texts, tokens
}

// BenchmarkEncode encodes the corpus one text at a time on one goroutine,
// after a warm-up pass (the BPE word cache is warm, as in the JavaScript
// benchmark). It reports texts/s and tokens/s.
func BenchmarkEncode(b *testing.B) {
	for _, family := range families {
		b.Run(family, func(b *testing.B) {
			tk := loadFamily(b, family)
			texts, tokens := corpusTexts(b, tk)
			b.ResetTimer()
			for b.Loop() {
				for _, s := range texts {
					if _, err := tk.Encode(s, false); err != nil {
						b.Fatal(err)
					}
				}
			}
			report(b, len(texts), tokens)
		})
	}
}

// BenchmarkEncodeBatch encodes the corpus with EncodeBatch on all cores.
func BenchmarkEncodeBatch(b *testing.B) {
	for _, family := range families {
		b.Run(family, func(b *testing.B) {
			tk := loadFamily(b, family)
			texts, tokens := corpusTexts(b, tk)
			b.ResetTimer()
			for b.Loop() {
				if _, err := tk.EncodeBatch(texts, false); err != nil {
					b.Fatal(err)
				}
			}
			report(b, len(texts), tokens)
		})
	}
}

func report(b *testing.B, texts, tokens int) {
	sec := b.Elapsed().Seconds()
	if sec == 0 {
		return
	}
	b.ReportMetric(float64(texts*b.N)/sec, "texts/s")
	b.ReportMetric(float64(tokens*b.N)/sec, "tokens/s")
	b.ReportMetric(0, "ns/op")
}
