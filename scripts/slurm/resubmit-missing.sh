#!/usr/bin/env bash
# Slurm does not retry failed array tasks. This finds the parts of OUT that have
# no _SUCCESS marker and resubmits just those indices (with --part-count N, so
# each keeps its place in the split), then a new merge job after them.
#
#   scripts/slurm/resubmit-missing.sh N OUT COMMAND ARGS...   # same arguments as submit.sh
set -euo pipefail
[ $# -ge 3 ] || { echo "usage: $0 N OUT COMMAND ARGS..." >&2; exit 2; }
n=$1; out=$2; shift 2
here=$(cd "$(dirname "$0")" && pwd)
out=$(cd "$out" && pwd)
missing=()
for i in $(seq 0 $((n - 1))); do
  [ -f "$out/part-$i/_SUCCESS" ] || missing+=("$i")
done
if [ ${#missing[@]} -eq 0 ]; then echo "all $n parts are complete" >&2; exit 0; fi
list=$(IFS=,; echo "${missing[*]}")
echo "resubmitting parts $list" >&2
# shellcheck disable=SC2086
array=$(sbatch --parsable ${SBATCH_OPTS:-} --array="$list" -o "$out/logs/part-%a.log" \
  --export=ALL "$here/part.sbatch" "$out" "$n" "$@")
array=${array%%;*}
# shellcheck disable=SC2086
merge=$(sbatch --parsable ${SBATCH_OPTS:-} --dependency=afterok:"$array" --kill-on-invalid-dep=yes \
  -o "$out/logs/merge.log" --export=ALL "$here/merge.sbatch" "$out" "$n")
echo "$array ${merge%%;*}"
