// bench.mjs measures Hugging Face's JavaScript tokenizer (@huggingface/tokenizers)
// on the tokenize test corpus: texts/s and tokens/s of encode without special
// tokens, single-threaded, for each tokenizer family. It prints one JSON line
// per family, read by bench.sh.
//
//   node scripts/tokenize/bench.mjs [seconds per family, default 3]
import { readCorpus, loadTokenizer } from "./golden.mjs";

const seconds = Number(process.argv[2] ?? 3);
const texts = readCorpus();

for (const family of ["gpt2", "llama-sp"]) {
  const tok = loadTokenizer(family);
  let tokens = 0;
  // Warm up: one pass fills the JIT. Tokenizers.js keeps a BPE cache, which
  // the Go tokenizer has too; both are measured warm.
  for (const t of texts) tokens += tok.encode(t, { add_special_tokens: false }).ids.length;
  const perPass = tokens;
  let passes = 0;
  const start = process.hrtime.bigint();
  let elapsed = 0;
  while (elapsed < seconds) {
    for (const t of texts) tok.encode(t, { add_special_tokens: false });
    passes++;
    elapsed = Number(process.hrtime.bigint() - start) / 1e9;
  }
  console.log(
    JSON.stringify({
      impl: "js",
      family,
      texts_per_s: (passes * texts.length) / elapsed,
      tokens_per_s: (passes * perPass) / elapsed,
      passes,
      seconds: elapsed,
    }),
  );
}
