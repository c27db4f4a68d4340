#!/usr/bin/python3
"""Build testdata/train/evalmode-gpt2: a tiny GPT-2 style model exported in *eval* mode.

    /usr/bin/python3 testdata/train/make_evalmode.py

torch.onnx.export with training=EVAL and constant folding merges parameters whose values are
equal: every LayerNorm weight (all ones) and bias (all zeros) becomes one initializer, and each
other copy an Identity node reading it. dpokit's trainer must undo that (each copy trains on its
own) and write the copies back as separate initializers. The model uses the classes of
testdata/models/make_models.py with their default PyTorch initialisation (vocab 64, hidden 8,
2 layers, 2 heads) and has the optimum decoder signature with a KV cache.
"""

import json
import os
import sys

import onnx
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "models"))
import make_models  # noqa: E402


def main():
    out = os.path.join(HERE, "evalmode-gpt2")
    os.makedirs(out, exist_ok=True)
    cfg = make_models.gpt2_config(type("A", (), dict(vocab=64, hidden=8, layers=2, heads=2, intermediate=16,
                                                      max_positions=32, untied=False, kv_heads=None))())
    torch.manual_seed(0)
    model = make_models.GPT2LM(cfg).eval()
    layers, heads, hd = cfg["n_layer"], cfg["n_head"], cfg["head_dim"]
    ids = torch.zeros(1, 3, dtype=torch.int64)
    mask = torch.ones(1, 3, dtype=torch.int64)
    pos = torch.arange(3).unsqueeze(0)
    past = [torch.zeros(1, heads, 0, hd) for _ in range(2 * layers)]
    past_names = [f"past_key_values.{i}.{k}" for i in range(layers) for k in ("key", "value")]
    present_names = [f"present.{i}.{k}" for i in range(layers) for k in ("key", "value")]
    axes = {"input_ids": {0: "batch_size", 1: "sequence_length"},
            "attention_mask": {0: "batch_size", 1: "total_sequence_length"},
            "position_ids": {0: "batch_size", 1: "sequence_length"},
            "logits": {0: "batch_size", 1: "sequence_length"}}
    for n in past_names:
        axes[n] = {0: "batch_size", 2: "past_sequence_length"}
    for n in present_names:
        axes[n] = {0: "batch_size", 2: "total_sequence_length"}
    path = os.path.join(out, "model.onnx")
    torch.onnx.export(model, (ids, mask, pos, *past), path, opset_version=14,
                      training=torch.onnx.TrainingMode.EVAL, do_constant_folding=True,
                      input_names=["input_ids", "attention_mask", "position_ids"] + past_names,
                      output_names=["logits"] + present_names, dynamic_axes=axes)
    m = onnx.load(path)
    onnx.checker.check_model(m)
    inits = {t.name for t in m.graph.initializer}
    ties = [n for n in m.graph.node if n.op_type == "Identity" and n.input[0] in inits]
    assert len(ties) == 8, f"expected 8 Identity copies of initializers, got {len(ties)}"
    with open(os.path.join(out, "config.json"), "w") as f:
        json.dump(cfg, f, indent=2)
        f.write("\n")
    print(f"{path}: {len(ties)} Identity copies of {len({n.input[0] for n in ties})} initializers")


if __name__ == "__main__":
    main()
