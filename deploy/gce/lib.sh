# Shared by render.sh, package.sh, create.sh and delete.sh (sourced, not run).
# shellcheck shell=bash

GCE_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck disable=SC2034 # used by the scripts that source this file
REPO_ROOT="$(cd "$GCE_DIR/../.." && pwd)"

die() {
  echo "$(basename "$0"): $*" >&2
  exit 1
}

# Every variable the config may set, with its default ('' = none). REQUIRED ones must be non-empty.
CONFIG_VARS=(PROJECT BUCKET API_KEYS_SECRET TAMTER_RELEASE REGION ZONES NETWORK SUBNET NAME PREFIX MACHINE_TYPE
  BOOT_DISK_GB BOOT_DISK_TYPE IMAGE_FAMILY IMAGE_PROJECT JDK_PACKAGE JDK_ARCHIVE JAVA_HEAP_PERCENT EXTRA_SETTINGS
  MIN_NODES MAX_NODES TARGET_CPU HTTP_PORT GRID_PORT COMM_PORT CLIENT_PORT DOMAIN)
REQUIRED_VARS=(PROJECT BUCKET API_KEYS_SECRET TAMTER_RELEASE)

set_defaults() {
  : "${REGION:=us-central1}" "${ZONES:=}" "${NETWORK:=default}" "${SUBNET:=}" "${NAME:=tamter}" "${PREFIX:=tamter}"
  : "${MACHINE_TYPE:=n2-standard-4}" "${BOOT_DISK_GB:=100}" "${BOOT_DISK_TYPE:=pd-balanced}"
  : "${IMAGE_FAMILY:=ubuntu-2404-lts-amd64}" "${IMAGE_PROJECT:=ubuntu-os-cloud}"
  : "${JDK_PACKAGE:=openjdk-25-jdk-headless}" "${JDK_ARCHIVE:=}" "${JAVA_HEAP_PERCENT:=50}" "${EXTRA_SETTINGS:=}"
  : "${MIN_NODES:=3}" "${MAX_NODES:=6}" "${TARGET_CPU:=0.6}"
  : "${HTTP_PORT:=8080}" "${GRID_PORT:=47500}" "${COMM_PORT:=47100}" "${CLIENT_PORT:=10800}" "${DOMAIN:=}"
}

# load_config FILE: reads the config, fills in defaults, checks every value (each error names its variable).
load_config() {
  local file="$1" v errors=()
  [[ -n "$file" ]] || die "usage: $(basename "$0") CONFIG_FILE (see deploy/gce/config.env.example)"
  [[ -f "$file" ]] || die "config file not found: $file"
  for v in "${CONFIG_VARS[@]}"; do unset "$v"; done
  # shellcheck disable=SC1090
  source "$file"
  set_defaults
  for v in "${REQUIRED_VARS[@]}"; do
    [[ -n "${!v}" ]] || errors+=("$v is required")
  done
  # values that land in the startup script are checked against the characters they need, so that
  # none can break out of its quotes there
  [[ -z "$PROJECT" || "$PROJECT" =~ ^[a-z][-a-z0-9]{4,28}[a-z0-9]$ ]] || errors+=("PROJECT is not a project id: '$PROJECT'")
  [[ -z "$API_KEYS_SECRET" || "$API_KEYS_SECRET" =~ ^[A-Za-z0-9_-]{1,255}$ ]] || errors+=("API_KEYS_SECRET is not a secret name: '$API_KEYS_SECRET'")
  [[ "$REGION" =~ ^[a-z]+-[a-z]+[0-9]+$ ]] || errors+=("REGION is not a region: '$REGION'")
  [[ -z "$ZONES" || "$ZONES" =~ ^[a-z]+-[a-z]+[0-9]+-[a-z](,[a-z]+-[a-z]+[0-9]+-[a-z])*$ ]] || errors+=("ZONES must be zones separated by commas: '$ZONES'")
  [[ "$NAME" =~ ^[a-z][-a-z0-9]{0,29}$ ]] || errors+=("NAME must match [a-z][-a-z0-9]{0,29}; got '$NAME'")
  [[ "$JDK_PACKAGE" =~ ^[a-z0-9][a-z0-9.+-]*$ ]] || errors+=("JDK_PACKAGE is not a package name: '$JDK_PACKAGE'")
  [[ -z "$BUCKET" || "$BUCKET" =~ ^[a-z0-9][-a-z0-9._]{1,61}[a-z0-9]$ ]] || errors+=("BUCKET is not a bucket name: '$BUCKET'")
  [[ "$PREFIX" =~ ^[A-Za-z0-9._-]+(/[A-Za-z0-9._-]+)*$|^$ ]] || errors+=("PREFIX must be path segments of [A-Za-z0-9._-] separated by '/'; got '$PREFIX'")
  [[ -z "$TAMTER_RELEASE" || "$TAMTER_RELEASE" =~ ^gs://[a-z0-9][-a-z0-9._]+/[A-Za-z0-9._/-]+\.tar\.gz$ ]] || errors+=("TAMTER_RELEASE must be gs://BUCKET/path.tar.gz; got '$TAMTER_RELEASE'")
  [[ -z "$JDK_ARCHIVE" || "$JDK_ARCHIVE" =~ ^gs://[a-z0-9][-a-z0-9._]+/[A-Za-z0-9._/-]+\.tar\.gz$ ]] || errors+=("JDK_ARCHIVE must be empty or gs://BUCKET/path.tar.gz; got '$JDK_ARCHIVE'")
  for v in BOOT_DISK_GB JAVA_HEAP_PERCENT MIN_NODES MAX_NODES HTTP_PORT GRID_PORT COMM_PORT CLIENT_PORT; do
    [[ "${!v}" =~ ^[0-9]+$ ]] || errors+=("$v must be a whole number; got '${!v}'")
  done
  for v in HTTP_PORT GRID_PORT COMM_PORT CLIENT_PORT; do
    [[ "${!v}" =~ ^[0-9]+$ ]] && { (( ${!v} >= 1 && ${!v} <= 65535 )) || errors+=("$v must be 1..65535; got '${!v}'"); }
  done
  if [[ "$MIN_NODES" =~ ^[0-9]+$ && "$MAX_NODES" =~ ^[0-9]+$ ]]; then
    (( MIN_NODES >= 1 )) || errors+=("MIN_NODES must be at least 1; got '$MIN_NODES'")
    (( MAX_NODES >= MIN_NODES )) || errors+=("MAX_NODES must be >= MIN_NODES; got MAX_NODES=$MAX_NODES, MIN_NODES=$MIN_NODES")
  fi
  [[ "$JAVA_HEAP_PERCENT" =~ ^[0-9]+$ ]] && { (( JAVA_HEAP_PERCENT >= 10 && JAVA_HEAP_PERCENT <= 90 )) || errors+=("JAVA_HEAP_PERCENT must be 10..90; got '$JAVA_HEAP_PERCENT'"); }
  [[ "$TARGET_CPU" =~ ^0?\.[0-9]+$ ]] || errors+=("TARGET_CPU must be a fraction like 0.6; got '$TARGET_CPU'")
  local kv
  EXTRA_SET_ARGS=""
  for kv in $EXTRA_SETTINGS; do
    if [[ "$kv" =~ ^[a-z_]+(\.[a-z_]+)*=[^\']*$ ]]; then
      EXTRA_SET_ARGS+=" --set '$kv'"
    else
      errors+=("EXTRA_SETTINGS takes key=value words without single quotes; got '$kv'")
    fi
  done
  [[ -z "$DOMAIN" || "$DOMAIN" =~ ^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$ ]] || errors+=("DOMAIN is not a host name: '$DOMAIN'")
  if (( ${#errors[@]} > 0 )); then
    printf '%s: %s: %s\n' "$(basename "$0")" "$file" "${errors[@]}" >&2
    exit 1
  fi
  # shellcheck disable=SC2034 # used by the scripts that source this file, and by render_startup
  SERVICE_ACCOUNT="${NAME}-node@${PROJECT}.iam.gserviceaccount.com"
  # shellcheck disable=SC2034
  OBJECT_STORE="gs://${BUCKET}${PREFIX:+/$PREFIX}"
}

# render_startup OUT_FILE: the VM startup script, the template's @VAR@ placeholders replaced.
render_startup() {
  local out="$1" text v
  text="$(cat "$GCE_DIR/startup.sh.tmpl")"
  for v in "${CONFIG_VARS[@]}" OBJECT_STORE EXTRA_SET_ARGS; do
    text="${text//@${v}@/${!v}}"
  done
  if [[ "$text" =~ @[A-Z_]+@ ]]; then
    die "startup.sh.tmpl: placeholder ${BASH_REMATCH[0]} has no value"
  fi
  printf '%s\n' "$text" >"$out"
}

# run CMD...: runs a command, or with DRY_RUN=1 prints it (quoted as it would run) instead.
run() {
  if [[ "${DRY_RUN:-0}" == 1 ]]; then
    printf '+'
    printf ' %q' "$@"
    printf '\n'
  else
    "$@"
  fi
}

# exists CMD...: whether a describe command finds the resource (always "no" in a dry run).
exists() {
  [[ "${DRY_RUN:-0}" != 1 ]] && "$@" >/dev/null 2>&1
}
