#!/bin/bash
# Builds the Tamter release the VMs run and uploads it to the deployment's bucket.
#   deploy/gce/package.sh CONFIG          build, pack, upload to gs://BUCKET/releases/
#   NO_UPLOAD=1 deploy/gce/package.sh CONFIG    build and pack only (deploy/gce/out/)
# The release is tamter-VERSION/{lib/*.jar, jvm.options, VERSION}: the http-frontend jar and its
# runtime classpath (what ./tamter serve runs), VERSION the git commit. Prints the TAMTER_RELEASE
# line to put in the config.
set -euo pipefail
# shellcheck source=SCRIPTDIR/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

load_config "${1:-}"
"$REPO_ROOT/tamter" build
version="$(git -C "$REPO_ROOT" describe --always --dirty)"
name="tamter-$version"
stage="$(mktemp -d)"
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/$name/lib"
jars=("$REPO_ROOT"/http-frontend/target/tamter-*.jar)
jar=""
for j in "${jars[@]}"; do [[ -f "$j" && "$j" != *-tests.jar ]] && jar="$j" && break; done
[[ -n "$jar" ]] || die "no http-frontend jar under $REPO_ROOT/http-frontend/target (did the build run?)"
cp "$jar" "$stage/$name/lib/"
# (the file has no final newline: read then reports end of input, having read the line)
IFS=':' read -r -a deps <"$REPO_ROOT/http-frontend/target/classpath.txt" || (( ${#deps[@]} > 0 )) \
  || die "empty $REPO_ROOT/http-frontend/target/classpath.txt"
for d in "${deps[@]}"; do
  [[ -f "$d" ]] || die "classpath entry is not a jar file: $d"
  [[ ! -e "$stage/$name/lib/$(basename "$d")" ]] || die "two classpath jars named $(basename "$d")"
  cp "$d" "$stage/$name/lib/"
done
cp "$REPO_ROOT/jvm.options" "$stage/$name/"
echo "$version" >"$stage/$name/VERSION"
mkdir -p "$GCE_DIR/out"
tar -C "$stage" -czf "$GCE_DIR/out/$name.tar.gz" "$name"
echo "packed $GCE_DIR/out/$name.tar.gz ($(find "$stage/$name/lib" -name '*.jar' | wc -l) jars)"
if [[ "${NO_UPLOAD:-0}" != 1 ]]; then
  run gcloud storage cp "$GCE_DIR/out/$name.tar.gz" "gs://$BUCKET/releases/$name.tar.gz" --project="$PROJECT"
fi
echo "TAMTER_RELEASE=\"gs://$BUCKET/releases/$name.tar.gz\""
