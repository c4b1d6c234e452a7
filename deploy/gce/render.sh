#!/bin/bash
# Checks a deployment config and renders what the VMs run from it.
#   deploy/gce/render.sh CONFIG [OUT_DIR]
# Writes OUT_DIR/startup.sh (default OUT_DIR: deploy/gce/out), the startup script of the instance
# template, and prints a summary. Touches no cloud: create.sh calls it before it creates anything.
set -euo pipefail
# shellcheck source=SCRIPTDIR/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

load_config "${1:-}"
OUT_DIR="${2:-$GCE_DIR/out}"
mkdir -p "$OUT_DIR"
render_startup "$OUT_DIR/startup.sh"
bash -n "$OUT_DIR/startup.sh" || die "the rendered $OUT_DIR/startup.sh does not parse"
echo "rendered $OUT_DIR/startup.sh: tamter serve --object-store $OBJECT_STORE on $MIN_NODES..$MAX_NODES x $MACHINE_TYPE in $REGION"
