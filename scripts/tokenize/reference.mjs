// reference.mjs runs Hugging Face's Rust tokenizers library (npm `tokenizers`,
// its N-API binding, pinned by scripts/fetch/tokenizers.sh) as the reference
// for the Go tokenize package.
//
//   node scripts/tokenize/reference.mjs golden DIR OUT.json.gz
//       token ids of every text of testdata/tokenize/corpus.json.gz without and
//       with special tokens, and the decoded text, for the tokenizer in DIR
//   node scripts/tokenize/reference.mjs bench DIR SECONDS
//       load time and single-threaded encode throughput on the same corpus,
//       printed as one JSON line
//
// The library is looked up in .cache/tokenizers/node_modules (or
// $DPOKIT_TOKENIZERS_NODE_MODULES); run scripts/fetch/tokenizers.sh first.
//
// "With special tokens" is what transformers' encode(text) gives: the
// post-processor of tokenizer.json, except that when tokenizer_config.json
// has add_bos_token or add_eos_token, transformers (LlamaTokenizerFast,
// GemmaTokenizerFast) replaces it by a template that adds bos_token and/or
// eos_token; the same template is set here on the Rust tokenizer. Decoding
// with skip_special_tokens leaves out the special tokens that
// tokenizer_config.json and special_tokens_map.json name, which transformers
// registers with the Rust tokenizer as special: they are registered the same
// way here, on a second instance used only for that decoding.
//
// Texts stored as "b64" in the corpus are not valid UTF-8; JavaScript strings
// cannot hold such bytes, so they are decoded with a TextDecoder (each maximal
// invalid subsequence becomes U+FFFD), as the Go side does.
import fs from "node:fs";
import zlib from "node:zlib";
import path from "node:path";
import crypto from "node:crypto";
import { createRequire } from "node:module";

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), "../..");
const nodeModules = process.env.DPOKIT_TOKENIZERS_NODE_MODULES ?? path.join(root, ".cache/tokenizers/node_modules");
const corpusFile = path.join(root, "testdata/tokenize/corpus.json.gz");

function loadLibrary() {
  const require = createRequire(path.join(nodeModules, "index.js"));
  try {
    return require("tokenizers");
  } catch (err) {
    console.error(`reference.mjs: cannot load npm tokenizers from ${nodeModules}: run scripts/fetch/tokenizers.sh (${err.message})`);
    process.exit(2);
  }
}

export function readCorpus() {
  const raw = fs.readFileSync(corpusFile);
  const corpus = JSON.parse(zlib.gunzipSync(raw).toString("utf8"));
  const decoder = new TextDecoder("utf-8", { fatal: false, ignoreBOM: true });
  const texts = corpus.entries.map((e) => (e.b64 !== undefined ? decoder.decode(Buffer.from(e.b64, "base64")) : e.text));
  return { texts, sha256: crypto.createHash("sha256").update(raw).digest("hex") };
}

function readJSON(file) {
  return fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, "utf8")) : {};
}

function tokenContent(v) {
  if (v === null || v === undefined) return "";
  return typeof v === "string" ? v : (v.content ?? "");
}

// configs reads what transformers takes from tokenizer_config.json and special_tokens_map.json.
function configs(dir) {
  const tc = readJSON(path.join(dir, "tokenizer_config.json"));
  const sm = readJSON(path.join(dir, "special_tokens_map.json"));
  const special = new Set();
  for (const c of [tc, sm]) {
    for (const k of ["bos_token", "eos_token", "unk_token", "pad_token"]) {
      const s = tokenContent(c[k]);
      if (s) special.add(s);
    }
    for (const v of c.additional_special_tokens ?? []) {
      const s = tokenContent(v);
      if (s) special.add(s);
    }
  }
  return {
    bos: tokenContent(tc.bos_token) || tokenContent(sm.bos_token),
    eos: tokenContent(tc.eos_token) || tokenContent(sm.eos_token),
    addBOS: tc.add_bos_token,
    addEOS: tc.add_eos_token,
    special: [...special],
  };
}

// loadReference returns the Rust tokenizer of dir set up as transformers sets it up.
function loadReference(lib, dir) {
  const file = path.join(dir, "tokenizer.json");
  const tok = lib.Tokenizer.fromFile(file);
  const cfg = configs(dir);
  if (cfg.addBOS !== undefined || cfg.addEOS !== undefined) {
    const parts = [];
    const specials = [];
    const add = (on, token) => {
      if (!on) return;
      const id = tok.tokenToId(token);
      if (id === null || id === undefined) throw new Error(`${dir}: special token ${JSON.stringify(token)} not in the vocabulary`);
      parts.push(`${token}:0`);
      specials.push([token, id]);
    };
    add(cfg.addBOS, cfg.bos);
    parts.push("$A:0");
    add(cfg.addEOS, cfg.eos);
    tok.setPostProcessor(lib.templateProcessing(parts.join(" "), null, specials));
  }
  const skipper = lib.Tokenizer.fromFile(file);
  const known = cfg.special.filter((s) => skipper.tokenToId(s) !== null && skipper.tokenToId(s) !== undefined);
  if (known.length > 0) skipper.addSpecialTokens(known);
  return { tok, skipper };
}

async function golden(dir, out) {
  const lib = loadLibrary();
  const { texts, sha256 } = readCorpus();
  const { tok, skipper } = loadReference(lib, dir);
  const records = [];
  for (const text of texts) {
    const ids = (await tok.encode(text, null, { addSpecialTokens: false })).getIds();
    const special = (await tok.encode(text, null, { addSpecialTokens: true })).getIds();
    records.push({
      ids,
      special,
      dec: await tok.decode(special, false),
      dec_skip: await skipper.decode(special, true),
    });
  }
  const tokenizerSHA = crypto.createHash("sha256").update(fs.readFileSync(path.join(dir, "tokenizer.json"))).digest("hex");
  const doc = { reference: "tokenizers@0.23.2 (Rust, N-API)", corpus_sha256: sha256, tokenizer_sha256: tokenizerSHA, records };
  const tmp = `${out}.tmp${process.pid}`;
  fs.writeFileSync(tmp, zlib.gzipSync(Buffer.from(JSON.stringify(doc), "utf8"), { level: 9 }));
  fs.renameSync(tmp, out);
  console.error(`reference.mjs: wrote ${out} (${records.length} texts)`);
}

// bench measures loading, and encoding without special tokens on one thread:
// encodeBatch over the whole corpus per pass, so that the N-API call and
// promise cost once per pass rather than once per text, with
// TOKENIZERS_PARALLELISM=false and RAYON_NUM_THREADS=1 (the batch runs
// sequentially; cpu_per_wall, the process's CPU time over wall time while
// encoding, shows it). Warm: one pass first, so the library's word cache is
// filled as in the Go benchmark.
async function bench(dir, seconds) {
  const lib = loadLibrary();
  const { texts } = readCorpus();
  const file = path.join(dir, "tokenizer.json");
  let loads = 0;
  const loadCPU = process.cpuUsage();
  const loadStart = process.hrtime.bigint();
  let tok;
  do {
    tok = lib.Tokenizer.fromFile(file);
    loads++;
  } while (loads < 3 && Number(process.hrtime.bigint() - loadStart) / 1e9 < seconds);
  const loadSeconds = Number(process.hrtime.bigint() - loadStart) / 1e9 / loads;
  const lc = process.cpuUsage(loadCPU);
  const loadCPUSeconds = (lc.user + lc.system) / 1e6 / loads;
  const opts = { addSpecialTokens: false };
  let perPass = 0;
  for (const e of await tok.encodeBatch(texts, opts)) perPass += e.getLength();
  const bytes = texts.reduce((n, t) => n + Buffer.byteLength(t, "utf8"), 0);
  let passes = 0;
  const cpu0 = process.cpuUsage();
  const start = process.hrtime.bigint();
  let elapsed = 0;
  while (elapsed < seconds || passes < 2) {
    await tok.encodeBatch(texts, opts);
    passes++;
    elapsed = Number(process.hrtime.bigint() - start) / 1e9;
  }
  const cpu = process.cpuUsage(cpu0);
  console.log(JSON.stringify({
    impl: "rust",
    load_seconds: loadSeconds,
    load_cpu_seconds: loadCPUSeconds,
    texts_per_s: (passes * texts.length) / elapsed,
    tokens_per_s: (passes * perPass) / elapsed,
    mb_per_s: (passes * bytes) / elapsed / 1e6,
    cpu_per_wall: (cpu.user + cpu.system) / 1e6 / elapsed,
    tokens_per_cpu_s: (passes * perPass) / ((cpu.user + cpu.system) / 1e6),
    passes,
  }));
}

if (import.meta.url === `file://${process.argv[1]}`) {
  process.env.TOKENIZERS_PARALLELISM = "false";
  process.env.RAYON_NUM_THREADS = "1";
  const [mode, dir, arg] = process.argv.slice(2);
  if (mode === "golden" && dir && arg) {
    await golden(dir, arg);
  } else if (mode === "bench" && dir) {
    await bench(dir, Number(arg ?? 3));
  } else {
    console.error("usage: node scripts/tokenize/reference.mjs golden DIR OUT.json.gz | bench DIR [SECONDS]");
    process.exit(2);
  }
}
