#!/usr/bin/env bash
# The demo: installs the Debian packages, builds clipcrawl, serves the bundled
# example site (examples/site) on 127.0.0.1, fetches its image list into a
# dataset, and shows stats and a few rows. Output dataset: ${DEMO_DIR:-demo-out}.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/build.sh
bin=build/cli/clipcrawl
out=${DEMO_DIR:-demo-out}
rm -rf "$out"

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
# A threaded static server with a deep accept queue (python3 -m http.server
# accepts 5 pending connections, which stalls a 64-way fetch).
python3 - "$port" >/dev/null 2>&1 <<'PY' &
import functools, http.server, sys
class Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass
class Server(http.server.ThreadingHTTPServer):
    request_queue_size = 256
Server(("127.0.0.1", int(sys.argv[1])), functools.partial(Quiet, directory="examples/site")).serve_forever()
PY
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
for _ in $(seq 50); do
  python3 -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$port/index.html')" 2>/dev/null && break
  sleep 0.1
done

# The list holds site-relative URLs; point them at the server we just started.
list=$(mktemp --suffix=.tsv)
awk -v base="http://127.0.0.1:$port" 'NR == 1 { print; next } { print base $0 }' examples/site/images.tsv > "$list"

echo "== clipcrawl fetch ($(($(wc -l < "$list") - 1)) images from http://127.0.0.1:$port)"
# --allow-private: the example site is on loopback, which clipcrawl refuses by default.
"$bin" fetch "$list" -o "$out" --allow-private --image-size 256 --resize-mode keep_ratio
echo "== clipcrawl stats $out"
"$bin" stats "$out"
echo "== clipcrawl query $out --limit 5"
"$bin" query "$out" --limit 5
echo "== why were samples not accepted?"
"$bin" query "$out" --sql "SELECT status, reason, count(*) AS n FROM items WHERE status != 'accepted' GROUP BY 1, 2"
echo "== clipcrawl verify $out"
"$bin" verify "$out"
rm -f "$list"

# --- crawl step: the same example site, found by crawling it ---------------
crawl_out="${out}-crawl"
rm -rf "$crawl_out"
echo "== clipcrawl crawl http://127.0.0.1:$port/index.html --depth 3 -o $crawl_out"
# --host-delay 0.1: a loopback demo; on the web keep the polite default (1 s per host).
"$bin" crawl "http://127.0.0.1:$port/index.html" -o "$crawl_out" --allow-private --depth 3 \
  --host-delay 0.1 --image-size 256 --resize-mode keep_ratio
echo "== crawled samples by caption source"
"$bin" query "$crawl_out" --sql "SELECT caption_source, count(*) AS n FROM items WHERE status = 'accepted' GROUP BY 1 ORDER BY 2 DESC"
echo "== pages and skips"
"$bin" query "$crawl_out" --sql "SELECT state, reason, count(*) AS n FROM crawl_pages GROUP BY 1, 2"
"$bin" query "$crawl_out" --sql "SELECT status, reason, count(*) AS n FROM items WHERE status != 'accepted' GROUP BY 1, 2"
"$bin" verify "$crawl_out"
# --- end crawl step ---

# --- score step, with the tiny test model ---------------------------------------------
# No CLIP weights ship with clipcrawl. tests/data/clipref holds tiny random-weight test
# models: the scores mean nothing, but the step shows the command. With real weights:
# --model ~/models/clip-vit-base-patch32.
ref=tests/data/clipref
if [ -f "$ref/fixtures/models/tiny-b32/model.safetensors" ]; then
  model=$(mktemp -d)
  for f in "$ref"/fixtures/models/tiny-b32/* "$ref"/vocab.json "$ref"/merges.txt; do
    ln -s "$(realpath "$f")" "$model/"
  done
  echo "== clipcrawl score $out --model (tiny random-weight test model)"
  "$bin" score "$out" --model "$model" -q
  "$bin" query "$out" --sql "SELECT i.key, round(s.score, 4) AS score, i.caption FROM items i JOIN clip_scores s USING (key) ORDER BY s.score DESC LIMIT 3"
  rm -rf "$model"
fi
