#!/usr/bin/env bash
# WARC reading throughput: `clipcrawl warc --no-download` against a Python
# baseline, on the same gzipped WARC, in the same run.
#
#   bench/bench-warc.sh [BUILD_DIR] [SIZE_MB] [RUNS]     (defaults: build, 64, 3)
#
# bench/make-warc.py writes a SIZE_MB Common-Crawl-shaped WARC (one gzip member
# per record, mostly HTML responses, some chunked/gzip-encoded/revisit records)
# from the real WARC files in tests/data/warc. Then, RUNS times each:
#   clipcrawl warc --no-download FILE > /dev/null        (1 thread: reader,
#       HTTP decoding, libxml2 extraction, every caption candidate judged)
#   python3 bench/warc_baseline.py FILE > /dev/null       (stdlib only)
# The baseline stands in for warcio + html.parser, which cannot be installed
# here (no PyPI): zlib member by member, a minimal WARC record parser, chunked
# and gzip bodies undone, html.parser's <img> with alt — less work than ours
# (no srcset/lazy/figure candidates, no caption filter), so the ratio is a
# lower bound. Throughput is compressed MB per CPU-second (user+sys), i.e.
# MB/s per core; medians over RUNS. Prints one JSON line.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
size=${2:-64}
runs=${3:-3}
bin=$build/cli/clipcrawl
work=$(mktemp -d)
[ -n "${KEEP:-}" ] || trap 'rm -rf "$work"' EXIT
warc=$work/bench.warc.gz
python3 bench/make-warc.py "$warc" "$size" tests/data/warc >&2
mb=$(python3 -c "import os,sys; print(os.path.getsize(sys.argv[1]) / 1048576)" "$warc")

# cpu seconds (user+sys) of one command; its stdout goes to $work/out
cpu() {
  /usr/bin/time -f "%U %S %M" -o "$work/time" "$@" > "$work/out"
  awk '{printf "%.3f %d\n", $1 + $2, $3}' "$work/time"
}
median() { sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }

ours=() base=() rss=0 n_ours=0 n_base=0
for i in $(seq "$runs"); do
  read -r t m < <(cpu "$bin" warc --no-download "$warc")
  ours+=("$t"); rss=$m
  n_ours=$(grep -c '"verdict":"keep"' "$work/out" || true)
  read -r t m < <(cpu python3 bench/warc_baseline.py "$warc")
  base+=("$t")
  n_base=$(wc -l < "$work/out")
done
t_ours=$(printf '%s\n' "${ours[@]}" | median)
t_base=$(printf '%s\n' "${base[@]}" | median)
python3 - "$mb" "$t_ours" "$t_base" "$runs" "$rss" "$n_ours" "$n_base" <<'PY'
import json, sys
mb, to, tb, runs, rss, no, nb = float(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6]), int(sys.argv[7])
print(json.dumps({"bench": "warc", "warc_mb": round(mb, 1), "runs": runs,
                  "clipcrawl_cpu_s": to, "clipcrawl_mb_per_core_s": round(mb / to, 2),
                  "python_cpu_s": tb, "python_mb_per_core_s": round(mb / tb, 2),
                  "ratio": round(tb / to, 2), "clipcrawl_peak_rss_kib": rss,
                  "clipcrawl_images_keep": no, "python_images_with_alt": nb}))
PY
