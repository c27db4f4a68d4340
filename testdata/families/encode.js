// Token ids from Hugging Face's Rust tokenizers (npm `tokenizers`, the N-API binding of the
// library transformers runs), for make_families.py. Reads {"tokenizer": path, "items":
// [{"text": str, "special": bool}]} on stdin and writes a JSON array of id arrays.
// NODE_PATH must reach the `tokenizers` package (.cache/tokenizers/node_modules).
const { Tokenizer } = require("tokenizers");

async function main() {
  const chunks = [];
  for await (const c of process.stdin) chunks.push(c);
  const req = JSON.parse(Buffer.concat(chunks).toString("utf8"));
  const tok = Tokenizer.fromFile(req.tokenizer);
  const out = [];
  for (const it of req.items) {
    const enc = await tok.encode(it.text, null, { addSpecialTokens: it.special });
    out.push(enc.getIds());
  }
  process.stdout.write(JSON.stringify(out));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
