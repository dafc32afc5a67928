#!/usr/bin/env bash
# Times `lagesbild analyze` against shared/reference/reference.py (PySAL, numpy, scipy) on the
# same synthetic points in one run, checks that the answers agree, and prints the ratios.
# Peak memory (max RSS) of each run is printed beside its time.
# Usage: scripts/bench-analysis-vs-reference.sh [N_GISTAR=1000000] [N_KDE=100000] [N_KNOX=10000]
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-${HOME:-/tmp}/.cache/lagesbild-target}"
REF=../shared/reference
N_GISTAR=${1:-1000000}
N_KDE=${2:-100000}
N_KNOX=${3:-10000}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

py=$(sh "$REF/setup.sh" "${VENV:-$HOME/.cache/lagesbild-venv-reference}" | tail -1)
cargo build --release -p lagesbild --locked -q
bin="$CARGO_TARGET_DIR/release/lagesbild"

# Seconds (wall clock) of a command, its output to $OUT; its peak memory (MB) kept beside it.
secs() {
  local s e
  s=$(date +%s.%N)
  /usr/bin/time -f "%M" -o "$work/mem" "$@" > "$OUT"
  e=$(date +%s.%N)
  awk '{ printf "%.0f", $1 / 1024 }' "$work/mem" > "$work/mem.$(basename "$OUT")"
  awk "BEGIN { print $e - $s }"
}
mem() { cat "$work/mem.$1"; }

"$py" "$REF/points.py" "$N_GISTAR" 7 > "$work/g.csv"
"$py" "$REF/points.py" "$N_KDE" 8 > "$work/k.csv"
"$py" "$REF/points.py" "$N_KNOX" 9 > "$work/n.csv"

row() {
  printf '%-44s %9.3f s %6s MB %9.3f s %6s MB %8.3f\n' "$1" "$2" "$(mem ours.csv)" "$3" \
    "$(mem ref.csv)" "$(awk "BEGIN { print $2 / $3 }")"
}
printf '%-44s %21s %21s %8s\n' "method (points)" "lagesbild" "reference" "ratio"

OUT=$work/ours.csv;  a=$(secs "$bin" analyze gistar --points "$work/g.csv" --cell 100 --weights queen)
OUT=$work/ref.csv;   b=$(secs "$py" "$REF/reference.py" gistar "$work/g.csv" 100 queen)
"$py" - "$work/ours.csv" "$work/ref.csv" <<'PY'
import csv, sys
a = list(csv.reader(open(sys.argv[1]))); b = list(csv.reader(open(sys.argv[2])))
assert len(a) == len(b), (len(a), len(b))
dz = max(abs(float(r[3]) - float(s[3])) for r, s in zip(a[1:], b[1:]))
bins = sum(r[5] != s[5] for r, s in zip(a[1:], b[1:]))
assert dz < 1e-9 and bins == 0, (dz, bins)
PY
row "gistar queen, 100 m ($N_GISTAR)" "$a" "$b"

OUT=$work/ours.csv;  a=$(secs "$bin" analyze kde --points "$work/k.csv" --cell 100 --bandwidth 500)
OUT=$work/ref.csv;   b=$(secs "$py" "$REF/reference.py" kde "$work/k.csv" 100 500)
"$py" - "$work/ours.csv" "$work/ref.csv" <<'PY'
import csv, sys
a = list(csv.reader(open(sys.argv[1]))); b = list(csv.reader(open(sys.argv[2])))
rel = max(abs(float(r[2]) - float(s[2])) / max(abs(float(s[2])), 1e-300) for r, s in zip(a[1:], b[1:]) if float(s[2]) != 0)
assert rel < 1e-9, rel
PY
row "kde quartic h=500, 100 m ($N_KDE)" "$a" "$b"

OUT=$work/ours.csv;  a=$(secs "$bin" analyze knox --points "$work/n.csv" --space-bands 100,200,400 --time-bands 7,14,28 --permutations 999)
OUT=$work/ref.csv;   b=$(secs "$py" "$REF/reference.py" knox "$work/n.csv" 100,200,400 7,14,28)
"$py" - "$work/ours.csv" "$work/ref.csv" <<'PY'
import csv, sys
a = list(csv.reader(open(sys.argv[1]))); b = list(csv.reader(open(sys.argv[2])))
assert [r[4] for r in a[1:]] == [r[4] for r in b[1:]], "observed counts differ"
PY
row "knox (ours with 999 permutations) ($N_KNOX)" "$a" "$b"
echo "(reference.py computes Knox observed counts only, without permutations)"
