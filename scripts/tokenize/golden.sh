#!/usr/bin/env bash
# Regenerates the tokenize test corpus and the committed token-id goldens:
#   testdata/tokenize/corpus.json.gz        (go run scripts/tokenize/gencorpus.go, fixed seed)
#   testdata/tokenize/golden-gpt2.json.gz, golden-llama-sp.json.gz
#                                           (node scripts/tokenize/reference.mjs: Hugging Face's Rust
#                                            tokenizers, npm tokenizers@0.23.2, fetched by
#                                            scripts/fetch/tokenizers.sh)
# The goldens of the downloaded families are not committed: the Go tests write them into
# .cache/tokenize-golden with reference.mjs when they are missing. Chat-template goldens:
# scripts/tokenize/chat-golden.sh.
set -euo pipefail
cd "$(dirname "$0")/../.."
command -v node >/dev/null || { echo "golden.sh needs node (>= 18) and npm" >&2; exit 1; }
bash scripts/fetch/tokenizers.sh
go run scripts/tokenize/gencorpus.go -out testdata/tokenize/corpus.json.gz
for family in gpt2 llama-sp; do
  node scripts/tokenize/reference.mjs golden "testdata/tokenize/$family" "testdata/tokenize/golden-$family.json.gz"
done
