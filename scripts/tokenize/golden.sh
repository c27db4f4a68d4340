#!/usr/bin/env bash
# Regenerates the tokenize test corpus and the committed goldens:
#   testdata/tokenize/corpus.json.gz        (go run scripts/tokenize/gencorpus.go, fixed seed)
#   testdata/tokenize/golden-gpt2.json.gz, golden-llama-sp.json.gz
#                                           (node scripts/tokenize/reference.mjs: Hugging Face's Rust
#                                            tokenizers, npm tokenizers@0.23.2, fetched by
#                                            scripts/fetch/tokenizers.sh)
#   testdata/tokenize/golden-chat.json      (node scripts/tokenize/golden.mjs: @huggingface/jinja)
# The goldens of the downloaded families are not committed: the Go tests write them into
# .cache/tokenize-golden with reference.mjs when they are missing.
set -euo pipefail
cd "$(dirname "$0")/../.."
command -v node >/dev/null || { echo "golden.sh needs node (>= 18) and npm" >&2; exit 1; }
bash scripts/fetch/tokenizers.sh
[ -d scripts/tokenize/node_modules/@huggingface/jinja ] || npm ci --prefix scripts/tokenize --no-audit --no-fund
go run scripts/tokenize/gencorpus.go -out testdata/tokenize/corpus.json.gz
for family in gpt2 llama-sp; do
  node scripts/tokenize/reference.mjs golden "testdata/tokenize/$family" "testdata/tokenize/golden-$family.json.gz"
done
node scripts/tokenize/golden.mjs
