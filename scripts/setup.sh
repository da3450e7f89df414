#!/usr/bin/env bash
# Installs what the build and the tests need beyond Rust: Node.js and npm for
# the Solidity compiler (solc-js, pinned in contracts/package.json).
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  if command -v apt-get >/dev/null 2>&1; then
    echo "installing Node.js and npm (Debian packages)"
    SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
    $SUDO apt-get update -q
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q nodejs npm
  else
    echo "error: Node.js and npm are required (for solc-js); install them and rerun" >&2
    exit 1
  fi
fi

if [ ! -d contracts/node_modules/solc ]; then
  (cd contracts && npm ci --no-audit --no-fund --loglevel=error)
fi

# The compatibility suite's clients (viem, ethers, cast from @foundry-rs/cast),
# pinned in tests/compat/package-lock.json.
if [ ! -x tests/compat/node_modules/.bin/cast ] || [ ! -d tests/compat/node_modules/viem ]; then
  (cd tests/compat && npm ci --no-audit --no-fund --loglevel=error)
fi
