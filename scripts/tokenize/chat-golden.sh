#!/usr/bin/env bash
# Regenerates testdata/tokenize/golden-chat.json: renderings of the templates of
# testdata/tokenize/chat-cases.json and of llama-sp's chat_template by @huggingface/jinja,
# with token ids from Hugging Face's Rust tokenizers (scripts/tokenize/chat-golden.mjs).
# The goldens of the fetched families are made by `go test ./tokenize` into .cache/chat-golden.
set -euo pipefail
cd "$(dirname "$0")/../.."
command -v node >/dev/null || { echo "chat-golden.sh needs node (>= 18) and npm" >&2; exit 1; }
bash scripts/fetch/tokenizers.sh
node scripts/tokenize/chat-golden.mjs --cases testdata/tokenize/chat-cases.json --modules .cache/tokenizers \
  --inline testdata/tokenize/gpt2/tokenizer.json --family llama-sp=testdata/tokenize/llama-sp \
  --out testdata/tokenize/golden-chat.json
