#!/usr/bin/env bash
# Trace hashes of every scenario file, to show that a change is behaviour-identical:
#   bash benches/scripts/trace-hashes.sh OLD/xrcsim > old.txt
#   bash benches/scripts/trace-hashes.sh NEW/xrcsim > new.txt
#   diff old.txt new.txt        # empty: same trace hash for every scenario and variant
# Each line: file, variant, trace_hash, writes (or the error). Variants: as written; with
# 20,000 offered writes/s (the overload of issue 13); and the same without the seed's
# disaster (`--disaster-at none --drain`). Run from the repository root.
set -u
BIN=${1:?usage: trace-hashes.sh XRCSIM [EXTRA --set ARGS...]}
shift
for f in scenarios/*.toml benches/scenarios/*.toml; do
    [ "$(basename "$f")" = Cargo.toml ] && continue
    for variant in "asis" "rate20k" "drain"; do
        case $variant in
            asis) args=() ;;
            rate20k) args=(--set workload.write_rate=20000) ;;
            drain) args=(--disaster-at none --drain) ;;
        esac
        out=$("$BIN" run "$f" -q --json "${args[@]}" "$@" 2>/dev/null)
        line=$(printf '%s' "$out" | python3 -c '
import json, sys
try:
    r = json.load(sys.stdin)
except Exception:
    print("error"); sys.exit()
def find(o, k):
    if isinstance(o, dict):
        if k in o: return o[k]
        for v in o.values():
            x = find(v, k)
            if x is not None: return x
    return None
print(find(r, "trace_hash"), find(r, "writes"), find(r, "events"))')
        printf '%s %s %s\n' "$f" "$variant" "$line"
    done
done
