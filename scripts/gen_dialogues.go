//go:build ignore

// gen_dialogues writes a deterministic preference dataset of multi-turn
// dialogues with long prompts and short responses, for `make bench`.
//
//	go run scripts/gen_dialogues.go -n 96 -turns 6 -out .cache/bench/dialogues.jsonl
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"math/rand/v2"
	"os"
	"strings"
)

var words = strings.Fields(`the a model answer question data time people way year day thing man world life hand part
child eye woman place work week case point government company number group problem fact be have do say get make go
know take see come think look want give use find tell ask seem feel try leave call good new first last long great
little own other old right big high different small large next early young important few public bad same able
about after again against because before between during into over through under while with without river mountain
garden kitchen window library music picture letter story paper science history language weather travel market`)

func sentence(r *rand.Rand, n int) string {
	w := make([]string, n)
	for i := range w {
		w[i] = words[r.IntN(len(words))]
	}
	w[0] = strings.ToUpper(w[0][:1]) + w[0][1:]
	return strings.Join(w, " ") + "."
}

func paragraph(r *rand.Rand, sentences int) string {
	s := make([]string, sentences)
	for i := range s {
		s[i] = sentence(r, 6+r.IntN(10))
	}
	return strings.Join(s, " ")
}

func main() {
	n := flag.Int("n", 96, "pairs")
	turns := flag.Int("turns", 6, "human/assistant turns before the scored answer")
	out := flag.String("out", "dialogues.jsonl", "output file")
	seed := flag.Uint64("seed", 7, "random seed")
	flag.Parse()
	r := rand.New(rand.NewPCG(*seed, 1))
	f, err := os.Create(*out)
	if err != nil {
		log.Fatal(err)
	}
	enc := json.NewEncoder(f)
	for i := 0; i < *n; i++ {
		var b strings.Builder
		t := *turns/2 + r.IntN(*turns/2+1)
		for k := 0; k < t; k++ {
			b.WriteString("\n\nHuman: " + paragraph(r, 1+r.IntN(3)))
			b.WriteString("\n\nAssistant: " + paragraph(r, 2+r.IntN(3)))
		}
		b.WriteString("\n\nHuman: " + paragraph(r, 1+r.IntN(2)) + "\n\nAssistant:")
		rec := map[string]string{
			"id":       fmt.Sprintf("dlg-%04d", i),
			"prompt":   b.String(),
			"chosen":   " " + paragraph(r, 1+r.IntN(2)),
			"rejected": " " + paragraph(r, 1+r.IntN(2)),
		}
		if err := enc.Encode(rec); err != nil {
			log.Fatal(err)
		}
	}
	if err := f.Close(); err != nil {
		log.Fatal(err)
	}
}
