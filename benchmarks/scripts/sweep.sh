#!/usr/bin/env bash
# Parameter sweep of the SPFresh index (issue 2): for each build-time point (posting size,
# replica count, closure epsilon) one `bench ann --sweep` run, which also sweeps nprobe.
# Usage: benchmarks/scripts/sweep.sh DATASET OUT.jsonl [k]
# The defaults in config/Params.java were chosen from this sweep (benchmarks/README.md).
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
dataset="$1"; out="$2"; k="${3:-10}"
: > "$out"
for bp in 16 32 64; do
  for mp in $((bp * 2)) $((bp * 4)); do
    for rc in 2 4 8; do
      for ce in 0.3 1.0 3.0; do
        echo "sweep: build_posting=$bp max_posting=$mp replica_count=$rc closure_epsilon=$ce" >&2
        "$root/tamter" bench ann --dataset "$dataset" --k "$k" --engines spfresh --sweep \
          --set index.build_posting=$bp --set index.max_posting=$mp --set index.min_posting=$((mp / 4)) \
          --set index.replica_count=$rc --set index.closure_epsilon=$ce 2>/dev/null | grep -v '"summary"' >> "$out"
      done
    done
  done
done
echo "sweep: $(wc -l < "$out") lines in $out" >&2
