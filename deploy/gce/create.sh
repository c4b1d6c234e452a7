#!/bin/bash
# Creates (or updates) a Tamter deployment on GCE with gcloud, from a config (config.env.example):
# bucket access, firewall rules, health checks, an instance template, a regional managed instance
# group with autoscaling, and an external HTTP(S) load balancer in front of the nodes' REST port.
#   deploy/gce/create.sh CONFIG             create what is missing; a changed template rolls out
#   DRY_RUN=1 deploy/gce/create.sh CONFIG   print the gcloud commands instead (needs no gcloud)
# Before: the release in the bucket (package.sh) and the API keys secret (README, step 2).
set -euo pipefail
# shellcheck source=SCRIPTDIR/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

load_config "${1:-}"
OUT_DIR="${OUT_DIR:-$GCE_DIR/out}"
"$GCE_DIR/render.sh" "$1" "$OUT_DIR"
if [[ "${DRY_RUN:-0}" != 1 ]]; then
  command -v gcloud >/dev/null || die "gcloud not found (install the Google Cloud CLI, or DRY_RUN=1 to print the commands)"
fi
P=(--project="$PROJECT")

echo "== APIs"
run gcloud services enable compute.googleapis.com secretmanager.googleapis.com storage.googleapis.com "${P[@]}"

echo "== bucket gs://$BUCKET, service account $SERVICE_ACCOUNT"
if ! exists gcloud storage buckets describe "gs://$BUCKET" "${P[@]}"; then
  run gcloud storage buckets create "gs://$BUCKET" "${P[@]}" --location="$REGION" --uniform-bucket-level-access
fi
if ! exists gcloud iam service-accounts describe "$SERVICE_ACCOUNT" "${P[@]}"; then
  run gcloud iam service-accounts create "${NAME}-node" "${P[@]}" --display-name="Tamter nodes ($NAME)"
fi
# the nodes read and write every object of the bucket (data, WAL, discovery), read the API keys secret
run gcloud storage buckets add-iam-policy-binding "gs://$BUCKET" "${P[@]}" \
  --member="serviceAccount:$SERVICE_ACCOUNT" --role=roles/storage.objectAdmin
if [[ "${DRY_RUN:-0}" != 1 ]] && ! exists gcloud secrets describe "$API_KEYS_SECRET" "${P[@]}"; then
  die "secret $API_KEYS_SECRET not found in $PROJECT: create it first (deploy/gce/README.md, step 2)"
fi
run gcloud secrets add-iam-policy-binding "$API_KEYS_SECRET" "${P[@]}" \
  --member="serviceAccount:$SERVICE_ACCOUNT" --role=roles/secretmanager.secretAccessor

echo "== firewall rules on network $NETWORK (target tag $NAME)"
if ! exists gcloud compute firewall-rules describe "${NAME}-allow-lb" "${P[@]}"; then
  # Google's load balancer and health checkers reach the REST port from these ranges
  run gcloud compute firewall-rules create "${NAME}-allow-lb" "${P[@]}" --network="$NETWORK" --direction=INGRESS \
    --action=ALLOW --rules="tcp:$HTTP_PORT" --source-ranges=130.211.0.0/22,35.191.0.0/16 --target-tags="$NAME"
fi
if ! exists gcloud compute firewall-rules describe "${NAME}-allow-grid" "${P[@]}"; then
  # node to node: discovery, communication (Ignite takes the first free of 100 ports), thin client
  run gcloud compute firewall-rules create "${NAME}-allow-grid" "${P[@]}" --network="$NETWORK" --direction=INGRESS \
    --action=ALLOW --rules="tcp:$GRID_PORT,tcp:$COMM_PORT-$((COMM_PORT + 99)),tcp:$CLIENT_PORT-$((CLIENT_PORT + 9))" \
    --source-tags="$NAME" --target-tags="$NAME"
fi
if ! exists gcloud compute firewall-rules describe "${NAME}-allow-iap-ssh" "${P[@]}"; then
  # ssh through Identity-Aware Proxy only (gcloud compute ssh --tunnel-through-iap)
  run gcloud compute firewall-rules create "${NAME}-allow-iap-ssh" "${P[@]}" --network="$NETWORK" --direction=INGRESS \
    --action=ALLOW --rules=tcp:22 --source-ranges=35.235.240.0/20 --target-tags="$NAME"
fi

echo "== health checks"
if ! exists gcloud compute health-checks describe "${NAME}-ready" --global "${P[@]}"; then
  # the load balancer's: /ready is 503 until the node joined the grid and opened its shards, and
  # again while it drains at a stop, so traffic goes only to nodes that serve
  run gcloud compute health-checks create http "${NAME}-ready" --global "${P[@]}" --port="$HTTP_PORT" \
    --request-path=/ready --check-interval=10s --timeout=5s --healthy-threshold=2 --unhealthy-threshold=3
fi
if ! exists gcloud compute health-checks describe "${NAME}-live" --global "${P[@]}"; then
  # autohealing's: /health (the process answers). Not /ready: a node is briefly not ready while
  # shards move after another node joins or leaves, and must not be recreated for that
  run gcloud compute health-checks create http "${NAME}-live" --global "${P[@]}" --port="$HTTP_PORT" \
    --request-path=/health --check-interval=30s --timeout=10s --healthy-threshold=1 --unhealthy-threshold=4
fi

echo "== instance template"
# named by a hash of what it holds: a changed config or release makes a new template
hash="$(printf '%s\n' "$MACHINE_TYPE $BOOT_DISK_GB $BOOT_DISK_TYPE $IMAGE_FAMILY $IMAGE_PROJECT $NETWORK $SUBNET $SERVICE_ACCOUNT" \
  | cat - "$OUT_DIR/startup.sh" | sha256sum | cut -c1-10)"
TEMPLATE="${NAME}-tmpl-$hash"
NET=(--network="$NETWORK")
[[ -z "$SUBNET" ]] || NET+=(--subnet="projects/$PROJECT/regions/$REGION/subnetworks/$SUBNET")
if ! exists gcloud compute instance-templates describe "$TEMPLATE" "${P[@]}"; then
  run gcloud compute instance-templates create "$TEMPLATE" "${P[@]}" --machine-type="$MACHINE_TYPE" \
    --image-family="$IMAGE_FAMILY" --image-project="$IMAGE_PROJECT" \
    --boot-disk-size="${BOOT_DISK_GB}GB" --boot-disk-type="$BOOT_DISK_TYPE" \
    --service-account="$SERVICE_ACCOUNT" --scopes=cloud-platform --tags="$NAME" "${NET[@]}" \
    --shielded-secure-boot --shielded-vtpm --shielded-integrity-monitoring \
    --metadata=enable-oslogin=TRUE --metadata-from-file=startup-script="$OUT_DIR/startup.sh"
fi

echo "== managed instance group ${NAME}-mig in $REGION"
MIG=("${NAME}-mig" --region="$REGION" "${P[@]}")
if ! exists gcloud compute instance-groups managed describe "${MIG[@]}"; then
  ZONE_ARGS=()
  [[ -z "$ZONES" ]] || ZONE_ARGS=(--zones="$ZONES")
  run gcloud compute instance-groups managed create "${MIG[@]}" "${ZONE_ARGS[@]}" --template="$TEMPLATE" \
    --size="$MIN_NODES" --base-instance-name="$NAME" --health-check="${NAME}-live" --initial-delay=300
else
  # a new template rolls out: new VMs first (surge), old ones deleted once the new are up; the
  # leaving nodes' shards reopen from the bucket on the others
  run gcloud compute instance-groups managed rolling-action start-update "${MIG[@]}" --version=template="$TEMPLATE" \
    --max-surge=3 --max-unavailable=0 --minimal-action=replace
fi
run gcloud compute instance-groups managed set-named-ports "${MIG[@]}" --named-ports="http:$HTTP_PORT"
# scale in one node per 10 minutes at most: each leaving node's shards move to the others
run gcloud compute instance-groups managed set-autoscaling "${MIG[@]}" --min-num-replicas="$MIN_NODES" \
  --max-num-replicas="$MAX_NODES" --target-cpu-utilization="$TARGET_CPU" --cool-down-period=300 \
  --scale-in-control=max-scaled-in-replicas=1,time-window=600

echo "== load balancer"
if ! exists gcloud compute backend-services describe "${NAME}-backend" --global "${P[@]}"; then
  run gcloud compute backend-services create "${NAME}-backend" --global "${P[@]}" --protocol=HTTP --port-name=http \
    --health-checks="${NAME}-ready" --load-balancing-scheme=EXTERNAL_MANAGED --timeout=120s --connection-draining-timeout=60s
  run gcloud compute backend-services add-backend "${NAME}-backend" --global "${P[@]}" --instance-group="${NAME}-mig" \
    --instance-group-region="$REGION" --balancing-mode=UTILIZATION --max-utilization=0.8
fi
if ! exists gcloud compute url-maps describe "${NAME}-lb" --global "${P[@]}"; then
  run gcloud compute url-maps create "${NAME}-lb" --global "${P[@]}" --default-service="${NAME}-backend"
fi
if ! exists gcloud compute addresses describe "${NAME}-ip" --global "${P[@]}"; then
  run gcloud compute addresses create "${NAME}-ip" --global "${P[@]}" --ip-version=IPV4
fi
if [[ -n "$DOMAIN" ]]; then
  if ! exists gcloud compute ssl-certificates describe "${NAME}-cert" --global "${P[@]}"; then
    run gcloud compute ssl-certificates create "${NAME}-cert" --global "${P[@]}" --domains="$DOMAIN"
  fi
  if ! exists gcloud compute target-https-proxies describe "${NAME}-proxy" --global "${P[@]}"; then
    run gcloud compute target-https-proxies create "${NAME}-proxy" --global "${P[@]}" --url-map="${NAME}-lb" \
      --ssl-certificates="${NAME}-cert"
  fi
  PROXY=(--target-https-proxy="${NAME}-proxy")
  LB_PORT=443
else
  if ! exists gcloud compute target-http-proxies describe "${NAME}-proxy" --global "${P[@]}"; then
    run gcloud compute target-http-proxies create "${NAME}-proxy" --global "${P[@]}" --url-map="${NAME}-lb"
  fi
  PROXY=(--target-http-proxy="${NAME}-proxy")
  LB_PORT=80
fi
if ! exists gcloud compute forwarding-rules describe "${NAME}-fr" --global "${P[@]}"; then
  run gcloud compute forwarding-rules create "${NAME}-fr" --global "${P[@]}" --load-balancing-scheme=EXTERNAL_MANAGED \
    --address="${NAME}-ip" "${PROXY[@]}" --ports="$LB_PORT"
fi

if [[ "${DRY_RUN:-0}" == 1 ]]; then
  echo "dry run: nothing was created"
else
  ip="$(gcloud compute addresses describe "${NAME}-ip" --global "${P[@]}" --format='value(address)')"
  echo "load balancer address: $ip (port $LB_PORT${DOMAIN:+; point $DOMAIN at it})"
  echo "try: curl -s http://$ip/ready   (nodes need a few minutes to boot; health: gcloud compute backend-services get-health ${NAME}-backend --global)"
fi
