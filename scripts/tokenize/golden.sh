#!/usr/bin/env bash
# Regenerates the tokenize test corpus and the Hugging Face goldens:
#   testdata/tokenize/corpus.json.gz        (go run scripts/tokenize/gencorpus.go, fixed seed)
#   testdata/tokenize/golden-*.json.gz      (node scripts/tokenize/golden.mjs)
#   (testdata/tokenize/golden-chat.json: scripts/tokenize/chat-golden.sh)
# The npm packages are pinned in scripts/tokenize/package.json and package-lock.json
# and installed into scripts/tokenize/node_modules (git-ignored).
set -euo pipefail
cd "$(dirname "$0")/../.."
command -v node >/dev/null || { echo "golden.sh needs node (>= 18) and npm" >&2; exit 1; }
[ -d scripts/tokenize/node_modules/@huggingface/tokenizers ] || npm ci --prefix scripts/tokenize --no-audit --no-fund
go run scripts/tokenize/gencorpus.go -out testdata/tokenize/corpus.json.gz
node scripts/tokenize/golden.mjs
