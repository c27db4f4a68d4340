#!/usr/bin/python3
"""PyTorch per-token log-probs of responses under a committed test model, for dpokit's tests.

Run with Debian's PyTorch 1.13 and onnx (python3-torch, python3-onnx, python3-numpy):

    echo '{"model": "testdata/models/llama-policy", "seqs": [{"prompt_ids": [1, 2], "response_ids": [3]}]}' \
        | /usr/bin/python3 testdata/rewardbench/logps_reference.py

It rebuilds the model directory's architecture in plain PyTorch (testdata/models/make_models.py),
loads its weights from the ONNX initializers (testdata/train/dpo_reference.py's load_model_dir),
runs each prompt+response unpadded with positions 0..n-1, and prints
{"token_logps": [[...], ...]}: for each response token t, log_softmax(logits[t-1])[ids[t]] in
float64 from the float32 logits — what dpokit sums into a completion's log-prob, and what
RewardBench v1's reference-free rewards reduce (sum, mean, or minus the Euclidean norm).
"""

import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "models"))
sys.path.insert(0, os.path.join(HERE, "..", "train"))
import dpo_reference  # noqa: E402
import make_models  # noqa: E402


def main():
    req = json.load(sys.stdin)
    model, _ = dpo_reference.load_model_dir(req["model"])
    model.eval()
    out = []
    for s in req["seqs"]:
        ids = s["prompt_ids"] + s["response_ids"]
        logits, _ = make_models.run(model, [ids])
        lp = logits[0].double().log_softmax(-1)
        n = len(s["prompt_ids"])
        out.append([lp[t - 1, ids[t]].item() for t in range(n, len(ids))])
    json.dump({"token_logps": out}, sys.stdout)


if __name__ == "__main__":
    main()
