// golden.mjs writes the chat-template renderings that the Go tokenize tests
// compare against exactly:
//
//   testdata/tokenize/golden-chat.json          chat-template renderings
//       (@huggingface/jinja, the Jinja of transformers.js)
//
// Run from the repository root after `npm ci --prefix scripts/tokenize`:
//
//   node scripts/tokenize/golden.mjs
//
// Token-id goldens come from Hugging Face's Rust library: see reference.mjs.
import fs from "node:fs";
import path from "node:path";
import { Template } from "@huggingface/jinja";

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), "../..");
const data = path.join(root, "testdata/tokenize");

function goldenChat() {
  const cases = JSON.parse(fs.readFileSync(path.join(data, "chat-cases.json"), "utf8"));
  const phi3 = JSON.parse(fs.readFileSync(path.join(data, "llama-sp/tokenizer_config.json"), "utf8")).chat_template;
  const templates = { ...cases.templates, phi3 };
  const compiled = Object.fromEntries(Object.entries(templates).map(([k, v]) => [k, new Template(v)]));
  const out = cases.cases.map((c) => {
    try {
      const text = compiled[c.template].render({
        messages: c.messages,
        add_generation_prompt: c.add_generation_prompt,
        bos_token: cases.bos_token,
        eos_token: cases.eos_token,
      });
      return { output: text };
    } catch (err) {
      return { error: String(err.message) };
    }
  });
  fs.writeFileSync(path.join(data, "golden-chat.json"), JSON.stringify({ results: out }, null, 1) + "\n");
  console.error(`wrote testdata/tokenize/golden-chat.json (${out.length} renderings)`);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  goldenChat();
}
