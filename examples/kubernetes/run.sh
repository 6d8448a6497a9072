#!/usr/bin/env bash
# Evaluates /data/dt.json against /data/gt.json on the claim deval-data in 8 shards, then merges them.
# Kubernetes Jobs have no dependencies of their own, so the merge Job starts when the shards' Job completed.
set -euo pipefail
cd "$(dirname "$0")"
kubectl apply -f volumes.yaml
kubectl delete job deval-shards deval-merge --ignore-not-found
kubectl apply -f shards-job.yaml
kubectl wait --for=condition=complete --timeout=6h job/deval-shards
kubectl apply -f merge-job.yaml
kubectl wait --for=condition=complete --timeout=1h job/deval-merge
kubectl logs job/deval-merge
