#!/usr/bin/env bash
# dpokit score as a Slurm job array on a real (private, one-node) Slurm: the test that
# examples/slurm_test.go runs as root (`make test`), or by hand:
#
#   DPOKIT_ORT_LIB=$PWD/third_party/onnxruntime/libonnxruntime.so.1 scripts/slurm/test.sh
#
# It starts munged, slurmctld and slurmd with scripts/slurm/cluster.sh (Debian's slurm-wlm and
# munge installed when missing), lays out a work folder as examples/slurm/score-array.sbatch
# expects it (models/policy, models/ref, data/pairs.jsonl, dpokit on PATH), submits that very
# script with `sbatch --array=0-3 --wait`, kills array task 2 with `scancel --signal=KILL` once
# it has journalled part of its shard, requeues it (`scontrol requeue`), which resumes its part,
# merges the parts with `dpokit score merge` as a Slurm job, and compares the merged per-pair
# file with one unsharded run byte for byte. The daemons are stopped at the end, also on
# failure (trap); KEEP=1 keeps the work folder.
#
# Environment: DPOKIT_BIN (a built dpokit; else built here), DPOKIT_ORT_LIB (required),
# PAIRS (pairs in the data set, default 1024: four shards of 256).
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
[ "$(id -u)" = 0 ] || { echo "scripts/slurm/test.sh needs root (a private slurmd runs jobs as their user)" >&2; exit 3; }
: "${DPOKIT_ORT_LIB:?set DPOKIT_ORT_LIB to ONNX Runtime (make ort; make test sets it)}"
pairs=${PAIRS:-1024}
work=$(mktemp -d /tmp/dpokit-slurm.XXXXXX)
cluster=$work/cluster
say() { echo "slurm test: $*" >&2; }
cleanup() {
  rc=$?
  "$repo/scripts/slurm/cluster.sh" stop "$cluster" || true
  if [ "$rc" != 0 ]; then
    say "FAILED (exit $rc); logs:"
    tail -n 30 "$work"/logs/*.out "$cluster"/log/slurmctld.log 2>/dev/null >&2 || true
  fi
  if [ "${KEEP:-}" = 1 ]; then say "work folder kept: $work"; else rm -rf "$work"; fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

mkdir -p "$work"/{bin,models,data,logs,out}
if [ -n "${DPOKIT_BIN:-}" ]; then
  cp "$DPOKIT_BIN" "$work/bin/dpokit"
else
  (cd "$repo" && go build -o "$work/bin/dpokit" ./cmd/dpokit)
fi
ln -s "$repo/testdata/models/llama-policy" "$work/models/policy"
ln -s "$repo/testdata/models/llama-ref" "$work/models/ref"
# The shipped preference pairs, repeated with fresh ids and prompts of varied length.
python3 - "$repo/testdata/data/pairs.jsonl" "$pairs" > "$work/data/pairs.jsonl" <<'PY'
import json, sys
src = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
for i in range(int(sys.argv[2])):
    r = dict(src[i % len(src)])
    r["id"] = "p%d" % i
    r["prompt"] = ("(%d) " % (i % 7)) * (1 + i % 3) + r["prompt"]
    print(json.dumps(r))
PY

SLURM_CONF=$("$repo/scripts/slurm/cluster.sh" start "$cluster")
export SLURM_CONF PATH="$work/bin:$PATH" DPOKIT_ORT_LIB
say "cluster up ($SLURM_CONF); $pairs pairs in 4 shards"

cd "$work"
sbatch_args=(--chdir="$work" --cpus-per-task=1 --mem=1G --output="$work/logs/score-%A_%a.out")
# The array runs in the background so that one task can be killed while it runs.
sbatch --parsable --wait --array=0-3 "${sbatch_args[@]}" "$repo/examples/slurm/score-array.sbatch" > "$work/jobid" &
waiter=$!
part=out/pairs-shard-00002-of-00004.jsonl
for _ in $(seq 6000); do
  [ -f "$part.partial" ] && [ "$(wc -l < "$part.partial")" -ge 3 ] && break
  [ -f "$part.done" ] && { say "task 2 finished before it could be killed: give more PAIRS"; exit 1; }
  sleep 0.05
done
[ -f "$part.partial" ] || { say "task 2 wrote no journal in 5 minutes"; exit 1; }
job=$(cut -d';' -f1 < "$work/jobid")
scancel --signal=KILL "${job}_2"
say "killed task ${job}_2 after $(($(wc -l < "$part.partial") - 1)) journalled batches"
wait "$waiter" && { say "the array succeeded although task 2 was killed"; exit 1; }
[ ! -f "$part.done" ] && [ -f "$part.partial" ] || { say "task 2 is not a killed, unfinished shard"; exit 1; }
for i in 0 1 3; do
  [ -f "out/pairs-shard-0000$i-of-00004.jsonl.done" ] || { say "task $i did not finish"; exit 1; }
done

scontrol requeue "${job}_2"
# slurmctld delays a requeued job's start by the credential lifetime (120 s); start it now.
scontrol update JobId="${job}_2" StartTime=now
state=
for _ in $(seq 3000); do
  state=$(scontrol show job "${job}_2" 2>/dev/null | sed -n 's/.*JobState=\([A-Z_]*\).*/\1/p' | head -n1)
  case "$state" in COMPLETED | FAILED | CANCELLED | TIMEOUT | NODE_FAIL | OUT_OF_MEMORY) break ;; esac
  sleep 0.1
done
[ "$state" = COMPLETED ] || { say "requeued task 2 ended $state"; exit 1; }
grep -q 'msg=resuming' "$work/logs/score-${job}_2.out" || { say "the requeued task did not resume its journal"; exit 1; }
say "requeued task 2 resumed and finished"

sbatch --wait "${sbatch_args[@]/--output=*/--output=$work/logs/merge.out}" \
  --wrap 'dpokit score merge --out out/pairs.jsonl --summary out/summary.json' > /dev/null
dpokit score --policy models/policy --ref models/ref --data data/pairs.jsonl --out whole.jsonl --threads 2 2> /dev/null > /dev/null
cmp whole.jsonl out/pairs.jsonl || { say "merged parts differ from one unsharded run"; exit 1; }
say "OK: $(wc -l < out/pairs.jsonl) pairs, merged parts of 4 array tasks (one killed and requeued) equal one unsharded run byte for byte"
