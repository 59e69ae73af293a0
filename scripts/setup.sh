#!/usr/bin/env bash
# Installs what tailor needs on Debian 12 when it is missing: LLVM 19 (the
# library inkwell links, Polly because llvm-config-19 lists it), clang-19
# (C kernels), the compression libraries LLVM links against, tmux (the
# workbench's end-to-end test), python3 (the fuzz seeds; its venv for
# schemathesis), curl (the README's service examples, run by a test) and
# redis-server (the fleet tier's tests start their own). Idempotent and
# quiet when all is there.
set -euo pipefail

packages=(llvm-19-dev libpolly-19-dev clang-19 zlib1g-dev libzstd-dev libxml2-dev tmux pkg-config python3 python3-venv curl redis-server)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}" >&2
  sudo_cmd=()
  [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  export DEBIAN_FRONTEND=noninteractive
  "${sudo_cmd[@]}" apt-get update -qq
  "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if ! command -v cargo >/dev/null 2>&1; then
  echo "setup: cargo is not on the PATH; install Rust 1.86 or newer (rustup) and run this again" >&2
  exit 1
fi
