#!/usr/bin/python3
"""PyTorch reference for dpokit's training: the same steps on the same batches.

Run with Debian's PyTorch 1.13 and onnx (python3-torch, python3-onnx, python3-numpy):

    /usr/bin/python3 testdata/train/dpo_reference.py            # every case
    /usr/bin/python3 testdata/train/dpo_reference.py NAME...    # some (a name, or a prefix ending in *)

For each case below it rebuilds a committed test model in plain PyTorch (the classes of
testdata/models/make_models.py), loads its weights from the ONNX initializers, and runs
STEPS optimizer steps of the case's objective, each written here from its paper and TRL's
documentation (TRL v1.9's conventions), with Hugging Face Trainer's optimizer, schedule,
gradient accumulation and clipping. It writes one JSON file per case into cases/ next to
this script; train/reference_test.go runs the same steps in dpokit and compares.

Batches: step k (0-based) runs ACCUM micro-batches of BATCH examples taken in order from
the example list, wrapping around (examples (k*ACCUM + j)*BATCH ... for j < ACCUM).

Conventions (TRL's concatenated forward):
  * a sequence is prompt + response, right-padded; position_ids 0..n-1; only response
    tokens are scored: logp = sum over response tokens of log_softmax(logits[t-1])[ids[t]]
  * u_w = logp_w - ref_w, u_l = logp_l - ref_l (log-ratios); the f-divergence score s of
    a log-ratio u is u (reverse_kl), -exp(-u) (forward_kl), logsigmoid(u) (js_divergence),
    exp((a-1)u)/(a-1) with (a-1)u capped at 80 (alpha_divergence, u itself at a = 1);
    delta = s_w - s_l; |y| = response tokens
  * DPO losses (per pair; the micro-batch loss is the sum over the configured losses of
    weight * mean over pairs):
    sigmoid      -(1-eps) logsig(b delta) - eps logsig(-b delta)       (eps > 0: cDPO)
    hinge        relu(1 - b delta)
    ipo          (s_w/|y_w| - s_l/|y_l| - 1/(2b))^2
    exo_pair     q_w (log q_w - log(1-eps)) + q_l (log q_l - log eps), q = sigmoid(+-b delta)
    nca_pair     -logsig(b s_w) - logsig(-b s_w)/2 - logsig(-b s_l)/2
    robust       ((1-eps)(-logsig(b delta)) + eps logsig(-b delta)) / (1 - 2 eps)
    bco_pair     -logsig(b s_w) - logsig(-b s_l)
    sppo_hard    (s_w - 1/(2b))^2 + (s_l + 1/(2b))^2
    aot          sigmoid loss (with eps) on sort(logp_w - logp_l) - sort(ref_w - ref_l)
    aot_unpaired sigmoid loss (with eps) on sort(u_w) - sort(u_l)   (sorted over the batch)
    apo_zero     1 - sigmoid(b u_w) + sigmoid(b u_l)
    apo_down     sigmoid(b u_w) + 1 - sigmoid(b delta)
    discopop     with x = b delta, m = sigmoid(x/tau): (1-m)(-logsig(x)) + m exp(-x)
    sft          mean NLL over the micro-batch's chosen tokens (the same for every pair)
    sigmoid_norm -logsig(b (s_w/|y_w| - s_l/|y_l|))
  * LD-DPO (ld_alpha a): with l_p = min(|y_w|, |y_l|), logp = sum of the first l_p token
    log-probs + a * the rest, for policy and reference alike
  * WPO (use_weighting): each pair's loss times w(y_w) w(y_l), w(y) = exp(mean over y's tokens
    of logp_t - log sum_v p_v^2), without gradient
  * TR-DPO (sync_ref_every N, mixup a): the reference is a model in memory; after every N-th
    optimizer step its weights become a * policy + (1 - a) * reference
  * reference_free: reference log-probs are 0
  * KTO: an example is (prompt, completion, label); its KL completion is the completion of
    the previous example of its group of BATCH in file order (the first takes the last);
    kl = max(0, mean over the micro-batch of logp(KL) - ref(KL)), no gradient; loss = mean
    over examples of w_d (1 - sigmoid(b (u - kl))) (desirable) or w_u (1 - sigmoid(b (kl - u)))
  * ORPO: p = logp/|y| (average); log odds = (p_w - p_l) - (log(1-e^p_w) - log(1-e^p_l));
    loss = NLL(chosen tokens) - b mean(logsig(log odds)); rewards b p
  * CPO: p = logp (sigmoid, hinge) or logp/|y| (ipo, simpo); x = p_w - p_l (- gamma/b for
    simpo); loss = mean(sigmoid/hinge/ipo loss of x) + cpo_alpha NLL(chosen tokens); rewards b p
  * reward model: r = w . h, h the final norm's output at the last token of prompt + response,
    w [hidden] drawn N(0, 0.02^2); loss = mean(-logsigmoid(r_w - r_l - margin)) +
    center_rewards_coefficient * mean((r_w + r_l)^2); metrics min/mean/max_reward over the
    micro-batch's 2B scores, accuracy = mean [r_w > r_l], margin = mean(r_w - r_l)
  * LoRA: module(x) + (alpha/r) (x A^T) B^T on the target Linear modules, A [r, in] uniform in
    +-1/sqrt(in), B zero; only A and B (and a reward head) train
  * metrics per micro-batch, averaged over the step's micro-batches (a metric undefined in a
    micro-batch, such as KTO's rewards/chosen without desirable examples, is left out):
    rewards/chosen = mean b u_w, rewards/rejected, rewards/accuracies = mean [b u_w > b u_l],
    rewards/margins, logps/chosen = mean logp_w, logps/rejected, logits/chosen = mean over
    chosen tokens of the mean logit over the vocabulary, logits/rejected, entropy = mean over
    all response tokens of the next-token entropy, mean_token_accuracy = share of chosen
    tokens that are the argmax
  * the step's gradient is the sum over micro-batches of grad(loss / ACCUM); logged loss =
    mean of the micro-batch losses; grad_norm = total 2-norm before clipping
  * lr at step k: LambdaLR of get_linear_schedule_with_warmup (k/warmup, then linear to 0)
  * optimizers: torch.optim.AdamW / torch.optim.RMSprop, default betas/alpha/eps

Reference log-probs come from the matching *-ref model, computed once by this script (the
same numbers dpokit would read from its reference cache) and stored in the JSON.

A case whose name ends in _bf16 runs the policy's steps as dpokit's --precision bf16 does
(reference log-probs stay float32): every matrix product (torch.matmul, F.linear, @) takes its
operands rounded to bfloat16 and accumulates and returns float32, in the forward pass and in
both products of its gradient (the incoming gradient is rounded to bfloat16 as an operand);
norms, softmax, the loss and AdamW stay float32.
"""

import contextlib
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
TESTDATA = os.path.join(HERE, "..")
sys.path.insert(0, os.path.join(TESTDATA, "models"))
import make_models  # noqa: E402

STEPS = 10

BASE = {"objective": "dpo", "loss": "sigmoid", "beta": 0.1, "label_smoothing": 0.0, "optimizer": "adamw",
        "learning_rate": 2e-3, "weight_decay": 0.01, "warmup_steps": 2, "max_grad_norm": 1.0,
        "batch_size": 3, "grad_accum": 2, "lr_schedule": "linear", "steps": STEPS}


def case(name, model, examples=12, **over):
    cfg = dict(BASE, **over)
    return {"name": name, "model": model, "examples": examples, "config": cfg}


REAL = {"batch_size": 2, "grad_accum": 2}  # the committed models of testdata/models
TINY = "train/tiny-gpt2"

CASES = [
    case("gpt2_sigmoid", "models/gpt2", 8, **REAL),
    case("gpt2_ipo", "models/gpt2", 8, loss="ipo", **REAL),
    case("gpt2_robust", "models/gpt2", 8, loss="robust", label_smoothing=0.1, **REAL),
    case("gpt2_hinge_rmsprop", "models/gpt2", 8, loss="hinge", optimizer="rmsprop", learning_rate=2e-5,
         warmup_steps=0, max_grad_norm=0.0, **REAL),
    case("gpt2_sft", "models/gpt2", 8, loss="sft", weight_decay=0.0, warmup_steps=0, **REAL),
    case("llama_sigmoid", "models/llama", 8, **REAL),
    case("llama_sigmoid_bf16", "models/llama", 8, **REAL),
    # Every DPO loss on the tiny model, one at a time.
    case("tiny_sigmoid", TINY),
    case("tiny_cdpo", TINY, label_smoothing=0.1),
    case("tiny_hinge", TINY, loss="hinge"),
    case("tiny_ipo", TINY, loss="ipo"),
    case("tiny_exo_pair", TINY, loss="exo_pair", label_smoothing=1e-3),
    case("tiny_nca_pair", TINY, loss="nca_pair"),
    case("tiny_robust", TINY, loss="robust", label_smoothing=0.2),
    case("tiny_bco_pair", TINY, loss="bco_pair"),
    case("tiny_sppo_hard", TINY, loss="sppo_hard"),
    case("tiny_aot", TINY, loss="aot", label_smoothing=0.05),
    case("tiny_aot_unpaired", TINY, loss="aot_unpaired"),
    case("tiny_apo_zero", TINY, loss="apo_zero"),
    case("tiny_apo_down", TINY, loss="apo_down"),
    case("tiny_discopop", TINY, loss="discopop", discopop_tau=0.05),
    case("tiny_sft", TINY, loss="sft"),
    case("tiny_sigmoid_norm", TINY, loss="sigmoid_norm", beta=1.0),
    # Weighted combinations: RPO and MPO.
    case("tiny_rpo", TINY, loss="sigmoid,sft", loss_weights=[1.0, 0.5]),
    case("tiny_mpo", TINY, loss="sigmoid,bco_pair,sft", loss_weights=[0.8, 0.2, 1.0]),
    # f-divergences, LD-DPO, WPO, TR-DPO, reference-free.
    case("tiny_forward_kl", TINY, f_divergence_type="forward_kl"),
    case("tiny_js_divergence", TINY, f_divergence_type="js_divergence"),
    case("tiny_alpha_divergence", TINY, f_divergence_type="alpha_divergence", f_alpha_divergence_coef=0.5),
    case("tiny_ld", TINY, ld_alpha=0.5),
    # WPO's weights are products of two sequence probabilities, about 1e-6 on random tokens:
    # large loss weights bring the loss to a size the comparison can see.
    case("tiny_wpo", TINY, loss="sigmoid,sft", loss_weights=[1e6, 1e5], use_weighting=True),
    case("tiny_trdpo", TINY, ref_model_sync_steps=3, ref_model_mixup_alpha=0.6),
    case("tiny_reference_free", TINY, reference_free=True),
    # Unpaired and reference-free objectives.
    case("tiny_kto", TINY, objective="kto", loss="", desirable_weight=1.0, undesirable_weight=1.33),
    case("tiny_orpo", TINY, objective="orpo", loss=""),
    case("tiny_cpo", TINY, objective="cpo", cpo_alpha=1.0),
    case("tiny_simpo", TINY, objective="cpo", loss="simpo", beta=2.0, simpo_gamma=1.0, cpo_alpha=0.0),
    case("tiny_llama_mpo", "train/tiny-llama", loss="sigmoid,bco_pair,sft", loss_weights=[0.8, 0.2, 1.0]),
    # LoRA adapters on q_proj and v_proj (the base weights frozen), DPO and KTO.
    dict(case("tiny_llama_lora", "train/tiny-llama", learning_rate=1e-2),
         lora={"r": 4, "lora_alpha": 8.0, "lora_dropout": 0.0, "target_modules": ["q_proj", "v_proj"]}),
    dict(case("tiny_llama_lora_kto", "train/tiny-llama", objective="kto", loss="", learning_rate=1e-2,
              desirable_weight=1.0, undesirable_weight=1.0),
         lora={"r": 2, "lora_alpha": 16.0, "lora_dropout": 0.0, "target_modules": ["model.layers.1.*"]}),
    # A reward model: a scalar head on the final hidden state, Bradley-Terry loss with margins
    # and reward centering, all weights trained; then the same with LoRA adapters.
    case("tiny_llama_reward", "train/tiny-llama", objective="reward", loss="", learning_rate=1e-2,
         center_rewards_coefficient=0.01),
    dict(case("tiny_llama_reward_lora", "train/tiny-llama", objective="reward", loss="", learning_rate=1e-2),
         lora={"r": 4, "lora_alpha": 8.0, "lora_dropout": 0.0, "target_modules": ["q_proj", "v_proj"]}),
]


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
    """Within the block, torch.matmul, F.linear (nn.Linear) and the @ operator (the LoRA
    adapters) have bfloat16 operands (float32 accumulation and result), forward and backward,
    as dpokit lowers every float32 product of two matrices. calls counts them: a case that
    ran none is refused, since it would be the float32 run under another name."""

    def __enter__(self):
        self.matmul, self.linear, self.at = torch.matmul, F.linear, torch.Tensor.__matmul__
        self.calls = 0
        mm = self.matmul

        def matmul(a, b):
            self.calls += 1
            return RoundGradient.apply(mm(RoundOperand.apply(a), RoundOperand.apply(b)))

        def linear(x, w, b=None):
            y = matmul(x, w.t())
            return y if b is None else y + b

        torch.matmul, F.linear, torch.Tensor.__matmul__ = matmul, linear, matmul
        return self

    def __exit__(self, *exc):
        torch.matmul, F.linear, torch.Tensor.__matmul__ = self.matmul, self.linear, self.at


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


def run_model(model, cfg, rows):
    """Logits of right-padded rows of token ids, [n, T, V]."""
    T = max(len(r) for r in rows)
    n = len(rows)
    ids = torch.zeros(n, T, dtype=torch.int64)
    mask = torch.zeros(n, T, dtype=torch.int64)
    for r, seq in enumerate(rows):
        ids[r, : len(seq)] = torch.tensor(seq)
        mask[r, : len(seq)] = 1
    pos = torch.arange(T, dtype=torch.int64).unsqueeze(0).repeat(n, 1)
    kv = cfg.get("num_key_value_heads", cfg.get("n_head"))
    layers = cfg.get("num_hidden_layers", cfg.get("n_layer"))
    past = [torch.zeros(n, kv, 0, cfg["head_dim"]) for _ in range(2 * layers)]
    return model(ids, mask, pos, *past)[0]


class Tokens:
    """A response's token log-probs lp [n], the logits that predict them lg [n, V] and the
    token ids tgt [n]."""

    def __init__(self, lp, lg, tgt):
        self.lp, self.lg, self.tgt = lp, lg, tgt


def response_tokens(model, cfg, rows):
    """The Tokens of each (prompt, response) row."""
    logits = run_model(model, cfg, [a + b for a, b in rows])
    out = []
    for r, (a, b) in enumerate(rows):
        lg = logits[r, len(a) - 1: len(a) + len(b) - 1]
        tgt = torch.tensor(b)
        out.append(Tokens(lg.log_softmax(-1)[torch.arange(len(b)), tgt], lg, tgt))
    return out


def response_logps(model, cfg, batch):
    """Summed response log-probs and token counts; rows are chosen then rejected."""
    rows = [(p["prompt"], p["chosen"]) for p in batch] + [(p["prompt"], p["rejected"]) for p in batch]
    toks = response_tokens(model, cfg, rows)
    return torch.stack([t.lp.sum() for t in toks]), torch.tensor([len(b) for _, b in rows], dtype=torch.float32)


def make_examples(cfg, n, seed):
    rng = np.random.default_rng(seed)
    vocab = min(cfg["vocab_size"], 32000)
    out = []
    for i in range(n):
        prompt = rng.integers(0, vocab, int(rng.integers(2, 11))).tolist()
        chosen = rng.integers(0, vocab, int(rng.integers(1, 13))).tolist()
        rejected = rng.integers(0, vocab, int(rng.integers(1, 13))).tolist()
        out.append({"id": f"p{i}", "prompt": prompt, "chosen": chosen, "rejected": rejected})
    return out


def kto_examples(pairs, batch):
    """Unpaired examples: the chosen responses labelled desirable and the rejected ones
    undesirable, alternately; "rejected" holds the KL completion (see the header)."""
    ex = []
    for i, p in enumerate(pairs):
        good = i % 3 != 2
        ex.append({"id": p["id"], "prompt": p["prompt"], "chosen": p["chosen"] if good else p["rejected"],
                   "desirable": good})
    for g in range(0, len(ex), batch):
        group = ex[g: g + batch]
        comps = [e["chosen"] for e in group]
        for j, e in enumerate(group):
            e["rejected"] = comps[j - 1]
    return ex


def ld_sum(lp, shared, alpha):
    if alpha is None:
        return lp.sum()
    return lp[:shared].sum() + alpha * lp[shared:].sum()


def lr_lambda(k, warmup, total):
    if k < warmup:
        return k / max(1, warmup)
    return max(0.0, (total - k) / max(1, total - warmup))


def f_score(c, u):
    f = c.get("f_divergence_type", "reverse_kl")
    if f == "forward_kl":
        return -torch.exp(-u)
    if f == "js_divergence":
        return F.logsigmoid(u)
    if f == "alpha_divergence":
        a = c["f_alpha_divergence_coef"]
        if abs(a - 1) < 1e-6:
            return u
        return torch.exp(torch.clamp((a - 1) * u, max=80.0)) / (a - 1)
    return u


def smoothed_sigmoid(x, eps):
    return -(1 - eps) * F.logsigmoid(x) - eps * F.logsigmoid(-x)


def pair_loss(c, loss, sw, sl, uw, ul, pw, pl, rw, rl, nw, nl):
    b, eps = c["beta"], c["label_smoothing"]
    delta = sw - sl
    bd = b * delta
    if loss == "sigmoid":
        return smoothed_sigmoid(bd, eps)
    if loss == "hinge":
        return torch.relu(1 - bd)
    if loss == "ipo":
        return (sw / nw - sl / nl - 1 / (2 * b)) ** 2
    if loss == "exo_pair":
        qw, ql = torch.sigmoid(bd), torch.sigmoid(-bd)
        return qw * (F.logsigmoid(bd) - math.log(1 - eps)) + ql * (F.logsigmoid(-bd) - math.log(eps))
    if loss == "nca_pair":
        return -F.logsigmoid(b * sw) - 0.5 * F.logsigmoid(-b * sw) - 0.5 * F.logsigmoid(-b * sl)
    if loss == "robust":
        return ((1 - eps) * -F.logsigmoid(bd) + eps * F.logsigmoid(-bd)) / (1 - 2 * eps)
    if loss == "bco_pair":
        return -F.logsigmoid(b * sw) - F.logsigmoid(-b * sl)
    if loss == "sppo_hard":
        return (sw - 0.5 / b) ** 2 + (sl + 0.5 / b) ** 2
    if loss == "aot":
        d = torch.sort(pw - pl).values - torch.sort(rw - rl).values
        return smoothed_sigmoid(b * d, eps)
    if loss == "aot_unpaired":
        d = torch.sort(uw).values - torch.sort(ul).values
        return smoothed_sigmoid(b * d, eps)
    if loss == "apo_zero":
        return 1 - torch.sigmoid(b * uw) + torch.sigmoid(b * ul)
    if loss == "apo_down":
        return torch.sigmoid(b * uw) + 1 - torch.sigmoid(bd)
    if loss == "discopop":
        m = torch.sigmoid(bd / c["discopop_tau"])
        return (1 - m) * -F.logsigmoid(bd) + m * torch.exp(-bd)
    if loss == "sigmoid_norm":
        return -F.logsigmoid(b * (sw / nw - sl / nl))
    raise SystemExit(f"unknown loss {loss}")


def entropy(t):
    return (-(t.lg.softmax(-1) * t.lg.log_softmax(-1)).sum(-1)).sum()


def token_metrics(toks, B):
    """TRL's logits/*, entropy and mean_token_accuracy of a micro-batch."""
    ch, rj = toks[:B], toks[B:]
    ntok = lambda ts: max(1, sum(len(t.lp) for t in ts))  # noqa: E731
    with torch.no_grad():
        return {
            "logits/chosen": sum(float(t.lg.mean(-1).sum()) for t in ch) / ntok(ch),
            "logits/rejected": sum(float(t.lg.mean(-1).sum()) for t in rj) / ntok(rj),
            "entropy": sum(float(entropy(t)) for t in toks) / ntok(toks),
            "mean_token_accuracy": sum(float((t.lg.argmax(-1) == t.tgt).sum()) for t in ch) / ntok(ch),
        }


def forward(policy, cfg, batch):
    rows = [(p["prompt"], p["chosen"]) for p in batch] + [(p["prompt"], p["rejected"]) for p in batch]
    return rows, response_tokens(policy, cfg, rows)


def nll(toks, B):
    return -torch.stack([t.lp.sum() for t in toks[:B]]).sum() / max(1, sum(len(t.lp) for t in toks[:B]))


def dpo_batch(c, policy, ref_model, cfg, batch):
    B = len(batch)
    rows, toks = forward(policy, cfg, batch)
    shared = [min(len(p["chosen"]), len(p["rejected"])) for p in batch] * 2
    ld = c.get("ld_alpha")
    logp = torch.stack([ld_sum(t.lp, shared[r], ld) for r, t in enumerate(toks)])
    if c.get("reference_free"):
        refs = torch.zeros(2 * B)
    elif ref_model is not None:
        with torch.no_grad():
            rt = response_tokens(ref_model, cfg, rows)
            refs = torch.stack([ld_sum(t.lp, shared[r], ld) for r, t in enumerate(rt)])
    else:
        refs = torch.tensor([p["ref_chosen_logp"] for p in batch] + [p["ref_rejected_logp"] for p in batch])
    lens = torch.tensor([max(1, len(b)) for _, b in rows], dtype=torch.float32)
    pw, pl, rw, rl = logp[:B], logp[B:], refs[:B], refs[B:]
    uw, ul = pw - rw, pl - rl
    sw, sl = f_score(c, uw), f_score(c, ul)
    weights = None
    if c.get("use_weighting"):
        with torch.no_grad():
            w = []
            for t in toks:
                den = torch.logsumexp(2 * t.lg, -1) - 2 * torch.logsumexp(t.lg, -1)
                w.append(torch.exp((t.lp - den).sum() / max(1, len(t.lp))))
            w = torch.stack(w)
            weights = w[:B] * w[B:]
    loss = 0.0
    terms = c["loss"].split(",")
    lw = c.get("loss_weights") or [1.0] * len(terms)
    for term, wt in zip(terms, lw):
        if term == "sft":
            per = nll(toks, B).expand(B)
        else:
            per = pair_loss(c, term, sw, sl, uw, ul, pw, pl, rw, rl, lens[:B], lens[B:])
        if weights is not None:
            per = per * weights
        loss = loss + wt * per.mean()
    b = c["beta"]
    cr, rj = b * uw.detach(), b * ul.detach()
    m = {"loss": float(loss), "rewards/chosen": float(cr.mean()), "rewards/rejected": float(rj.mean()),
         "rewards/accuracies": float((cr > rj).float().mean()), "rewards/margins": float((cr - rj).mean()),
         "logps/chosen": float(pw.detach().mean()), "logps/rejected": float(pl.detach().mean())}
    m.update(token_metrics(toks, B))
    return loss, m


def kto_batch(c, policy, cfg, batch):
    B = len(batch)
    rows, toks = forward(policy, cfg, batch)
    logp = torch.stack([t.lp.sum() for t in toks])
    refs = torch.tensor([p["ref_chosen_logp"] for p in batch] + [p["ref_rejected_logp"] for p in batch])
    kl = torch.clamp((logp[B:] - refs[B:]).detach().mean(), min=0)
    u = logp[:B] - refs[:B]
    good = torch.tensor([p["desirable"] for p in batch])
    b = c["beta"]
    per = torch.where(good, c["desirable_weight"] * (1 - torch.sigmoid(b * (u - kl))),
                      c["undesirable_weight"] * (1 - torch.sigmoid(b * (kl - u))))
    loss = per.mean()
    m = {"loss": float(loss), "kl": float(kl)}
    r = b * u.detach()
    lg_mean = [float(t.lg.mean(-1).sum()) for t in toks[:B]]
    for side, sel in (("chosen", good), ("rejected", ~good)):
        n = int(sel.sum())
        if n:
            m[f"rewards/{side}"] = float(r[sel].sum()) / n
            m[f"logps/{side}"] = float(logp[:B].detach()[sel].sum()) / n
            idx = [i for i in range(B) if bool(sel[i])]
            m[f"logits/{side}"] = sum(lg_mean[i] for i in idx) / max(1, sum(len(toks[i].lp) for i in idx))
    if "rewards/chosen" in m and "rewards/rejected" in m:
        m["rewards/margins"] = m["rewards/chosen"] - m["rewards/rejected"]
    with torch.no_grad():
        m["entropy"] = sum(float(entropy(t)) for t in toks[:B]) / max(1, sum(len(t.lp) for t in toks[:B]))
    return loss, m


def refree_batch(c, policy, cfg, batch):
    """ORPO and CPO (SimPO): the policy's log-probs only."""
    B = len(batch)
    rows, toks = forward(policy, cfg, batch)
    logp = torch.stack([t.lp.sum() for t in toks])
    lens = torch.tensor([max(1, len(b)) for _, b in rows], dtype=torch.float32)
    b = c["beta"]
    n = nll(toks, B)
    m = {}
    if c["objective"] == "orpo":
        p = logp / lens
        pw, pl = p[:B], p[B:]
        log_odds = (pw - pl) - (torch.log(-torch.expm1(pw)) - torch.log(-torch.expm1(pl)))
        ratio = F.logsigmoid(log_odds)
        loss = n - b * ratio.mean()
        m.update({"nll_loss": float(n), "log_odds_ratio": float(ratio.mean()), "log_odds_chosen": float(log_odds.mean())})
    else:
        avg = c["loss"] in ("ipo", "simpo")
        p = logp / lens if avg else logp
        pw, pl = p[:B], p[B:]
        x = pw - pl
        if c["loss"] == "simpo":
            x = x - c["simpo_gamma"] / b
        if c["loss"] in ("sigmoid", "simpo"):
            per = smoothed_sigmoid(b * x, c["label_smoothing"])
        elif c["loss"] == "hinge":
            per = torch.relu(1 - b * x)
        else:
            per = (x - 1 / (2 * b)) ** 2
        alpha = c["cpo_alpha"]
        loss = per.mean() + alpha * n
        m["nll_loss"] = float(n) if alpha else 0.0
    cr, rj = b * pw.detach(), b * pl.detach()
    m.update({"loss": float(loss), "rewards/chosen": float(cr.mean()), "rewards/rejected": float(rj.mean()),
              "rewards/accuracies": float((cr > rj).float().mean()), "rewards/margins": float((cr - rj).mean()),
              "logps/chosen": float(pw.detach().mean()), "logps/rejected": float(pl.detach().mean())})
    m.update(token_metrics(toks, B))
    return loss, m


def add_lora(model, lc, seed):
    """LoRA adapters on the Linear modules that lc's targets name (a module-name suffix or a
    glob on the weight name): module(x) + (alpha/r) (x A^T) B^T with A [r, in] uniform in
    +-1/sqrt(in) and B [out, r] zero. Returns [(module name, A, B)] in graph order; only A
    and B train."""
    import fnmatch
    for p in model.parameters():
        p.requires_grad_(False)
    g = torch.Generator().manual_seed(seed)
    s = lc["lora_alpha"] / lc["r"]
    out = []
    for name, mod in model.named_modules():
        if not isinstance(mod, torch.nn.Linear):
            continue
        if not any(fnmatch.fnmatchcase(name + ".weight", t) if any(c in t for c in "*?[") else
                   (name == t or name.endswith("." + t)) for t in lc["target_modules"]):
            continue
        fan_in, fan_out = mod.in_features, mod.out_features
        a = ((torch.rand(lc["r"], fan_in, generator=g) * 2 - 1) / math.sqrt(fan_in)).requires_grad_(True)
        b = torch.zeros(fan_out, lc["r"], requires_grad=True)
        mod.register_forward_hook(lambda m, inp, o, a=a, b=b: o + s * (inp[0] @ a.t()) @ b.t())
        out.append((name, a, b))
    return out


def reward_batch(c, policy, head, cfg, batch):
    """TRL's RewardTrainer: score = head . h at the last token of prompt + response, h the
    final norm's output; loss = mean(-logsig(r_w - r_l - margin)) + coef mean((r_w + r_l)^2)."""
    rows = [p["prompt"] + p["chosen"] for p in batch] + [p["prompt"] + p["rejected"] for p in batch]
    captured = {}
    hook = policy.model.norm.register_forward_hook(lambda m, i, o: captured.update(h=o))
    run_model(policy, cfg, rows)
    hook.remove()
    h = captured["h"]
    r = torch.stack([h[i, len(rows[i]) - 1] @ head for i in range(len(rows))])
    B = len(batch)
    rw, rl = r[:B], r[B:]
    margin = torch.tensor([p.get("margin", 0.0) for p in batch])
    loss = -F.logsigmoid(rw - rl - margin).mean()
    if c.get("center_rewards_coefficient"):
        loss = loss + c["center_rewards_coefficient"] * ((rw + rl) ** 2).mean()
    rd = r.detach()
    return loss, {"loss": float(loss), "min_reward": float(rd.min()), "mean_reward": float(rd.mean()),
                  "max_reward": float(rd.max()), "accuracy": float((rw > rl).float().mean()),
                  "margin": float((rw - rl).detach().mean())}


def run_case(cs):
    name, c = cs["name"], cs["config"]
    B, ACCUM = c["batch_size"], c["grad_accum"]
    torch.manual_seed(0)
    policy, cfg = load_model_dir(os.path.join(TESTDATA, cs["model"] + "-policy"))
    ref, _ = load_model_dir(os.path.join(TESTDATA, cs["model"] + "-ref"))
    seed = {"models/gpt2": 11, "models/llama": 12}.get(cs["model"], 13)
    examples = make_examples(cfg, cs["examples"], seed)
    if c["objective"] == "kto":
        examples = kto_examples(examples, B)
    if c["objective"] == "reward":
        for i, p in enumerate(examples):
            p["margin"] = [0.0, 0.5, 1.0][i % 3]
    ld = c.get("ld_alpha")
    with torch.no_grad():
        for p in examples:
            shared = min(len(p["chosen"]), len(p["rejected"]))
            tc, tr = response_tokens(ref, cfg, [(p["prompt"], p["chosen"]), (p["prompt"], p["rejected"])])
            p["ref_chosen_logp"], p["ref_rejected_logp"] = float(ld_sum(tc.lp, shared, ld)), float(ld_sum(tr.lp, shared, ld))
    moving_ref = ref if c.get("ref_model_sync_steps") else None
    params = list(policy.parameters())
    adapters = None
    if cs.get("lora"):
        adapters = add_lora(policy, cs["lora"], seed=5)
        params = [t for _, a, b in adapters for t in (a, b)]
        initial = [{"module": n, "lora_A": a.detach().tolist()} for n, a, _ in adapters]
    head = None
    if c["objective"] == "reward":
        g = torch.Generator().manual_seed(9)
        head = (torch.randn(cfg["hidden_size"], generator=g) * 0.02).requires_grad_(True)
        head_initial = head.detach().tolist()
        params = params + [head]
    if c["optimizer"] == "adamw":
        opt = torch.optim.AdamW(params, lr=c["learning_rate"], weight_decay=c["weight_decay"])
    else:
        opt = torch.optim.RMSprop(params, lr=c["learning_rate"], weight_decay=c["weight_decay"])
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda k: lr_lambda(k, c["warmup_steps"], STEPS))
    steps, cursor = [], 0
    bf16 = Bf16Matmuls() if name.endswith("_bf16") else contextlib.nullcontext()
    bf16.__enter__()
    for k in range(STEPS):
        opt.zero_grad()
        sums, counts = {}, {}
        step_lr = sched.get_last_lr()[0]
        for j in range(ACCUM):
            batch = [examples[(cursor + i) % len(examples)] for i in range(B)]
            cursor += B
            if c["objective"] == "dpo":
                loss, m = dpo_batch(c, policy, moving_ref, cfg, batch)
            elif c["objective"] == "kto":
                loss, m = kto_batch(c, policy, cfg, batch)
            elif c["objective"] == "reward":
                loss, m = reward_batch(c, policy, head, cfg, batch)
            else:
                loss, m = refree_batch(c, policy, cfg, batch)
            (loss / ACCUM).backward()
            for key, v in m.items():
                sums[key] = sums.get(key, 0.0) + v
                counts[key] = counts.get(key, 0) + 1
        norm = torch.nn.utils.clip_grad_norm_(params, c["max_grad_norm"] if c["max_grad_norm"] > 0 else float("inf"))
        opt.step()
        sched.step()
        if moving_ref is not None and (k + 1) % c["ref_model_sync_steps"] == 0:
            a = c["ref_model_mixup_alpha"]
            with torch.no_grad():
                for pr, pp in zip(moving_ref.parameters(), policy.parameters()):
                    pr.mul_(1 - a).add_(a * pp)
        logged = {key: sums[key] / counts[key] for key in sums}
        logged["grad_norm"] = float(norm)
        logged["learning_rate"] = step_lr
        steps.append(logged)
        print(f"{name} step {k + 1}: loss {logged['loss']:.6f} grad_norm {logged['grad_norm']:.6f} lr {step_lr:.2e}")
    bf16.__exit__(None, None, None)
    if name.endswith("_bf16") and bf16.calls == 0:
        raise SystemExit(f"{name}: no matrix product went through bfloat16")
    out = {
        "generator": "testdata/train/dpo_reference.py",
        "torch_version": torch.__version__,
        "policy": cs["model"] + "-policy",
        "ref": cs["model"] + "-ref",
        "config": {k: v for k, v in c.items() if v != "" or k != "loss"},
        "examples": examples,
        "steps": steps,
    }
    if name.endswith("_bf16"):
        out["precision"] = "bf16"
    if adapters is not None:
        out["lora"] = dict(cs["lora"], initial=initial)
    if head is not None:
        out["reward_head"] = head_initial
    os.makedirs(os.path.join(HERE, "cases"), exist_ok=True)
    with open(os.path.join(HERE, "cases", name + ".json"), "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")


def main():
    torch.set_num_threads(1)
    only = sys.argv[1:]
    for cs in CASES:
        if not only or any(cs["name"] == o or (o.endswith("*") and cs["name"].startswith(o[:-1])) for o in only):
            run_case(cs)


if __name__ == "__main__":
    main()
