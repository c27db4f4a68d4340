#!/usr/bin/env python3
"""dpokit train on one NVIDIA GPU beside PyTorch eager, on the same model and token ids.

Needs: a prebuilt dpokit binary (`go build -o bin/dpokit ./cmd/dpokit` on any machine with Go),
this repository's testdata/ (model code and tokenizer), Python with torch (CUDA), onnx and
numpy, and JAX's CUDA plugin (pip install -U "jax[cuda13]" or "jax[cuda12]") that `dpokit
train --device cuda` finds by itself (`dpokit doctor` shows it). No Go, no network.

    python3 scripts/gpu/bench.py --dpokit bin/dpokit             # one H200: < 10 minutes
    python3 scripts/gpu/bench.py --dpokit bin/dpokit --cpu       # the same pipeline, tiny, on CPU

For each model (the 127M llama-style model of issue 11: hidden 1024, 8 layers, 16 heads, 8 KV
heads, MLP 2816, vocabulary 32064, tied; and a 1B-class one with Llama-3.2-1B's dimensions:
hidden 2048, 16 layers, 32 heads, 8 KV heads, MLP 8192, vocabulary 128256, tied) it

  1. builds the weights (testdata/models/make_models.py, seed 1) and exports a training-ready
     ONNX model directory (TorchScript exporter, training=PRESERVE; external data past 2 GB);
  2. writes preference pairs of random words (prompts of 8-100 words, responses of 4-80) and
     takes their token ids from `dpokit tokenize` exactly as dpokit's pair encoding builds them
     (prompt with the tokenizer's special tokens, responses without, EOS appended), keeping
     pairs within --max-length 256 and --max-prompt-length 128 so that nothing is truncated;
  3. runs `dpokit train --device cuda` (GoMLX XLA) at --precision fp32 (TF32 matmuls, XLA's
     default) and bf16, reference log-probs on the GPU (--ref-engine gomlx), 8 pairs per step;
  4. runs the same DPO steps (sigmoid loss, AdamW, clipping at 1, 8 pairs per step, batches
     padded to their longest sequence) in PyTorch eager with TF32 and with bf16 autocast, in a
     child process each, weights read from the same ONNX file, attention through
     scaled_dot_product_attention where PyTorch has it;
  5. times reference log-probs on ONNX Runtime's CPU path (`dpokit score --ref-free` with
     --threads = all cores) on the 127M model, to compare with dpokit's on the GPU;

and prints one table. Figures:
  steady tokens/s   real (unpadded) prompt+response tokens of both sequences of a pair, summed
                    over the steps after the first tenth, divided by their time
  compile s         dpokit: the ahead-of-time compile of its --max-shapes graphs (eager: none)
  first step s      from the start of the run (process start for dpokit: loading the ONNX
                    weights, reference log-probs, compiles) to the end of step 1
  wall s            from the same start to the end of the last step
  peak MiB          GPU memory of the process at its highest (nvidia-smi, polled every 0.2 s;
                    with --cpu: peak resident memory)
  ref pairs/s       reference log-probs per second in that run
The first dpokit run of a model checks the token ids: its reference log-probs must equal
PyTorch's (TF32) within 0.1 nats per token on average (other ids differ by nats), or the
script stops.

--cpu (alias --tiny) runs everything on the CPU with tiny models of the same vocabularies
(hidden 64 and 32, 2 layers), 8 short pairs (max length 64), 3 steps of 2 pairs, bf16 autocast on
the CPU: a check of the pipeline, not a benchmark (scripts/gpu/bench_test.go runs it).
"""

import argparse
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import threading
import time
import warnings

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "testdata", "models"))
sys.path.insert(0, os.path.join(ROOT, "testdata", "train"))

SIZES = {
    "127m": dict(hidden=1024, layers=8, heads=16, kv_heads=8, intermediate=2816, vocab=32064),
    "1b": dict(hidden=2048, layers=16, heads=32, kv_heads=8, intermediate=8192, vocab=128256),
}
TINY = {
    "127m": dict(hidden=64, layers=2, heads=4, kv_heads=2, intermediate=176, vocab=32064),
    "1b": dict(hidden=32, layers=2, heads=4, kv_heads=1, intermediate=128, vocab=128256),
}
WORDS = ("the of and to in is was he for it with as his on be at by had not are but from or have an they which one you "
         "were her all she there would their we him been has when who will more no if out so said what up its about into "
         "than them can only other new some could time these two may then do first any my now such like our over man me "
         "even most made after also did many before must through back years where much your way well down should because "
         "each just those people how too little state good very make world still own see men work long get here between "
         "both life being under never day same another know while last might us great old year off come since against go "
         "came right used take three house garden river music answer question reason paper window letter morning").split()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--dpokit", required=True, help="path of a prebuilt dpokit binary")
    ap.add_argument("--cpu", "--tiny", action="store_true", help="tiny models on the CPU: check the pipeline quickly")
    ap.add_argument("--models", default="127m,1b", help="comma-separated: 127m, 1b")
    ap.add_argument("--steps", type=int, help="optimizer steps per run (default 200; --cpu 4)")
    ap.add_argument("--pairs", type=int, help="preference pairs (default 512; --cpu 16)")
    ap.add_argument("--batch-size", type=int, help="pairs per step (default 8; --cpu 4)")
    ap.add_argument("--work", default="/tmp/dpokit-gpu-bench", help="folder for models, data and logs (recreated)")
    ap.add_argument("--json", help="also write the results here")
    ap.add_argument("--torch-worker", help=argparse.SUPPRESS)  # internal: one PyTorch run, JSON spec
    a = ap.parse_args()
    if a.torch_worker:
        return torch_worker(json.loads(a.torch_worker))
    a.steps = a.steps or (3 if a.cpu else 200)
    a.pairs = a.pairs or (8 if a.cpu else 512)
    a.batch_size = a.batch_size or (2 if a.cpu else 8)
    # --max-length and --max-prompt-length of every run; the words of a prompt and a response
    a.max_length, a.max_prompt = (64, 32) if a.cpu else (256, 128)
    a.words = ((2, 20), (1, 16)) if a.cpu else ((8, 100), (4, 80))
    a.dpokit = os.path.abspath(a.dpokit)
    check_environment(a)
    shutil.rmtree(a.work, ignore_errors=True)
    os.makedirs(a.work)
    rows, notes = [], []
    for name in a.models.split(","):
        rows += bench_model(a, name.strip(), notes)
    rows += [ort_reference(a, notes)] if "127m" in a.models else []
    print_table(a, rows, notes)
    if a.json:
        keys = {"model": "Model", "run": "Run", "tokens_per_s": "TokensPerS", "compile_s": "CompileS",
                "first_step_s": "FirstStepS", "wall_s": "WallS", "peak_mib": "PeakMiB", "ref_pairs_per_s": "RefPairsPerS"}
        with open(a.json, "w") as f:
            json.dump({"rows": [{keys.get(k, k): v for k, v in r.items()} for r in rows], "notes": notes}, f, indent=1)


def check_environment(a):
    import torch

    if not os.access(a.dpokit, os.X_OK):
        sys.exit(f"{a.dpokit}: not an executable dpokit binary")
    if not a.cpu and not torch.cuda.is_available():
        sys.exit("PyTorch sees no CUDA device: run on an NVIDIA machine, or pass --cpu")
    doctor = subprocess.run([a.dpokit, "doctor"], capture_output=True, text=True)
    print(doctor.stdout, file=sys.stderr)
    if not a.cpu and "PJRT CUDA plugin  none" in doctor.stdout:
        sys.exit('dpokit finds no PJRT CUDA plugin: pip install -U "jax[cuda13]" (or jax[cuda12])')


def bench_model(a, name, notes):
    import make_models
    import torch

    warnings.filterwarnings("ignore", category=torch.jit.TracerWarning)
    dims = (TINY if a.cpu else SIZES)[name]
    model_dir = os.path.join(a.work, name)
    cfg = make_models.llama_config(argparse.Namespace(max_positions=1024, untied=False, **dims))
    t0 = time.time()
    model = make_models.build_model(cfg, seed=1)
    tok = make_models.tokenizer_bytes("llama", os.path.join(ROOT, "testdata", "models"))
    make_models.write_model_dir(model, model_dir, tok, allow_external=True)
    n = sum(p.numel() for p in model.parameters())
    del model
    notes.append(f"{name}: {n / 1e6:.1f}M parameters, built and exported in {time.time() - t0:.0f} s")
    data, ids = make_pairs(a, model_dir, random.Random(7))
    rows = []
    for precision in ("fp32", "bf16"):
        rows.append(dpokit_run(a, name, model_dir, data, ids, precision, notes))
    for mode in ("tf32", "bf16"):
        rows.append(torch_run(a, name, model_dir, ids, mode))
    check_reference(a, name, rows, notes)
    return rows


def make_pairs(a, model_dir, rng):
    """Pairs of random words; ids as dpokit's pair encoding makes them."""
    texts = []
    (plo, phi), (rlo, rhi) = a.words
    for i in range(int(a.pairs * 1.5) + 8):
        w = lambda lo, hi: " ".join(rng.choice(WORDS) for _ in range(rng.randint(lo, hi)))
        texts.append({"id": f"p{i}", "prompt": "Question: " + w(plo, phi) + "\n\nAnswer:", "chosen": " " + w(rlo, rhi),
                      "rejected": " " + w(rlo, rhi)})
    prompts = tokenize(a, model_dir, [t["prompt"] for t in texts], special=True)
    chosen = tokenize(a, model_dir, [t["chosen"] for t in texts], special=False)
    rejected = tokenize(a, model_dir, [t["rejected"] for t in texts], special=False)
    eos = eos_id(a, model_dir)
    data, ids = [], []
    for t, p, c, r in zip(texts, prompts, chosen, rejected):
        c, r = c + [eos], r + [eos]
        if len(p) <= a.max_prompt and len(p) + max(len(c), len(r)) <= a.max_length and len(ids) < a.pairs:
            data.append(t)
            ids.append({"id": t["id"], "prompt": p, "chosen": c, "rejected": r})
    path = os.path.join(a.work, f"pairs-{os.path.basename(model_dir)}.jsonl")
    with open(path, "w") as f:
        for t in data:
            f.write(json.dumps(t) + "\n")
    return path, ids


def tokenize(a, model_dir, texts, special):
    inp = "".join(json.dumps({"text": t}) + "\n" for t in texts)
    out = subprocess.run([a.dpokit, "tokenize", "--model", model_dir, "--jsonl", f"--special={str(special).lower()}"],
                         input=inp, capture_output=True, text=True, check=True)
    return [json.loads(line)["ids"] for line in out.stdout.splitlines()]


def eos_id(a, model_dir):
    with open(os.path.join(model_dir, "tokenizer_config.json")) as f:
        eos = json.load(f)["eos_token"]
    eos = eos["content"] if isinstance(eos, dict) else eos
    (ids,) = tokenize(a, model_dir, [eos], special=False)
    if len(ids) != 1:
        sys.exit(f"EOS {eos!r} is not one token: {ids}")
    return ids[0]


class PeakMemory:
    """The process's peak GPU memory (nvidia-smi, polled), or with --cpu its peak RSS."""

    def __init__(self, pid, cpu):
        self.pid, self.cpu, self.peak, self.done = pid, cpu, 0, False
        if not cpu and shutil.which("nvidia-smi"):
            self.thread = threading.Thread(target=self.poll, daemon=True)
            self.thread.start()

    def poll(self):
        while not self.done:
            q = subprocess.run(["nvidia-smi", "--query-compute-apps=pid,used_memory", "--format=csv,noheader,nounits"],
                               capture_output=True, text=True)
            for line in q.stdout.splitlines():
                parts = [p.strip() for p in line.split(",")]
                if len(parts) == 2 and parts[0] == str(self.pid) and parts[1].isdigit():
                    self.peak = max(self.peak, int(parts[1]))
            time.sleep(0.2)

    def stop(self):
        self.done = True
        return self.peak


def steady(tokens, seconds):
    skip = max(1, len(tokens) // 10)
    return sum(tokens[skip:]) / max(sum(seconds[skip:]), 1e-9)


def dpokit_run(a, name, model_dir, data, ids, precision, notes):
    run_dir = os.path.join(a.work, f"{name}-dpokit-{precision}")
    os.makedirs(run_dir)
    log = os.path.join(run_dir, "steps.jsonl")
    cmd = [a.dpokit, "train", "--policy", model_dir, "--data", data, "--out", os.path.join(run_dir, "out"),
           "--device", "cpu" if a.cpu else "cuda", "--precision", precision, "--ref-engine", "gomlx",
           "--max-steps", str(a.steps), "--batch-size", str(a.batch_size), "--max-length", str(a.max_length),
           "--max-prompt-length", str(a.max_prompt), "--ref-cache", os.path.join(run_dir, "ref.jsonl"), "--log", log,
           "--save-every", "0"]
    start = time.time()
    with open(os.path.join(run_dir, "stderr.log"), "w") as errf:
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=errf)
        mem = PeakMemory(proc.pid, a.cpu)
        rc = proc.wait()
    peak = mem.stop()
    if rc != 0:
        sys.exit(f"dpokit train failed (exit {rc}): see {run_dir}/stderr.log\n" + " ".join(cmd))
    with open(os.path.join(run_dir, "out", "dpokit_train.json")) as f:
        perf = json.load(f)["performance"]
    steps = [json.loads(line) for line in open(log) if '"split":"train"' in line]
    refs = read_ref_cache(os.path.join(run_dir, "ref.jsonl"))
    check_ids(ids, refs, run_dir)
    if a.cpu:
        peak = perf["peak_rss_bytes"] / 2**20
    return {"model": name, "run": f"dpokit xla:cuda {precision}" if not a.cpu else f"dpokit go {precision}",
            "tokens_per_s": steady([s["tokens"] for s in steps], [s["seconds"] for s in steps]),
            "compile_s": perf["compile_seconds"], "first_step_s": perf["time_to_first_step_seconds"],
            "wall_s": perf["steps_wall_seconds"], "process_s": time.time() - start, "peak_mib": peak,
            "ref_pairs_per_s": perf.get("reference_pairs", 0) / max(perf.get("reference_seconds", 0), 1e-9),
            "steps": len(steps), "ref": refs, "step_s": [s["seconds"] for s in steps],
            "device_mib_xla": perf.get("device_bytes", 0) / 2**20, "shapes": perf.get("shapes")}


def read_ref_cache(path):
    with open(path) as f:
        lines = f.read().splitlines()[1:]
    return {r["id"]: r for r in map(json.loads, lines)}


def check_ids(ids, refs, run_dir):
    """dpokit's reference cache holds each pair's response token counts: they must be ours."""
    for p in ids:
        r = refs.get(p["id"])
        if r is None or r["chosen_tokens"] != len(p["chosen"]) or r["rejected_tokens"] != len(p["rejected"]):
            sys.exit(f"pair {p['id']}: dpokit encoded other token ids than this script ({run_dir}): {r}")


def torch_run(a, name, model_dir, ids, mode):
    run_dir = os.path.join(a.work, f"{name}-torch-{mode}")
    os.makedirs(run_dir)
    ids_path = os.path.join(run_dir, "ids.json")
    with open(ids_path, "w") as f:
        json.dump(ids, f)
    out = os.path.join(run_dir, "result.json")
    spec = {"model_dir": model_dir, "ids": ids_path, "mode": mode, "steps": a.steps, "batch_size": a.batch_size,
            "device": "cpu" if a.cpu else "cuda", "out": out}
    with open(os.path.join(run_dir, "stderr.log"), "w") as errf:
        proc = subprocess.Popen([sys.executable, os.path.abspath(__file__), "--dpokit", a.dpokit,
                                 "--torch-worker", json.dumps(spec)], stdout=errf, stderr=errf)
        mem = PeakMemory(proc.pid, a.cpu)
        rc = proc.wait()
    peak = mem.stop()
    if rc != 0:
        sys.exit(f"PyTorch {mode} run failed (exit {rc}): see {run_dir}/stderr.log")
    with open(out) as f:
        r = json.load(f)
    if a.cpu or not peak:
        peak = r["peak_mib"]
    return {"model": name, "run": f"PyTorch eager {mode}" + (" autocast" if mode == "bf16" else ""),
            "tokens_per_s": steady(r["tokens"], r["seconds"]), "compile_s": 0.0, "first_step_s": r["first_step_s"],
            "wall_s": r["wall_s"], "peak_mib": peak, "ref_pairs_per_s": r["ref_pairs_per_s"], "steps": len(r["tokens"]),
            "ref": r["ref"], "step_s": r["seconds"], "attention": r["attention"]}


def check_reference(a, name, rows, notes):
    """dpokit's (GoMLX, fp32 run) and PyTorch's (TF32 run) reference log-probs of the same ids."""
    d, t = rows[0]["ref"], rows[2]["ref"]
    worst, tokens, total = 0.0, 0, 0.0
    for pid, tr in t.items():
        for side in ("chosen", "rejected"):
            diff = abs(d[pid][f"ref_{side}_logp"] - tr[side])
            n = d[pid][f"{side}_tokens"]
            worst, tokens, total = max(worst, diff / n), tokens + n, total + diff
    notes.append(f"{name}: reference log-probs, dpokit (GoMLX) vs PyTorch on the same ids: mean |Δ| {total / tokens:.1e} "
                 f"per token, worst pair {worst:.1e} per token")
    if total / tokens > 0.1:
        sys.exit(f"{name}: dpokit and PyTorch disagree on the reference log-probs ({total / tokens:.2e} per token): "
                 "the token ids or the models differ")
    for r in rows:
        del r["ref"]


def ort_reference(a, notes):
    """Reference log-probs on ONNX Runtime's CPU path, all cores (dpokit score --ref-free)."""
    model_dir = os.path.join(a.work, "127m")
    src = os.path.join(a.work, "pairs-127m.jsonl")
    sub = os.path.join(a.work, "pairs-127m-ort.jsonl")
    with open(src) as f, open(sub, "w") as g:
        g.writelines(f.readlines()[: (8 if a.cpu else 64)])
    threads = os.cpu_count() or 1
    summary = os.path.join(a.work, "ort-summary.json")
    cmd = [a.dpokit, "score", "--ref-free", "--policy", model_dir, "--data", sub, "--threads", str(threads),
           "--max-length", str(a.max_length), "--max-prompt-length", str(a.max_prompt), "--summary", summary,
           "--out", os.path.join(a.work, "ort-pairs.jsonl")]
    subprocess.run(cmd, check=True, capture_output=True)
    with open(summary) as f:
        s = json.load(f)
    rate = s["scored"] / max(s["seconds"], 1e-9)
    notes.append(f"127m: reference log-probs on ONNX Runtime CPU ({threads} threads): {rate:.1f} pairs/s "
                 f"({s['scored']} pairs in {s['seconds']:.1f} s, model loading included)")
    return {"model": "127m", "run": f"ONNX Runtime CPU, {threads} threads (reference only)", "tokens_per_s": None,
            "compile_s": None, "first_step_s": None, "wall_s": None, "peak_mib": None, "ref_pairs_per_s": rate, "steps": 0}


def print_table(a, rows, notes):
    dev = "CPU (--cpu: tiny models)" if a.cpu else gpu_name()
    print(f"\ndpokit train vs PyTorch eager, DPO, {a.batch_size} pairs/step, {a.steps} steps, max length {a.max_length}; {dev}\n")
    mem = "peak RSS MiB" if a.cpu else "peak GPU MiB"
    print(f"| model | run | steady tokens/s | compile s | time to first step s | {a.steps}-step wall s | {mem} | ref pairs/s |")
    print("|---|---|---|---|---|---|---|---|")
    fmt = lambda v, f: "–" if v is None else format(v, f)
    for r in rows:
        print(f"| {r['model']} | {r['run']} | {fmt(r['tokens_per_s'], ',.0f')} | {fmt(r['compile_s'], '.1f')} | "
              f"{fmt(r['first_step_s'], '.1f')} | {fmt(r['wall_s'], '.1f')} | {fmt(r['peak_mib'], ',.0f')} | "
              f"{fmt(r['ref_pairs_per_s'], ',.1f')} |")
    print()
    for n in notes + goals(rows):
        print("- " + n)


def goals(rows):
    """Issue 11's goals, checked on the measured rows."""
    out = []
    by = {(r["model"], r["run"]): r for r in rows}
    ort = next((r for r in rows if r["run"].startswith("ONNX Runtime")), None)
    for (model, run), r in by.items():
        if not run.startswith("dpokit") or not r["tokens_per_s"]:
            continue
        step = sum(r["step_s"][max(1, len(r["step_s"]) // 10):]) / max(1, len(r["step_s"]) - max(1, len(r["step_s"]) // 10))
        limit = 1.2 * r["steps"] * step + 15
        out.append(f"{model} {run}: time to first step {r['first_step_s']:.1f} s (goal ≤ 15); wall {r['wall_s']:.1f} s "
                   f"(goal ≤ 1.2 × {r['steps']} × {step:.3f} + 15 = {limit:.1f})")
        torch_bf16 = by.get((model, "PyTorch eager bf16 autocast"))
        if run.endswith("bf16") and torch_bf16:
            out.append(f"{model}: dpokit bf16 / PyTorch bf16 autocast steady tokens/s = "
                       f"{r['tokens_per_s'] / torch_bf16['tokens_per_s']:.2f}× (goal ≥ 2)")
        if ort and model == "127m" and run.endswith("fp32"):
            out.append(f"127m: reference log-probs, dpokit on the device / ONNX Runtime CPU = "
                       f"{r['ref_pairs_per_s'] / ort['ref_pairs_per_s']:.1f}× (goal ≥ 50)")
    return out


def gpu_name():
    q = subprocess.run(["nvidia-smi", "--query-gpu=name,memory.total,driver_version", "--format=csv,noheader"],
                       capture_output=True, text=True)
    return q.stdout.strip().splitlines()[0] if q.returncode == 0 and q.stdout.strip() else "CUDA GPU"


# ---------------------------------------------------------------------------
# PyTorch worker (a child process per run)


def torch_worker(spec):
    start = time.time()
    import torch
    import torch.nn.functional as F
    import dpo_reference

    dev = torch.device(spec["device"])
    if spec["mode"] == "tf32":
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = True
    model, cfg = dpo_reference.load_model_dir(spec["model_dir"])
    attention = use_sdpa(F)
    model.to(dev)
    with open(spec["ids"]) as f:
        pairs = json.load(f)
    autocast = (torch.autocast(device_type=spec["device"], dtype=torch.bfloat16) if spec["mode"] == "bf16"
                else torch.autocast(device_type=spec["device"], enabled=False))
    sync = torch.cuda.synchronize if spec["device"] == "cuda" else (lambda: None)
    bs = spec["batch_size"]
    t_ref = time.time()
    ref = {}
    with torch.no_grad(), autocast:
        for lo in range(0, len(pairs), 2 * bs):
            batch = pairs[lo:lo + 2 * bs]
            lp = logps(torch, model, batch, dev)
            for i, p in enumerate(batch):
                ref[p["id"]] = {"chosen": float(lp[i]), "rejected": float(lp[len(batch) + i])}
    sync()
    ref_rate = len(pairs) / (time.time() - t_ref)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-6, weight_decay=0.0)
    order, tokens, seconds, first = [], [], [], None
    rng = random.Random(5)
    for step in range(spec["steps"]):
        if len(order) < bs:
            order += rng.sample(range(len(pairs)), len(pairs))
        batch, order = [pairs[i] for i in order[:bs]], order[bs:]
        t = time.time()
        with autocast:
            lp = logps(torch, model, batch, dev).float()
        refs = torch.tensor([ref[p["id"]]["chosen"] for p in batch] + [ref[p["id"]]["rejected"] for p in batch], device=dev)
        z = (lp[:bs] - lp[bs:]) - (refs[:bs] - refs[bs:])
        loss = -F.logsigmoid(0.1 * z).mean()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        opt.zero_grad(set_to_none=True)
        sync()
        seconds.append(time.time() - t)
        tokens.append(sum(2 * len(p["prompt"]) + len(p["chosen"]) + len(p["rejected"]) for p in batch))
        if first is None:
            first = time.time() - start
    wall = time.time() - start
    if spec["device"] == "cuda":
        peak = torch.cuda.max_memory_reserved() / 2**20
    else:
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    with open(spec["out"], "w") as f:
        json.dump({"tokens": tokens, "seconds": seconds, "first_step_s": first, "wall_s": wall, "peak_mib": peak,
                   "ref": ref, "ref_pairs_per_s": ref_rate, "attention": attention}, f)


def logps(torch, model, batch, dev):
    """Summed response log-probs, rows chosen then rejected, right-padded to the longest."""
    rows = [(p["prompt"], p["chosen"]) for p in batch] + [(p["prompt"], p["rejected"]) for p in batch]
    T = max(len(a) + len(b) for a, b in rows)
    n = len(rows)
    ids = torch.zeros(n, T, dtype=torch.int64)
    mask = torch.zeros(n, T, dtype=torch.int64)
    sel_r, sel_t, tgt = [], [], []
    for r, (a, b) in enumerate(rows):
        ids[r, :len(a) + len(b)] = torch.tensor(a + b)
        mask[r, :len(a) + len(b)] = 1
        for j, y in enumerate(b):
            sel_r.append(r)
            sel_t.append(len(a) + j - 1)
            tgt.append(y)
    ids, mask = ids.to(dev), mask.to(dev)
    pos = torch.arange(T, device=dev).unsqueeze(0).expand(n, T)
    cfg = model.cfg
    past = [torch.zeros(n, cfg["num_key_value_heads"], 0, cfg["head_dim"], device=dev) for _ in range(2 * cfg["num_hidden_layers"])]
    logits = model(ids, mask, pos, *past)[0]
    sel_r, sel_t = torch.tensor(sel_r, device=dev), torch.tensor(sel_t, device=dev)
    lp = torch.log_softmax(logits[sel_r, sel_t].float(), -1).gather(-1, torch.tensor(tgt, device=dev).unsqueeze(-1))[:, 0]
    return torch.zeros(n, device=dev).index_add(0, sel_r, lp)


def use_sdpa(F):
    """Attention through F.scaled_dot_product_attention (PyTorch >= 2.0), as eager training
    code runs it; the reference model's explicit softmax otherwise."""
    import make_models

    if not hasattr(F, "scaled_dot_product_attention"):
        return "explicit softmax (no scaled_dot_product_attention in this PyTorch)"

    def forward(self, x, mask, cos, sin, past_k, past_v):  # training: the past is empty
        b, s = x.shape[0], x.shape[1]
        q, k, v = self.qkv(x, cos, sin)
        rep = self.n_head // self.n_kv
        out = F.scaled_dot_product_attention(q, k.repeat_interleave(rep, dim=1), v.repeat_interleave(rep, dim=1), attn_mask=mask)
        return self.o_proj(out.transpose(1, 2).reshape(b, s, self.n_head * self.head_dim)), k, v

    make_models.LlamaAttention.forward = forward
    return "scaled_dot_product_attention"


if __name__ == "__main__":
    main()
