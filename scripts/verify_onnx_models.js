#!/usr/bin/env node
// Checks the ONNX test models in testdata/models with ONNX Runtime (the npm package
// onnxruntime-node, installed outside the repository) against the PyTorch numbers that
// testdata/models/make_models.py wrote.
//
//   mkdir -p /tmp/ortnode && cd /tmp/ortnode && npm install --ignore-scripts onnxruntime-node@1.24.3
//   /usr/bin/python3 testdata/models/make_models.py --dump-logits /tmp/dpokit_check
//   NODE_PATH=/tmp/ortnode/node_modules node scripts/verify_onnx_models.js testdata/models /tmp/dpokit_check
//
// For every model and reference case it runs: the full sequence with an empty past; the
// prompt with an empty past followed by the response one token at a time on the KV cache;
// all cases in one left-padded batch; and all in one right-padded batch. It reports the
// largest absolute difference of the real tokens' logits against PyTorch (when the dump
// folder is given) and of the response log-probs against reference_logps.json, and fails
// when a logit differs by more than 1e-4 or anything is not finite.
"use strict";
const fs = require("fs");
const path = require("path");
const ort = require("onnxruntime-node");

const TOL = 1e-4;

function kvShape(cfg) {
  if (cfg.model_type === "gpt2") return [cfg.n_layer, cfg.n_head, cfg.n_embd / cfg.n_head];
  return [cfg.num_hidden_layers, cfg.num_key_value_heads, cfg.head_dim];
}

function i64(rows) {
  const b = rows.length, s = rows[0].length;
  const data = new BigInt64Array(b * s);
  rows.forEach((r, i) => r.forEach((v, j) => { data[i * s + j] = BigInt(v); }));
  return new ort.Tensor("int64", data, [b, s]);
}

async function forward(sess, cfg, ids, mask, pos, past) {
  const [layers, kv, hd] = kvShape(cfg);
  const b = ids.length;
  const feeds = { input_ids: i64(ids), attention_mask: i64(mask), position_ids: i64(pos) };
  for (let i = 0; i < layers; i++) {
    for (const kind of ["key", "value"]) {
      feeds[`past_key_values.${i}.${kind}`] = past
        ? past[`present.${i}.${kind}`]
        : new ort.Tensor("float32", new Float32Array(0), [b, kv, 0, hd]);
    }
  }
  return sess.run(feeds);
}

// rows of the logits tensor for batch element bi, positions [from, to)
function rowsOf(t, bi, from, to) {
  const [, s, v] = t.dims;
  const out = [];
  for (let p = from; p < to; p++) out.push(t.data.subarray((bi * s + p) * v, (bi * s + p + 1) * v));
  return out;
}

function logps(rows, ids, nPrompt) {
  const out = [];
  for (let t = nPrompt; t < ids.length; t++) {
    const r = rows[t - 1];
    let m = -Infinity;
    for (const x of r) if (x > m) m = x;
    let z = 0;
    for (const x of r) z += Math.exp(x - m);
    out.push(r[ids[t]] - m - Math.log(z));
  }
  return out;
}

function maxDiff(a, b) {
  let d = 0;
  for (let i = 0; i < a.length; i++) {
    const x = Math.abs(a[i] - b[i]);
    if (!(x <= d)) d = x; // NaN propagates
  }
  return d;
}

async function main() {
  const [modelsDir, dumpDir] = process.argv.slice(2);
  if (!modelsDir) throw new Error("usage: verify_onnx_models.js MODELS_DIR [DUMP_DIR]");
  const ref = JSON.parse(fs.readFileSync(path.join(modelsDir, "reference_logps.json"), "utf8"));
  let failed = false;
  for (const name of Object.keys(ref.models)) {
    const dir = path.join(modelsDir, name);
    const cfg = JSON.parse(fs.readFileSync(path.join(dir, "config.json"), "utf8"));
    const vocab = cfg.vocab_size;
    const sess = await ort.InferenceSession.create(path.join(dir, "model.onnx"), { intraOpNumThreads: 1 });
    const cases = ref.cases.filter((c) => c.model === name);
    let dump = null;
    if (dumpDir) {
      const buf = fs.readFileSync(path.join(dumpDir, `${name}.f32`));
      dump = new Float32Array(buf.buffer, buf.byteOffset, buf.byteLength / 4);
    }
    const expectRows = [];
    let off = 0;
    for (const c of cases) {
      const n = c.prompt_ids.length + c.response_ids.length;
      const rows = [];
      for (let p = 0; p < n; p++) rows.push(dump ? dump.subarray((off + p) * vocab, (off + p + 1) * vocab) : null);
      off += n;
      expectRows.push(rows);
    }
    const stats = {};
    const note = (scenario, rows, ci) => {
      const c = cases[ci];
      const ids = c.prompt_ids.concat(c.response_ids);
      const s = stats[scenario] || (stats[scenario] = { logits: 0, logp: 0 });
      if (dump) rows.forEach((r, p) => { s.logits = Math.max(s.logits, maxDiff(r, expectRows[ci][p])); });
      const lp = logps(rows, ids, c.prompt_ids.length);
      s.logp = Math.max(s.logp, maxDiff(lp, c.token_logps));
      s.logp = Math.max(s.logp, Math.abs(lp.reduce((a, b) => a + b, 0) - c.response_logp));
      for (const r of rows) for (const x of r) if (!Number.isFinite(x)) s.logits = NaN;
    };

    // seq_logits_check and last_logits_first8
    {
      const chk = ref.models[name].seq_logits_check;
      const n = chk.input_ids.length;
      const out = await forward(sess, cfg, [chk.input_ids], [Array(n).fill(1)], [[...Array(n).keys()]], null);
      const rows = rowsOf(out.logits, 0, 0, n);
      let d = 0;
      rows.forEach((r, p) => { d = Math.max(d, maxDiff(r.subarray(0, 8), chk.logits_first8[p])); });
      stats.seq_logits_check = { logits: d, logp: 0 };
    }

    // 1) no cache, 2) cache, one response token at a time
    for (let ci = 0; ci < cases.length; ci++) {
      const c = cases[ci];
      const ids = c.prompt_ids.concat(c.response_ids);
      const n = ids.length;
      const full = await forward(sess, cfg, [ids], [Array(n).fill(1)], [[...Array(n).keys()]], null);
      const rows = rowsOf(full.logits, 0, 0, n);
      note("empty past", rows, ci);
      if (c.last_logits_first8) {
        const d = maxDiff(rows[n - 1].subarray(0, 8), c.last_logits_first8);
        stats.seq_logits_check.logits = Math.max(stats.seq_logits_check.logits, d);
      }
      const np = c.prompt_ids.length;
      let out = await forward(sess, cfg, [c.prompt_ids], [Array(np).fill(1)], [[...Array(np).keys()]], null);
      const cached = rowsOf(out.logits, 0, 0, np).map((r) => r.slice());
      for (let t = np; t < n; t++) {
        out = await forward(sess, cfg, [[ids[t]]], [Array(t + 1).fill(1)], [[t]], out);
        cached.push(rowsOf(out.logits, 0, 0, 1)[0].slice());
      }
      note("KV cache", cached, ci);
    }

    // 3) left padding and 4) right padding, all cases in one batch
    const seqs = cases.map((c) => c.prompt_ids.concat(c.response_ids));
    const L = Math.max(...seqs.map((s) => s.length));
    for (const side of ["left", "right"]) {
      const ids = [], mask = [], pos = [];
      for (const s of seqs) {
        const pad = L - s.length;
        const real = [...Array(s.length).keys()];
        if (side === "left") {
          ids.push(Array(pad).fill(0).concat(s));
          mask.push(Array(pad).fill(0).concat(Array(s.length).fill(1)));
          pos.push(Array(pad).fill(1).concat(real));
        } else {
          ids.push(s.concat(Array(pad).fill(0)));
          mask.push(Array(s.length).fill(1).concat(Array(pad).fill(0)));
          pos.push(real.concat(Array(pad).fill(0)));
        }
      }
      const out = await forward(sess, cfg, ids, mask, pos, null);
      for (const x of out.logits.data) if (!Number.isFinite(x)) { failed = true; console.log(`${name}: non-finite logits with ${side} padding`); break; }
      seqs.forEach((s, ci) => {
        const from = side === "left" ? L - s.length : 0;
        note(`${side} padding`, rowsOf(out.logits, ci, from, from + s.length), ci);
      });
    }

    for (const [scenario, s] of Object.entries(stats)) {
      const bad = !(s.logits <= TOL) || !(s.logp <= TOL);
      if (bad) failed = true;
      console.log(`${name.padEnd(13)} ${scenario.padEnd(16)} max|logits diff| ${dump || scenario === "seq_logits_check" ? s.logits.toExponential(2) : "n/a (no dump)"}  max|logp diff| ${s.logp.toExponential(2)}${bad ? "  FAIL" : ""}`);
    }
  }
  console.log(`ONNX Runtime ${ort.env.versions.common}: ${failed ? "FAILED" : "all within " + TOL}`);
  process.exit(failed ? 1 : 0);
}

main().catch((e) => { console.error(e); process.exit(2); });
