#!/usr/bin/env bash
# Tokenizer throughput on the tokenize test corpus (2,400 texts), measured in
# one run: Hugging Face's JavaScript tokenizer (@huggingface/tokenizers, the
# baseline), the Go tokenizer single-threaded (Encode in a loop) and on all
# cores (EncodeBatch). Prints one table with ratios against the JS baseline.
#
#   bash scripts/tokenize/bench.sh            # BENCH_SECONDS=5 for longer runs
set -euo pipefail
cd "$(dirname "$0")/../.."
secs=${BENCH_SECONDS:-3}
command -v node >/dev/null || { echo "bench.sh needs node (>= 18) and npm" >&2; exit 1; }
[ -d scripts/tokenize/node_modules/@huggingface/tokenizers ] || npm ci --prefix scripts/tokenize --no-audit --no-fund
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

node scripts/tokenize/bench.mjs "$secs" > "$tmp/js.jsonl"
go test ./tokenize -run '^$' -bench 'BenchmarkEncode(Batch)?$' -benchtime "${secs}s" -count 1 > "$tmp/go.txt"

python3 - "$tmp/js.jsonl" "$tmp/go.txt" "$(nproc)" <<'PY'
import json, re, sys
js = {}
for line in open(sys.argv[1]):
    r = json.loads(line)
    js[r["family"]] = (r["texts_per_s"], r["tokens_per_s"])
rows = []
for line in open(sys.argv[2]):
    m = re.match(r"Benchmark(Encode|EncodeBatch)/(\S+?)-\d+\s+\d+\s+([\d.]+) texts/s\s+([\d.]+) tokens/s", line)
    if m:
        kind, fam, texts, toks = m.group(1), m.group(2), float(m.group(3)), float(m.group(4))
        rows.append((fam, "go Encode (1 thread)" if kind == "Encode" else f"go EncodeBatch ({sys.argv[3]} cores)", texts, toks))
print(f"{'family':<10} {'implementation':<26} {'texts/s':>12} {'tokens/s':>14} {'vs JS':>8}")
for fam in sorted(js):
    base = js[fam][1]
    print(f"{fam:<10} {'js @huggingface/tokenizers':<26} {js[fam][0]:>12,.0f} {base:>14,.0f} {1.0:>7.2f}x")
    for f, impl, texts, toks in rows:
        if f == fam:
            print(f"{fam:<10} {impl:<26} {texts:>12,.0f} {toks:>14,.0f} {toks / base:>7.2f}x")
PY
