// golden.mjs writes the Hugging Face reference outputs that the Go tokenize
// tests compare against exactly:
//
//   testdata/tokenize/golden-<family>.json.gz  token ids of every corpus text,
//       without and with special tokens, and the decoded text (Tokenizers.js,
//       @huggingface/tokenizers, which loads tokenizer.json offline)
// (chat-template goldens: scripts/tokenize/chat-golden.mjs)
//
// Run from the repository root after `npm ci --prefix scripts/tokenize`:
//
//   node scripts/tokenize/golden.mjs
//
// Texts stored as "b64" in the corpus are not valid UTF-8. JavaScript strings
// cannot hold such bytes: they are decoded with a TextDecoder (each maximal
// invalid subsequence becomes U+FFFD), and the Go side must do the same.
import fs from "node:fs";
import zlib from "node:zlib";
import path from "node:path";
import { Tokenizer } from "@huggingface/tokenizers";

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), "../..");
const data = path.join(root, "testdata/tokenize");
const families = ["gpt2", "llama-sp"];

export function readCorpus() {
  const corpus = JSON.parse(zlib.gunzipSync(fs.readFileSync(path.join(data, "corpus.json.gz"))).toString("utf8"));
  const decoder = new TextDecoder("utf-8", { fatal: false, ignoreBOM: true });
  return corpus.entries.map((e) => (e.b64 !== undefined ? decoder.decode(Buffer.from(e.b64, "base64")) : e.text));
}

export function loadTokenizer(family) {
  const dir = path.join(data, family);
  const json = JSON.parse(fs.readFileSync(path.join(dir, "tokenizer.json"), "utf8"));
  const config = JSON.parse(fs.readFileSync(path.join(dir, "tokenizer_config.json"), "utf8"));
  return new Tokenizer(json, config);
}

function sameArray(a, b) {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

function writeGzipJSON(file, value) {
  const text = JSON.stringify(value);
  fs.writeFileSync(file, zlib.gzipSync(Buffer.from(text, "utf8"), { level: 9 }));
  console.error(`wrote ${path.relative(root, file)} (${text.length} bytes of JSON)`);
}

function goldenTokens(family, texts) {
  const tok = loadTokenizer(family);
  const records = texts.map((text) => {
    const ids = tok.encode(text, { add_special_tokens: false }).ids;
    const withSpecial = tok.encode(text, { add_special_tokens: true }).ids;
    const rec = { ids };
    // With special tokens the ids are normally prefix + ids + suffix: store
    // only the prefix and suffix then, the whole list otherwise.
    let pre = -1;
    for (let p = 0; p <= withSpecial.length - ids.length; p++) {
      if (sameArray(withSpecial.slice(p, p + ids.length), ids)) {
        pre = p;
        break;
      }
    }
    if (pre >= 0) {
      rec.pre = withSpecial.slice(0, pre);
      rec.suf = withSpecial.slice(pre + ids.length);
    } else {
      rec.special = withSpecial;
    }
    if (withSpecial.length > 0) {
      const opts = { clean_up_tokenization_spaces: false };
      rec.dec = tok.decode(withSpecial, { ...opts, skip_special_tokens: false });
      rec.dec_skip = tok.decode(withSpecial, { ...opts, skip_special_tokens: true });
    }
    return rec;
  });
  writeGzipJSON(path.join(data, `golden-${family}.json.gz`), { family, records });
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const texts = readCorpus();
  for (const family of families) {
    goldenTokens(family, texts);
  }
}
