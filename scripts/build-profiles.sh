#!/usr/bin/env bash
# Measures the first build of xrcsim (`cargo build --release` from an empty target
# directory) under several release-profile settings, and the model throughput of each
# build (`perf run xrc16`, writes per wall-clock second). Settings are given through
# cargo's CARGO_PROFILE_RELEASE_* variables, so Cargo.toml is not edited.
#
#   bash scripts/build-profiles.sh [OUT] [ROUNDS]     # default OUT=build-profiles.txt, 3 rounds
#   VARIANTS="false:16 fat:1" bash scripts/build-profiles.sh   # LTO:CODEGEN_UNITS, in this order
#
# On a shared machine the load changes from one build to the next: run the variants in both
# orders before drawing conclusions.
#
# Each variant builds in its own target directory under ${TMPDIR:-/tmp}, removed at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-build-profiles.txt}
ROUNDS=${2:-3}
: >"$OUT"
echo "commit $(git rev-parse --short HEAD) cores $(nproc) date $(date -u +%FT%TZ)" >>"$OUT"
for variant in ${VARIANTS:-fat:1 thin:16 false:16}; do
  lto=${variant%%:*} cgu=${variant##*:}
  dir=$(mktemp -d "${TMPDIR:-/tmp}/xrcsim-build-XXXX")
  export CARGO_TARGET_DIR=$dir CARGO_PROFILE_RELEASE_LTO=$lto CARGO_PROFILE_RELEASE_CODEGEN_UNITS=$cgu
  load=$(cut -d' ' -f1 /proc/loadavg)
  s=$(date +%s.%N)
  cargo build --release -q
  e=$(date +%s.%N)
  build=$(echo "$e - $s" | bc)
  cargo build --release -q -p benches --bin perf
  for _ in $(seq "$ROUNDS"); do
    w=$("$dir/release/perf" run xrc16 | sed -n 's/.*"writes_per_wall_s":\([0-9.e+]*\).*/\1/p')
    echo "lto=$lto codegen-units=$cgu build_s=$build loadavg_at_start=$load xrc16_writes_per_wall_s=$w" | tee -a "$OUT"
  done
  rm -rf "$dir"
done
