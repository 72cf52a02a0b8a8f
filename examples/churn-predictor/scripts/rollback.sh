#!/usr/bin/env bash
# Roll churn-api back to the previous revision (or a given one) and wait until it is healthy.
# The model is baked into the image, so this rolls back code and model together.
#
#   scripts/rollback.sh                    # previous revision
#   scripts/rollback.sh --to-revision 12   # a revision from `kubectl rollout history`
set -euo pipefail

revision=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --to-revision) revision="${2:?--to-revision needs a revision number}"; shift 2 ;;
    --to-revision=*) revision="${1#*=}"; shift ;;
    -h|--help) sed -n '2,6p' "$0"; exit 0 ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done
if [[ -n "$revision" && ! "$revision" =~ ^[1-9][0-9]*$ ]]; then
  echo "--to-revision needs a revision number, got '$revision'" >&2
  exit 2
fi

kubectl rollout history deployment/churn-api -n churn
if [[ -n "$revision" ]]; then
  kubectl rollout undo deployment/churn-api -n churn --to-revision="$revision"
else
  kubectl rollout undo deployment/churn-api -n churn
fi
kubectl rollout status deployment/churn-api -n churn --timeout=5m
echo "churn-api now runs: $(kubectl get deployment/churn-api -n churn -o jsonpath='{.spec.template.spec.containers[0].image}')"
echo "Revert the image bump in k8s/deployment.yaml too, or the next 'make deploy' ships it again."
