#!/usr/bin/env bash
# Peak memory (maximum resident set size, /usr/bin/time -v) of score,
# sample and train at their defaults on the shipped models, and of score
# over a sweep of --batch-tokens: peak memory follows the model and the
# batch (the logits, batch tokens × vocabulary × 4 bytes), not the data.
# Usage: make bench-memory   (or: bash scripts/bench-memory.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x /usr/bin/time ] || { echo "bench-memory needs GNU time: apt-get install -y time" >&2; exit 1; }
bin=./bin/dpokit
[ -x "$bin" ] || go build -o "$bin" ./cmd/dpokit
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
m=testdata/models d=testdata/data
rows=()

measure() { # label, model, setting, command...
  local label=$1 model=$2 setting=$3; shift 3
  if ! /usr/bin/time -v -o "$out/time.txt" "$@" >/dev/null 2>"$out/stderr.txt"; then
    echo "failed: $*" >&2; cat "$out/stderr.txt" >&2; exit 1
  fi
  local kb wall
  kb=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$out/time.txt")
  wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$out/time.txt")
  rows+=("| $label | $model | $setting | $((kb / 1024)) | $wall |")
}

for fam in gpt2 llama; do
  measure "score" "$fam (vocabulary $(python3 -c "import json;print(json.load(open('$m/$fam-policy/config.json'))['vocab_size'])"))" "defaults" \
    $bin score --policy $m/$fam-policy --ref $m/$fam-ref --data $d/pairs.jsonl --out "$out/s.jsonl"
  rm -f "$out/s.jsonl"
done
for bt in 64 256 1024 4096; do
  measure "score" "gpt2" "--batch-tokens $bt" \
    $bin score --policy $m/gpt2-policy --ref $m/gpt2-ref --data $d/pairs.jsonl --out "$out/s.jsonl" --batch-tokens $bt
  rm -f "$out/s.jsonl"
done
measure "sample" "llama" "defaults (--batch 16, --max-new-tokens 128)" \
  $bin sample --model $m/llama-policy --prompts $d/prompts.jsonl --out "$out/p.jsonl"
measure "sample" "llama" "--batch 64" \
  $bin sample --model $m/llama-policy --prompts $d/prompts.jsonl --out "$out/p2.jsonl" --batch 64 --n 8
measure "train" "gpt2" "defaults (--batch-size 8), reference log-probs computed" \
  $bin train --policy $m/gpt2-policy --data $d/pairs.jsonl --out "$out/t1" --ref-cache "$out/cache/" --log "$out/t1.log"
measure "train" "gpt2" "--batch-size 2" \
  $bin train --policy $m/gpt2-policy --data $d/pairs.jsonl --out "$out/t2" --ref-cache "$out/cache/" --log "$out/t2.log" --batch-size 2

echo "| command | model | setting | peak RSS (MiB) | wall |"
echo "|---|---|---|---|---|"
printf '%s\n' "${rows[@]}"
