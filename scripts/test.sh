#!/usr/bin/env bash
# Runs the whole test suite on a fresh machine of this kind: installs what the tests need
# (Debian's chromium, the npm packages, PostgreSQL + PostGIS), then formatting, lints, Rust
# tests (the store suite against SQLite and a throwaway PostgreSQL) and browser tests.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-${HOME:-/tmp}/.cache/lagesbild-target}"
export CARGO_TERM_COLOR=never

# The shared data set (police events, SF 2012, reference fixtures' sources) sits beside the
# repository in ../shared; a clone elsewhere names it with LAGESBILD_SHARED.
export LAGESBILD_SHARED="${LAGESBILD_SHARED:-$(cd .. && pwd)/shared}"
if ! [ -f "$LAGESBILD_SHARED/data/polisen/events-2022-09-to-2026-08.jsonl.gz" ]; then
  echo "the shared data set is not at $LAGESBILD_SHARED: set LAGESBILD_SHARED to the folder" \
    "that holds data/polisen and data/sf-2012 (beside this repository it is ../shared)" >&2
  exit 2
fi

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

if ! [ -x /usr/bin/chromium ]; then
  echo "== installing Debian's chromium for the browser tests"
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq chromium >/dev/null
fi

if ! command -v pdftotext >/dev/null; then
  echo "== installing Debian's poppler-utils (pdftotext reads the PDFs back in the tests)"
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq poppler-utils >/dev/null
fi

echo "== Python's aiosmtpd (a real SMTP server for the e-mail tests), georeport (a real Open311 client) and schemathesis (the API tester)"
smtp_venv="${HOME:-/tmp}/.cache/lagesbild-aiosmtpd"
if ! "$smtp_venv/bin/python" -c "import aiosmtpd, georeport, jsonschema, schemathesis" 2>/dev/null; then
  python3 -m venv "$smtp_venv"
  "$smtp_venv/bin/pip" install --quiet --disable-pip-version-check "aiosmtpd==1.4.6" \
    "georeport==0.3.1" "jsonschema==4.23.0" "schemathesis==4.32.5"
fi
export LAGESBILD_TEST_AIOSMTPD="$smtp_venv/bin/python"

echo "== npm packages (MapLibre GL JS, playwright-core, axe-core)"
npm ci --prefix frontend --no-audit --no-fund --loglevel=error

echo "== cargo fmt"
cargo fmt --all --check
echo "== cargo clippy"
cargo clippy --workspace --all-targets --locked -- -D warnings
echo "== throwaway PostgreSQL + PostGIS cluster for the PostgreSQL store's tests"
pgdir=$(mktemp -d /tmp/lagesbild-pg.XXXXXX)
# Stopped and removed whatever happens next, also when tests fail.
trap './scripts/pg-throwaway.sh stop "$pgdir"' EXIT
LAGESBILD_TEST_PG=$(./scripts/pg-throwaway.sh start "$pgdir")
export LAGESBILD_TEST_PG
echo "== cargo test"
cargo test --workspace --locked
echo "== browser tests (Chromium + playwright-core + axe-core)"
cargo build -p lagesbild --locked
# One file at a time: each starts its own demo server and Chromium on a 2-core machine.
LAGESBILD_BIN="$CARGO_TARGET_DIR/debug/lagesbild" node --test --test-concurrency=1 tests/browser/
