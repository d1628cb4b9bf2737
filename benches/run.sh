#!/usr/bin/env bash
# Runs the whole performance suite of xrcsim (docs/performance.md) and leaves every raw
# output in OUT (default: perf-results/<date>). Single-threaded except the sweep check.
#
#   bash benches/run.sh [OUT] [REPEAT]      # REPEAT: rounds of each timing (default 5)
#   QUICK=1 bash benches/run.sh             # shorter runs, 2 rounds, no criterion
#
# Took 8 minutes on the 2-core reference machine (2.6 of them building the bench profile
# with `lto = "fat"`); about 1 minute with QUICK=1 once built.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-perf-results/$(date +%Y-%m-%d)}
REPEAT=${2:-5}
[[ -n "${QUICK:-}" ]] && REPEAT=2
mkdir -p "$OUT"
T=${CARGO_TARGET_DIR:-target}/release
cargo build --release -q -p xrcsim -p benches --bins
{
  echo "date: $(date -u +%FT%TZ)"
  echo "commit: $(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
  echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2-)"
  echo "cores: $(nproc)"
  echo "loadavg before: $(cat /proc/loadavg)"
} >"$OUT/machine.txt"

# 1. Kernel: mm1 on the kernel vs the bare BinaryHeap loop, rounds interleaved.
: >"$OUT/mm1.jsonl"
for _ in $(seq "$REPEAT"); do
  "$T/mm1" --customers 10000000 --seed 1 >>"$OUT/mm1.jsonl"
  "$T/mm1" --customers 10000000 --seed 1 --engine bare >>"$OUT/mm1.jsonl"
done

# 2-6. Model measurements (each in its own process) and memory pairs.
if [[ -n "${QUICK:-}" ]]; then
  "$T/perf" all --repeat "$REPEAT" --quick >"$OUT/perf.jsonl"
else
  "$T/perf" all --repeat "$REPEAT" >"$OUT/perf.jsonl"
fi

# 7. Sweep scaling: the distance sweep with 1 and 2 worker threads, fresh output each time.
: >"$OUT/sweep.txt"
for _ in $(seq "$REPEAT"); do
  for j in 1 2; do
    d=$(mktemp -d)
    s=$(date +%s.%N)
    "$T/xrcsim" sweep scenarios/sweeps/distance.toml --out "$d" --jobs "$j" --quiet >/dev/null
    e=$(date +%s.%N)
    echo "jobs=$j wall_s=$(echo "$e - $s" | bc)" >>"$OUT/sweep.txt"
    rm -rf "$d"
  done
done

# Criterion suites (kernel hold model, model throughput).
if [[ -z "${QUICK:-}" ]]; then
  cargo bench -q -p benches --bench kernel -- --noplot >"$OUT/criterion-kernel.txt" 2>&1
  cargo bench -q -p benches --bench model -- --noplot >"$OUT/criterion-model.txt" 2>&1
fi
echo "loadavg after: $(cat /proc/loadavg)" >>"$OUT/machine.txt"
echo "results in $OUT"
