#!/usr/bin/env node
// Checks the ONNX reward models in testdata/models (rm-llama, rm-bad) with ONNX Runtime (the
// npm package onnxruntime-node, installed outside the repository) against the PyTorch scores
// that testdata/models/make_reward_models.py wrote to rm_reference.json.
//
//   mkdir -p /tmp/ortnode && cd /tmp/ortnode && npm install --ignore-scripts onnxruntime-node@1.24.3
//   NODE_PATH=/tmp/ortnode/node_modules node scripts/verify_reward_models.js testdata/models
//
// rm-llama: every reference case alone (unpadded), all cases in one right-padded batch, and
// the batch in reverse order; each score must be within 1e-4 of PyTorch's. rm-bad: logits
// must be [batch, 2] (not one score per sequence).
"use strict";
const fs = require("fs");
const path = require("path");
const ort = require("onnxruntime-node");

const TOL = 1e-4;
const PAD = 32000;

function i64(rows) {
  const b = rows.length, s = rows[0].length;
  const data = new BigInt64Array(b * s);
  rows.forEach((r, i) => r.forEach((v, j) => { data[i * s + j] = BigInt(v); }));
  return new ort.Tensor("int64", data, [b, s]);
}

// rows: token-id lists; right padding. Returns { dims, data }.
async function run(sess, rows) {
  const n = Math.max(...rows.map((r) => r.length));
  const ids = rows.map((r) => r.concat(Array(n - r.length).fill(PAD)));
  const mask = rows.map((r) => Array(r.length).fill(1).concat(Array(n - r.length).fill(0)));
  const out = await sess.run({ input_ids: i64(ids), attention_mask: i64(mask) });
  return { dims: out.logits.dims, data: Array.from(out.logits.data) };
}

async function main() {
  const dir = process.argv[2] || "testdata/models";
  const ref = JSON.parse(fs.readFileSync(path.join(dir, "rm_reference.json"), "utf8"));
  const opts = { intraOpNumThreads: 1 };
  const sess = await ort.InferenceSession.create(path.join(dir, "rm-llama", "model.onnx"), opts);
  console.log(`rm-llama inputs ${sess.inputNames.join(", ")}; outputs ${sess.outputNames.join(", ")}`);
  const rows = ref.cases.map((c) => c.input_ids);
  const want = ref.cases.map((c) => c.score);
  let worst = 0;
  let failed = false;
  const check = (what, got, exp) => {
    const d = Math.abs(got - exp);
    if (!Number.isFinite(got) || d > TOL) {
      console.log(`FAIL ${what}: got ${got}, want ${exp}`);
      failed = true;
    }
    worst = Math.max(worst, d);
  };
  for (let i = 0; i < rows.length; i++) {
    const r = await run(sess, [rows[i]]);
    if (r.dims.join() !== "1,1") throw new Error(`rm-llama logits dims ${r.dims}`);
    check(`${ref.cases[i].name} alone`, r.data[0], want[i]);
  }
  const alone = worst;
  const batch = await run(sess, rows);
  if (batch.dims.join() !== `${rows.length},1`) throw new Error(`rm-llama batch logits dims ${batch.dims}`);
  rows.forEach((_, i) => check(`${ref.cases[i].name} right-padded batch`, batch.data[i], want[i]));
  const rev = await run(sess, rows.slice().reverse());
  rows.slice().reverse().forEach((_, j) => {
    const i = rows.length - 1 - j;
    check(`${ref.cases[i].name} reversed batch`, rev.data[j], want[i]);
  });
  console.log(`rm-llama: ${rows.length} cases; max abs diff vs PyTorch: unpadded ${alone.toExponential(2)}, ` +
    `all (incl. right-padded batches) ${worst.toExponential(2)}`);
  console.log(`  scores: ${batch.data.map((x) => x.toFixed(4)).join(", ")}`);

  const bad = await ort.InferenceSession.create(path.join(dir, "rm-bad", "model.onnx"), opts);
  const b = await run(bad, rows.slice(0, 3));
  if (b.dims.join() !== "3,2") {
    console.log(`FAIL rm-bad: logits dims ${b.dims}, want 3,2`);
    failed = true;
  } else {
    console.log(`rm-bad: logits dims [${b.dims}] (two per sequence, as intended)`);
  }
  if (failed) process.exit(1);
}

main().catch((e) => { console.error(e); process.exit(1); });
