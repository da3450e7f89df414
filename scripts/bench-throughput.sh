#!/usr/bin/env bash
# `rollup bench throughput` beside anvil, as in the README's "Throughput"
# section: builds the release binary, installs anvil from npm
# (@foundry-rs/anvil, pinned in scripts/bench/package-lock.json, into
# scripts/bench/node_modules) when missing, starts anvil on a free port with
# the rollup's L2 parameters (chain id 901, 250 ms blocks, 30M gas), runs the
# bench against an in-process devnet and anvil in the same run, and stops
# anvil. Extra arguments go to `rollup bench throughput` (e.g. --txs 10000,
# --half-rate-check, --workload transfer-zipf).
set -euo pipefail
cd "$(dirname "$0")/.."

cargo build --release -p rollup --bin rollup
target_dir="${CARGO_TARGET_DIR:-target}"
rollup_bin="$target_dir/release/rollup"

# The platform package's binary itself (node_modules/.bin/anvil is a Node.js
# launcher; the bench reads the RSS of the process it is given).
find_anvil() {
  find scripts/bench/node_modules/@foundry-rs -path '*/bin/anvil' -type f 2>/dev/null | head -n 1
}
anvil_bin=$(find_anvil)
if [ -z "$anvil_bin" ]; then
  if ! command -v npm >/dev/null 2>&1; then
    echo "error: npm is required to install anvil (@foundry-rs/anvil); run scripts/setup.sh" >&2
    exit 1
  fi
  (cd scripts/bench && npm ci --no-audit --no-fund --loglevel=error)
  anvil_bin=$(find_anvil)
fi
[ -x "$anvil_bin" ] || { echo "error: no anvil binary for this platform in scripts/bench/node_modules" >&2; exit 1; }
"$anvil_bin" --version | head -n 1

# A free TCP port on 127.0.0.1.
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
anvil_log=$(mktemp)
"$anvil_bin" --chain-id 901 --block-time 0.25 --gas-limit 30000000 \
  --host 127.0.0.1 --port "$port" >"$anvil_log" 2>&1 &
anvil_pid=$!
trap 'kill "$anvil_pid" 2>/dev/null || true; wait "$anvil_pid" 2>/dev/null || true; rm -f "$anvil_log"' EXIT

# Wait (at most 30 s) until anvil answers.
for _ in $(seq 1 300); do
  if curl -sf -X POST -H 'content-type: application/json' \
      --data '{"jsonrpc":"2.0","id":1,"method":"eth_chainId","params":[]}' \
      "http://127.0.0.1:$port" >/dev/null 2>&1; then
    break
  fi
  if ! kill -0 "$anvil_pid" 2>/dev/null; then
    echo "error: anvil exited:" >&2
    cat "$anvil_log" >&2
    exit 1
  fi
  sleep 0.1
done

# anvil's funder defaults to its dev account 0 (the public `test ... junk`
# mnemonic, index 0).
RUST_LOG="${RUST_LOG:-warn}" "$rollup_bin" bench throughput \
  --peer-rpc "http://127.0.0.1:$port" --peer-pid "$anvil_pid" "$@"
