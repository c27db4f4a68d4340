#!/usr/bin/env bash
# Tokenizer load time and encode throughput per family, dpokit against Hugging
# Face's Rust tokenizers (npm tokenizers@0.23.2, the reference of the goldens)
# in the same run, on the tokenize test corpus (3,600 texts).
#
#   bash scripts/tokenize/bench.sh [FAMILY...]      # BENCH_SECONDS=3 per measurement
#
# Both sides encode without special tokens, one text after another on one
# thread, warm (one pass first: both keep a word cache). dpokit: Encode in a
# loop (go test -bench Encode). Rust: encodeBatch over the corpus with
# TOKENIZERS_PARALLELISM=false and RAYON_NUM_THREADS=1, so that the N-API call
# is paid once per pass. Load: dpokit's tokenize.Load without the chat
# template (parsed when first used), Rust's Tokenizer.fromFile, in wall
# seconds and (in parentheses) CPU seconds of the process. Throughput is given
# per wall second and per CPU second of the process (the machine may be
# shared; CPU time is the steadier measure); ratios are dpokit over Rust.
set -euo pipefail
cd "$(dirname "$0")/../.."
secs=${BENCH_SECONDS:-3}
command -v node >/dev/null || { echo "bench.sh needs node (>= 18) and npm: apt-get install -y nodejs npm" >&2; exit 1; }
bash scripts/fetch/tokenizers.sh
families=("$@")
[ ${#families[@]} -gt 0 ] || families=(gpt2 llama-sp qwen3 llama3 llama3_1 gemma3 gemma2 deepseek_v3 gpt4o gptoss llama2)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

pattern=$(IFS='|'; echo "${families[*]}")
go test ./tokenize -run '^$' -bench "^Benchmark(Load|Encode)\$/^($pattern)\$" -benchtime "${secs}s" -count 1 > "$tmp/go.txt"
go test ./tokenize -run '^$' -bench '^BenchmarkSplitPattern$' -benchtime 1s -count 1 > "$tmp/split.txt"
for f in "${families[@]}"; do
  dir=.cache/tokenizers/$f
  [ -d "testdata/tokenize/$f" ] && dir=testdata/tokenize/$f
  printf '%s\t%s\n' "$f" "$(node scripts/tokenize/reference.mjs bench "$dir" "$secs")" >> "$tmp/rust.tsv"
done

python3 - "$tmp/go.txt" "$tmp/rust.tsv" "$tmp/split.txt" <<'PY'
import json, re, sys
go = {}
for line in open(sys.argv[1]):
    m = re.match(r"Benchmark(Load|Encode)/(\S+?)-\d+\s+\d+\s+(.*)", line)
    if not m:
        continue
    kind, fam, rest = m.groups()
    vals = {unit: float(v) for v, unit in re.findall(r"([\d.e+]+) (\S+)", rest)}
    go.setdefault(fam, {})[kind] = vals
rust = {}
for line in open(sys.argv[2]):
    fam, js = line.rstrip("\n").split("\t", 1)
    rust[fam] = json.loads(js)
print("| family | load dpokit (CPU) | load Rust (CPU) | dpokit tokens/s | Rust tokens/s | dpokit tokens/CPU-s | Rust tokens/CPU-s | speed-up (CPU) |")
print("|---|---|---|---|---|---|---|---|")
for fam, r in rust.items():
    g = go.get(fam, {})
    load = g.get("Load", {}).get("ns/op", float("nan")) / 1e9
    loadcpu = g.get("Load", {}).get("cpu-s/op", float("nan"))
    enc = g.get("Encode", {})
    gt, gc = enc.get("tokens/s", float("nan")), enc.get("tokens/cpu-s", float("nan"))
    print(f"| {fam} | {load:.2f} s ({loadcpu:.2f}) | {r['load_seconds']:.2f} s ({r['load_cpu_seconds']:.2f}) | {gt:,.0f} | {r['tokens_per_s']:,.0f} | "
          f"{gc:,.0f} | {r['tokens_per_cpu_s']:,.0f} | {gc / r['tokens_per_cpu_s']:.1f}x |")
print()
print("Split patterns alone on the corpus, hand-written scanner against regexp2 (the fallback):")
print("| pattern | scanner MB/s | regexp2 MB/s | speed-up |")
print("|---|---|---|---|")
split = {}
for line in open(sys.argv[3]):
    m = re.match(r"BenchmarkSplitPattern/(\S+)/(scanner|regexp2)-\d+\s+\d+\s+.*?([\d.]+) MB/s", line)
    if m:
        split.setdefault(m.group(1), {})[m.group(2)] = float(m.group(3))
for p, v in split.items():
    print(f"| {p} | {v['scanner']:.1f} | {v['regexp2']:.1f} | {v['scanner'] / v['regexp2']:.1f}x |")
PY
