#!/usr/bin/env bash
# Usage: submit.sh GT PRED OUT  -- evaluates PRED against GT in 8 array tasks, then merges into OUT/report.json.
set -euo pipefail
here=$(dirname "$0")
export GT=$(realpath "$1") PRED=$(realpath "$2") OUT=$(realpath -m "$3")
mkdir -p "$OUT"
shards=$(sbatch --parsable --export=ALL,GT,PRED,OUT "$here/shards.sbatch")
sbatch --dependency=afterok:"${shards%%;*}" --export=ALL,GT,PRED,OUT "$here/merge.sbatch"
