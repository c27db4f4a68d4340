#!/usr/bin/python3
"""The sigmoid-DPO trajectory internal/families holds dpokit's training to: the steps
testdata/train/dpo_reference.py once ran on the committed test models (before that script
moved to its case tables), kept as a module for testdata/families/make_families.py, which
passes its own family models and response log-prob function (dpo_run, reference_logps,
run_config).

Conventions (TRL DPOTrainer, concatenated forward):
  * a sequence is prompt + response, right-padded; position_ids 0..n-1; only response
    tokens are scored: logp = sum over response tokens of log_softmax(logits[t-1])[ids[t]]
  * z = (logp_chosen - logp_rejected) - (ref_chosen - ref_rejected)
  * sigmoid: -(1-eps)*logsigmoid(beta*z) - eps*logsigmoid(-beta*z)
  * micro-batch loss = mean over its pairs; the step's gradient is the sum over micro-batches
    of grad(loss / ACCUM); logged loss = mean of the micro-batch losses
  * grad_norm = total 2-norm before clipping (torch.nn.utils.clip_grad_norm_)
  * lr at step k: k/warmup, then linear to 0; optimizer torch.optim.AdamW
"""

import json
import math
import os
import sys

import numpy as np
import onnx
import torch
import torch.nn.functional as F
from onnx import numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
MODELS = os.path.join(HERE, "..", "models")
sys.path.insert(0, MODELS)
import make_models  # noqa: E402

STEPS = 10
BATCH = 2
ACCUM = 2
PAIRS = 8



def to_bf16(x):
    return x.to(torch.bfloat16).to(torch.float32)


class RoundOperand(torch.autograd.Function):
    """Forward: x rounded to bfloat16 (as a matmul operand); backward: the gradient as is."""

    @staticmethod
    def forward(ctx, x):
        return to_bf16(x)

    @staticmethod
    def backward(ctx, g):
        return g


class RoundGradient(torch.autograd.Function):
    """Forward: identity; backward: the incoming gradient rounded to bfloat16, the operand
    of the two products that make a matmul's gradient."""

    @staticmethod
    def forward(ctx, y):
        return y

    @staticmethod
    def backward(ctx, g):
        return to_bf16(g)


class Bf16Matmuls:
    """Within the block, torch.matmul and F.linear have bfloat16 operands (float32
    accumulation and result), forward and backward."""

    def __enter__(self):
        self.matmul, self.linear = torch.matmul, F.linear
        mm = self.matmul

        def matmul(a, b):
            return RoundGradient.apply(mm(RoundOperand.apply(a), RoundOperand.apply(b)))

        def linear(x, w, b=None):
            y = matmul(x, w.t())
            return y if b is None else y + b

        torch.matmul, F.linear = matmul, linear
        return self

    def __exit__(self, *exc):
        torch.matmul, F.linear = self.matmul, self.linear


def load_model_dir(path):
    """The PyTorch model of a make_models.py directory, weights from its ONNX initializers."""
    with open(os.path.join(path, "config.json")) as f:
        cfg = json.load(f)
    model = make_models.GPT2LM(cfg) if cfg["model_type"] == "gpt2" else make_models.LlamaLM(cfg)
    inits = {t.name: torch.from_numpy(numpy_helper.to_array(t).copy()) for t in onnx.load(os.path.join(path, "model.onnx")).graph.initializer}
    state = model.state_dict()
    missing = set(state) - set(inits)
    if missing:
        raise SystemExit(f"{path}: parameters without an ONNX initializer: {sorted(missing)}")
    model.load_state_dict({k: inits[k] for k in state})
    return model, cfg


def load_model(family, name):
    return load_model_dir(os.path.join(MODELS, name))


def make_pairs(cfg, seed):
    rng = np.random.default_rng(seed)
    vocab = min(cfg["vocab_size"], 32000)
    pairs = []
    for i in range(PAIRS):
        prompt = rng.integers(0, vocab, int(rng.integers(2, 11))).tolist()
        chosen = rng.integers(0, vocab, int(rng.integers(1, 13))).tolist()
        rejected = rng.integers(0, vocab, int(rng.integers(1, 13))).tolist()
        pairs.append({"id": f"p{i}", "prompt": prompt, "chosen": chosen, "rejected": rejected})
    return pairs


def response_logps(model, cfg, batch):
    """Summed response log-probs and token counts; rows are chosen then rejected."""
    rows = [(p["prompt"], p["chosen"]) for p in batch] + [(p["prompt"], p["rejected"]) for p in batch]
    T = max(len(a) + len(b) for a, b in rows)
    n = len(rows)
    ids = torch.zeros(n, T, dtype=torch.int64)
    mask = torch.zeros(n, T, dtype=torch.int64)
    for r, (a, b) in enumerate(rows):
        seq = a + b
        ids[r, : len(seq)] = torch.tensor(seq)
        mask[r, : len(seq)] = 1
    pos = torch.arange(T, dtype=torch.int64).unsqueeze(0).repeat(n, 1)
    kv = cfg.get("num_key_value_heads", cfg.get("n_head"))
    hd = cfg["head_dim"]
    layers = cfg.get("num_hidden_layers", cfg.get("n_layer"))
    past = [torch.zeros(n, kv, 0, hd) for _ in range(2 * layers)]
    logits = model(ids, mask, pos, *past)[0]
    lsm = logits.log_softmax(-1)
    out, lengths = [], []
    for r, (a, b) in enumerate(rows):
        idx = torch.arange(len(a), len(a) + len(b))
        out.append(lsm[r, idx - 1, torch.tensor(b)].sum())
        lengths.append(len(b))
    return torch.stack(out), torch.tensor(lengths, dtype=torch.float32)


def lr_lambda(k, warmup, total):
    if k < warmup:
        return k / max(1, warmup)
    return max(0.0, (total - k) / max(1, total - warmup))


def reference_logps(ref, cfg, pairs, logps_fn=None):
    """Adds each pair's reference log-probs (ref_chosen_logp, ref_rejected_logp)."""
    logps_fn = logps_fn or response_logps
    with torch.no_grad():
        for p in pairs:
            (c, r), _ = logps_fn(ref, cfg, [p])
            p["ref_chosen_logp"], p["ref_rejected_logp"] = float(c), float(r)


def run_config(loss_type, beta, eps, opt_name, lr, wd, warmup, max_norm):
    """The "config" object of a reference JSON."""
    return {"loss": loss_type, "beta": beta, "label_smoothing": eps, "optimizer": opt_name, "lr": lr,
            "weight_decay": wd, "warmup_steps": warmup, "max_grad_norm": max_norm, "steps": STEPS,
            "batch_size": BATCH, "grad_accum": ACCUM, "schedule": "linear"}


def optimizer(policy, opt_name, lr, wd, warmup):
    """The policy's parameters, optimizer and linear warmup/decay schedule."""
    params = [p for p in policy.parameters()]
    if opt_name == "adamw":
        opt = torch.optim.AdamW(params, lr=lr, weight_decay=wd)
    else:
        opt = torch.optim.RMSprop(params, lr=lr, weight_decay=wd)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda k: lr_lambda(k, warmup, STEPS))
    return params, opt, sched


def dpo_run(name, policy, cfg, pairs, loss_type, beta, eps, opt_name, lr, wd, warmup, max_norm, logps_fn=None):
    """STEPS optimizer steps of DPO on policy (in place); returns the logged metrics per step.
    logps_fn(model, cfg, batch) -> (summed response log-probs, response lengths), rows chosen
    then rejected (default response_logps)."""
    params, opt, sched = optimizer(policy, opt_name, lr, wd, warmup)
    case = (name, None, loss_type, beta, eps, opt_name, lr, wd, warmup, max_norm)
    return train_steps(case, policy, cfg, pairs, params, opt, sched, logps_fn)


def train_steps(case, policy, cfg, pairs, params, opt, sched, logps_fn=None):
    """STEPS optimizer steps of the policy; the logged metrics of each.
    logps_fn(model, cfg, batch) -> (summed response log-probs, response lengths), rows chosen
    then rejected (default response_logps)."""
    logps_fn = logps_fn or response_logps
    name, loss_type, beta, eps, max_norm = case[0], case[2], case[3], case[4], case[9]
    steps = []
    cursor = 0
    for k in range(STEPS):
        opt.zero_grad()
        logged = {"loss": 0.0, "rewards/chosen": 0.0, "rewards/rejected": 0.0, "rewards/accuracies": 0.0,
                  "rewards/margins": 0.0, "logps/chosen": 0.0, "logps/rejected": 0.0}
        step_lr = sched.get_last_lr()[0]
        for j in range(ACCUM):
            batch = [pairs[(cursor + i) % PAIRS] for i in range(BATCH)]
            cursor += BATCH
            logps, lengths = logps_fn(policy, cfg, batch)
            refs = torch.tensor([p["ref_chosen_logp"] for p in batch] + [p["ref_rejected_logp"] for p in batch])
            if loss_type == "ipo":
                logps = logps / lengths
                refs = refs / lengths
            pc, pr = logps[:BATCH], logps[BATCH:]
            rc, rr = refs[:BATCH], refs[BATCH:]
            z = (pc - pr) - (rc - rr)
            if loss_type == "sigmoid":
                losses = -F.logsigmoid(beta * z) * (1 - eps) - F.logsigmoid(-beta * z) * eps
            elif loss_type == "robust":
                losses = (-F.logsigmoid(beta * z) * (1 - eps) + F.logsigmoid(-beta * z) * eps) / (1 - 2 * eps)
            elif loss_type == "hinge":
                losses = torch.relu(1 - beta * z)
            elif loss_type == "ipo":
                losses = (z - 1 / (2 * beta)) ** 2
            if loss_type == "sft":
                loss = -pc.sum() / lengths[:BATCH].sum()
            else:
                loss = losses.mean()
            (loss / ACCUM).backward()
            cr = beta * (pc - rc).detach()
            rj = beta * (pr - rr).detach()
            for key, v in (("loss", loss.detach()), ("rewards/chosen", cr.mean()), ("rewards/rejected", rj.mean()),
                           ("rewards/accuracies", (cr > rj).float().mean()), ("rewards/margins", (cr - rj).mean()),
                           ("logps/chosen", pc.detach().mean()), ("logps/rejected", pr.detach().mean())):
                logged[key] += float(v) / ACCUM
        norm = torch.nn.utils.clip_grad_norm_(params, max_norm if max_norm > 0 else float("inf"))
        opt.step()
        sched.step()
        logged["grad_norm"] = float(norm)
        logged["learning_rate"] = step_lr
        steps.append(logged)
        print(f"{name} step {k + 1}: loss {logged['loss']:.6f} grad_norm {logged['grad_norm']:.6f} lr {step_lr:.2e}")
    return steps
