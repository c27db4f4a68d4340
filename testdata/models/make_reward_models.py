#!/usr/bin/python3
"""Build the tiny ONNX reward models (sequence classification) that dpokit's tests use.

Run with Debian's PyTorch 1.13 and onnx 1.12 (packages python3-torch, python3-onnx), from
anywhere:

    /usr/bin/python3 testdata/models/make_reward_models.py

It writes, deterministically, next to this file:

* rm-llama/   llama-ref's backbone (make_models.py's LlamaLM, default llama config, seed 1:
              the same weights as llama-ref) with a scalar head
              score: Linear(hidden, 1, bias=False) on the final-norm hidden state of the
              LAST non-padding token of each row, as Hugging Face's
              LlamaForSequenceClassification (num_labels 1). The head is drawn with seed 11
              and scaled so that scores spread over a few units across texts.
* rm-bad/     the same backbone with num_labels 2 (head seed 12): logits [batch, 2], which
              is not one score per sequence (for error tests).
* rm_reference.json   PyTorch scores of rm-llama for fixed token-id sequences.

Each directory holds model.onnx, config.json and the tokenizer files copied from llama-ref/
(tokenizer.json, tokenizer_config.json, special_tokens_map.json); no generation_config.json.

ONNX signature, opset 14:
  inputs   input_ids        int64   [batch_size, sequence_length]
           attention_mask   int64   [batch_size, sequence_length]
  outputs  logits           float32 [batch_size, num_labels]
There is no position_ids input and no KV cache. Inside the graph, positions are
cumsum(attention_mask) - 1 (0 where the mask is 0), so right- and left-padded rows get the
same positions as unpadded ones. Attention combines the causal mask with attention_mask.
The scored token of row b is index sum(attention_mask[b]) - 1, i.e. the last real token
when padding is on the RIGHT (callers must right-pad; a left-padded row would be scored at
the wrong index). Every row needs at least one real token.

rm_reference.json schema:
{
  "generator": "testdata/models/make_reward_models.py",
  "model": "rm-llama",
  "description": str,
  "cases": [
    {
      "name": str,                 # "rm-case0" ...
      "input_ids": [int, ...],     # lengths 3..30, ids in 0..vocab_size-1
      "score": float               # PyTorch float32 logits[0][0] of one unpadded run
                                   # (attention_mask all ones), stored as a float64
    }, ...
  ]
}
"""

import json
import math
import os
import shutil
import sys

import numpy as np
import onnx
import torch
import torch.nn as nn

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import make_models as mm  # noqa: E402

OPSET = 14
TOKENIZER_SRC = os.path.join(HERE, "llama-ref")
TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json")
# Relative scale of the head: score = w . h with w ~ N(0, (HEAD_SCALE^2) / hidden), h of
# order one per dimension, so scores have a standard deviation of about HEAD_SCALE.
HEAD_SCALE = 3.0
REFERENCE_LENGTHS = [3, 5, 8, 13, 21, 30]


def llama_args():
    import argparse

    return argparse.Namespace(vocab=None, hidden=None, layers=None, heads=None, kv_heads=None,
                              intermediate=None, max_positions=None, untied=False)


def attention(attn, x, mask, cos, sin):
    """make_models.LlamaAttention without a KV cache (same parameters, same arithmetic)."""
    b, s = x.shape[0], x.shape[1]
    d, nh, nkv = attn.head_dim, attn.n_head, attn.n_kv
    q = attn.q_proj(x).reshape(b, s, nh, d).transpose(1, 2)
    k = attn.k_proj(x).reshape(b, s, nkv, d).transpose(1, 2)
    v = attn.v_proj(x).reshape(b, s, nkv, d).transpose(1, 2)
    q = q * cos + mm.rotate_half(q) * sin
    k = k * cos + mm.rotate_half(k) * sin
    qg = q.reshape(b, nkv, -1, d)
    scores = torch.matmul(qg, k.transpose(2, 3)).reshape(b, nh, s, s)
    probs = mm.masked_softmax(scores * (1.0 / math.sqrt(d)), mask)
    out = torch.matmul(probs.reshape(b, nkv, -1, s), v)
    out = out.reshape(b, nh, s, d).transpose(1, 2).reshape(b, s, nh * d)
    return attn.o_proj(out)


class LlamaRewardModel(nn.Module):
    """Llama backbone (make_models.LlamaBody, parameter names model.*) + score head."""

    def __init__(self, cfg, num_labels):
        super().__init__()
        self.cfg = cfg
        self.model = mm.LlamaBody(cfg)
        self.score = nn.Linear(cfg["hidden_size"], num_labels, bias=False)
        d = cfg["head_dim"]
        inv = 1.0 / (cfg["rope_theta"] ** (torch.arange(0, d, 2, dtype=torch.int64).float() / d))
        self.inv_freq = inv.tolist()

    def forward(self, input_ids, attention_mask):
        m = self.model
        b = input_ids.shape[0]
        x = m.embed_tokens(input_ids)
        mask = mm.attention_bias_mask(attention_mask, input_ids.shape[1])
        position_ids = torch.clamp(torch.cumsum(attention_mask, dim=1) - 1, min=0)
        inv_freq = torch.tensor(self.inv_freq, dtype=torch.float32)
        freqs = position_ids.unsqueeze(-1).to(torch.float32) * inv_freq
        emb = torch.cat([freqs, freqs], dim=-1)
        cos = emb.cos().unsqueeze(1)
        sin = emb.sin().unsqueeze(1)
        for layer in m.layers:
            x = x + attention(layer.self_attn, layer.input_layernorm(x), mask, cos, sin)
            x = x + layer.mlp(layer.post_attention_layernorm(x))
        x = m.norm(x)
        last = torch.sum(attention_mask, dim=1) - 1  # [b]
        idx = last.reshape(b, 1, 1).expand(b, 1, x.shape[2])
        h = torch.gather(x, 1, idx).squeeze(1)  # [b, hidden]
        return self.score(h)


def build(num_labels, head_seed):
    cfg = mm.llama_config(llama_args())
    ref = mm.build_model(cfg, seed=1)  # llama-ref's weights
    rm = LlamaRewardModel(cfg, num_labels)
    body = {k[len("model."):]: v for k, v in ref.state_dict().items() if k.startswith("model.")}
    rm.model.load_state_dict(body)
    g = torch.Generator().manual_seed(head_seed)
    with torch.no_grad():
        rm.score.weight.copy_(torch.randn(rm.score.weight.shape, generator=g)
                              * (HEAD_SCALE / math.sqrt(cfg["hidden_size"])))
    rm.eval()
    # The backbone must be llama-ref's: the hidden state before the head equals LlamaLM's.
    ids = torch.tensor([[5, 77, 901, 32000, 12]], dtype=torch.int64)
    lm_logits, _ = mm.run(ref, ids)
    with torch.no_grad():
        h = capture_hidden(rm, ids)
        head = ref.model.embed_tokens.weight
        diff = (torch.matmul(h, head.t()) - lm_logits).abs().max().item()
    if diff > 1e-5:
        raise SystemExit(f"reward backbone differs from llama-ref: max abs logits diff {diff}")
    return cfg, rm


def capture_hidden(rm, ids):
    """Final-norm hidden states [b, s, hidden] of rm's backbone (unpadded)."""
    out = {}

    def hook(_mod, _inp, o):
        out["h"] = o

    handle = rm.model.norm.register_forward_hook(hook)
    rm(ids, torch.ones_like(ids))
    handle.remove()
    return out["h"]


def score(rm, rows, pad_id=32000):
    """Right-padded batch of token-id lists -> logits [b, num_labels]."""
    n = max(len(r) for r in rows)
    ids = torch.tensor([r + [pad_id] * (n - len(r)) for r in rows], dtype=torch.int64)
    mask = torch.tensor([[1] * len(r) + [0] * (n - len(r)) for r in rows], dtype=torch.int64)
    with torch.no_grad():
        return rm(ids, mask)


def export(rm, path):
    axes = {
        "input_ids": {0: "batch_size", 1: "sequence_length"},
        "attention_mask": {0: "batch_size", 1: "sequence_length"},
        "logits": {0: "batch_size"},
    }
    ids = torch.tensor([[5, 7, 9, 4], [11, 13, 0, 0]], dtype=torch.int64)
    mask = torch.tensor([[1, 1, 1, 1], [1, 1, 0, 0]], dtype=torch.int64)
    torch.onnx.export(
        rm,
        (ids, mask),
        path,
        input_names=["input_ids", "attention_mask"],
        output_names=["logits"],
        dynamic_axes=axes,
        opset_version=OPSET,
        training=torch.onnx.TrainingMode.PRESERVE,
        do_constant_folding=False,
        export_params=True,
    )
    mm.check_onnx(rm, path)
    m = onnx.load(path)
    dims = [d.dim_param or d.dim_value for d in m.graph.output[0].type.tensor_type.shape.dim]
    if len(dims) != 2 or dims[1] != rm.score.weight.shape[0]:
        raise SystemExit(f"{path}: logits dims {dims}")


def config_json(cfg, num_labels):
    c = dict(cfg)
    c["architectures"] = ["LlamaForSequenceClassification"]
    c["num_labels"] = num_labels
    c["problem_type"] = "regression" if num_labels == 1 else "single_label_classification"
    c["id2label"] = {str(i): f"LABEL_{i}" for i in range(num_labels)}
    c["label2id"] = {f"LABEL_{i}": i for i in range(num_labels)}
    c["tie_word_embeddings"] = False  # no lm_head at all
    return c


def write_dir(name, cfg, rm, num_labels):
    out = os.path.join(HERE, name)
    os.makedirs(out, exist_ok=True)
    for f in os.listdir(out):
        if f in TOKENIZER_FILES or f in ("config.json", "model.onnx"):
            os.remove(os.path.join(out, f))
    mm.write_json(os.path.join(out, "config.json"), config_json(cfg, num_labels))
    for f in TOKENIZER_FILES:
        shutil.copyfile(os.path.join(TOKENIZER_SRC, f), os.path.join(out, f))
    export(rm, os.path.join(out, "model.onnx"))
    return out


def self_check(rm, rows):
    """Right- and left-padded batches give the unpadded scores (left padding only through the
    attention, since the scored index assumes right padding: checked with a pad-free batch)."""
    alone = torch.cat([score(rm, [r]) for r in rows])
    batched = score(rm, rows)
    worst = (alone - batched).abs().max().item()
    if worst > 1e-4:
        raise SystemExit(f"right-padded batch differs from unpadded runs: {worst}")
    return worst


def main():
    torch.set_num_threads(1)
    cfg, rm = build(num_labels=1, head_seed=11)
    _, bad = build(num_labels=2, head_seed=12)
    vocab = cfg["vocab_size"]
    rng = np.random.default_rng(20240611)
    rows = [rng.integers(0, vocab, size=n).tolist() for n in REFERENCE_LENGTHS]
    worst = self_check(rm, rows)
    self_check(bad, rows)
    scores = [float(score(rm, [r])[0, 0].item()) for r in rows]
    more = [float(score(rm, [rng.integers(0, vocab, size=12).tolist()])[0, 0]) for _ in range(200)]
    print(f"rm-llama: reference scores {', '.join(f'{s:+.4f}' for s in scores)}; "
          f"right-padded batch max abs diff {worst:.2e}; "
          f"200 random texts: mean {np.mean(more):+.3f} std {np.std(more):.3f}")
    write_dir("rm-llama", cfg, rm, 1)
    write_dir("rm-bad", cfg, bad, 2)
    mm.write_json(os.path.join(HERE, "rm_reference.json"), {
        "generator": "testdata/models/make_reward_models.py",
        "model": "rm-llama",
        "description": "PyTorch scores (logits[0][0]) of rm-llama, each sequence unpadded; see the script's header",
        "cases": [{"name": f"rm-case{i}", "input_ids": r, "score": s} for i, (r, s) in enumerate(zip(rows, scores))],
    })
    for name in ("rm-llama", "rm-bad"):
        mm.print_sizes(os.path.join(HERE, name))


if __name__ == "__main__":
    main()
