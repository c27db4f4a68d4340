#!/usr/bin/env bash
# The DPO paper's controlled experiment in miniature, with dpokit's commands:
# a synthetic sentiment task with a known reward (internal/synth), a reference
# model trained with `dpokit train --loss sft`, preferences between reference
# samples labelled by the true reward, DPO at several β, and the reward-KL
# frontier against best-of-N from the reference, in a report.
#
#   bash scripts/experiment.sh [--quick] [--out DIR]     (make experiment / make experiment-quick)
set -euo pipefail
cd "$(dirname "$0")/.."
quick=0
out=.cache/experiment
while [ $# -gt 0 ]; do
  case $1 in
    --quick) quick=1; out=.cache/experiment-quick ;;
    --out) out=$2; shift ;;
    *) echo "usage: scripts/experiment.sh [--quick] [--out DIR]" >&2; exit 2 ;;
  esac
  shift
done

if [ $quick = 1 ]; then
  corpus=1500 sft_epochs=3 train_prompts=400 heldout=80 eval_prompts=80 nmax=16 dpo_epochs=2 dpo_lr=1e-3 ns=1,2,4,8,16 wr_n=4
else
  corpus=6000 sft_epochs=4 train_prompts=2400 heldout=300 eval_prompts=400 nmax=64 dpo_epochs=2 dpo_lr=2e-4 ns=1,2,4,8,16,32,64 wr_n=16
fi
betas="0.05 0.1 0.5"
started=$(date -u +%Y-%m-%dT%H:%M:%SZ)

rm -rf "$out" && mkdir -p "$out"
go build -o "$out/bin/dpokit" ./cmd/dpokit
go build -o "$out/bin/synth" ./cmd/synth
dpokit=$out/bin/dpokit synth=$out/bin/synth
cmds=$out/commands.txt
# run echoes a command into the record and runs it; progress goes to stderr.
run() { echo "$*" | sed "s|$out/bin/||g" >> "$cmds"; echo "+ $*" | sed "s|$out/bin/||g" >&2; "$@"; }
gen="--max-new-tokens 24 --temperature 1"

# 1. Task data, the reference model (SFT on the task's language) and the exact reward model.
run $synth corpus --n $corpus --seed 1 --out $out/sft.jsonl
run $synth prompts --n $train_prompts --seed 2 --id-prefix t --out $out/train_prompts.jsonl
run $synth prompts --n $eval_prompts --seed 4 --id-prefix e --out $out/eval_prompts.jsonl
run $synth reward-model $out/true-rm
run $dpokit train --loss sft --policy testdata/experiment/init --data $out/sft.jsonl --out $out/ref \
  --epochs $sft_epochs --lr 3e-3 --batch-size 16 --max-length 64 --seed 1 --log $out/sft.log

# 2. Preferences: two reference samples per prompt, labelled by the true reward (Bradley-Terry).
run $dpokit sample --model $out/ref --prompts $out/train_prompts.jsonl --n 2 $gen --seed 5 --out $out/pair_samples.jsonl
run $synth label --samples $out/pair_samples.jsonl --seed 3 --heldout $heldout --heldout-out $out/heldout.jsonl --out $out/prefs.jsonl

# 3. Reference samples and best-of-N from the reference, ranked by the true reward model.
run $dpokit sample --model $out/ref --prompts $out/eval_prompts.jsonl --n 1 $gen --seed 7 --out $out/ref_samples.jsonl
run $dpokit bestofn --model $out/ref --prompts $out/eval_prompts.jsonl --n $nmax $gen --seed 9 \
  --rank rm:$out/true-rm --out $out/bon.jsonl
run $synth best-of --from $out/bon.jsonl --n $wr_n --out $out/bon_baseline.jsonl

# 4. DPO at each β; its samples (with their reference log-probs: the KL estimate), held-out
#    accuracy and win rates.
policies=""
for b in $betas; do
  p=dpo-$b
  policies="$policies${policies:+,}$p=$b"
  run $dpokit train --policy $out/ref --data $out/prefs.jsonl --out $out/$p --beta $b --epochs $dpo_epochs \
    --lr $dpo_lr --batch-size 16 --max-length 64 --seed 1 --log $out/$p.log
  run $dpokit sample --model $out/$p --ref-model $out/ref --prompts $out/eval_prompts.jsonl --n 1 $gen --seed 7 \
    --out $out/${p}_samples.jsonl
  run $dpokit score --policy $out/$p --ref $out/ref --beta $b --data $out/heldout.jsonl \
    --out $out/${p}_heldout.jsonl --summary $out/${p}_heldout.json
  run $dpokit score winrate --candidates $out/${p}_samples.jsonl --baseline $out/ref_samples.jsonl \
    --judge rm:$out/true-rm --out $out/${p}_wr_ref.json
  run $dpokit score winrate --candidates $out/${p}_samples.jsonl --baseline $out/bon_baseline.jsonl \
    --judge rm:$out/true-rm --out $out/${p}_wr_bon.json
done

# 5. Results and the report.
q=""; [ $quick = 1 ] && q=--quick
ort=$(cat third_party/onnxruntime/VERSION 2>/dev/null || echo unknown)
$synth collect --dir $out --policies "$policies" --n $ns --winrate-n $wr_n --commands $cmds $q \
  --started "$started" --ort "$ort" --dpokit "$(git describe --always --dirty 2>/dev/null || echo dev)" --out $out/experiment.json
$dpokit report --out $out/report --title "DPO in miniature: synthetic sentiment" $out/experiment.json
echo "report: $out/report/index.html" >&2
