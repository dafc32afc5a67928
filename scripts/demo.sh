#!/usr/bin/env bash
# Builds Lägesbild and starts it with the Kungsör demo data (embedded SQLite, no other service).
# Arguments are passed on to `lagesbild demo` (e.g. --addr 0.0.0.0:8080 --db other.db).
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-${HOME:-/tmp}/.cache/lagesbild-target}"
if ! [ -f frontend/node_modules/maplibre-gl/dist/maplibre-gl.mjs ]; then
  npm ci --prefix frontend --no-audit --no-fund --loglevel=error
fi
cargo build --release -p lagesbild --locked
exec "$CARGO_TARGET_DIR/release/lagesbild" demo "$@"
