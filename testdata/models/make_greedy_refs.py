#!/usr/bin/python3
"""PyTorch greedy continuations of the committed test models, for sample's tests.

Run with Debian's PyTorch 1.13 (python3-torch), from anywhere:

    /usr/bin/python3 testdata/models/make_greedy_refs.py

It rebuilds the exact PyTorch weights of the four committed models with make_models.py's own
functions (ref: seed 1; policy: ref plus noise, seed 2, scale 0.15), checks them against the
committed reference_logps.json, and writes greedy_refs.json next to this file. The output is
the same on every run.

Every continuation is computed the plain way: one full, unpadded forward pass over
prompt + generated-so-far per new token (position_ids 0..n-1, no KV cache), next token =
argmax of the float32 logits of the last position (lowest id on ties, as torch.argmax). So
it is independent of the KV-cache and padding code under test.

greedy_refs.json schema (log-probabilities are natural logs):
{
  "generator": "testdata/models/make_greedy_refs.py",
  "new_tokens": int,                  # tokens generated per case (no EOS stop)
  "cases": [
    {
      "model": "<dir>",               # e.g. "llama-ref"
      "name": str,
      "prompt_ids": [int, ...],       # lengths differ within a model, >= 1
      "repetition_penalty": float,    # 1.0, or HF's RepetitionPenaltyLogitsProcessor over
                                      # prompt + generated ids before the argmax
      "greedy_ids": [int, ...],       # new_tokens ids
      "logp": float,                  # sum of log_softmax(raw logits)[id] over greedy_ids
                                      # (raw: before any penalty), float64
      "margins": [float, ...]         # per step: top1 - top2 of the argmax'ed float32 scores;
                                      # a step under ~1e-4 is a near-tie that another runtime's
                                      # rounding may break the other way
    }, ...
  ]
}
"""

import argparse
import json
import os
import sys

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import make_models as mm  # noqa: E402

NEW_TOKENS = 16
PROMPT_LENGTHS = [1, 4, 9, 17, 6]
PENALTY = 1.3


def default_args():
    return argparse.Namespace(vocab=None, hidden=None, layers=None, heads=None, kv_heads=None,
                              intermediate=None, max_positions=None, untied=False)


def build(family):
    cfg = (mm.gpt2_config if family == "gpt2" else mm.llama_config)(default_args())
    ref = mm.build_model(cfg, seed=1)
    policy = mm.build_model(cfg, seed=1)
    mm.perturb_weights(policy, seed=2, scale=0.15)
    return {f"{family}-ref": ref, f"{family}-policy": policy}


def check_against_committed(models):
    """The rebuilt weights must reproduce the committed reference log-probs."""
    with open(os.path.join(HERE, "reference_logps.json")) as f:
        ref = json.load(f)
    for case in ref["cases"]:
        model = models.get(case["model"])
        if model is None:
            continue
        ids = case["prompt_ids"] + case["response_ids"]
        _, toks = mm.logps_of(model, ids, len(case["prompt_ids"]))
        diff = abs(sum(toks) - case["response_logp"])
        if diff > 1e-6:
            raise SystemExit(f"{case['model']} {case['name']}: rebuilt model differs from the committed one ({diff:.2e})")


def penalize(scores, seen, penalty):
    """HF RepetitionPenaltyLogitsProcessor on one row: each seen id's score is multiplied by
    the penalty when negative, divided by it otherwise."""
    idx = torch.tensor(sorted(set(seen)), dtype=torch.int64)
    s = scores.gather(0, idx)
    s = torch.where(s < 0, s * penalty, s / penalty)
    return scores.scatter(0, idx, s)


def greedy(model, prompt, n, penalty):
    ids = list(prompt)
    out, logp, margins = [], 0.0, []
    for _ in range(n):
        logits, _ = mm.run(model, [ids])
        raw = logits[0, -1]  # float32 [vocab]
        scores = penalize(raw, ids, penalty) if penalty != 1.0 else raw
        tok = int(torch.argmax(scores).item())
        top2 = torch.topk(scores, 2).values
        margins.append(float(top2[0] - top2[1]))
        logp += float(raw.double().log_softmax(-1)[tok])
        out.append(tok)
        ids.append(tok)
    return out, logp, margins


def main():
    torch.set_num_threads(1)
    cases = []
    for family in ("gpt2", "llama"):
        models = build(family)
        check_against_committed(models)
        vocab = next(iter(models.values())).cfg["vocab_size"]
        rng = np.random.default_rng(7001 if family == "gpt2" else 7002)
        prompts = [rng.integers(0, vocab, size=n).tolist() for n in PROMPT_LENGTHS]
        for name, model in models.items():
            for penalty in (1.0, PENALTY):
                for j, prompt in enumerate(prompts):
                    toks, logp, margins = greedy(model, prompt, NEW_TOKENS, penalty)
                    tag = "" if penalty == 1.0 else "-penalty"
                    cases.append({
                        "model": name,
                        "name": f"{name}-greedy{j}{tag}",
                        "prompt_ids": prompt,
                        "repetition_penalty": penalty,
                        "greedy_ids": toks,
                        "logp": logp,
                        "margins": margins,
                    })
                    print(f"{cases[-1]['name']}: min margin {min(margins):.2e} logp {logp:.4f} ids {toks}")
    out = {"generator": "testdata/models/make_greedy_refs.py", "new_tokens": NEW_TOKENS, "cases": cases}
    mm.write_json(os.path.join(HERE, "greedy_refs.json"), out)


if __name__ == "__main__":
    main()
