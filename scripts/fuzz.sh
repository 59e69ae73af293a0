#!/usr/bin/env bash
# Fuzzes the readers of untrusted input (fuzz/) with cargo-fuzz, from a
# seed corpus made of the shipped files (profiles, specs, data, hostile
# kernels, objects and IR clang makes of kernels/, a cache file and wire
# frames tailor makes): on nightly where the machine has it
# (AddressSanitizer), else on stable with RUSTC_BOOTSTRAP=1 and no
# sanitizer.
#
#   scripts/fuzz.sh SECONDS [TARGET...]   each target for SECONDS, growing
#                                         fuzz/corpus/TARGET
#   scripts/fuzz.sh --ci                  CI: first every seed and every
#                                         input in fuzz/regressions/ once
#                                         (a crash fails the run), then each
#                                         target from them for a fixed
#                                         number of runs from a fixed seed
#                                         (under a minute each here)
#
# A crash leaves its input in fuzz/artifacts/TARGET/ and fails the run. In
# --ci mode a crash the fuzzing pass finds (a new input, not a known one)
# is reported loudly but does not fail CI: a lucky mutation must not block
# a landing; it is fixed and its input added to fuzz/regressions/, where
# every later CI run replays it.
set -euo pipefail
cd "$(dirname "$0")/.."
ci=false
if [ "${1:-}" = --ci ]; then
  ci=true
  shift
  seconds=0
else
  seconds=${1:-60}
  shift || true
fi
targets=("$@")
((${#targets[@]})) || targets=(npy csv profile input_spec wire elf cache_file ir)
# Runs per target in --ci mode.
declare -A ci_runs=([npy]=200000 [csv]=30000 [profile]=20000 [input_spec]=100000
  [wire]=100000 [elf]=100000 [cache_file]=100000 [ir]=2000)

if ! command -v cargo-fuzz >/dev/null 2>&1; then
  echo "fuzz: installing cargo-fuzz" >&2
  cargo install cargo-fuzz --locked --quiet
fi
toolchain=()
sanitizer=(--sanitizer none)
if rustup toolchain list 2>/dev/null | grep -q '^nightly'; then
  toolchain=(+nightly)
  sanitizer=()
else
  export RUSTC_BOOTSTRAP=1
fi

seeds=fuzz/corpus
$ci && seeds=fuzz/corpus-ci && rm -rf "$seeds"
mkdir -p "$seeds"
seed() { # TARGET FILE...
  local t=$1
  shift
  mkdir -p "$seeds/$t"
  for f in "$@"; do
    [ -f "$f" ] && cp "$f" "$seeds/$t/seed-$(basename "$f")"
  done
  return 0
}
seed npy sample-inputs/data/*.npy
seed csv sample-inputs/data/*.csv
seed profile profiles/*.yaml tests/hostile/profiles/*.yaml
seed input_spec sample-inputs/*.yaml tests/hostile/specs/*.yaml
# Not the kernels LLVM itself crashes on (llvm_crash_*, found by this
# target): the engine contains them in a worker, but under AddressSanitizer
# the harness's forked child still writes a crash artifact as it dies.
seed ir $(ls tests/hostile/kernels/*.ll tests/hostile/kernels/*.bc | grep -v '/llvm_crash_')
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
clang=clang-19
command -v "$clang" >/dev/null 2>&1 || clang=/usr/lib/llvm-19/bin/clang
for c in kernels/*.c; do
  n=$(basename "$c" .c)
  "$clang" -O2 -fPIC -c "$c" -o "$scratch/$n.o" 2>/dev/null || true
  "$clang" -O2 -S -emit-llvm "$c" -o "$scratch/$n.ll" 2>/dev/null || true
done
seed elf "$scratch"/*.o
seed ir "$scratch"/*.ll
# A cache file and wire messages, made by tailor itself.
cargo build --release --quiet
./target/release/tailor --cache-dir "$scratch/cache" run sample-inputs/sum-small.yaml >/dev/null 2>&1 || true
seed cache_file "$scratch"/cache/*.variant
python3 - "$seeds/wire" <<'PY'
import json, os, struct, sys
d = sys.argv[1]
os.makedirs(d, exist_ok=True)
msgs = [
    ({"op": "ping"}, b""),
    ({"op": "load", "key": "k"}, b"\x7fELF"),
    ({"op": "tidy", "lane": 1, "used": 4096, "arm": {"key": "k", "cpu_secs": 2}}, b""),
    ({"op": "execute", "key": "k", "lane": 0}, b""),
    ({"reply": "executed", "outcome": {"outcome": "ok"}, "ret_bits": 1, "kernel_nanos": 5}, b""),
    ({"reply": "ended", "lane": 0, "outcome": {"outcome": "crashed", "detail": 11}}, b""),
    ({"reply": "ready", "lane": 0, "armed": True}, b""),
]
for i, (h, p) in enumerate(msgs):
    j = json.dumps(h).encode()
    with open(os.path.join(d, f"seed-{i}"), "wb") as f:
        f.write(struct.pack("<I", len(j)) + j + struct.pack("<Q", len(p)) + p)
PY

(cd fuzz && cargo "${toolchain[@]}" fuzz build "${sanitizer[@]}")
rm -rf fuzz/artifacts
found=()
for t in "${targets[@]}"; do
  mkdir -p "$seeds/$t"
  for r in fuzz/regressions/"$t"-*; do
    [ -f "$r" ] && cp "$r" "$seeds/$t/regression-$(basename "$r")"
  done
  if $ci; then
    echo "fuzz: $t: replaying the seeds and known failures" >&2
    (cd fuzz && cargo "${toolchain[@]}" fuzz run "${sanitizer[@]}" "$t" "../$seeds/$t" -- \
      -runs=0 -rss_limit_mb=4096 -timeout=20 2>&1 | grep -E '^(==[0-9]+==|SUMMARY|.*panicked)' || true)
    if compgen -G "fuzz/artifacts/$t/*-*" >/dev/null; then
      echo "fuzz: $t fails on a seed or a known input (fuzz/artifacts/$t/)" >&2
      exit 1
    fi
  fi
  if $ci; then
    budget=(-runs="${ci_runs[$t]}" -seed=1)
    echo "fuzz: $t for ${ci_runs[$t]} runs" >&2
  else
    budget=(-max_total_time="$seconds")
    echo "fuzz: $t for ${seconds}s" >&2
  fi
  # Short inputs keep the text readers fast; the seeds are cut to it.
  limit=()
  case $t in csv | profile | input_spec | wire) limit=(-max_len=2048) ;; esac
  (cd fuzz && cargo "${toolchain[@]}" fuzz run "${sanitizer[@]}" "$t" "../$seeds/$t" -- \
    "${budget[@]}" -rss_limit_mb=4096 -timeout=20 -print_final_stats=1 "${limit[@]}" \
    2>&1 | grep -E '^(#[0-9]+ +DONE|stat::number_of_executed_units|==[0-9]+==|SUMMARY|.*panicked|Done )' || true)
  if compgen -G "fuzz/artifacts/$t/*-*" >/dev/null; then
    echo "fuzz: $t FOUND A NEW FAILING INPUT: $(compgen -G "fuzz/artifacts/$t/*-*" | head -1)" >&2
    $ci || exit 1
    found+=("$t")
  fi
done
if ((${#found[@]})); then
  echo "fuzz: new failing inputs in: ${found[*]} (fix them and add the inputs to fuzz/regressions/)" >&2
fi
