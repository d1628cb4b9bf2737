#!/usr/bin/env bash
# Regenerates docs/research.md and docs/img/ from scratch: builds the release binary, runs
# the validation (M/M/1 benchmark, scenarios/tests/validation.rs), runs every research sweep
# (scenarios/sweeps/research-*.toml) into out/research/<name>/, and fills the doc's
# generated blocks (tables, figures, numbers in the text) with scripts/research.py.
#
#   scripts/research.sh            # from the repository root (or anywhere: it cds there)
#   JOBS=4 scripts/research.sh     # sweep threads (default 2)
#
# Respects CARGO_TARGET_DIR. Needs cargo and python3 >= 3.11 (standard library only). Under
# 5 minutes on 2 cores from a clean build, about 30 seconds when the build is up to date.
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$(pwd)
OUT="$ROOT/out/research"
JOBS=${JOBS:-2}
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
BIN="$TARGET/release/xrcsim"
START=$(date +%s)

python3 -c 'import sys, tomllib' 2>/dev/null || {
    echo "research.sh: needs python3 3.11 or newer (tomllib)" >&2
    exit 2
}
mkdir -p "$OUT" docs/img
: > "$OUT/timings.txt"
stage() { # stage NAME START: appends "NAME N s" to the timings
    echo "$1 $(($(date +%s) - $2)) s" >> "$OUT/timings.txt"
}

echo "== build (release)" >&2
t=$(date +%s)
cargo build --release --quiet
cargo build --release --quiet -p benches --bin mm1
stage "build" "$t"

echo "== validation: M/M/1 kernel benchmark" >&2
t=$(date +%s)
"$TARGET/release/mm1" --customers 10000000 --seed 1 | tee "$OUT/mm1.json"

echo "== validation: scenarios/tests/validation.rs" >&2
cargo test --release --quiet -p scenarios --test validation -- --nocapture --test-threads=1 \
    2>&1 | tee "$OUT/validation.log"
stage "validation" "$t"

echo "== research sweeps" >&2
t=$(date +%s)
for f in scenarios/sweeps/research-*.toml; do
    name=$(basename "$f" .toml)
    name=${name#research-}
    # A fresh directory: a sweep resumes by row, and finished rows from an older binary
    # would otherwise be kept.
    rm -rf "${OUT:?}/$name"
    echo "-- $name" >&2
    "$BIN" sweep "$f" --out "$OUT/$name" --jobs "$JOBS" --quiet
done
stage "sweeps" "$t"

echo "== tables and figures" >&2
t=$(date +%s)
python3 scripts/research.py report --out "$OUT" --bin "$BIN" --doc docs/research.md --img docs/img
stage "report (incl. traced mode runs)" "$t"

WALL=$(($(date +%s) - START))
python3 scripts/research.py runinfo --doc docs/research.md --wall "$WALL" --out "$OUT"
echo "== done in $WALL s: docs/research.md, docs/img/" >&2
