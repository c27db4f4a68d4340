#!/usr/bin/python3
"""Tiny random-weight models of today's causal-LM families, their ONNX exports, and PyTorch
reference numbers for dpokit's family tests (internal/families).

Run with Debian's PyTorch 1.13, onnx 1.12 and numpy (python3-torch, python3-onnx,
python3-numpy), node (for the Rust `tokenizers` reference) and the tokenizer cache of
scripts/fetch/tokenizers.sh:

    /usr/bin/python3 testdata/families/make_families.py --out DIR

The Go tests run it themselves into .cache/families/<hash of the scripts> when that folder
is missing; nothing it writes is committed (real vocabularies of 128k-262k tokens make the
embeddings tens of megabytes). The output is deterministic.

Each family is written here in plain PyTorch from its published description (papers, model
cards, Hugging Face configuration docs), with Hugging Face's parameter names, in the optimum
decoder-with-past ONNX contract of testdata/models/make_models.py (whose helpers and GPT-2
this script reuses):

  inputs   input_ids [batch, seq], attention_mask [batch, past + seq], position_ids [batch, seq],
           past_key_values.{i}.key|value [batch, kv_heads, past, head_dim]
  outputs  logits [batch, seq, vocab], present.{i}.key|value [batch, kv_heads, past + seq, head_dim]

Attention sees key j from query i (both column indices of past + current tokens) when
attention_mask[j] = 1, j <= i and, on a sliding-window layer, i - j < sliding_window
(Hugging Face's convention: the window counts the query itself). Masked scores get float32's
lowest value, so padding rows stay finite.

Families (see testdata/families/README.md for the sources of each feature):
  llama3   Llama 3.2: GQA, RoPE theta 500000 with "llama3" frequency scaling, tied head
  qwen2    Qwen2.5: bias on q/k/v projections, RoPE theta 1e6, tied head
  qwen3    Qwen3: RMSNorm of q and k per head (before RoPE), head_dim != hidden/heads, tied
  gemma2   Gemma 2: embeddings times sqrt(hidden), RMSNorm with (1 + w), GeGLU (tanh GELU),
           pre/post attention and feed-forward norms, query_pre_attn_scalar, attention and
           final logit soft-capping, sliding-window attention on every other layer
  gemma3   Gemma 3 (text): as Gemma 2 without soft-capping, q/k norms, five sliding layers
           (local RoPE base 10000) per full layer (RoPE theta 1e6, linear scaling)
  mistral  Mistral 7B v0.1: Llama with sliding-window attention, untied head
  phi3     Phi-3 mini: fused qkv_proj and gate_up_proj, untied head
  smollm2  SmolLM2: the Llama architecture with tied head, GPT-2's byte-level tokenizer
  gpt2     GPT-2 (make_models.GPT2LM)
and three variants of family policies (same weights, other file layouts):
  gpt2-nopos      no position_ids input: positions are past_len .. past_len + seq - 1
  smollm2-merged  decoder_model_merged.onnx: an If on use_cache_branch (then: the cached
                  graph, else: the graph without past), as optimum merges decoders
  phi3-external   weights in model.onnx_data (ONNX external data)

Per family it writes <family>-ref and <family>-policy (the ref plus noise), and
references/<family>.json:
  score_cases  random token ids, each prompt + response, with PyTorch's per-token natural-log
               probabilities under ref and policy (float32 logits, log_softmax in float64)
  greedy       prompt ids and the policy's greedy continuation (stopping at an EOS id of
               generation_config.json), with the smallest top-1/top-2 logit margin seen
  text         (families with a committed or cached tokenizer) preference pairs and prompts as
               text, their ids from Hugging Face's Rust tokenizers (prompt with special tokens,
               responses without, EOS appended as TRL does), log-probs and greedy tokens
  train        testdata/families/dpo_sigmoid.py's schema: 10 DPO steps (sigmoid, AdamW) of the
               policy against the ref's log-probs, logged as TRL and Hugging Face log them
manifest.json lists families, directories and variants.
"""

import argparse
import hashlib
import json
import math
import os
import shutil
import subprocess
import sys

import numpy as np
import onnx
import onnx.numpy_helper
import torch
import torch.nn as nn

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "testdata", "models"))
sys.path.insert(0, HERE)
import make_models as mm  # noqa: E402
import dpo_sigmoid as dpo  # noqa: E402

OPSET = 14
# The files whose content names the generated folder (internal/families hashes the same list).
SCRIPTS = ("testdata/families/make_families.py", "testdata/families/encode.js",
           "testdata/models/make_models.py", "testdata/families/dpo_sigmoid.py", "scripts/fetch/tokenizers.sh")


# ---------------------------------------------------------------------------
# Architecture pieces (Llama-like families)


def is_gemma(cfg):
    return cfg["model_type"] in ("gemma2", "gemma3_text")


class RMSNorm(nn.Module):
    """x / sqrt(mean(x^2) + eps), scaled by w (Llama, Qwen, Mistral, Phi-3) or by (1 + w)
    (Gemma, whose weights are stored as offsets from 1)."""

    def __init__(self, dim, eps, offset):
        super().__init__()
        self.eps = eps
        self.offset = offset
        self.weight = nn.Parameter(torch.zeros(dim) if offset else torch.ones(dim))

    def forward(self, x):
        y = x * torch.rsqrt((x * x).mean(-1, keepdim=True) + self.eps)
        return y * (1.0 + self.weight) if self.offset else self.weight * y


def layer_is_sliding(cfg, i):
    types = cfg.get("layer_types")
    if types:
        return types[i] == "sliding_attention"
    if cfg["model_type"] == "qwen2" and not cfg.get("use_sliding_window"):
        return False
    return cfg.get("sliding_window") is not None


def rope_inv_freq(cfg, sliding):
    """Inverse RoPE frequencies (float32, as Hugging Face computes them) of one layer."""
    d = cfg["head_dim"]
    theta, scaling = cfg["rope_theta"], cfg.get("rope_scaling")
    if cfg["model_type"] == "gemma3_text" and sliding:
        theta, scaling = cfg["rope_local_base_freq"], None  # local layers: own base, no scaling
    inv = 1.0 / (theta ** (torch.arange(0, d, 2, dtype=torch.int64).float() / d))
    if scaling is None:
        return inv
    kind = scaling.get("rope_type", scaling.get("type"))
    if kind == "linear":  # positions divided by the factor
        return inv / scaling["factor"]
    if kind == "llama3":
        # Llama 3.1's scaling: wavelengths shorter than original_context / high_freq_factor
        # kept, longer than original_context / low_freq_factor divided by factor, and a
        # smooth interpolation between the two.
        factor, lo, hi = scaling["factor"], scaling["low_freq_factor"], scaling["high_freq_factor"]
        old = scaling["original_max_position_embeddings"]
        wavelen = 2 * math.pi / inv
        smooth = (old / wavelen - lo) / (hi - lo)
        mid = (1 - smooth) * inv / factor + smooth * inv
        out = torch.where(wavelen > old / lo, inv / factor, inv)
        between = (wavelen >= old / hi) & (wavelen <= old / lo)
        return torch.where(between, mid, out)
    raise SystemExit(f"rope_scaling type {kind!r} not written here")


class Attention(nn.Module):
    def __init__(self, cfg, layer):
        super().__init__()
        h, d = cfg["hidden_size"], cfg["head_dim"]
        self.nh, self.nkv, self.d = cfg["num_attention_heads"], cfg["num_key_value_heads"], d
        self.fused = cfg["model_type"] == "phi3"
        if self.fused:
            self.qkv_proj = nn.Linear(h, (self.nh + 2 * self.nkv) * d, bias=False)
        else:
            bias = cfg["model_type"] == "qwen2" or bool(cfg.get("attention_bias"))
            self.q_proj = nn.Linear(h, self.nh * d, bias=bias)
            self.k_proj = nn.Linear(h, self.nkv * d, bias=bias)
            self.v_proj = nn.Linear(h, self.nkv * d, bias=bias)
        self.o_proj = nn.Linear(self.nh * d, h, bias=bool(cfg.get("attention_bias")))
        if cfg["model_type"] in ("qwen3", "gemma3_text"):
            self.q_norm = RMSNorm(d, cfg["rms_norm_eps"], is_gemma(cfg))
            self.k_norm = RMSNorm(d, cfg["rms_norm_eps"], is_gemma(cfg))
        else:
            self.q_norm = self.k_norm = None
        scalar = cfg["query_pre_attn_scalar"] if is_gemma(cfg) else d
        self.scale = scalar ** -0.5
        self.softcap = cfg.get("attn_logit_softcapping")
        self.sliding = layer_is_sliding(cfg, layer)

    def project(self, x):
        if self.fused:
            qkv = self.qkv_proj(x)
            q_end, k_end = self.nh * self.d, (self.nh + self.nkv) * self.d
            return qkv[..., :q_end], qkv[..., q_end:k_end], qkv[..., k_end:]
        return self.q_proj(x), self.k_proj(x), self.v_proj(x)

    def forward(self, x, masks, ropes, past_k, past_v):
        b, s = x.shape[0], x.shape[1]
        d, nh, nkv = self.d, self.nh, self.nkv
        q, k, v = self.project(x)
        q, k, v = q.reshape(b, s, nh, d), k.reshape(b, s, nkv, d), v.reshape(b, s, nkv, d)
        if self.q_norm is not None:
            q, k = self.q_norm(q), self.k_norm(k)
        q, k, v = q.transpose(1, 2), k.transpose(1, 2), v.transpose(1, 2)
        cos, sin = ropes[self.sliding]
        q = q * cos + mm.rotate_half(q) * sin
        k = k * cos + mm.rotate_half(k) * sin
        k = torch.cat([past_k, k], dim=2)
        v = torch.cat([past_v, v], dim=2)
        # Query head h reads KV head h // (nh / nkv), as Hugging Face's repeat_kv.
        total = k.shape[2]
        scores = torch.matmul(q.reshape(b, nkv, -1, d), k.transpose(2, 3)).reshape(b, nh, s, total)
        scores = scores * self.scale
        if self.softcap:
            scores = torch.tanh(scores / self.softcap) * self.softcap
        probs = mm.masked_softmax(scores, masks[self.sliding])
        out = torch.matmul(probs.reshape(b, nkv, -1, total), v)
        out = out.reshape(b, nh, s, d).transpose(1, 2).reshape(b, s, nh * d)
        return self.o_proj(out), k, v


class MLP(nn.Module):
    """down(act(gate(x)) * up(x)): SwiGLU (SiLU) or, for Gemma, GeGLU with tanh GELU."""

    def __init__(self, cfg):
        super().__init__()
        h, m = cfg["hidden_size"], cfg["intermediate_size"]
        self.fused = cfg["model_type"] == "phi3"
        if self.fused:
            self.gate_up_proj = nn.Linear(h, 2 * m, bias=False)
        else:
            self.gate_proj = nn.Linear(h, m, bias=False)
            self.up_proj = nn.Linear(h, m, bias=False)
        self.down_proj = nn.Linear(m, h, bias=False)
        self.gelu = is_gemma(cfg)
        self.m = m

    def forward(self, x):
        if self.fused:
            gu = self.gate_up_proj(x)
            g, u = gu[..., : self.m], gu[..., self.m:]
        else:
            g, u = self.gate_proj(x), self.up_proj(x)
        a = mm.gelu_tanh(g) if self.gelu else g * torch.sigmoid(g)
        return self.down_proj(a * u)


class Layer(nn.Module):
    def __init__(self, cfg, i):
        super().__init__()
        eps, gemma = cfg["rms_norm_eps"], is_gemma(cfg)
        self.gemma = gemma
        self.input_layernorm = RMSNorm(cfg["hidden_size"], eps, gemma)
        self.self_attn = Attention(cfg, i)
        self.post_attention_layernorm = RMSNorm(cfg["hidden_size"], eps, gemma)
        if gemma:
            self.pre_feedforward_layernorm = RMSNorm(cfg["hidden_size"], eps, gemma)
            self.post_feedforward_layernorm = RMSNorm(cfg["hidden_size"], eps, gemma)
        self.mlp = MLP(cfg)

    def forward(self, x, masks, ropes, past_k, past_v):
        a, k, v = self.self_attn(self.input_layernorm(x), masks, ropes, past_k, past_v)
        if self.gemma:  # norms around both sub-blocks, residual added after the post-norm
            x = x + self.post_attention_layernorm(a)
            x = x + self.post_feedforward_layernorm(self.mlp(self.pre_feedforward_layernorm(x)))
        else:
            x = x + a
            x = x + self.mlp(self.post_attention_layernorm(x))
        return x, k, v


class Body(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.embed_tokens = nn.Embedding(cfg["vocab_size"], cfg["hidden_size"])
        self.layers = nn.ModuleList([Layer(cfg, i) for i in range(cfg["num_hidden_layers"])])
        self.norm = RMSNorm(cfg["hidden_size"], cfg["rms_norm_eps"], is_gemma(cfg))


class FamilyLM(nn.Module):
    """A Llama-like decoder configured by a Hugging Face config.json (see the families above)."""

    def __init__(self, cfg):
        super().__init__()
        self.cfg = cfg
        self.model = Body(cfg)
        self.lm_head = None
        if not cfg["tie_word_embeddings"]:
            self.lm_head = nn.Linear(cfg["hidden_size"], cfg["vocab_size"], bias=False)
        # Plain lists: the export holds them as graph constants, not as initializers.
        self.inv_freq = {s: rope_inv_freq(cfg, s).tolist() for s in (False, True)}
        self.window = cfg.get("sliding_window")

    def hidden(self, input_ids, attention_mask, position_ids, *past):
        """Final hidden states (after the last norm) and the presents."""
        m = self.model
        x = m.embed_tokens(input_ids)
        if is_gemma(self.cfg):
            x = x * torch.tensor(self.cfg["hidden_size"] ** 0.5, dtype=torch.float32)
        s = input_ids.shape[1]
        full = mm.attention_bias_mask(attention_mask, s)
        masks = {False: full, True: full}
        if any(layer.self_attn.sliding for layer in m.layers):
            total = attention_mask.shape[1]
            key = torch.arange(total, dtype=torch.int64)
            query = torch.arange(s, dtype=torch.int64) + (total - s)
            near = key.unsqueeze(0) > query.unsqueeze(1) - self.window  # [s, total]
            masks[True] = torch.logical_and(full, near.unsqueeze(0).unsqueeze(0))
        ropes = {}
        for sliding, inv in self.inv_freq.items():
            freqs = position_ids.unsqueeze(-1).to(torch.float32) * torch.tensor(inv, dtype=torch.float32)
            emb = torch.cat([freqs, freqs], dim=-1)
            ropes[sliding] = (emb.cos().unsqueeze(1), emb.sin().unsqueeze(1))
        presents = []
        for i, layer in enumerate(m.layers):
            x, k, v = layer(x, masks, ropes, past[2 * i], past[2 * i + 1])
            presents += [k, v]
        return m.norm(x), presents

    def head(self, h):
        """The logits of hidden states h, in h's dtype (float64 for the training reference)."""
        w = self.model.embed_tokens.weight if self.lm_head is None else self.lm_head.weight
        logits = torch.matmul(h, w.to(h.dtype).t())
        cap = self.cfg.get("final_logit_softcapping")
        if cap:
            logits = torch.tanh(logits / cap) * cap
        return logits

    def forward(self, input_ids, attention_mask, position_ids, *past):
        h, presents = self.hidden(input_ids, attention_mask, position_ids, *past)
        return (self.head(h), *presents)


class GPT2(mm.GPT2LM):
    """make_models' GPT-2 with hidden() and head() split as FamilyLM's."""

    def hidden(self, input_ids, attention_mask, position_ids, *past):
        t = self.transformer
        x = t.wte(input_ids) + t.wpe(position_ids)
        mask = mm.attention_bias_mask(attention_mask, input_ids.shape[1])
        presents = []
        for i, block in enumerate(t.h):
            x, k, v = block(x, mask, past[2 * i], past[2 * i + 1])
            presents += [k, v]
        return t.ln_f(x), presents

    def head(self, h):
        w = self.transformer.wte.weight if self.lm_head is None else self.lm_head.weight
        return torch.matmul(h, w.to(h.dtype).t())


def without_positions(cls):
    """The model without a position_ids input: positions past_len .. past_len + seq - 1 (what
    Hugging Face uses when position_ids are not given)."""

    class NoPositions(cls):
        def forward(self, input_ids, attention_mask, *past):
            b, s = input_ids.shape
            p = past[0].shape[2]
            pos = torch.arange(s, dtype=torch.int64).unsqueeze(0).expand(b, s) + p
            return super().forward(input_ids, attention_mask, pos, *past)

    return NoPositions


# ---------------------------------------------------------------------------
# Configurations: the fields Hugging Face writes for each family, at tiny sizes


def layer_types(n, pattern):
    return ["full_attention" if (i + 1) % pattern == 0 else "sliding_attention" for i in range(n)]


def common(arch, model_type, vocab, hidden, heads, kv, head_dim, inter, layers, tie, **kw):
    cfg = {
        "architectures": [arch], "model_type": model_type, "vocab_size": vocab, "hidden_size": hidden,
        "intermediate_size": inter, "num_hidden_layers": layers, "num_attention_heads": heads,
        "num_key_value_heads": kv, "head_dim": head_dim, "hidden_act": "silu", "attention_dropout": 0.0,
        "initializer_range": 0.02, "tie_word_embeddings": tie, "torch_dtype": "float32", "use_cache": True,
        "transformers_version": "4.53.0",
    }
    cfg.update(kw)
    return cfg


def configs():
    """name -> (config.json, generation_config.json, tokenizer source)."""
    gemma_common = dict(attention_bias=False, hidden_activation="gelu_pytorch_tanh", hidden_act="gelu_pytorch_tanh",
                        rms_norm_eps=1e-6, bos_token_id=2, pad_token_id=0, cache_implementation="hybrid")
    out = {
        "llama3": (common("LlamaForCausalLM", "llama", 128256, 16, 4, 2, 8, 32, 2, True,
                          attention_bias=False, mlp_bias=False, pretraining_tp=1, rms_norm_eps=1e-5,
                          max_position_embeddings=131072, rope_theta=500000.0,
                          rope_scaling={"factor": 32.0, "high_freq_factor": 4.0, "low_freq_factor": 1.0,
                                        "original_max_position_embeddings": 8192, "rope_type": "llama3"},
                          bos_token_id=128000, eos_token_id=[128001, 128008, 128009]),
                   {"bos_token_id": 128000, "eos_token_id": [128001, 128008, 128009]}, "cache:llama3"),
        "qwen2": (common("Qwen2ForCausalLM", "qwen2", 151936, 16, 2, 1, 8, 32, 2, True,
                         rms_norm_eps=1e-6, max_position_embeddings=32768, rope_theta=1000000.0,
                         use_sliding_window=False, sliding_window=32768, max_window_layers=21,
                         bos_token_id=151643, eos_token_id=151645),
                  {"bos_token_id": 151643, "pad_token_id": 151643, "eos_token_id": [151645, 151643]}, "cache:qwen3"),
        "qwen3": (common("Qwen3ForCausalLM", "qwen3", 151936, 16, 4, 2, 8, 32, 2, True,
                         attention_bias=False, rms_norm_eps=1e-6, max_position_embeddings=40960,
                         rope_theta=1000000.0, rope_scaling=None, use_sliding_window=False, sliding_window=None,
                         max_window_layers=28, bos_token_id=151643, eos_token_id=151645),
                  {"bos_token_id": 151643, "pad_token_id": 151643, "eos_token_id": [151645, 151643]}, "cache:qwen3"),
        "gemma2": (common("Gemma2ForCausalLM", "gemma2", 256000, 16, 4, 2, 8, 32, 2, True,
                          max_position_embeddings=8192, rope_theta=10000.0, query_pre_attn_scalar=8,
                          attn_logit_softcapping=50.0, final_logit_softcapping=30.0, sliding_window=8,
                          layer_types=layer_types(2, 2), eos_token_id=[1, 107], **gemma_common),
                   {"bos_token_id": 2, "pad_token_id": 0, "eos_token_id": [1, 107], "cache_implementation": "hybrid"},
                   "cache:gemma2"),
        "gemma3": (common("Gemma3ForCausalLM", "gemma3_text", 262208, 16, 4, 1, 8, 32, 6, True,
                          max_position_embeddings=32768, rope_theta=1000000.0, rope_local_base_freq=10000.0,
                          rope_scaling={"factor": 8.0, "rope_type": "linear"}, query_pre_attn_scalar=8,
                          attn_logit_softcapping=None, final_logit_softcapping=None, sliding_window=8,
                          sliding_window_pattern=6, layer_types=layer_types(6, 6), eos_token_id=[1, 106],
                          **gemma_common),
                   {"bos_token_id": 2, "pad_token_id": 0, "eos_token_id": [1, 106], "cache_implementation": "hybrid"},
                   "cache:gemma3"),
        "mistral": (common("MistralForCausalLM", "mistral", 32000, 32, 4, 2, 8, 64, 2, False,
                           rms_norm_eps=1e-5, max_position_embeddings=32768, rope_theta=10000.0,
                           sliding_window=6, bos_token_id=1, eos_token_id=2),
                    {"bos_token_id": 1, "eos_token_id": 2}, "cache:llama2"),
        "phi3": (common("Phi3ForCausalLM", "phi3", 32064, 32, 4, 4, 8, 64, 2, False,
                        attention_bias=False, rms_norm_eps=1e-5, max_position_embeddings=4096,
                        original_max_position_embeddings=4096, rope_theta=10000.0, rope_scaling=None,
                        sliding_window=2047, embd_pdrop=0.0, resid_pdrop=0.0, bos_token_id=1,
                        eos_token_id=32000, pad_token_id=32000),
                 {"bos_token_id": 1, "eos_token_id": [32000, 32001, 32007], "pad_token_id": 32000},
                 "committed:llama-sp"),
        "smollm2": (common("LlamaForCausalLM", "llama", 50257, 48, 6, 2, 8, 64, 2, True,
                           attention_bias=False, mlp_bias=False, pretraining_tp=1, rms_norm_eps=1e-5,
                           max_position_embeddings=8192, rope_theta=100000.0, rope_scaling=None,
                           rope_interleaved=False, is_llama_config=True, bos_token_id=50256, eos_token_id=50256),
                    {"bos_token_id": 50256, "eos_token_id": 50256}, "committed:gpt2"),
    }
    ns = argparse.Namespace(vocab=None, hidden=None, layers=None, heads=None, intermediate=None,
                            max_positions=None, untied=False)
    gcfg = mm.gpt2_config(ns)
    out["gpt2"] = (gcfg, {"bos_token_id": 50256, "eos_token_id": 50256}, "committed:gpt2")
    return out


def build(cfg, seed, cls=None):
    torch.manual_seed(seed)
    cls = cls or (GPT2 if cfg["model_type"] == "gpt2" else FamilyLM)
    model = cls(cfg)
    mm.init_weights(model, seed)
    if is_gemma(cfg):  # (1 + w) norms: offsets around 0
        g = torch.Generator().manual_seed(seed + 1000)
        with torch.no_grad():
            for name, p in model.named_parameters():
                if isinstance(dict(model.named_modules())[name.rsplit(".", 1)[0]], RMSNorm):
                    p.copy_(0.1 * torch.randn(p.shape, generator=g))
    model.eval()
    return model


# ---------------------------------------------------------------------------
# Export


def dynamic_axes(inputs, past_in, present_out):
    axes = {"input_ids": {0: "batch_size", 1: "sequence_length"},
            "attention_mask": {0: "batch_size", 1: "past_sequence_length + sequence_length"},
            "position_ids": {0: "batch_size", 1: "sequence_length"},
            "logits": {0: "batch_size", 1: "sequence_length"}}
    for n in past_in:
        axes[n] = {0: "batch_size", 2: "past_sequence_length"}
    for n in present_out:
        axes[n] = {0: "batch_size", 2: "past_sequence_length + sequence_length"}
    return {k: v for k, v in axes.items() if k in inputs or k == "logits" or k in present_out}


def export(model, path, positions=True):
    """torch.onnx.export in the optimum contract (opset 14, training=PRESERVE, no constant
    folding: every parameter its own initializer)."""
    cfg = model.cfg
    past_in, present_out = mm.io_names(cfg)
    inputs = ["input_ids", "attention_mask"] + (["position_ids"] if positions else []) + past_in
    b, s, p = 2, 3, 2
    ids = torch.tensor([[5, 7, 9], [11, 13, 17]], dtype=torch.int64)
    mask = torch.ones(b, p + s, dtype=torch.int64)
    pos = torch.arange(p, p + s, dtype=torch.int64).unsqueeze(0).expand(b, s).contiguous()
    past = [torch.randn(t.shape[0], t.shape[1], p, t.shape[3]) for t in mm.empty_past(cfg, b)]
    args = (ids, mask, pos, *past) if positions else (ids, mask, *past)
    torch.onnx.export(model, args, path, input_names=inputs, output_names=["logits"] + present_out,
                      dynamic_axes=dynamic_axes(inputs, past_in, present_out), opset_version=OPSET,
                      training=torch.onnx.TrainingMode.PRESERVE, do_constant_folding=False, export_params=True)
    mm.check_onnx(model, path)


class NoPast(nn.Module):
    """The decoder without past inputs (optimum's decoder_model.onnx): an empty past inside."""

    def __init__(self, model):
        super().__init__()
        self.inner = model

    def forward(self, input_ids, attention_mask, position_ids):
        cfg = self.inner.cfg
        layers, kv, d = mm.kv_shape(cfg)
        b = input_ids.shape[0]
        past = [torch.zeros(b, kv, 0, d) for _ in range(2 * layers)]
        return self.inner(input_ids, attention_mask, position_ids, *past)


def export_merged(model, path, tmp):
    """decoder_model_merged.onnx: inputs as the cached decoder plus use_cache_branch (bool [1]);
    one If node whose then-branch is the cached graph and else-branch the graph without past,
    sharing the initializers of the outer graph (what optimum's merge produces)."""
    cfg = model.cfg
    past_in, present_out = mm.io_names(cfg)
    with_past, no_past = os.path.join(tmp, "with_past.onnx"), os.path.join(tmp, "no_past.onnx")
    export(model, with_past)
    b, s = 2, 3
    ids = torch.tensor([[5, 7, 9], [11, 13, 17]], dtype=torch.int64)
    mask = torch.ones(b, s, dtype=torch.int64)
    pos = torch.arange(s, dtype=torch.int64).unsqueeze(0).expand(b, s).contiguous()
    axes = dynamic_axes(["input_ids", "attention_mask", "position_ids"], [], present_out)
    for n in present_out:
        axes[n] = {0: "batch_size", 2: "sequence_length"}
    torch.onnx.export(NoPast(model), (ids, mask, pos), no_past,
                      input_names=["input_ids", "attention_mask", "position_ids"],
                      output_names=["logits"] + present_out, dynamic_axes=axes, opset_version=OPSET,
                      training=torch.onnx.TrainingMode.PRESERVE, do_constant_folding=False, export_params=True)
    g1, g0 = onnx.load(with_past).graph, onnx.load(no_past).graph
    inits = {t.name: t for t in g1.initializer}
    for t in g0.initializer:  # NoPast's parameters are named inner.<name>
        name = t.name[len("inner."):] if t.name.startswith("inner.") else t.name
        if name not in inits or onnx.numpy_helper.to_array(inits[name]).tobytes() != onnx.numpy_helper.to_array(t).tobytes():
            raise SystemExit(f"merge: no-past initializer {t.name} differs from the cached graph's")

    def branch(g, prefix, rename):
        outer = {i.name for i in g1.input} | set(inits)
        names = {o: prefix + o for n in g.node for o in n.output}
        nodes = []
        for n in g.node:
            c = onnx.NodeProto()
            c.CopyFrom(n)
            c.name = prefix + n.name
            for k, i in enumerate(c.input):
                i = rename.get(i, i)
                c.input[k] = names.get(i, i) if i not in outer else i
            for k, o in enumerate(c.output):
                c.output[k] = prefix + o
            nodes.append(c)
        outs = []
        for o in g.output:
            v = onnx.ValueInfoProto()
            v.CopyFrom(o)
            v.name = prefix + o.name
            outs.append(v)
        return onnx.helper.make_graph(nodes, prefix.rstrip("_"), [], outs)

    then_g = branch(g1, "cache_", {})
    else_g = branch(g0, "nocache_", {t.name: t.name[len("inner."):] for t in g0.initializer})
    flag = onnx.helper.make_tensor_value_info("use_cache_branch", onnx.TensorProto.BOOL, [1])
    node = onnx.helper.make_node("If", ["use_cache_branch"], [o.name for o in g1.output], name="optimum::if",
                                 then_branch=then_g, else_branch=else_g)
    graph = onnx.helper.make_graph([node], "merged", list(g1.input) + [flag], list(g1.output), list(g1.initializer))
    m = onnx.helper.make_model(graph, opset_imports=[onnx.helper.make_opsetid("", OPSET)])
    m.ir_version = onnx.load(with_past).ir_version
    onnx.checker.check_model(m)
    onnx.save(m, path)
    os.remove(with_past)
    os.remove(no_past)


def export_external(model, path):
    export(model, path)
    m = onnx.load(path)
    onnx.save_model(m, path, save_as_external_data=True, all_tensors_to_one_file=True,
                    location=os.path.basename(path) + "_data", size_threshold=0)
    m = onnx.load(path, load_external_data=False)
    if not any(t.data_location == onnx.TensorProto.EXTERNAL for t in m.graph.initializer):
        raise SystemExit(f"{path}: no external initializers")


# ---------------------------------------------------------------------------
# Model directories and tokenizers


def tokenizer_dir(source, tokenizers):
    kind, name = source.split(":")
    if kind == "cache":
        return os.path.join(tokenizers, name)
    return os.path.join(ROOT, "testdata", "tokenize", name)


def copy_tokenizer(src, out):
    for f in ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json"):
        if os.path.isfile(os.path.join(src, f)):
            shutil.copyfile(os.path.join(src, f), os.path.join(out, f))


def max_token_id(src):
    with open(os.path.join(src, "tokenizer.json")) as f:
        t = json.load(f)
    return max(list(t["model"]["vocab"].values()) + [a["id"] for a in t.get("added_tokens", [])])


def write_dir(model, out, gen, tok_src, layout="plain", tmp=None):
    os.makedirs(out)
    mm.write_json(os.path.join(out, "config.json"), model.cfg)
    mm.write_json(os.path.join(out, "generation_config.json"), gen)
    copy_tokenizer(tok_src, out)
    if layout == "plain":
        export(model, os.path.join(out, "model.onnx"))
    elif layout == "nopos":
        export(model, os.path.join(out, "model.onnx"), positions=False)
    elif layout == "merged":
        export_merged(model, os.path.join(out, "decoder_model_merged.onnx"), tmp)
    elif layout == "external":
        export_external(model, os.path.join(out, "model.onnx"))


def encode_texts(tok_src, items, node_modules):
    """Hugging Face's Rust tokenizers (npm `tokenizers`, through encode.js): ids of each
    (text, add_special_tokens)."""
    req = {"tokenizer": os.path.join(tok_src, "tokenizer.json"), "items": [{"text": t, "special": s} for t, s in items]}
    env = dict(os.environ, NODE_PATH=node_modules)
    res = subprocess.run(["node", os.path.join(HERE, "encode.js")], input=json.dumps(req), capture_output=True,
                         text=True, env=env, check=False)
    if res.returncode != 0:
        raise SystemExit(f"encode.js failed: {res.stderr}")
    return json.loads(res.stdout)


# ---------------------------------------------------------------------------
# Reference numbers


def token_logps(model, ids, n_prompt):
    """Per-token log-probs of ids[n_prompt:], one unpadded pass, logits only where needed."""
    with torch.no_grad():
        t = torch.tensor([ids], dtype=torch.int64)
        n = len(ids)
        h, _ = model.hidden(t, torch.ones(1, n, dtype=torch.int64), torch.arange(n).unsqueeze(0),
                            *mm.empty_past(model.cfg, 1))
        logits = model.head(h[0, n_prompt - 1: n - 1])
        lp = logits.double().log_softmax(-1)
        return [lp[j, ids[n_prompt + j]].item() for j in range(n - n_prompt)]


def greedy(model, prompt, steps, eos):
    """Greedy continuation (recomputed from scratch each step) and the top-1/top-2 margin of
    the logits at each step."""
    ids = list(prompt)
    margins = []
    with torch.no_grad():
        for _ in range(steps):
            n = len(ids)
            h, _ = model.hidden(torch.tensor([ids]), torch.ones(1, n, dtype=torch.int64),
                                torch.arange(n).unsqueeze(0), *mm.empty_past(model.cfg, 1))
            logits = model.head(h[0, -1:])[0]
            top = torch.topk(logits, 2)
            margins.append((top.values[0] - top.values[1]).item())
            ids.append(int(top.indices[0]))
            if ids[-1] in eos:
                break
    return ids[len(prompt):], margins


def response_logps(model, cfg, batch):
    """dpo_sigmoid.response_logps with the head applied only at the positions that predict
    response tokens (a 262k-token head at every position is slow here), and the head and its
    log-softmax in float64. In float32 the head's backward pass, d hidden = sum over the
    vocabulary of d logit_v * w_v, runs through Debian's reference BLAS as one sequential sum:
    after the target token's large term every one of the 128k-262k small terms is rounded
    against it, which put a relative error of about u * sqrt(V / 3) (u = 2^-24: 1.3e-5 at
    152k tokens) into PyTorch's gradients and gradient norm. In float64 they are within 1e-6 of
    a float64 model's; the hidden states stay float32, as in the model dpokit trains."""
    rows = [(p["prompt"], p["chosen"]) for p in batch] + [(p["prompt"], p["rejected"]) for p in batch]
    T = max(len(a) + len(b) for a, b in rows)
    n = len(rows)
    ids = torch.zeros(n, T, dtype=torch.int64)
    mask = torch.zeros(n, T, dtype=torch.int64)
    for r, (a, b) in enumerate(rows):
        ids[r, : len(a + b)] = torch.tensor(a + b)
        mask[r, : len(a + b)] = 1
    pos = torch.arange(T, dtype=torch.int64).unsqueeze(0).repeat(n, 1)
    h, _ = model.hidden(ids, mask, pos, *mm.empty_past(cfg, n))
    sel_r, sel_t, tgt = [], [], []
    for r, (a, b) in enumerate(rows):
        for j in range(len(b)):
            sel_r.append(r)
            sel_t.append(len(a) + j - 1)
            tgt.append(b[j])
    lsm = model.head(h[torch.tensor(sel_r), torch.tensor(sel_t)].double()).log_softmax(-1)
    per = lsm[torch.arange(len(tgt)), torch.tensor(tgt)]
    out, at = [], 0
    for _, b in rows:
        out.append(per[at: at + len(b)].sum())
        at += len(b)
    return torch.stack(out), torch.tensor([len(b) for _, b in rows], dtype=torch.float32)


def score_cases(family, vocab, rng):
    cases = []
    for i, length in enumerate([6, 30, int(rng.integers(8, 25)), int(rng.integers(8, 25))]):
        ids = rng.integers(0, vocab, size=length).tolist()
        n_prompt = int(rng.integers(1, length - 2))
        cases.append({"name": f"{family}-case{i}", "prompt_ids": ids[:n_prompt], "response_ids": ids[n_prompt:]})
    return cases


def greedy_cases(model, eos, rng, want=2, steps=8, min_margin=1e-3):
    """Prompts whose greedy path keeps a top-1/top-2 margin of at least min_margin (so float32
    differences between runtimes cannot flip a choice); candidates drawn until `want` pass."""
    out = []
    vocab = model.cfg["vocab_size"]
    for _ in range(50):
        prompt = rng.integers(0, vocab, size=int(rng.integers(2, 9))).tolist()
        toks, margins = greedy(model, prompt, steps, eos)
        if min(margins) >= min_margin:
            out.append({"prompt_ids": prompt, "max_new_tokens": steps, "tokens": toks, "min_margin": min(margins)})
        if len(out) == want:
            return out
    raise SystemExit("no greedy prompts with a clear margin")


TEXT_PAIRS = [
    {"id": "capital", "prompt": "Question: What is the capital of France?\nAnswer:",
     "chosen": " The capital of France is Paris.", "rejected": " I think it might be Lyon, but I'm not sure!"},
    {"id": "code", "prompt": "Write a haiku about autumn leaves.\n",
     "chosen": "Crimson leaves drifting\nquietly onto the path —\nthe year exhales slow.",
     "rejected": "Leaves are falling down."},
]
TEXT_PROMPTS = [{"id": "fox", "prompt": "The quick brown fox"}, {"id": "recipe", "prompt": "Ingredients: flour, sugar,"}]


def text_refs(name, ref, policy, tok_src, gen, node_modules):
    """Text pairs and prompts as dpokit's score and sample tokenize them (TRL's convention):
    prompt with special tokens, each response without, the tokenizer's EOS appended."""
    with open(os.path.join(tok_src, "tokenizer_config.json")) as f:
        tcfg = json.load(f)
    eos_tok = tcfg.get("eos_token")
    eos_tok = eos_tok.get("content") if isinstance(eos_tok, dict) else eos_tok
    items = []
    for p in TEXT_PAIRS:
        items += [(p["prompt"], True), (p["chosen"], False), (p["rejected"], False)]
    items += [(q["prompt"], True) for q in TEXT_PROMPTS] + [(eos_tok, False)]
    ids = encode_texts(tok_src, items, node_modules)
    eos = ids[-1]
    if len(eos) != 1:
        raise SystemExit(f"{name}: eos token {eos_tok!r} is not one id: {eos}")
    eos = eos[0]
    pairs = []
    for k, p in enumerate(TEXT_PAIRS):
        pr, ch, rj = ids[3 * k], ids[3 * k + 1] + [eos], ids[3 * k + 2] + [eos]
        rec = dict(p, prompt_ids=pr, chosen_ids=ch, rejected_ids=rj)
        for kind, model in (("policy", policy), ("ref", ref)):
            rec[f"{kind}_chosen_logp"] = sum(token_logps(model, pr + ch, len(pr)))
            rec[f"{kind}_rejected_logp"] = sum(token_logps(model, pr + rj, len(pr)))
        pairs.append(rec)
    eos_ids = gen["eos_token_id"] if isinstance(gen["eos_token_id"], list) else [gen["eos_token_id"]]
    prompts = []
    for k, q in enumerate(TEXT_PROMPTS):
        pid = ids[3 * len(TEXT_PAIRS) + k]
        toks, margins = greedy(policy, pid, 6, eos_ids)
        # Compared only as far as every choice is clear (margin >= 1e-3; see greedy_cases).
        keep = next((j for j, m in enumerate(margins) if m < 1e-3), len(margins))
        if keep == 0:
            raise SystemExit(f"{name}: text prompt {q['id']!r} has no clear first greedy token")
        prompts.append(dict(q, prompt_ids=pid, max_new_tokens=keep, tokens=toks[:keep], min_margin=min(margins[:keep])))
    return {"eos_id": eos, "pairs": pairs, "prompts": prompts}


def train_ref(name, cfg, ref, policy_state, rng):
    """dpo_sigmoid.py's run on this family: 8 pairs of random ids, 10 sigmoid-DPO steps."""
    vocab = cfg["vocab_size"]
    pairs = []
    for i in range(dpo.PAIRS):
        pairs.append({"id": f"p{i}", "prompt": rng.integers(0, vocab, int(rng.integers(2, 7))).tolist(),
                      "chosen": rng.integers(0, vocab, int(rng.integers(1, 7))).tolist(),
                      "rejected": rng.integers(0, vocab, int(rng.integers(1, 7))).tolist()})
    dpo.reference_logps(ref, cfg, pairs, response_logps)
    torch.manual_seed(0)
    policy = build(cfg, seed=1)
    policy.load_state_dict(policy_state)
    settings = ("sigmoid", 0.1, 0.0, "adamw", 2e-3, 0.01, 2, 1.0)
    steps = dpo.dpo_run(name, policy, cfg, pairs, *settings, logps_fn=response_logps)
    return {"generator": "testdata/families/make_families.py", "torch_version": torch.__version__,
            "policy": f"{name}-policy", "ref": f"{name}-ref", "config": dpo.run_config(*settings),
            "pairs": pairs, "steps": steps}


# ---------------------------------------------------------------------------


VARIANTS = [  # name, family, layout, what it shows
    ("gpt2-nopos", "gpt2", "nopos", "no position_ids input (positions from the past length)"),
    ("smollm2-merged", "smollm2", "merged", "decoder_model_merged.onnx with use_cache_branch"),
    ("phi3-external", "phi3", "external", "weights in model.onnx_data (external data)"),
]


def script_hash():
    h = hashlib.sha256()
    for p in SCRIPTS:
        with open(os.path.join(ROOT, p), "rb") as f:
            h.update(p.encode() + b"\0" + f.read())
    return h.hexdigest()


def make_family(name, cfg, gen, tok_src, out, node_modules, seed):
    tmax = max_token_id(tok_src)
    if tmax >= cfg["vocab_size"]:
        raise SystemExit(f"{name}: vocab_size {cfg['vocab_size']} does not cover token id {tmax}")
    ref = build(cfg, seed=1)
    policy = build(cfg, seed=1)
    mm.perturb_weights(policy, seed=2, scale=0.15)
    for kind, model in (("ref", ref), ("policy", policy)):
        write_dir(model, os.path.join(out, f"{name}-{kind}"), gen, tok_src)
        worst = mm.self_check(model, np.random.default_rng(7))
        print(f"{name}-{kind}: cache/padding self-check max abs diff {worst:.1e}", flush=True)
    rng = np.random.default_rng(seed)
    cases = score_cases(name, cfg["vocab_size"], rng)
    for c in cases:
        ids = c["prompt_ids"] + c["response_ids"]
        for kind, model in (("ref", ref), ("policy", policy)):
            c[kind] = token_logps(model, ids, len(c["prompt_ids"]))
    eos = gen["eos_token_id"] if isinstance(gen["eos_token_id"], list) else [gen["eos_token_id"]]
    refs = {"family": name, "config": cfg, "parameters": sum(p.numel() for p in ref.parameters()), "score_cases": cases, "greedy": greedy_cases(policy, eos, rng)}
    refs["text"] = text_refs(name, ref, policy, tok_src, gen, node_modules)
    refs["train"] = train_ref(name, cfg, ref, {k: v.clone() for k, v in policy.state_dict().items()}, rng)
    return refs, policy


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", required=True, help="folder to write (must not exist)")
    ap.add_argument("--tokenizers", default=os.path.join(ROOT, ".cache", "tokenizers"),
                    help="scripts/fetch/tokenizers.sh's cache")
    ap.add_argument("--only", nargs="*", help="families to build (default: all)")
    args = ap.parse_args()
    torch.set_num_threads(1)
    if os.path.exists(args.out):
        raise SystemExit(f"{args.out} exists")
    node_modules = os.path.join(args.tokenizers, "node_modules")
    os.makedirs(os.path.join(args.out, "references"))
    manifest = {"generator": "testdata/families/make_families.py", "script_sha256": script_hash(),
                "torch_version": torch.__version__, "onnx_version": onnx.__version__, "families": [], "variants": []}
    policies = {}
    for k, (name, (cfg, gen, src)) in enumerate(configs().items()):
        if args.only and name not in args.only:
            continue
        tok_src = tokenizer_dir(src, args.tokenizers)
        refs, policies[name] = make_family(name, cfg, gen, tok_src, args.out, node_modules, seed=20250700 + k)
        mm.write_json(os.path.join(args.out, "references", f"{name}.json"), refs)
        manifest["families"].append({"name": name, "ref": f"{name}-ref", "policy": f"{name}-policy",
                                     "tokenizer": src, "model_type": cfg["model_type"]})
    for vname, fam, layout, what in VARIANTS:
        if fam not in policies:
            continue
        model = policies[fam]
        if layout == "nopos":
            m2 = without_positions(type(model))(model.cfg)
            m2.load_state_dict(model.state_dict())
            m2.eval()
            model = m2
        cfg, gen, src = configs()[fam]
        tmp = os.path.join(args.out, ".tmp")
        os.makedirs(tmp, exist_ok=True)
        write_dir(model, os.path.join(args.out, vname), gen, tokenizer_dir(src, args.tokenizers), layout, tmp)
        shutil.rmtree(tmp)
        manifest["variants"].append({"name": vname, "family": fam, "weights": f"{fam}-policy", "layout": layout,
                                     "shows": what})
        print(f"{vname}: {what}", flush=True)
    mm.write_json(os.path.join(args.out, "manifest.json"), manifest)
    mm.print_sizes(args.out)


if __name__ == "__main__":
    main()
