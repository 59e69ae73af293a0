#!/usr/bin/env bash
# Property-tests the service against its OpenAPI description: starts
# `tailor serve` (target/release/tailor, built by `cargo build --release`
# or `cargo test --release`) on a free loopback port over a copy of the
# shipped profiles, and runs schemathesis (from PyPI, kept in a virtualenv
# under ~/.cache/tailor) on every operation of openapi.yaml with a fixed
# seed. Fails on any 5xx answer or crash.
#
# Where PyPI cannot be reached, says so loudly and exits 0: a network
# outage must not block a landing (the HTTP tests in tests/service.rs
# still run).
set -euo pipefail
cd "$(dirname "$0")/.."
bin=target/release/tailor
[ -x "$bin" ] || cargo build --release --quiet

venv="${XDG_CACHE_HOME:-$HOME/.cache}/tailor/schemathesis-venv"
if [ ! -x "$venv/bin/schemathesis" ]; then
  echo "api-fuzz: installing schemathesis into $venv" >&2
  if ! { python3 -m venv "$venv" && "$venv/bin/pip" install -q 'schemathesis>=4,<5'; } >/tmp/tailor-api-fuzz-install.log 2>&1; then
    echo "api-fuzz: SKIPPED: could not install schemathesis (see /tmp/tailor-api-fuzz-install.log)" >&2
    rm -rf "$venv"
    exit 0
  fi
fi

work=$(mktemp -d)
server=
cleanup() {
  [ -n "$server" ] && kill "$server" 2>/dev/null && wait "$server" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
cp -r profiles "$work/profiles"
token=$("$venv/bin/python" -c 'import secrets; print(secrets.token_hex(24))')
TAILOR_ADMIN_TOKEN=$token "$bin" --profiles "$work/profiles" --no-disk-cache serve \
  --listen 127.0.0.1:0 --state-dir "$work/state" --request-ms 30000 >"$work/out" 2>"$work/err" &
server=$!
url=
for _ in $(seq 1 600); do
  url=$(grep -o 'http://[0-9.:]*' "$work/out" 2>/dev/null | head -1 || true)
  [ -n "$url" ] && break
  kill -0 "$server" 2>/dev/null || { cat "$work/err" >&2; exit 1; }
  sleep 0.1
done
[ -n "$url" ] || { echo "api-fuzz: the server did not start" >&2; exit 1; }
echo "api-fuzz: schemathesis against $url" >&2
"$venv/bin/schemathesis" run openapi.yaml --url "$url" \
  -H "Authorization: Bearer $token" \
  --checks not_a_server_error --max-examples 30 --seed 1 --no-color
kill -0 "$server" || { echo "api-fuzz: the server died" >&2; cat "$work/err" >&2; exit 1; }
