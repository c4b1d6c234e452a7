#!/usr/bin/env bash
# Parameter sweep of the SPFresh index (issue 2). For each build-time point (posting size,
# replica count, closure ε) one `bench ann --sweep` run, which also sweeps nprobe; then the
# query-aware pruning ε (index.search_epsilon) at the default build.
# Usage: benchmarks/scripts/sweep.sh DATASET OUT.jsonl [k]
# The defaults in config/Params.java were chosen from these runs (benchmarks/README.md).
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
dataset="$1"; out="$2"; k="${3:-10}"
: > "$out"
point() {
  echo "sweep: $*" >&2
  # a failed point is reported and skipped, not the end of the sweep
  "$root/tamter" bench ann --dataset "$dataset" --k "$k" --engines spfresh --sweep "$@" 2>>"$out.err" | { grep -v '"summary"' || echo "sweep: no output for: $*" >&2; } >> "$out"
}
for bp in ${SWEEP_POSTINGS:-32 64 128}; do
  for rc in 2 8; do
    for ce in 0.3 0.6 1.5; do
      point --set index.build_posting=$bp --set index.max_posting=$((bp * 3 / 2)) --set index.min_posting=$((bp / 8)) \
            --set index.replica_count=$rc --set index.closure_epsilon=$ce
    done
  done
done
for se in 0.5 2.0 9.0 100.0; do
  point --set index.search_epsilon=$se
done
echo "sweep: $(wc -l < "$out") lines in $out" >&2
