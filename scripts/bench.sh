#!/usr/bin/env bash
# dpokit's benchmarks, each measured against a baseline in the same run:
#  1. score throughput with and without prompt sharing, on a benchmark-sized
#     Llama-style model and long multi-turn prompts;
#  2. best-of-16 against 16 sequential samples;
#  3. greedy decoding at batch 1 against transformers.js;
#  4. a DPO training step against PyTorch 1.13 on the same model and batch;
#  5. tokenizer load time and throughput per family against Hugging Face's Rust tokenizers.
# Usage: make bench   (or: bash scripts/bench.sh; BENCH_PAIRS=96 to change size)
set -euo pipefail
cd "$(dirname "$0")/.."
out=.cache/bench
mkdir -p "$out"
pairs=${BENCH_PAIRS:-64}

if [ ! -f "$out/llama-bench-ref/model.onnx" ]; then
  /usr/bin/python3 -c 'import torch, onnx' 2>/dev/null || {
    echo "bench needs Debian's PyTorch and onnx to build its model: apt-get install -y python3-torch python3-onnx" >&2; exit 1; }
  for s in ref policy; do
    seed=3; [ $s = policy ] && seed=4
    /usr/bin/python3 testdata/models/make_models.py --family llama --hidden 256 --layers 4 --heads 8 --kv-heads 4 \
      --intermediate 688 --seed $seed --out "$out/llama-bench-$s" >/dev/null
  done
fi
go run scripts/gen_dialogues.go -n "$pairs" -turns 8 -out "$out/dialogues.jsonl"

run() { # name, extra flags
  ./bin/dpokit score --policy "$out/llama-bench-policy" --ref "$out/llama-bench-ref" \
    --data "$out/dialogues.jsonl" --out "$out/$1.jsonl" --summary "$out/$1.summary.json" ${2:-} >/dev/null 2>&1
}
# Three rounds, alternating, to even out machine noise; the fastest of each is reported.
for r in 1 2 3; do
  run shared$r ""
  run full$r "--no-prefix-sharing"
done

/usr/bin/python3 - "$out" <<'PY'
import json, sys
d = sys.argv[1]
rows = {}
for name in ["shared1", "shared2", "shared3", "full1", "full2", "full3"]:
    rows[name] = json.load(open(f"{d}/{name}.summary.json"))
def best(prefix):
    s = min((rows[prefix + r] for r in "123"), key=lambda s: s["seconds"])
    return s["seconds"], s
sh_t, sh = best("shared")
fu_t, fu = best("full")
print(f"score benchmark: {sh['pairs']} multi-turn pairs, {sh['tokens']} sequence tokens, llama-style 4x256 model, 2 models in parallel")
print(f"{'path':<18}{'seconds':>9}{'pairs/s':>10}{'tokens/s':>11}{'scoring loop s':>16}{'ORT share of loop':>19}")
for label, t, s in [("prefix sharing", sh_t, sh), ("full sequences", fu_t, fu)]:
    share = s["ort_share"]
    print(f"{label:<18}{t:>9.2f}{s['scored']/t:>10.2f}{s['tokens']/t:>11.0f}{s['phases']['score']:>16.2f}{share:>18.0%}")
print(f"speed-up of prefix sharing: {fu_t/sh_t:.2f}x")
a = [json.loads(l) for l in open(f"{d}/shared1.jsonl")]
b = [json.loads(l) for l in open(f"{d}/full1.jsonl")]
diff = max(abs(x[k]-y[k]) for x, y in zip(a, b) for k in ["policy_chosen_logp","policy_rejected_logp","ref_chosen_logp","ref_rejected_logp"])
print(f"max |logp difference| between the two paths: {diff:.2e}")
PY

echo
echo "best-of-16 (one shared prefill) against 16 sequential single samples, 200-token prompt, 32 new tokens:"
DPOKIT_BENCH_MODEL=$PWD/$out/llama-bench-ref go test ./sample -run '^$' -bench BestOf16 -benchtime 3x -count 1 | \
  awk '/s\/prompt/ {for (i = 1; i <= NF; i++) if ($(i+1) == "s/prompt") { if ($1 ~ /best-of-16/) b = $i; else s = $i } }
       END {printf "  best-of-16 %.3f s/prompt, 16 sequential %.3f s/prompt, ratio %.2f\n", b, s, b / s}'

echo
echo "greedy decoding at batch 1: 256 new tokens after an 11-token prompt, same ONNX file, 1 ONNX Runtime thread each:"
[ -d scripts/bench/node_modules/@huggingface/transformers ] || npm ci --prefix scripts/bench --ignore-scripts --no-audit --no-fund >/dev/null
ids=1,450,4996,17354,1701,29916,432,17204,975,278,17366  # sample/bench_test.go benchPromptIDs
for r in 1 2 3; do  # alternating rounds; the best of each side is reported
  DPOKIT_THREADS=1 DPOKIT_BENCH_MODEL=$PWD/$out/llama-bench-ref go test ./sample -run '^$' -bench GreedyBatch1 -benchtime 3x -count 1 |
    awk '/tokens\/s/ {for (i = 1; i <= NF; i++) if ($(i+1) == "tokens/s") print "dpokit", $i}'
  node scripts/bench/generate.mjs --model "$out/llama-bench-ref" --prompt-ids $ids --new-tokens 256 --runs 3 --threads 1 2>/dev/null |
    /usr/bin/python3 -c 'import json, sys; print("transformers.js", json.load(sys.stdin)["tokens_per_second"])'
done | awk '{ if ($2 > best[$1]) best[$1] = $2 }
  END { printf "  dpokit %.0f tokens/s, transformers.js %.0f tokens/s, ratio %.2f\n", best["dpokit"], best["transformers.js"], best["dpokit"] / best["transformers.js"] }'

echo
go test -run '^$' -bench DPOStep -benchtime 5x -count 1 ./train/ | grep -v '^\(goos\|goarch\|pkg\|cpu\|PASS\|ok\)'

echo
bash scripts/tokenize/bench.sh
