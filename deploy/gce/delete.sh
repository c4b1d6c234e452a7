#!/bin/bash
# Deletes what create.sh created, in reverse order: load balancer, instance group (its VMs stop:
# each node drains, checkpoints and unregisters), templates, health checks, firewall rules.
# Keeps the bucket (all the data), the secret and the service account.
#   deploy/gce/delete.sh CONFIG            (asks before it starts)
#   DRY_RUN=1 deploy/gce/delete.sh CONFIG  print the commands instead
set -euo pipefail
# shellcheck source=SCRIPTDIR/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

load_config "${1:-}"
P=(--project="$PROJECT")
if [[ "${DRY_RUN:-0}" != 1 ]]; then
  command -v gcloud >/dev/null || die "gcloud not found"
  read -r -p "delete the $NAME deployment in $PROJECT (the bucket gs://$BUCKET stays)? [y/N] " answer
  [[ "$answer" == y || "$answer" == Y ]] || die "nothing deleted"
fi

# delete_if KIND NAME [FLAGS...]: gcloud compute KIND delete NAME, when it exists
delete_if() {
  local kind="$1" name="$2"
  shift 2
  if [[ "${DRY_RUN:-0}" == 1 ]] || gcloud compute "$kind" describe "$name" "$@" "${P[@]}" >/dev/null 2>&1; then
    run gcloud compute "$kind" delete "$name" "$@" "${P[@]}" --quiet
  fi
}

delete_if forwarding-rules "${NAME}-fr" --global
delete_if target-http-proxies "${NAME}-proxy" --global
delete_if target-https-proxies "${NAME}-proxy" --global
delete_if ssl-certificates "${NAME}-cert" --global
delete_if url-maps "${NAME}-lb" --global
delete_if backend-services "${NAME}-backend" --global
delete_if addresses "${NAME}-ip" --global
if [[ "${DRY_RUN:-0}" == 1 ]] || gcloud compute instance-groups managed describe "${NAME}-mig" --region="$REGION" "${P[@]}" >/dev/null 2>&1; then
  run gcloud compute instance-groups managed delete "${NAME}-mig" --region="$REGION" "${P[@]}" --quiet
fi
if [[ "${DRY_RUN:-0}" == 1 ]]; then
  run gcloud compute instance-templates delete "${NAME}-tmpl-HASH" "${P[@]}" --quiet
else
  for t in $(gcloud compute instance-templates list "${P[@]}" --filter="name ~ ^${NAME}-tmpl-" --format='value(name)'); do
    run gcloud compute instance-templates delete "$t" "${P[@]}" --quiet
  done
fi
delete_if health-checks "${NAME}-ready" --global
delete_if health-checks "${NAME}-live" --global
delete_if firewall-rules "${NAME}-allow-lb"
delete_if firewall-rules "${NAME}-allow-grid"
delete_if firewall-rules "${NAME}-allow-iap-ssh"
echo "deleted; kept gs://$BUCKET, the secret $API_KEYS_SECRET and $SERVICE_ACCOUNT"
