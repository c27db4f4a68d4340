#!/usr/bin/env bash
# Checks (and, as root with apt-get, installs) what `make test` needs beyond Go:
#   gcc (cgo), npm + node (ONNX Runtime, tokenizer packages and their reference implementations),
#   chromium (the HTML report's browser test), python3-torch + python3-onnx + python3-numpy for
#   /usr/bin/python3 (model families and reference values generated at test time).
# Without root it prints the apt-get line to run and fails.
set -euo pipefail

need=()
command -v gcc >/dev/null || need+=(gcc)
command -v make >/dev/null || need+=(make)
command -v npm >/dev/null || need+=(npm)
command -v node >/dev/null || need+=(nodejs)
command -v openssl >/dev/null || need+=(openssl)
command -v chromium >/dev/null || need+=(chromium)
if [ -x /usr/bin/python3 ]; then
  /usr/bin/python3 -c 'import torch' 2>/dev/null || need+=(python3-torch)
  /usr/bin/python3 -c 'import onnx' 2>/dev/null || need+=(python3-onnx)
  /usr/bin/python3 -c 'import numpy' 2>/dev/null || need+=(python3-numpy)
else
  need+=(python3 python3-torch python3-onnx python3-numpy)
fi

[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "installing: ${need[*]}" >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
  exit 0
fi
echo "make test needs these Debian packages: ${need[*]}" >&2
echo "install them with: sudo apt-get update && sudo apt-get install -y ${need[*]}" >&2
exit 1
