#!/usr/bin/env bash
# Regenerates docs/research.md and docs/img/ from scratch: builds the release binary, runs
# the validation (M/M/1 benchmark, scenarios/tests/validation.rs), runs every research sweep
# (scenarios/sweeps/research-*.toml) into out/research/<name>/ with `xrcsim sweep`, which
# writes each study's results.csv and draws its figures (the `[[plot]]` tables of the
# study: out/research/<name>/<plot>.svg and .png), then copies those figures into docs/img
# and fills the doc's generated blocks (tables, numbers in the text, the command under
# each figure) with scripts/research.py, which draws nothing.
#
# Each figure is one command: `xrcsim sweep scenarios/sweeps/research-<name>.toml --out DIR`
# writes DIR/results.csv and DIR/<plot>.svg/.png.
#
#   scripts/research.sh                # from the repository root (or anywhere: it cds there)
#   JOBS=4 scripts/research.sh         # sweep threads (default 2)
#   PROFILE=fast scripts/research.sh   # another cargo profile (default release)
#
# Respects CARGO_TARGET_DIR. Needs cargo and python3 >= 3.11 (standard library only). About
# 10 minutes on 2 cores.
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$(pwd)
OUT="$ROOT/out/research"
JOBS=${JOBS:-2}
PROFILE=${PROFILE:-release}
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
BIN="$TARGET/$PROFILE/xrcsim"
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

echo "== build ($PROFILE)" >&2
t=$(date +%s)
cargo build --profile "$PROFILE" --quiet
cargo build --profile "$PROFILE" --quiet -p benches --bin mm1
stage "build" "$t"

echo "== validation: M/M/1 kernel benchmark" >&2
t=$(date +%s)
"$TARGET/$PROFILE/mm1" --customers 10000000 --seed 1 | tee "$OUT/mm1.json"

echo "== validation: scenarios/tests/validation.rs" >&2
cargo test --profile "$PROFILE" --quiet -p scenarios --test validation -- --nocapture --test-threads=1 \
    2>&1 | tee "$OUT/validation.log"
stage "validation" "$t"

echo "== research sweeps (results.csv and figures, drawn by xrcsim)" >&2
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

echo "== tables and numbers; figures copied into docs/img" >&2
t=$(date +%s)
# docs/img holds only the figures of docs/research.md: those of an older study go.
rm -f docs/img/*.svg
python3 scripts/research.py report --out "$OUT" --bin "$BIN" --doc docs/research.md --img docs/img
stage "report (incl. traced mode runs)" "$t"

WALL=$(($(date +%s) - START))
python3 scripts/research.py runinfo --doc docs/research.md --wall "$WALL" --out "$OUT"
echo "== done in $WALL s: docs/research.md, docs/img/" >&2
