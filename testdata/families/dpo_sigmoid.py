#!/usr/bin/python3
"""The sigmoid-DPO trajectory internal/families holds dpokit's training to, as a module for
testdata/families/make_families.py, which passes its own family models and response log-prob
function (dpo_run, reference_logps, run_config). testdata/train/dpo_reference.py covers every
loss on the committed test models; this is its sigmoid case with AdamW, kept apart so that the
families' references do not change when that script's case tables do.

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

import torch
import torch.nn.functional as F

STEPS = 10
BATCH = 2
ACCUM = 2
PAIRS = 8


def lr_lambda(k, warmup, total):
    if k < warmup:
        return k / max(1, warmup)
    return max(0.0, (total - k) / max(1, total - warmup))


def reference_logps(ref, cfg, pairs, logps_fn):
    """Adds each pair's reference log-probs (ref_chosen_logp, ref_rejected_logp).
    logps_fn(model, cfg, batch) -> (summed response log-probs, response lengths), rows chosen
    then rejected."""
    with torch.no_grad():
        for p in pairs:
            (c, r), _ = logps_fn(ref, cfg, [p])
            p["ref_chosen_logp"], p["ref_rejected_logp"] = float(c), float(r)


def run_config(loss_type, beta, eps, opt_name, lr, wd, warmup, max_norm):
    """The "config" object of a reference JSON."""
    return {"loss": loss_type, "beta": beta, "label_smoothing": eps, "optimizer": opt_name, "lr": lr,
            "weight_decay": wd, "warmup_steps": warmup, "max_grad_norm": max_norm, "steps": STEPS,
            "batch_size": BATCH, "grad_accum": ACCUM, "schedule": "linear"}


def dpo_run(name, policy, cfg, pairs, loss_type, beta, eps, opt_name, lr, wd, warmup, max_norm, logps_fn):
    """STEPS optimizer steps of sigmoid DPO (label smoothing eps) with AdamW on policy (in
    place); returns the logged metrics per step. logps_fn as for reference_logps."""
    if loss_type != "sigmoid" or opt_name != "adamw":
        raise SystemExit(f"dpo_sigmoid.py runs sigmoid DPO with AdamW, not {loss_type} with {opt_name}")
    params = [p for p in policy.parameters()]
    opt = torch.optim.AdamW(params, lr=lr, weight_decay=wd)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda k: lr_lambda(k, warmup, STEPS))
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
            logps, _ = logps_fn(policy, cfg, batch)
            refs = torch.tensor([p["ref_chosen_logp"] for p in batch] + [p["ref_rejected_logp"] for p in batch])
            pc, pr = logps[:BATCH], logps[BATCH:]
            rc, rr = refs[:BATCH], refs[BATCH:]
            z = (pc - pr) - (rc - rr)
            loss = (-F.logsigmoid(beta * z) * (1 - eps) - F.logsigmoid(-beta * z) * eps).mean()
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
