#!/usr/bin/python3
"""Tiny test models for the training references: make_models.py's architectures with a
512-token vocabulary, so that a training step takes milliseconds and a test can run the
10-step trajectories of every loss.

    /usr/bin/python3 testdata/train/make_tiny_models.py

writes tiny-gpt2-ref, tiny-gpt2-policy, tiny-llama-ref and tiny-llama-policy here, each a
config.json and a model.onnx (no tokenizer: the tests feed token ids). As in
testdata/models, a *-ref model has weights of seed 1 and its *-policy the same weights plus
noise (seed 2, 0.15 x each tensor's spread). The output is the same on every run.
"""

import argparse
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "models"))
import make_models  # noqa: E402

VOCAB = 512


def config(family):
    a = argparse.Namespace(vocab=VOCAB, hidden=None, layers=None, heads=None, kv_heads=None,
                           intermediate=None, max_positions=256, untied=False)
    cfg = make_models.gpt2_config(a) if family == "gpt2" else make_models.llama_config(a)
    cfg["bos_token_id"] = cfg["eos_token_id"] = VOCAB - 1
    if "pad_token_id" in cfg:
        cfg["pad_token_id"] = VOCAB - 1
    return cfg


def write(model, out):
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "config.json"), "w") as f:
        json.dump(model.cfg, f, indent=2)
        f.write("\n")
    make_models.export_onnx(model, os.path.join(out, "model.onnx"))
    print(f"{out}: {sum(p.numel() for p in model.parameters()):,d} parameters")


def main():
    for family in ("gpt2", "llama"):
        cfg = config(family)
        write(make_models.build_model(cfg, seed=1), os.path.join(HERE, f"tiny-{family}-ref"))
        policy = make_models.build_model(cfg, seed=1)
        make_models.perturb_weights(policy, seed=2, scale=0.15)
        write(policy, os.path.join(HERE, f"tiny-{family}-policy"))


if __name__ == "__main__":
    main()
