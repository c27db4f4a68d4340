#!/usr/bin/python3
"""Build the tiny causal LMs that dpokit's tests use, exported to ONNX with a KV cache.

Run with Debian's PyTorch 1.13 and onnx 1.12 (packages python3-torch, python3-onnx):

    /usr/bin/python3 testdata/models/make_models.py

With no arguments the script regenerates, deterministically, the four committed model
directories next to this file (gpt2-ref, gpt2-policy, llama-ref, llama-policy) and
reference_logps.json. With --family and --out it builds one model directory of any size
(for benchmarks), for example:

    /usr/bin/python3 testdata/models/make_models.py --family llama --hidden 256 --layers 4 \
        --heads 8 --kv-heads 4 --intermediate 688 --seed 3 --out /tmp/benchmodel

--dump-logits DIR (default mode only) also writes the PyTorch float32 logits of every
reference case, for scripts/verify_onnx_models.js to compare ONNX Runtime against.

--genai-stacked (a separate run; the default mode does not touch it) writes llama-genai/:
llama-ref's weights (seed 1, default llama config) as an ONNX Runtime GenAI model directory
with a stacked KV cache:

    /usr/bin/python3 testdata/models/make_models.py --genai-stacked

It holds decoder.onnx, genai_config.json (decoder.filename "decoder.onnx", inputs
past_names "past_%d", outputs present_names "present_%d"), generation_config.json and the
tokenizer files, and no config.json. decoder.onnx has the signature below, except that
each layer's cache is one tensor, index 0 the key and 1 the value:
  inputs   past_{i}         float32 [2, batch_size, kv_heads, past_sequence_length, head_dim]
  outputs  present_{i}      float32 [2, batch_size, kv_heads, past_sequence_length + sequence_length, head_dim]
Before writing, it checks in PyTorch that logits and cache equal llama-ref's exactly (empty
past and a chunked cache). The output is identical on every run.

Both families are written here in plain PyTorch (no transformers package):

* gpt2: learned absolute position embeddings, pre-LayerNorm blocks, multi-head attention
  with biases, tanh-approximated GELU MLP (4x), final LayerNorm, lm_head tied to wte.
* llama: RoPE (rotate-half, as Hugging Face Llama), RMSNorm, SwiGLU MLP, grouped-query
  attention, no biases, lm_head tied to embed_tokens (unless --untied).

ONNX signature (Hugging Face optimum decoder-with-past names), opset 14:
  inputs   input_ids        int64   [batch_size, sequence_length]
           attention_mask   int64   [batch_size, past_sequence_length + sequence_length]
           position_ids     int64   [batch_size, sequence_length]
           past_key_values.{i}.key / .value  float32 [batch_size, kv_heads, past_sequence_length, head_dim]
  outputs  logits           float32 [batch_size, sequence_length, vocab_size]
           present.{i}.key / .value          float32 [batch_size, kv_heads, past_sequence_length + sequence_length, head_dim]
An empty past (past_sequence_length 0) runs a first, uncached pass. Attention combines the
causal mask with attention_mask, so left and right padding give the logits of an unpadded
run for real tokens; masked scores are set to float32's lowest finite value, so fully
masked (padding) rows stay finite. Positions come only from position_ids.
The export keeps every parameter as its own initializer (TrainingMode.PRESERVE,
do_constant_folding=False); a tied lm_head is a Transpose of the embedding initializer.

reference_logps.json schema (all log-probabilities are natural logs):
{
  "generator": "testdata/models/make_models.py",
  "description": str,
  "models": {                                 # one entry per model directory name
    "<dir>": {
      "family": "gpt2" | "llama",
      "vocab_size": int,
      "seq_logits_check": {                   # one fixed short sequence, unpadded, no past
        "input_ids": [int, ...],              # position_ids are 0..len-1
        "logits_first8": [[float x 8], ...]   # logits[pos][0:8] for every position
      }
    }
  },
  "cases": [                                  # the same token ids for <family>-ref and <family>-policy
    {
      "model": "<dir>",                       # e.g. "gpt2-ref"
      "name": str,                            # e.g. "gpt2-case3"; shared by ref and policy
      "prompt_ids": [int, ...],               # length >= 1
      "response_ids": [int, ...],             # length >= 1
      "response_logp": float,                 # sum of token_logps
      "token_logps": [float, ...],            # log softmax(logits[t-1])[ids[t]] for each response token
      "last_logits_first8": [float x 8]       # only in two cases per model: logits[-1][0:8]
    }, ...
  ]
}
The values come from one unpadded forward pass over prompt_ids + response_ids (position_ids
0..n-1, attention_mask all ones, empty past); float32 logits are converted to float64
before log_softmax.
"""

import argparse
import inspect
import json
import math
import os
import sys

import numpy as np
import onnx
import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
SHARED_TOKENIZERS = "/work/shared/tokenizers"
TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json")
MASK_VALUE = torch.finfo(torch.float32).min
OPSET = 14


# ---------------------------------------------------------------------------
# Shared pieces


def attention_bias_mask(attention_mask, q_len):
    """Boolean mask [batch, 1, q_len, total]: key j is visible to query i when it is not
    padding and j <= past + i, where past = total - q_len."""
    total = attention_mask.shape[1]
    past = total - q_len
    key_pos = torch.arange(total, dtype=torch.int64)
    query_pos = torch.arange(q_len, dtype=torch.int64) + past
    causal = key_pos.unsqueeze(0) <= query_pos.unsqueeze(1)  # [q, total]
    not_pad = attention_mask.unsqueeze(1).unsqueeze(2) != 0  # [batch, 1, 1, total]
    return torch.logical_and(not_pad, causal.unsqueeze(0).unsqueeze(0))


def masked_softmax(scores, mask):
    scores = torch.where(mask, scores, torch.tensor(MASK_VALUE, dtype=torch.float32))
    return torch.softmax(scores, dim=-1)


# ---------------------------------------------------------------------------
# GPT-2 style


class GPT2Attention(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.n_embd = cfg["n_embd"]
        self.n_head = cfg["n_head"]
        self.head_dim = self.n_embd // self.n_head
        self.c_attn = nn.Linear(self.n_embd, 3 * self.n_embd)
        self.c_proj = nn.Linear(self.n_embd, self.n_embd)

    def forward(self, x, mask, past_k, past_v):
        b, s = x.shape[0], x.shape[1]
        q, k, v = self.c_attn(x).split(self.n_embd, dim=2)
        q = q.reshape(b, s, self.n_head, self.head_dim).transpose(1, 2)
        k = k.reshape(b, s, self.n_head, self.head_dim).transpose(1, 2)
        v = v.reshape(b, s, self.n_head, self.head_dim).transpose(1, 2)
        k = torch.cat([past_k, k], dim=2)
        v = torch.cat([past_v, v], dim=2)
        scores = torch.matmul(q, k.transpose(2, 3)) * (1.0 / math.sqrt(self.head_dim))
        probs = masked_softmax(scores, mask)
        out = torch.matmul(probs, v).transpose(1, 2).reshape(b, s, self.n_embd)
        return self.c_proj(out), k, v


def gelu_tanh(x):
    return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x * x * x)))


class GPT2MLP(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.c_fc = nn.Linear(cfg["n_embd"], cfg["n_inner"])
        self.c_proj = nn.Linear(cfg["n_inner"], cfg["n_embd"])

    def forward(self, x):
        return self.c_proj(gelu_tanh(self.c_fc(x)))


class GPT2Block(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        eps = cfg["layer_norm_epsilon"]
        self.ln_1 = nn.LayerNorm(cfg["n_embd"], eps=eps)
        self.attn = GPT2Attention(cfg)
        self.ln_2 = nn.LayerNorm(cfg["n_embd"], eps=eps)
        self.mlp = GPT2MLP(cfg)

    def forward(self, x, mask, past_k, past_v):
        a, k, v = self.attn(self.ln_1(x), mask, past_k, past_v)
        x = x + a
        x = x + self.mlp(self.ln_2(x))
        return x, k, v


class GPT2Body(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.wte = nn.Embedding(cfg["vocab_size"], cfg["n_embd"])
        self.wpe = nn.Embedding(cfg["n_positions"], cfg["n_embd"])
        self.h = nn.ModuleList([GPT2Block(cfg) for _ in range(cfg["n_layer"])])
        self.ln_f = nn.LayerNorm(cfg["n_embd"], eps=cfg["layer_norm_epsilon"])


class GPT2LM(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.cfg = cfg
        self.transformer = GPT2Body(cfg)
        self.lm_head = None
        if not cfg["tie_word_embeddings"]:
            self.lm_head = nn.Linear(cfg["n_embd"], cfg["vocab_size"], bias=False)

    def forward(self, input_ids, attention_mask, position_ids, *past):
        t = self.transformer
        x = t.wte(input_ids) + t.wpe(position_ids)
        mask = attention_bias_mask(attention_mask, input_ids.shape[1])
        presents = []
        for i, block in enumerate(t.h):
            x, k, v = block(x, mask, past[2 * i], past[2 * i + 1])
            presents += [k, v]
        x = t.ln_f(x)
        head = t.wte.weight if self.lm_head is None else self.lm_head.weight
        logits = torch.matmul(x, head.t())
        return (logits, *presents)


# ---------------------------------------------------------------------------
# Llama style


class RMSNorm(nn.Module):
    def __init__(self, dim, eps):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(dim))

    def forward(self, x):
        var = (x * x).mean(-1, keepdim=True)
        return self.weight * (x * torch.rsqrt(var + self.eps))


def rotate_half(x):
    half = x.shape[-1] // 2
    return torch.cat([-x[..., half:], x[..., :half]], dim=-1)


class LlamaAttention(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        h = cfg["hidden_size"]
        self.n_head = cfg["num_attention_heads"]
        self.n_kv = cfg["num_key_value_heads"]
        self.head_dim = cfg["head_dim"]
        self.q_proj = nn.Linear(h, self.n_head * self.head_dim, bias=False)
        self.k_proj = nn.Linear(h, self.n_kv * self.head_dim, bias=False)
        self.v_proj = nn.Linear(h, self.n_kv * self.head_dim, bias=False)
        self.o_proj = nn.Linear(self.n_head * self.head_dim, h, bias=False)

    def qkv(self, x, cos, sin):
        """Queries, keys and values [b, heads, s, d], RoPE applied."""
        b, s = x.shape[0], x.shape[1]
        d, nh, nkv = self.head_dim, self.n_head, self.n_kv
        q = self.q_proj(x).reshape(b, s, nh, d).transpose(1, 2)
        k = self.k_proj(x).reshape(b, s, nkv, d).transpose(1, 2)
        v = self.v_proj(x).reshape(b, s, nkv, d).transpose(1, 2)
        return q * cos + rotate_half(q) * sin, k * cos + rotate_half(k) * sin, v

    def forward(self, x, mask, cos, sin, past_k, past_v):
        b, s = x.shape[0], x.shape[1]
        d, nh, nkv = self.head_dim, self.n_head, self.n_kv
        q, k, v = self.qkv(x, cos, sin)
        k = torch.cat([past_k, k], dim=2)
        v = torch.cat([past_v, v], dim=2)
        # Grouped-query attention as Hugging Face's repeat_kv: query head h reads KV head
        # h // (nh / nkv). Grouping the query heads by KV head avoids materialising copies.
        total = k.shape[2]
        qg = q.reshape(b, nkv, -1, d)  # [b, nkv, rep*s, d]
        scores = torch.matmul(qg, k.transpose(2, 3)).reshape(b, nh, s, total)
        probs = masked_softmax(scores * (1.0 / math.sqrt(d)), mask)
        out = torch.matmul(probs.reshape(b, nkv, -1, total), v)  # [b, nkv, rep*s, d]
        out = out.reshape(b, nh, s, d).transpose(1, 2).reshape(b, s, nh * d)
        return self.o_proj(out), k, v


class LlamaMLP(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        h, m = cfg["hidden_size"], cfg["intermediate_size"]
        self.gate_proj = nn.Linear(h, m, bias=False)
        self.up_proj = nn.Linear(h, m, bias=False)
        self.down_proj = nn.Linear(m, h, bias=False)

    def forward(self, x):
        g = self.gate_proj(x)
        return self.down_proj(g * torch.sigmoid(g) * self.up_proj(x))


class LlamaBlock(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.input_layernorm = RMSNorm(cfg["hidden_size"], cfg["rms_norm_eps"])
        self.self_attn = LlamaAttention(cfg)
        self.post_attention_layernorm = RMSNorm(cfg["hidden_size"], cfg["rms_norm_eps"])
        self.mlp = LlamaMLP(cfg)

    def forward(self, x, mask, cos, sin, past_k, past_v):
        a, k, v = self.self_attn(self.input_layernorm(x), mask, cos, sin, past_k, past_v)
        x = x + a
        x = x + self.mlp(self.post_attention_layernorm(x))
        return x, k, v


class LlamaBody(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.embed_tokens = nn.Embedding(cfg["vocab_size"], cfg["hidden_size"])
        self.layers = nn.ModuleList([LlamaBlock(cfg) for _ in range(cfg["num_hidden_layers"])])
        self.norm = RMSNorm(cfg["hidden_size"], cfg["rms_norm_eps"])


class LlamaLM(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.cfg = cfg
        self.model = LlamaBody(cfg)
        self.lm_head = None
        if not cfg["tie_word_embeddings"]:
            self.lm_head = nn.Linear(cfg["hidden_size"], cfg["vocab_size"], bias=False)
        d = cfg["head_dim"]
        # As Hugging Face computes it (float32); a plain list so that the export holds it
        # as a graph constant, not as a (trainable-looking) initializer.
        inv = 1.0 / (cfg["rope_theta"] ** (torch.arange(0, d, 2, dtype=torch.int64).float() / d))
        self.inv_freq = inv.tolist()

    def forward(self, input_ids, attention_mask, position_ids, *past):
        m = self.model
        x = m.embed_tokens(input_ids)
        mask = attention_bias_mask(attention_mask, input_ids.shape[1])
        inv_freq = torch.tensor(self.inv_freq, dtype=torch.float32)
        freqs = position_ids.unsqueeze(-1).to(torch.float32) * inv_freq  # [b, s, d/2]
        emb = torch.cat([freqs, freqs], dim=-1)
        cos = emb.cos().unsqueeze(1)  # [b, 1, s, d]
        sin = emb.sin().unsqueeze(1)
        presents = []
        for i, layer in enumerate(m.layers):
            x, k, v = layer(x, mask, cos, sin, past[2 * i], past[2 * i + 1])
            presents += [k, v]
        x = m.norm(x)
        head = m.embed_tokens.weight if self.lm_head is None else self.lm_head.weight
        logits = torch.matmul(x, head.t())
        return (logits, *presents)


class LlamaStackedLM(LlamaLM):
    """LlamaLM with ONNX Runtime GenAI's stacked KV cache: one past tensor per layer,
    [2, batch, kv_heads, past, head_dim] (index 0 the key, 1 the value), and one present
    tensor per layer of the same form. Parameters and their names are LlamaLM's."""

    def forward(self, input_ids, attention_mask, position_ids, *past):
        flat = []
        for p in past:
            flat += [p[0], p[1]]
        out = super().forward(input_ids, attention_mask, position_ids, *flat)
        kv = out[1:]
        presents = [torch.stack([kv[2 * i], kv[2 * i + 1]]) for i in range(len(past))]
        return (out[0], *presents)


# ---------------------------------------------------------------------------
# Configurations and weights


def gpt2_config(a):
    return {
        "model_type": "gpt2",
        "architectures": ["GPT2LMHeadModel"],
        "vocab_size": a.vocab or 50257,
        "n_embd": a.hidden or 32,
        "n_layer": a.layers or 2,
        "n_head": a.heads or 4,
        "n_inner": a.intermediate or 4 * (a.hidden or 32),
        "n_positions": a.max_positions or 1024,
        "n_ctx": a.max_positions or 1024,
        "layer_norm_epsilon": 1e-5,
        "activation_function": "gelu_new",
        "bos_token_id": 50256,
        "eos_token_id": 50256,
        "tie_word_embeddings": not a.untied,
        "torch_dtype": "float32",
        # The Hugging Face aliases, so readers of either spelling find them.
        "hidden_size": a.hidden or 32,
        "num_hidden_layers": a.layers or 2,
        "num_attention_heads": a.heads or 4,
        "num_key_value_heads": a.heads or 4,
        "head_dim": (a.hidden or 32) // (a.heads or 4),
        "max_position_embeddings": a.max_positions or 1024,
    }


def llama_config(a):
    hidden = a.hidden or 32
    heads = a.heads or 4
    return {
        "model_type": "llama",
        "architectures": ["LlamaForCausalLM"],
        "vocab_size": a.vocab or 32064,
        "hidden_size": hidden,
        "intermediate_size": a.intermediate or 64,
        "num_hidden_layers": a.layers or 2,
        "num_attention_heads": heads,
        "num_key_value_heads": a.kv_heads or 2,
        "head_dim": hidden // heads,
        "max_position_embeddings": a.max_positions or 1024,
        "rms_norm_eps": 1e-5,
        "rope_theta": 10000.0,
        "hidden_act": "silu",
        "attention_bias": False,
        "bos_token_id": 1,
        "eos_token_id": 32000,
        "pad_token_id": 32000,
        "tie_word_embeddings": not a.untied,
        "torch_dtype": "float32",
    }


def generation_config(cfg):
    if cfg["model_type"] == "gpt2":
        return {"bos_token_id": 50256, "eos_token_id": 50256}
    # <|endoftext|> (tokenizer_config's eos_token) and <|end|>, which closes each turn of
    # the chat template, as Phi-3's own generation_config does.
    return {"bos_token_id": 1, "eos_token_id": [32000, 32007], "pad_token_id": 32000}


def init_weights(model, seed):
    """Weights large enough that the next-token distribution is far from uniform (per-token
    log-prob spread of several nats) while activations stay of order one."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            leaf = name.rsplit(".", 1)[-1]
            if name.endswith("wte.weight") or name.endswith("embed_tokens.weight") or name == "lm_head.weight":
                # std sqrt(8 / hidden) (0.5 at hidden 32): logits of std about 2.8 at any width
                p.copy_(torch.randn(p.shape, generator=g) * math.sqrt(8.0 / p.shape[1]))
            elif name.endswith("wpe.weight"):
                p.copy_(torch.randn(p.shape, generator=g) * 0.3)
            elif p.dim() == 1 and leaf == "weight":  # norm scales
                p.copy_(1.0 + 0.1 * torch.randn(p.shape, generator=g))
            elif leaf == "bias":
                p.copy_(0.1 * torch.randn(p.shape, generator=g))
            else:  # Linear [out, in]
                p.copy_(torch.randn(p.shape, generator=g) / math.sqrt(p.shape[1]))


def perturb_weights(model, seed, scale):
    """The policy: the reference plus noise of `scale` times each tensor's own spread."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for _, p in model.named_parameters():
            spread = p.std().item() if p.numel() > 1 else 1.0
            if spread < 1e-3:
                spread = 0.1
            p.add_(torch.randn(p.shape, generator=g) * (scale * spread))


def build_model(cfg, seed):
    torch.manual_seed(seed)
    model = GPT2LM(cfg) if cfg["model_type"] == "gpt2" else LlamaLM(cfg)
    init_weights(model, seed)
    model.eval()
    return model


def kv_shape(cfg):
    if cfg["model_type"] == "gpt2":
        return cfg["n_layer"], cfg["n_head"], cfg["n_embd"] // cfg["n_head"]
    return cfg["num_hidden_layers"], cfg["num_key_value_heads"], cfg["head_dim"]


def empty_past(cfg, batch, past_len=0):
    layers, kv, d = kv_shape(cfg)
    return [torch.zeros(batch, kv, past_len, d) for _ in range(2 * layers)]


def run(model, ids, mask=None, pos=None, past=None):
    """One forward pass; ids [b, s] int64. Defaults: no padding, positions after the past."""
    ids = torch.as_tensor(ids, dtype=torch.int64)
    b, s = ids.shape
    if past is None:
        past = empty_past(model.cfg, b)
    p = past[0].shape[2]
    if mask is None:
        mask = torch.ones(b, p + s, dtype=torch.int64)
    if pos is None:
        pos = torch.arange(p, p + s, dtype=torch.int64).unsqueeze(0).expand(b, s)
    with torch.no_grad():
        out = model(ids, torch.as_tensor(mask), torch.as_tensor(pos), *past)
    return out[0], list(out[1:])


# ---------------------------------------------------------------------------
# Export


def io_names(cfg):
    layers = kv_shape(cfg)[0]
    past_in, present_out = [], []
    for i in range(layers):
        past_in += [f"past_key_values.{i}.key", f"past_key_values.{i}.value"]
        present_out += [f"present.{i}.key", f"present.{i}.value"]
    return past_in, present_out


def export_onnx(model, path, allow_external=False):
    """Export with the TorchScript exporter (training=PRESERVE, no constant folding). A model
    over protobuf's 2 GB limit is written with external data (allow_external: the benchmark's
    large models; the committed test models must be self-contained)."""
    cfg = model.cfg
    past_in, present_out = io_names(cfg)
    inputs = ["input_ids", "attention_mask", "position_ids"] + past_in
    outputs = ["logits"] + present_out
    axes = {
        "input_ids": {0: "batch_size", 1: "sequence_length"},
        "attention_mask": {0: "batch_size", 1: "past_sequence_length + sequence_length"},
        "position_ids": {0: "batch_size", 1: "sequence_length"},
        "logits": {0: "batch_size", 1: "sequence_length"},
    }
    for n in past_in:
        axes[n] = {0: "batch_size", 2: "past_sequence_length"}
    for n in present_out:
        axes[n] = {0: "batch_size", 2: "past_sequence_length + sequence_length"}
    # A non-empty past in the dummy, so that nothing specialises on a zero length.
    b, s, p = 2, 3, 2
    ids = torch.tensor([[5, 7, 9], [11, 13, 17]], dtype=torch.int64)
    mask = torch.ones(b, p + s, dtype=torch.int64)
    pos = torch.arange(p, p + s, dtype=torch.int64).unsqueeze(0).expand(b, s).contiguous()
    past = [torch.randn(t.shape[0], t.shape[1], p, t.shape[3]) for t in empty_past(cfg, b)]
    torch.onnx.export(
        model,
        (ids, mask, pos, *past),
        path,
        input_names=inputs,
        output_names=outputs,
        dynamic_axes=axes,
        opset_version=OPSET,
        training=torch.onnx.TrainingMode.PRESERVE,
        do_constant_folding=False,
        export_params=True,
        **torchscript_exporter(),
    )
    check_onnx(model, path, allow_external)


def torchscript_exporter():
    """PyTorch >= 2.9 exports with dynamo by default; these exports need the TorchScript
    exporter (its training and constant-folding options)."""
    if "dynamo" in inspect.signature(torch.onnx.export).parameters:
        return {"dynamo": False}
    return {}


def check_onnx(model, path, allow_external=False):
    m = onnx.load(path, load_external_data=False)
    onnx.checker.check_model(path)  # by path: also for models over 2 GB
    params = {n for n, _ in model.named_parameters()}
    inits = {t.name for t in m.graph.initializer}
    if inits != params:
        raise SystemExit(f"{path}: initializers {sorted(inits ^ params)} differ from the parameters")
    for node in m.graph.node:
        if node.op_type == "Identity" and any(i in inits for i in node.input):
            raise SystemExit(f"{path}: Identity node {node.name} on an initializer")
        if node.domain not in ("", "ai.onnx"):
            raise SystemExit(f"{path}: non-standard operator {node.domain}.{node.op_type}")
    for t in m.graph.initializer:
        if t.data_location == onnx.TensorProto.EXTERNAL and not allow_external:
            raise SystemExit(f"{path}: external data")


def export_onnx_stacked(model, path):
    """export_onnx for a LlamaStackedLM: inputs past_{i}, outputs present_{i}, each
    [2, batch_size, kv_heads, length, head_dim]."""
    cfg = model.cfg
    layers = kv_shape(cfg)[0]
    past_in = [f"past_{i}" for i in range(layers)]
    present_out = [f"present_{i}" for i in range(layers)]
    axes = {
        "input_ids": {0: "batch_size", 1: "sequence_length"},
        "attention_mask": {0: "batch_size", 1: "past_sequence_length + sequence_length"},
        "position_ids": {0: "batch_size", 1: "sequence_length"},
        "logits": {0: "batch_size", 1: "sequence_length"},
    }
    for n in past_in:
        axes[n] = {1: "batch_size", 3: "past_sequence_length"}
    for n in present_out:
        axes[n] = {1: "batch_size", 3: "past_sequence_length + sequence_length"}
    b, s, p = 2, 3, 2
    ids = torch.tensor([[5, 7, 9], [11, 13, 17]], dtype=torch.int64)
    mask = torch.ones(b, p + s, dtype=torch.int64)
    pos = torch.arange(p, p + s, dtype=torch.int64).unsqueeze(0).expand(b, s).contiguous()
    past = stacked_past(empty_past(cfg, b, p))
    torch.onnx.export(
        model,
        (ids, mask, pos, *past),
        path,
        input_names=["input_ids", "attention_mask", "position_ids"] + past_in,
        output_names=["logits"] + present_out,
        dynamic_axes=axes,
        opset_version=OPSET,
        training=torch.onnx.TrainingMode.PRESERVE,
        do_constant_folding=False,
        export_params=True,
        **torchscript_exporter(),
    )
    check_onnx(model, path)


def stacked_past(flat):
    """[k0, v0, k1, v1, ...] -> [stack(k0, v0), stack(k1, v1), ...]"""
    return [torch.stack([flat[2 * i], flat[2 * i + 1]]) for i in range(len(flat) // 2)]


def genai_config(cfg, decoder_file):
    """genai_config.json of ONNX Runtime GenAI for a stacked-cache llama decoder."""
    gen = generation_config(cfg)
    return {
        "model": {
            "bos_token_id": gen["bos_token_id"],
            "context_length": cfg["max_position_embeddings"],
            "decoder": {
                "session_options": {"log_id": "onnxruntime-genai", "provider_options": []},
                "filename": decoder_file,
                "head_size": cfg["head_dim"],
                "hidden_size": cfg["hidden_size"],
                "inputs": {
                    "input_ids": "input_ids",
                    "attention_mask": "attention_mask",
                    "position_ids": "position_ids",
                    "past_names": "past_%d",
                },
                "outputs": {
                    "logits": "logits",
                    "present_names": "present_%d",
                },
                "num_attention_heads": cfg["num_attention_heads"],
                "num_hidden_layers": cfg["num_hidden_layers"],
                "num_key_value_heads": cfg["num_key_value_heads"],
            },
            "eos_token_id": gen["eos_token_id"],
            "pad_token_id": gen["pad_token_id"],
            "type": cfg["model_type"],
            "vocab_size": cfg["vocab_size"],
        },
        "search": {
            "diversity_penalty": 0.0,
            "do_sample": False,
            "early_stopping": True,
            "length_penalty": 1.0,
            "max_length": cfg["max_position_embeddings"],
            "min_length": 0,
            "no_repeat_ngram_size": 0,
            "num_beams": 1,
            "num_return_sequences": 1,
            # present is past + sequence long, a new tensor: no shared past/present buffer
            "past_present_share_buffer": False,
            "repetition_penalty": 1.0,
            "temperature": 1.0,
            "top_k": 1,
            "top_p": 1.0,
        },
    }


def write_json(path, obj):
    with open(path, "w") as f:
        json.dump(obj, f, indent=2)
        f.write("\n")


def tokenizer_bytes(family, tokenizers_dir):
    sub = "gpt2" if family == "gpt2" else "llama-sp"
    candidates = [os.path.join(tokenizers_dir, sub), os.path.join(HERE, f"{family}-ref")]
    for d in candidates:
        if all(os.path.isfile(os.path.join(d, f)) for f in TOKENIZER_FILES):
            out = {}
            for f in TOKENIZER_FILES:
                with open(os.path.join(d, f), "rb") as fh:
                    out[f] = fh.read()
            return out
    raise SystemExit(f"no tokenizer files for {family} in {candidates}")


def max_token_id(tok):
    t = json.loads(tok["tokenizer.json"])
    ids = list(t["model"]["vocab"].values()) + [a["id"] for a in t.get("added_tokens", [])]
    return max(ids)


def write_model_dir(model, out, tok, allow_external=False):
    cfg = model.cfg
    if max_token_id(tok) >= cfg["vocab_size"]:
        raise SystemExit(f"vocab_size {cfg['vocab_size']} does not cover token id {max_token_id(tok)}")
    os.makedirs(out, exist_ok=True)
    for f in os.listdir(out):
        if f in TOKENIZER_FILES or f in ("config.json", "generation_config.json", "model.onnx"):
            os.remove(os.path.join(out, f))
    write_json(os.path.join(out, "config.json"), cfg)
    write_json(os.path.join(out, "generation_config.json"), generation_config(cfg))
    for f, data in tok.items():
        with open(os.path.join(out, f), "wb") as fh:
            fh.write(data)
    export_onnx(model, os.path.join(out, "model.onnx"), allow_external)


# ---------------------------------------------------------------------------
# Self-checks in PyTorch (cache and padding behave as the ONNX contract says)


def self_check(model, rng):
    v = model.cfg["vocab_size"]
    a = rng.integers(0, v, size=9).tolist()
    bseq = rng.integers(0, v, size=5).tolist()
    full_a, _ = run(model, [a])
    full_b, _ = run(model, [bseq])
    worst = 0.0
    # cache: 4 tokens without past, then 3, then 2 with it
    l1, past = run(model, [a[:4]])
    l2, past = run(model, [a[4:7]], past=past)
    l3, _ = run(model, [a[7:]], past=past)
    worst = max(worst, (torch.cat([l1, l2, l3], 1) - full_a).abs().max().item())
    # left and right padding in one batch of two
    pad = 0
    n = len(a)
    k = len(bseq)
    left_ids = [a, [pad] * (n - k) + bseq]
    left_mask = [[1] * n, [0] * (n - k) + [1] * k]
    left_pos = [list(range(n)), [1] * (n - k) + list(range(k))]
    ll, _ = run(model, left_ids, left_mask, left_pos)
    right_ids = [a, bseq + [pad] * (n - k)]
    right_mask = [[1] * n, [1] * k + [0] * (n - k)]
    right_pos = [list(range(n)), list(range(k)) + [0] * (n - k)]
    rl, _ = run(model, right_ids, right_mask, right_pos)
    for logits in (ll, rl):
        if not torch.isfinite(logits).all():
            raise SystemExit("padded run produced non-finite logits")
    worst = max(worst, (ll[0] - full_a[0]).abs().max().item())
    worst = max(worst, (ll[1, n - k:] - full_b[0]).abs().max().item())
    worst = max(worst, (rl[1, :k] - full_b[0]).abs().max().item())
    if worst > 1e-4:
        raise SystemExit(f"cache/padding self-check failed: max abs diff {worst}")
    return worst


# ---------------------------------------------------------------------------
# Reference log-probs


def logps_of(model, ids, n_prompt):
    logits, _ = run(model, [ids])
    lp = logits[0].double().log_softmax(-1)
    toks = [lp[t - 1, ids[t]].item() for t in range(n_prompt, len(ids))]
    return logits[0], toks


def make_cases(family, vocab, rng, n=6):
    cases = []
    lengths = [5, 40] + rng.integers(5, 41, size=n - 2).tolist()
    for i, length in enumerate(lengths):
        ids = rng.integers(0, vocab, size=length).tolist()
        n_prompt = int(rng.integers(1, length))  # 1 .. length-1, so the response has >= 1 token
        cases.append({"name": f"{family}-case{i}", "prompt_ids": ids[:n_prompt], "response_ids": ids[n_prompt:]})
    return cases


def as_floats(t):
    return [float(x) for x in t.tolist()]


def default_mode(args):
    tokenizers_dir = args.tokenizers
    specs = [("gpt2", gpt2_config), ("llama", llama_config)]
    reference = {
        "generator": "testdata/models/make_models.py",
        "description": "log-probabilities (natural log) from PyTorch, unpadded, no past; see the script's header",
        "models": {},
        "cases": [],
    }
    dumps = {}
    for family, make_cfg in specs:
        tok = tokenizer_bytes(family, tokenizers_dir)
        cfg = make_cfg(args)
        ref = build_model(cfg, seed=1)
        policy = build_model(cfg, seed=1)
        perturb_weights(policy, seed=2, scale=0.15)
        rng = np.random.default_rng(20240601 if family == "gpt2" else 20240602)
        cases = make_cases(family, cfg["vocab_size"], rng)
        seq_ids = [cfg["bos_token_id"], 11, 345, 6789, 2, 42]
        for kind, model in (("ref", ref), ("policy", policy)):
            name = f"{family}-{kind}"
            out = os.path.join(HERE, name)
            write_model_dir(model, out, tok)
            worst = self_check(model, np.random.default_rng(7))
            seq_logits, _ = run(model, [seq_ids])
            reference["models"][name] = {
                "family": family,
                "vocab_size": cfg["vocab_size"],
                "seq_logits_check": {
                    "input_ids": seq_ids,
                    "logits_first8": [as_floats(row[:8]) for row in seq_logits[0]],
                },
            }
            spreads = []
            blobs = []
            for j, c in enumerate(cases):
                ids = c["prompt_ids"] + c["response_ids"]
                logits, toks = logps_of(model, ids, len(c["prompt_ids"]))
                blobs.append(logits.numpy().astype(np.float32))
                lp = logits.double().log_softmax(-1)
                spreads.append((lp.max(-1).values - lp.min(-1).values).mean().item())
                rec = {
                    "model": name,
                    "name": c["name"],
                    "prompt_ids": c["prompt_ids"],
                    "response_ids": c["response_ids"],
                    "response_logp": float(sum(toks)),
                    "token_logps": toks,
                }
                if j < 2:
                    rec["last_logits_first8"] = as_floats(logits[-1, :8])
                reference["cases"].append(rec)
            dumps[name] = np.concatenate(blobs, 0)
            print(
                f"{name}: self-check max abs diff {worst:.2e}; mean logp spread over vocab "
                f"{np.mean(spreads):.2f} nats; response logps "
                + ", ".join(f"{r['response_logp']:.2f}" for r in reference["cases"] if r["model"] == name)
            )
    by = {(r["model"], r["name"]): r for r in reference["cases"]}
    for family, _ in specs:
        rewards = [
            by[(f"{family}-policy", n)]["response_logp"] - by[(f"{family}-ref", n)]["response_logp"]
            for (m, n) in by
            if m == f"{family}-ref"
        ]
        print(f"{family}: log pi - log pi_ref per case: " + ", ".join(f"{r:+.3f}" for r in rewards))
    write_json(os.path.join(HERE, "reference_logps.json"), reference)
    if args.dump_logits:
        os.makedirs(args.dump_logits, exist_ok=True)
        for name, arr in dumps.items():
            arr.tofile(os.path.join(args.dump_logits, f"{name}.f32"))
        print(f"wrote PyTorch logits to {args.dump_logits}")
    print_sizes(HERE)


def print_sizes(root):
    total = 0
    for dirpath, _, files in sorted(os.walk(root)):
        for f in sorted(files):
            p = os.path.join(dirpath, f)
            size = os.path.getsize(p)
            total += size
            print(f"{size:>12,d}  {os.path.relpath(p, root)}")
    print(f"{total:>12,d}  total under {root}")


def single_mode(args):
    make_cfg = gpt2_config if args.family == "gpt2" else llama_config
    cfg = make_cfg(args)
    model = build_model(cfg, seed=args.seed)
    if args.perturb:
        perturb_weights(model, seed=args.seed + 1, scale=args.perturb)
    write_model_dir(model, args.out, tokenizer_bytes(args.family, args.tokenizers))
    worst = self_check(model, np.random.default_rng(7))
    n = sum(p.numel() for p in model.parameters())
    print(f"{args.out}: {args.family}, {n:,d} parameters, self-check max abs diff {worst:.2e}")
    print_sizes(args.out)


GENAI_DIR = "llama-genai"
GENAI_DECODER = "decoder.onnx"


def genai_stacked_mode(args):
    """llama-ref's weights (seed 1, default llama config) as an ONNX Runtime GenAI model
    directory with a stacked KV cache: decoder.onnx, genai_config.json,
    generation_config.json and the tokenizer files, and no config.json."""
    cfg = llama_config(args)
    ref = build_model(cfg, seed=1)
    model = LlamaStackedLM(cfg)
    model.load_state_dict(ref.state_dict())
    model.eval()
    # In PyTorch the stacked model must give exactly llama-ref's logits and cache.
    rng = np.random.default_rng(7)
    a = rng.integers(0, cfg["vocab_size"], size=9).tolist()
    worst = 0.0
    past_ref, past_st = empty_past(cfg, 1), stacked_past(empty_past(cfg, 1))
    for chunk in (a[:4], a[4:7], a[7:]):
        l_ref, past_ref = run(ref, [chunk], past=past_ref)
        p = past_st[0].shape[3]
        ids = torch.tensor([chunk], dtype=torch.int64)
        mask = torch.ones(1, p + len(chunk), dtype=torch.int64)
        pos = torch.arange(p, p + len(chunk), dtype=torch.int64).unsqueeze(0)
        with torch.no_grad():
            out = model(ids, mask, pos, *past_st)
        l_st, past_st = out[0], list(out[1:])
        worst = max(worst, (l_st - l_ref).abs().max().item())
        for s, r in zip(past_st, stacked_past(past_ref)):
            worst = max(worst, (s - r).abs().max().item())
    if worst != 0.0:
        raise SystemExit(f"stacked model differs from llama-ref in PyTorch: max abs diff {worst}")
    out = args.out or os.path.join(HERE, GENAI_DIR)
    tok = tokenizer_bytes("llama", args.tokenizers)
    if max_token_id(tok) >= cfg["vocab_size"]:
        raise SystemExit(f"vocab_size {cfg['vocab_size']} does not cover token id {max_token_id(tok)}")
    os.makedirs(out, exist_ok=True)
    for f in os.listdir(out):
        if f in TOKENIZER_FILES or f in ("config.json", "generation_config.json", "genai_config.json", GENAI_DECODER):
            os.remove(os.path.join(out, f))
    write_json(os.path.join(out, "genai_config.json"), genai_config(cfg, GENAI_DECODER))
    write_json(os.path.join(out, "generation_config.json"), generation_config(cfg))
    for f, data in tok.items():
        with open(os.path.join(out, f), "wb") as fh:
            fh.write(data)
    export_onnx_stacked(model, os.path.join(out, GENAI_DECODER))
    print(f"{out}: llama-ref's weights, stacked KV cache; PyTorch logits and cache equal llama-ref's (max abs diff {worst})")
    print_sizes(out)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--family", choices=["gpt2", "llama"], help="build one model of this family (needs --out)")
    ap.add_argument("--out", help="model directory to write (with --family)")
    ap.add_argument("--hidden", type=int, help="hidden size (default 32)")
    ap.add_argument("--layers", type=int, help="layers (default 2)")
    ap.add_argument("--heads", type=int, help="attention heads (default 4)")
    ap.add_argument("--kv-heads", type=int, help="llama: key/value heads (default 2)")
    ap.add_argument("--intermediate", type=int, help="MLP size (default gpt2 4*hidden, llama 64)")
    ap.add_argument("--vocab", type=int, help="vocabulary size (default 50257 / 32064)")
    ap.add_argument("--max-positions", type=int, help="position limit (default 1024)")
    ap.add_argument("--untied", action="store_true", help="separate lm_head instead of tying it to the embedding")
    ap.add_argument("--seed", type=int, default=1, help="weight seed (with --family)")
    ap.add_argument("--perturb", type=float, default=0.0, help="with --family: add noise of this relative scale")
    ap.add_argument("--tokenizers", default=SHARED_TOKENIZERS,
                    help="folder with gpt2/ and llama-sp/ tokenizer files (falls back to the committed *-ref dirs)")
    ap.add_argument("--dump-logits", help="default mode: also write PyTorch logits (float32) of the reference cases here")
    ap.add_argument("--genai-stacked", action="store_true",
                    help=f"build {GENAI_DIR}/ (llama-ref's weights, ONNX Runtime GenAI layout, stacked KV cache); "
                    "--out overrides the directory")
    args = ap.parse_args()
    torch.set_num_threads(1)
    size_flags = ("hidden", "layers", "heads", "kv_heads", "intermediate", "vocab", "max_positions")
    if args.genai_stacked:
        if args.family or args.dump_logits or args.perturb or args.seed != 1 or args.untied \
                or any(getattr(args, k) is not None for k in size_flags):
            ap.error("--genai-stacked takes only --out and --tokenizers: it uses llama-ref's configuration and weights")
        genai_stacked_mode(args)
    elif args.family or args.out:
        if not (args.family and args.out):
            ap.error("--family and --out go together")
        single_mode(args)
    else:
        if any(getattr(args, k) is not None for k in size_flags) or args.untied:
            ap.error("size flags need --family and --out; the default mode builds the committed models")
        default_mode(args)


if __name__ == "__main__":
    main()
