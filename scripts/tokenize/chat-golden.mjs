// Golden chat-template renderings (and their token ids) from the reference
// implementations, for the Go tests of tokenize:
//   - @huggingface/jinja renders every template of the cases file with every
//     conversation, add_generation_prompt false and true;
//   - Hugging Face's Rust tokenizers (npm `tokenizers`) gives the ids of each
//     rendering as transformers' apply_chat_template(tokenize=True) does:
//     encode(text, add_special_tokens=False).
//
//   node scripts/tokenize/chat-golden.mjs --cases testdata/tokenize/chat-cases.json \
//     [--modules .cache/tokenizers] [--inline TOKENIZER_JSON] [--family NAME=DIR]... --out FILE
//
// --inline renders the cases file's own templates with its special_tokens
// (ids from TOKENIZER_JSON); each --family renders DIR/tokenizer_config.json's
// chat_template with that file's special tokens (ids from DIR/tokenizer.json).
// strftime_now sees the cases file's fixed `now` in UTC, with English month
// names. The node_modules under --modules must hold @huggingface/jinja and
// tokenizers (scripts/fetch/tokenizers.sh installs both, pinned).
import fs from "node:fs";
import path from "node:path";
import { createRequire } from "node:module";
import crypto from "node:crypto";

process.env.TZ = "UTC";

function parseArgs(argv) {
  const a = { modules: ".cache/tokenizers", families: [] };
  for (let i = 2; i < argv.length; i += 2) {
    const [k, v] = [argv[i], argv[i + 1]];
    if (v === undefined) throw new Error(`${k} needs a value`);
    if (k === "--cases") a.cases = v;
    else if (k === "--modules") a.modules = v;
    else if (k === "--inline") a.inline = v;
    else if (k === "--family") a.families.push(v.split("="));
    else if (k === "--out") a.out = v;
    else throw new Error(`unknown argument ${k}`);
  }
  if (!a.cases || !a.out) throw new Error("--cases and --out are required");
  return a;
}

const args = parseArgs(process.argv);
const require = createRequire(path.resolve(args.modules, "package.json"));
const jinja = require("@huggingface/jinja");
const { Tokenizer } = require("tokenizers");
const jinjaVersion = JSON.parse(
  fs.readFileSync(path.resolve(args.modules, "node_modules/@huggingface/jinja/package.json"), "utf8"),
).version;

const casesRaw = fs.readFileSync(args.cases);
const cases = JSON.parse(casesRaw.toString("utf8"));
const casesSHA256 = crypto.createHash("sha256").update(casesRaw).digest("hex");

// A fixed clock for strftime_now, and English month names whatever the locale.
const RealDate = Date;
const fixed = new RealDate(cases.now).getTime();
globalThis.Date = class extends RealDate {
  constructor(...a) {
    super(...(a.length ? a : [fixed]));
  }
  static now() {
    return fixed;
  }
};
const RealDTF = Intl.DateTimeFormat;
Intl.DateTimeFormat = function (locale, opts) {
  return new RealDTF(locale ?? "en-US", opts);
};

// Mark errors thrown by the template's raise_exception, so the Go test can
// require the same message for them (and any error for the others).
const setVar = jinja.Environment.prototype.set;
jinja.Environment.prototype.set = function (name, value) {
  if (name === "raise_exception" && typeof value === "function") {
    const raise = value;
    value = (...a) => {
      try {
        return raise(...a);
      } catch (e) {
        e.raisedByTemplate = true;
        throw e;
      }
    };
  }
  return setVar.call(this, name, value);
};

// The special tokens transformers passes to templates, as strings.
function specialTokens(dir) {
  const read = (f) => (fs.existsSync(path.join(dir, f)) ? JSON.parse(fs.readFileSync(path.join(dir, f), "utf8")) : {});
  const tc = read("tokenizer_config.json");
  const sm = read("special_tokens_map.json");
  const out = {};
  for (const k of ["bos_token", "eos_token", "unk_token", "pad_token"]) {
    let v = tc[k] ?? sm[k];
    if (v && typeof v === "object") v = v.content;
    if (typeof v === "string" && v !== "") out[k] = v;
  }
  return out;
}

function chatTemplate(dir) {
  const tc = JSON.parse(fs.readFileSync(path.join(dir, "tokenizer_config.json"), "utf8"));
  let t = tc.chat_template;
  if (Array.isArray(t)) t = (t.find((x) => x.name === "default") || {}).template;
  return typeof t === "string" && t !== "" ? t : null;
}

async function renderAll(label, source, tokens, tokenizer) {
  const out = [];
  let tmpl = null;
  let parseError = null;
  try {
    tmpl = new jinja.Template(source);
  } catch (e) {
    parseError = String(e.message);
  }
  for (const conv of cases.conversations) {
    for (const agp of [false, true]) {
      const r = { template: label, conversation: conv.name, add_generation_prompt: agp };
      if (parseError !== null) {
        r.error = parseError;
        r.raised = false;
        out.push(r);
        continue;
      }
      const ctx = { ...tokens, messages: conv.messages, add_generation_prompt: agp, ...(conv.vars || {}) };
      if (conv.tools !== undefined) ctx.tools = conv.tools;
      try {
        r.text = tmpl.render(ctx);
      } catch (e) {
        r.error = String(e.message);
        r.raised = e.raisedByTemplate === true;
      }
      if (r.text !== undefined && tokenizer) {
        r.ids = (await tokenizer.encode(r.text, null, { addSpecialTokens: false })).getIds();
      }
      out.push(r);
    }
  }
  return out;
}

const results = [];
const noTemplate = [];
if (args.inline) {
  const tk = Tokenizer.fromFile(args.inline);
  for (const [name, source] of Object.entries(cases.templates)) {
    results.push(...(await renderAll(`inline:${name}`, source, cases.special_tokens, tk)));
  }
}
for (const [name, dir] of args.families) {
  const source = chatTemplate(dir);
  if (source === null) {
    noTemplate.push(name);
    continue;
  }
  const tkPath = path.join(dir, "tokenizer.json");
  const tk = fs.existsSync(tkPath) ? Tokenizer.fromFile(tkPath) : null;
  results.push(...(await renderAll(`family:${name}`, source, specialTokens(dir), tk)));
}

const doc = { jinja: jinjaVersion, cases_sha256: casesSHA256, no_template: noTemplate, results };
const tmp = `${args.out}.tmp${process.pid}`;
fs.mkdirSync(path.dirname(path.resolve(args.out)), { recursive: true });
fs.writeFileSync(tmp, JSON.stringify(doc, null, 1) + "\n");
fs.renameSync(tmp, args.out);
console.error(`wrote ${args.out}: ${results.length} renderings (jinja ${jinjaVersion})`);
