#!/usr/bin/env bash
# Runs the whole test suite on a fresh machine of this kind: installs what the tests need
# (Debian's chromium, the npm packages), then formatting, lints, Rust tests and browser tests.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-${HOME:-/tmp}/.cache/lagesbild-target}"
export CARGO_TERM_COLOR=never

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

if ! [ -x /usr/bin/chromium ]; then
  echo "== installing Debian's chromium for the browser tests"
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq chromium >/dev/null
fi

echo "== npm packages (MapLibre GL JS, playwright-core, axe-core)"
npm ci --prefix frontend --no-audit --no-fund --loglevel=error

echo "== cargo fmt"
cargo fmt --all --check
echo "== cargo clippy"
cargo clippy --workspace --all-targets --locked -- -D warnings
echo "== cargo test"
cargo test --workspace --locked
echo "== browser tests (Chromium + playwright-core + axe-core)"
cargo build -p lagesbild --locked
LAGESBILD_BIN="$CARGO_TARGET_DIR/debug/lagesbild" node --test tests/browser/
