#!/usr/bin/env node
// Greedy generation benchmark with transformers.js (@huggingface/transformers on
// onnxruntime-node, CPU), fully offline, from a local model directory: a baseline to compare
// dpokit's own decoding loop (sample/) against.
//
//   cd scripts/bench && npm install --ignore-scripts     # once; node_modules/ is git-ignored
//   node scripts/bench/generate.mjs --model testdata/models/llama-ref --prompt-ids 1,450,4996 --new-tokens 64
//   node scripts/bench/generate.mjs --model /tmp/benchmodel --prompt "Hello there" --new-tokens 128 --runs 3
//   node scripts/bench/generate.mjs --model testdata/models/llama-ref --check-refs testdata/models/greedy_refs.json
//
// The model directory has the Hugging Face / optimum layout: config.json,
// generation_config.json (optional), tokenizer.json, tokenizer_config.json and one ONNX decoder
// (model.onnx, onnx/model.onnx, decoder_model_merged.onnx or onnx/decoder_model_merged.onnx,
// or the file given with --onnx), with any external-data files beside it. transformers.js
// wants <id>/onnx/model.onnx, so the script builds that layout from symbolic links in a
// temporary folder (removed at exit) and never touches the model directory.
//
// Benchmark mode: batch 1, greedy (do_sample false, num_beams 1), exactly K new tokens
// (min_new_tokens = max_new_tokens = K, so EOS cannot stop early; note that this sets the EOS
// logits to -inf until K is reached). One warm-up generation (--warmup, default 1) runs first;
// then --runs timed generations (default 1). Only generate() is timed. Prints one JSON object:
//   {tokens_generated, seconds, tokens_per_second, token_ids, ...}
// seconds / tokens_per_second are those of the median run; runs_seconds lists every run;
// first_token_seconds is the median time to the first new token (prefill + one step).
//
// Check mode (--check-refs FILE): for every case of greedy_refs.json whose "model" is the
// model directory's name (or --ref-name), generates new_tokens greedily with the case's
// repetition_penalty and compares the ids with PyTorch's; prints one JSON object with the
// results and exits 1 on any mismatch at a step whose PyTorch top1-top2 margin is >= 1e-4.

import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import process from "node:process";
import { parseArgs } from "node:util";

import { AutoModelForCausalLM, AutoTokenizer, Tensor, env } from "@huggingface/transformers";

const USAGE = `usage: node generate.mjs --model DIR (--prompt-ids 1,2,3 | --prompt TEXT | --check-refs FILE)
  [--new-tokens K (64)] [--warmup N (1)] [--runs R (1)] [--threads T (0: ORT default)]
  [--onnx FILE] [--ref-name NAME] [--repetition-penalty P (1.0)]`;

function fail(msg) {
  console.error(`generate.mjs: ${msg}`);
  console.error(USAGE);
  process.exit(2);
}

const { values: opt } = parseArgs({
  options: {
    model: { type: "string" },
    onnx: { type: "string" },
    "prompt-ids": { type: "string" },
    prompt: { type: "string" },
    "new-tokens": { type: "string", default: "64" },
    warmup: { type: "string", default: "1" },
    runs: { type: "string", default: "1" },
    threads: { type: "string", default: "0" },
    "repetition-penalty": { type: "string", default: "1.0" },
    "check-refs": { type: "string" },
    "ref-name": { type: "string" },
    help: { type: "boolean", short: "h" },
  },
  strict: true,
});
if (opt.help) {
  console.log(USAGE);
  process.exit(0);
}
if (!opt.model) fail("--model is required");
const modes = ["prompt-ids", "prompt", "check-refs"].filter((k) => opt[k] !== undefined);
if (modes.length !== 1) fail("give exactly one of --prompt-ids, --prompt, --check-refs");

function posInt(name, min) {
  const v = Number(opt[name]);
  if (!Number.isInteger(v) || v < min) fail(`--${name} must be an integer >= ${min}`);
  return v;
}
const K = posInt("new-tokens", 1);
const WARMUP = posInt("warmup", 0);
const RUNS = posInt("runs", 1);
const THREADS = posInt("threads", 0);
const PENALTY = Number(opt["repetition-penalty"]);
if (!(PENALTY > 0)) fail("--repetition-penalty must be > 0");

// ---------------------------------------------------------------------------
// Model directory -> temporary transformers.js layout

const ONNX_CANDIDATES = ["model.onnx", "onnx/model.onnx", "decoder_model_merged.onnx", "onnx/decoder_model_merged.onnx"];
const LINKED_FILES = ["config.json", "generation_config.json", "tokenizer.json", "tokenizer_config.json",
  "special_tokens_map.json"];

function findOnnx(dir) {
  if (opt.onnx) {
    const p = path.resolve(dir, opt.onnx);
    if (!fs.existsSync(p)) fail(`--onnx ${p} does not exist`);
    return p;
  }
  for (const c of ONNX_CANDIDATES) {
    const p = path.join(dir, c);
    if (fs.existsSync(p)) return p;
  }
  fail(`no ONNX decoder in ${dir} (looked for ${ONNX_CANDIDATES.join(", ")})`);
}

function makeLayout(dir) {
  for (const f of ["config.json", "tokenizer.json", "tokenizer_config.json"]) {
    if (!fs.existsSync(path.join(dir, f))) fail(`${dir} has no ${f}`);
  }
  const onnxPath = findOnnx(dir);
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "dpokit-tfjs-"));
  const id = "model";
  const modelDir = path.join(root, id);
  fs.mkdirSync(path.join(modelDir, "onnx"), { recursive: true });
  for (const f of LINKED_FILES) {
    const src = path.join(dir, f);
    if (fs.existsSync(src)) fs.symlinkSync(src, path.join(modelDir, f));
  }
  fs.symlinkSync(onnxPath, path.join(modelDir, "onnx", "model.onnx"));
  // External data is resolved by ONNX Runtime relative to the (linked) model file: link every
  // other non-JSON, non-ONNX file of the ONNX file's folder beside it.
  const onnxDir = path.dirname(onnxPath);
  for (const f of fs.readdirSync(onnxDir)) {
    const src = path.join(onnxDir, f);
    if (f.endsWith(".json") || f.endsWith(".onnx") || !fs.statSync(src).isFile()) continue;
    fs.symlinkSync(src, path.join(modelDir, "onnx", f));
  }
  process.on("exit", () => fs.rmSync(root, { recursive: true, force: true }));
  return { root, id, onnxPath };
}

// ---------------------------------------------------------------------------
// Generation

// Records the time of every streamer.put: the first put is the prompt (before any forward
// pass), each later one a new token.
class Clock {
  constructor() {
    this.times = [];
  }
  put() {
    this.times.push(performance.now());
  }
  end() {}
}

async function generateOnce(model, promptIds, k, penalty) {
  const n = promptIds.length;
  const inputIds = new Tensor("int64", BigInt64Array.from(promptIds.map(BigInt)), [1, n]);
  const attentionMask = new Tensor("int64", new BigInt64Array(n).fill(1n), [1, n]);
  const clock = new Clock();
  const t0 = performance.now();
  const out = await model.generate({
    input_ids: inputIds,
    attention_mask: attentionMask,
    max_new_tokens: k,
    min_new_tokens: k,
    do_sample: false,
    num_beams: 1,
    repetition_penalty: penalty,
    streamer: clock,
  });
  const t1 = performance.now();
  const seq = (out.sequences ?? out).tolist()[0].map(Number);
  const ids = seq.slice(n);
  return {
    ids,
    seconds: (t1 - t0) / 1000,
    firstToken: clock.times.length > 1 ? (clock.times[1] - t0) / 1000 : null,
  };
}

function median(xs) {
  const s = xs.slice().sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

async function main() {
  const modelDir = path.resolve(opt.model);
  const layout = makeLayout(modelDir);
  env.allowRemoteModels = false;
  env.allowLocalModels = true;
  env.localModelPath = layout.root;
  env.useFSCache = false;
  env.useBrowserCache = false;

  const sessionOptions = { interOpNumThreads: 1 };
  if (THREADS > 0) sessionOptions.intraOpNumThreads = THREADS;
  const tLoad = performance.now();
  const model = await AutoModelForCausalLM.from_pretrained(layout.id, {
    dtype: "fp32",
    device: "cpu",
    local_files_only: true,
    session_options: sessionOptions,
  });
  const loadSeconds = (performance.now() - tLoad) / 1000;
  const session = model.sessions.model;
  const info = {
    model_dir: modelDir,
    onnx: layout.onnxPath,
    model_type: model.config.model_type,
    session_inputs: session.inputNames,
    threads: THREADS || "default",
    load_seconds: loadSeconds,
    versions: {
      transformers_js: env.version,
      onnxruntime_node: env.backends?.onnx?.versions?.node ?? env.backends?.onnx?.versions?.common ?? null,
      node: process.versions.node,
    },
  };

  if (opt["check-refs"]) {
    const refs = JSON.parse(fs.readFileSync(opt["check-refs"], "utf8"));
    const name = opt["ref-name"] ?? path.basename(modelDir);
    const cases = refs.cases.filter((c) => c.model === name);
    if (cases.length === 0) fail(`no case of ${opt["check-refs"]} has model "${name}" (use --ref-name)`);
    const results = [];
    let bad = 0;
    for (const c of cases) {
      const r = await generateOnce(model, c.prompt_ids, refs.new_tokens, c.repetition_penalty);
      const first = r.ids.findIndex((id, i) => id !== c.greedy_ids[i]);
      const nearTie = first >= 0 && c.margins && c.margins[first] < 1e-4;
      if (first >= 0 && !nearTie) bad++;
      results.push({
        name: c.name,
        repetition_penalty: c.repetition_penalty,
        match: first < 0,
        first_mismatch: first < 0 ? null : first,
        near_tie: nearTie || undefined,
        token_ids: r.ids,
        want: first < 0 ? undefined : c.greedy_ids,
      });
    }
    console.log(JSON.stringify({ ...info, ref_name: name, cases: results.length,
      matched: results.filter((x) => x.match).length, results }));
    process.exit(bad ? 1 : 0);
  }

  let promptIds;
  if (opt["prompt-ids"] !== undefined) {
    promptIds = opt["prompt-ids"].split(",").map((s) => s.trim()).filter((s) => s !== "").map(Number);
    if (promptIds.length === 0 || promptIds.some((x) => !Number.isInteger(x) || x < 0)) {
      fail("--prompt-ids must be a comma-separated list of token ids");
    }
  } else {
    const tokenizer = await AutoTokenizer.from_pretrained(layout.id, { local_files_only: true });
    promptIds = tokenizer.encode(opt.prompt);
    if (promptIds.length === 0) fail("the prompt encodes to no tokens");
  }

  for (let i = 0; i < WARMUP; i++) await generateOnce(model, promptIds, K, PENALTY);
  const runs = [];
  for (let i = 0; i < RUNS; i++) runs.push(await generateOnce(model, promptIds, K, PENALTY));
  for (const r of runs) {
    if (r.ids.length !== K) throw new Error(`generated ${r.ids.length} tokens, want ${K}`);
    if (r.ids.join() !== runs[0].ids.join()) throw new Error("greedy runs differ from each other");
  }
  const secs = median(runs.map((r) => r.seconds));
  console.log(JSON.stringify({
    tokens_generated: K,
    seconds: secs,
    tokens_per_second: K / secs,
    token_ids: runs[0].ids,
    prompt_tokens: promptIds.length,
    runs_seconds: runs.map((r) => r.seconds),
    first_token_seconds: median(runs.map((r) => r.firstToken)),
    warmup_runs: WARMUP,
    ...info,
  }));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
