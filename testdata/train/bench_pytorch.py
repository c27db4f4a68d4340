#!/usr/bin/python3
"""Time a DPO step in PyTorch 1.13 on the batch dpokit's benchmark uses (train/bench_test.go).

    /usr/bin/python3 testdata/train/bench_pytorch.py MODEL_DIR BATCH_JSON STEPS

MODEL_DIR is a directory made by testdata/models/make_models.py (its ONNX initializers are the
PyTorch parameters); BATCH_JSON holds {"pairs": [{"prompt", "chosen", "rejected",
"ref_chosen_logp", "ref_rejected_logp"}], "beta", "lr", "max_grad_norm"}. The step is TRL's: one
forward pass over the chosen and rejected sequences (right-padded to the longest), full-vocabulary
log_softmax, sigmoid DPO loss, backward, gradient clipping, AdamW. Prints one JSON line:
seconds per step (median after one warm-up step), tokens per second and peak RSS.
"""

import json
import os
import resource
import statistics
import sys
import time

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from dpo_reference import load_model_dir, response_logps  # noqa: E402


def main():
    model_dir, batch_path, steps = sys.argv[1], sys.argv[2], int(sys.argv[3])
    torch.set_num_threads(os.cpu_count())
    with open(batch_path) as f:
        spec = json.load(f)
    model, cfg = load_model_dir(model_dir)
    pairs = spec["pairs"]
    n = len(pairs)
    beta = spec["beta"]
    opt = torch.optim.AdamW(model.parameters(), lr=spec["lr"])
    refs = torch.tensor([p["ref_chosen_logp"] for p in pairs] + [p["ref_rejected_logp"] for p in pairs])
    tokens = sum(2 * len(p["prompt"]) + len(p["chosen"]) + len(p["rejected"]) for p in pairs)
    times = []
    for k in range(steps + 1):
        t0 = time.perf_counter()
        opt.zero_grad()
        logps, _ = response_logps(model, cfg, pairs)
        z = (logps[:n] - logps[n:]) - (refs[:n] - refs[n:])
        loss = -F.logsigmoid(beta * z).mean()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), spec["max_grad_norm"])
        opt.step()
        if k > 0:
            times.append(time.perf_counter() - t0)
    sec = statistics.median(times)
    print(json.dumps({"seconds_per_step": sec, "tokens_per_second": tokens / sec,
                      "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                      "threads": torch.get_num_threads(), "torch": torch.__version__, "loss": float(loss)}))


if __name__ == "__main__":
    main()
