#!/usr/bin/env bash
# Makes testdata/experiment/init: the untrained Llama-style model the
# experiment starts from (random weights, seed 11), over the synthetic task's
# 426-token vocabulary. Run from the repository root; needs Debian's
# python3-torch and python3-onnx.
set -euo pipefail
out=testdata/experiment/init
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/llama-sp"
go run ./cmd/synth tokenizer "$tmp/llama-sp"     # make_models.py copies tokenizer files from here
/usr/bin/python3 testdata/models/make_models.py --family llama --vocab 426 --hidden 64 --layers 2 --heads 4 \
  --kv-heads 2 --intermediate 128 --max-positions 64 --seed 11 --tokenizers "$tmp" --out "$out"
go run ./cmd/synth tokenizer "$out"              # and set BOS/EOS/pad ids in its configs
