#!/usr/bin/python3
"""Reference reader of a PEFT LoRA adapter that dpokit wrote, and check of the merged model.

    /usr/bin/python3 testdata/train/check_peft_adapter.py ADAPTER_DIR BASE.onnx MERGED.onnx

Reads ADAPTER_DIR/adapter_config.json and ADAPTER_DIR/adapter_model.safetensors with numpy
alone, from the safetensors layout (an 8-byte little-endian header length N, N bytes of JSON
mapping each tensor name to its dtype, shape and [begin, end) byte range in the data that
follows, and "__metadata__"), as Hugging Face PEFT reads them: the tensors must be
base_model.model.MODULE.lora_A.weight [r, in] and .lora_B.weight [out, r] for exactly the
modules of target_modules. It then checks that MERGED.onnx (dpokit's exported model) is
BASE.onnx with W + (lora_alpha / r) * B @ A (transposed when fan_in_fan_out) in MODULE.weight
of exactly those modules, within float32 rounding of that sum, and every other initializer
unchanged bit for bit. Needs python3-numpy and python3-onnx. Prints a JSON summary; exits 1
with the reason on any mismatch.
"""

import json
import os
import struct
import sys

import numpy as np
import onnx
from onnx import numpy_helper


def fail(msg):
    print(f"check_peft_adapter: {msg}", file=sys.stderr)
    sys.exit(1)


def read_safetensors(path):
    data = open(path, "rb").read()
    if len(data) < 8:
        fail(f"{path}: shorter than the 8-byte header length")
    (n,) = struct.unpack("<Q", data[:8])
    if 8 + n > len(data):
        fail(f"{path}: header length {n} past the end of the file")
    header = json.loads(data[8: 8 + n].decode("utf-8"))
    body = data[8 + n:]
    out, ranges = {}, []
    for name, e in header.items():
        if name == "__metadata__":
            continue
        if e["dtype"] != "F32":
            fail(f"{path}: {name} has dtype {e['dtype']}, want F32")
        begin, end = e["data_offsets"]
        count = int(np.prod(e["shape"])) if e["shape"] else 1
        if end - begin != 4 * count or end > len(body):
            fail(f"{path}: {name} byte range {begin}..{end} does not hold shape {e['shape']}")
        out[name] = np.frombuffer(body[begin:end], dtype="<f4").reshape(e["shape"])
        ranges.append((begin, end))
    ranges.sort()
    pos = 0
    for begin, end in ranges:
        if begin != pos:
            fail(f"{path}: tensor data not contiguous at byte {begin}")
        pos = end
    if pos != len(body):
        fail(f"{path}: {len(body) - pos} bytes after the last tensor")
    return out


def initializers(path):
    return {t.name: numpy_helper.to_array(t) for t in onnx.load(path).graph.initializer}


def main():
    if len(sys.argv) != 4:
        fail("usage: check_peft_adapter.py ADAPTER_DIR BASE.onnx MERGED.onnx")
    adapter, base_path, merged_path = sys.argv[1:]
    cfg = json.load(open(os.path.join(adapter, "adapter_config.json")))
    if cfg.get("peft_type") != "LORA" or cfg.get("bias") != "none" or cfg.get("use_dora") or cfg.get("use_rslora"):
        fail(f"not a plain LoRA adapter config: {cfg}")
    tensors = read_safetensors(os.path.join(adapter, "adapter_model.safetensors"))
    base, merged = initializers(base_path), initializers(merged_path)
    r, scale = cfg["r"], cfg["lora_alpha"] / cfg["r"]
    eps = np.finfo(np.float32).eps
    used, worst, worst_ratio = set(), 0.0, 0.0
    for module in cfg["target_modules"]:
        ka, kb = f"base_model.model.{module}.lora_A.weight", f"base_model.model.{module}.lora_B.weight"
        if ka not in tensors or kb not in tensors:
            fail(f"no lora_A/lora_B for {module}")
        used |= {ka, kb}
        a, b = tensors[ka].astype(np.float64), tensors[kb].astype(np.float64)
        w = base[module + ".weight"].astype(np.float64)
        out_dim, in_dim = (w.shape[1], w.shape[0]) if cfg["fan_in_fan_out"] else w.shape
        if a.shape != (r, in_dim) or b.shape != (out_dim, r):
            fail(f"{module}: lora_A {a.shape}, lora_B {b.shape} for a weight {w.shape} and r {r}")
        delta, size = scale * b @ a, scale * np.abs(b) @ np.abs(a)
        if cfg["fan_in_fan_out"]:
            delta, size = delta.T, size.T
        got = merged[module + ".weight"].astype(np.float64)
        # float32 rounding of W + a sum of r products: a few ulps of the terms' magnitude.
        bound = 4 * (r + 2) * eps * (np.abs(w) + size) + 1e-30
        err = np.abs(got - (w + delta))
        worst, worst_ratio = max(worst, float(err.max())), max(worst_ratio, float((err / bound).max()))
        if (err > bound).any():
            fail(f"{module}.weight: merged differs from W + (alpha/r) B A by {err.max():.3e}")
        if not np.any(delta):
            fail(f"{module}: the adapter is zero, so the check would not see a missing merge")
    if set(tensors) != used:
        fail(f"tensors for no target module: {sorted(set(tensors) - used)}")
    targets = {m + ".weight" for m in cfg["target_modules"]}
    for name, w in base.items():
        if name not in targets and not np.array_equal(w, merged[name]):
            fail(f"{name} changed, but it is not a LoRA target")
    print(json.dumps({"modules": len(cfg["target_modules"]), "max_abs_diff": worst, "max_error_over_bound": worst_ratio}))


if __name__ == "__main__":
    main()
