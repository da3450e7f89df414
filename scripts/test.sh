#!/usr/bin/env bash
# The test command of the README: sets up what is missing, then runs every
# test of the workspace (unit, property, contract and end-to-end tests).
# PostgreSQL tests run when ROLLUP_TEST_POSTGRES_URL is set and skip otherwise.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
cargo test --workspace --all-targets "$@"

# The suites below drive a `rollup devnet` they spawn on free ports, with
# the binary built once here.
cargo build -p rollup --bin rollup
target_dir="${CARGO_TARGET_DIR:-target}"
ROLLUP_BIN="$(cd "$target_dir" && pwd)/debug/rollup"
export ROLLUP_BIN

# Compatibility suite (tests/compat): viem, ethers and cast against both
# chains, with node's test runner.
(cd tests/compat && npm test)

# Dashboard and API: the dashboard and /docs in headless chromium, then the
# bounded schema fuzzing of the bridge API.
(cd tests/browser && node --test --test-concurrency=1 --test-reporter=spec)
python3 tests/api-fuzz/run.py
