#!/usr/bin/env bash
# Submits a partitioned clipcrawl run to Slurm: an array of N parts and a merge
# job that waits for all of them (afterok).
#
#   scripts/slurm/submit.sh N OUT fetch list.parquet --allow-private ...
#
# Prints the two job ids ("ARRAY_ID MERGE_ID"). OUT must be on a file system
# every node sees. CLIPCRAWL names the binary (default: clipcrawl on PATH);
# extra sbatch options go in SBATCH_OPTS (e.g. "--partition=cpu --time=12:00:00").
set -euo pipefail
[ $# -ge 3 ] || { echo "usage: $0 N OUT COMMAND ARGS..." >&2; exit 2; }
n=$1; out=$2; shift 2
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$out/logs"
out=$(cd "$out" && pwd)
# shellcheck disable=SC2086
array=$(sbatch --parsable ${SBATCH_OPTS:-} --array=0-$((n - 1)) -o "$out/logs/part-%a.log" \
  --export=ALL "$here/part.sbatch" "$out" "$n" "$@")
array=${array%%;*}
# shellcheck disable=SC2086
merge=$(sbatch --parsable ${SBATCH_OPTS:-} --dependency=afterok:"$array" --kill-on-invalid-dep=yes \
  -o "$out/logs/merge.log" --export=ALL "$here/merge.sbatch" "$out" "$n")
echo "$array ${merge%%;*}"
