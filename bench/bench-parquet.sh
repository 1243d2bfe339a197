#!/usr/bin/env bash
# bench-parquet.sh [BUILD_DIR] [ROWS] [ROUNDS] — Parquet reading in rows/s:
# clipcrawl's reader (crawler/parquet.h, bench_parquet) against hyparquet under
# node on the same files in the same run: tests/data/parquet/laion-like.parquet
# (5,000 rows, 3 row groups, SNAPPY, dictionary pages) and a synthetic
# LAION-shaped file of ROWS rows (default 500000, SNAPPY, 100,000-row groups).
# Both read every column of every row and touch each value; each figure is the
# median of ROUNDS runs (default 5), as rows per CPU-second (user+sys, every
# thread: node's GC helpers count) and per wall-clock second; hyparquet gets
# the file already in memory, we read it from the page cache.
# Installs hyparquet into bench/node/node_modules (npm) on first use.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
rows=${2:-500000}
rounds=${3:-5}
bin="$build/bench/bench_parquet"
[ -x "$bin" ] || { echo "bench-parquet: build first ($bin missing)" >&2; exit 1; }
command -v node >/dev/null || { echo "bench-parquet: node is not installed; the hyparquet baseline needs it" >&2; exit 1; }
if [ ! -d bench/node/node_modules/hyparquet ]; then
  (cd bench/node && npm install --no-audit --no-fund --silent) || { echo "bench-parquet: npm install failed" >&2; exit 1; }
fi
tmp=$(mktemp -d "${TMPDIR:-/tmp}/bench-parquet.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
"$bin" gen "$tmp/synthetic.parquet" "$rows" 100000
echo "| file | rows | size | clipcrawl rows/CPU-s | hyparquet rows/CPU-s | ratio (CPU) | clipcrawl rows/s wall | hyparquet rows/s wall | ratio (wall) |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|"
for f in tests/data/parquet/laion-like.parquet "$tmp/synthetic.parquet"; do
  r=$(( $(stat -c %s "$f") > 10000000 ? rounds : rounds * 4 ))
  c=$("$bin" read "$f" "$r")
  h=$(node bench/node/read.mjs "$f" "$r")
  python3 - "$f" "$c" "$h" <<'PY'
import json, os, sys
f, c, h = sys.argv[1], json.loads(sys.argv[2]), json.loads(sys.argv[3])
assert c["rows"] == h["rows"], (c, h)
print(f"| {os.path.basename(f)} | {c['rows']:,} | {os.path.getsize(f)/1e6:.1f} MB | {c['rows_per_cpu_s']:,.0f} | "
      f"{h['rows_per_cpu_s']:,.0f} | {c['rows_per_cpu_s']/h['rows_per_cpu_s']:.1f}x | {c['rows_per_s']:,.0f} | "
      f"{h['rows_per_s']:,.0f} | {c['rows_per_s']/h['rows_per_s']:.1f}x |")
PY
done
