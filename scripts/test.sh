#!/usr/bin/env bash
# The test command of the README: sets up what is missing, then runs every
# test of the workspace (unit, property, contract and end-to-end tests).
# PostgreSQL tests run when ROLLUP_TEST_POSTGRES_URL is set and skip otherwise.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
cargo test --workspace --all-targets "$@"

# Compatibility suite (tests/compat): viem, ethers and cast against both
# chains of a spawned devnet, with node's test runner.
cargo build -p rollup
(
  cd tests/compat
  ROLLUP_BIN="${CARGO_TARGET_DIR:-$PWD/../../target}/debug/rollup" npm test
)
# --- dashboard and API tests -------------------------------------------------
# The dashboard and /docs in headless chromium, then the bounded schema
# fuzzing of the bridge API, each against a `rollup devnet` it spawns.
cargo build -p rollup --bin rollup
(cd tests/browser && node --test --test-concurrency=1 --test-reporter=spec)
python3 tests/api-fuzz/run.py
# --- end dashboard and API tests ---------------------------------------------
