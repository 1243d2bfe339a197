#!/usr/bin/env bash
# Caption-filter throughput: `clipcrawl check-caption` over real captions.
#
#   bench/bench-captions.sh [BUILD_DIR] [BASELINE_BIN] [RUNS]   (defaults: build, none, 5)
#
# Judges every caption of tests/data/realcaptions/devpool.tsv and
# tests/data/captions.tsv (about 13,600 strings from real pages, LAION rows
# and hand-written cases, in many languages), repeated 8 times so a run
# lasts some seconds, with BUILD_DIR's clipcrawl and, in the same run,
# BASELINE_BIN (another build of clipcrawl, say the commit before a change)
# when given. Runs alternate between the two. Reports, per binary, the
# median over RUNS of captions per CPU-second (user+sys), of user and sys
# seconds, and checks that both binaries gave the same verdicts.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
base=${2:-}
runs=${3:-5}
bin=$build/cli/clipcrawl
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

{ grep -v '^#' tests/data/realcaptions/devpool.tsv | cut -f5
  grep -v '^#' tests/data/captions.tsv | cut -f1; } | grep -v '^$' > "$work/one.txt"
for _ in 1 2 3 4 5 6 7 8; do cat "$work/one.txt"; done > "$work/in.txt"
n=$(wc -l < "$work/in.txt")

measure() { # BIN OUT -> "user sys"
    local t
    t=$( { /usr/bin/time -f '%U %S' "$1" check-caption --explain < "$work/in.txt" > "$2"; } 2>&1 | tail -1)
    echo "$t"
}
median() { sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }

: > "$work/new.t"; : > "$work/base.t"
for _ in $(seq "$runs"); do
    measure "$bin" "$work/new.out" >> "$work/new.t"
    [ -z "$base" ] || measure "$base" "$work/base.out" >> "$work/base.t"
done
report() { # NAME TIMES
    local u s c
    u=$(awk '{print $1}' "$2" | median)
    s=$(awk '{print $2}' "$2" | median)
    c=$(awk -v n="$n" '{print n / ($1 + $2)}' "$2" | median)
    printf '%-10s %8.0f captions/CPU-s   user %6.2f s   sys %6.2f s   (median of %d, %d captions)\n' "$1" "$c" "$u" "$s" "$runs" "$n"
}
report clipcrawl "$work/new.t"
if [ -n "$base" ]; then
    report baseline "$work/base.t"
    if cmp -s "$work/new.out" "$work/base.out"; then echo "verdicts: identical"; else echo "verdicts: DIFFER"; fi
fi
