#!/usr/bin/env bash
# Crawl throughput on a loopback site, with fetch's figure on the same images beside it.
#
#   bench/bench-crawl.sh [BUILD_DIR] [N_PAGES] [IMAGES_PER_PAGE]   (defaults: build, 200, 10)
#
# Makes N_PAGES HTML pages (each with IMAGES_PER_PAGE <img alt> photo-like JPEGs
# from bench/make-photos, 320x240 … 1600x1200, every caption distinct, a few
# markup variants: figure/figcaption, srcset, data-src), an index page linking
# them all and a robots.txt, serves them with nginx on 127.0.0.1, and runs
#   clipcrawl crawl http://127.0.0.1:PORT/ --depth 1 --host-delay 0 --host-concurrency 64
# (politeness off: one loopback host; a real crawl is bound by --host-delay).
# Then, in the same run on the same images, `clipcrawl fetch` of the same
# URL+caption list (what bench/bench-fetch.sh measures). Reports pages/s,
# samples/s, CPU-ms/sample and peak RSS for both. Run under `taskset -c 0,1`
# when the machine has more than 2 cores (it does so itself when it can).
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
pages=${2:-200}
per=${3:-10}
n=$((pages * per))
bin=$build/cli/clipcrawl
photos=$build/bench/make-photos
pin=""
if command -v taskset >/dev/null && [ "$(nproc)" -gt 2 ]; then pin="taskset -c 0,1"; fi
work=$(mktemp -d)
chmod 755 "$work"   # nginx workers run as www-data
[ -n "${KEEP:-}" ] || trap 'kill $(cat $work/nginx.pid 2>/dev/null) 2>/dev/null || true; rm -rf "$work"' EXIT

mkdir -p "$work/site/img" "$work/nginx"
"$photos" "$work/site/img" "$n" 1 >/dev/null
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
python3 - "$work/site" "$pages" "$per" "$port" <<'PY'
import os, sys
site, pages, per, port = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
imgs = sorted(os.listdir(os.path.join(site, "img")))
adj = ["quiet", "sunny", "misty", "snowy", "golden", "stormy", "green", "rocky", "narrow", "ancient"]
noun = ["harbour", "bridge", "forest", "village", "meadow", "lighthouse", "market", "canal", "valley", "garden"]
what = ["at dawn", "in autumn", "after the rain", "at dusk", "in winter", "under a blue sky", "at noon",
        "in spring fog", "before a storm", "by moonlight"]
def caption(k):
    return "A %s %s %s, photo %s of the series" % (adj[k % 10], noun[(k // 10) % 10], what[(k // 100) % 10],
                                                   ["one", "two", "three", "four", "five", "six", "seven",
                                                    "eight", "nine", "ten"][(k // 1000) % 10] + " %d" % k)
rows = ["url\tcaption"]
for p in range(pages):
    body = []
    for j in range(per):
        k = p * per + j
        src, cap = "/img/" + imgs[k], caption(k)
        rows.append("http://127.0.0.1:%s%s\t%s" % (port, src, cap))
        v = j % 4
        if v == 0:
            body.append('<img src="%s" alt="%s">' % (src, cap))
        elif v == 1:
            body.append('<figure><img src="%s" alt="IMG_%04d.JPG"><figcaption>%s</figcaption></figure>' % (src, k, cap))
        elif v == 2:
            body.append('<img src="%s" srcset="%s 1600w" alt="%s">' % (src, src, cap))
        else:
            body.append('<img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=" data-src="%s" alt="%s">' % (src, cap))
    with open(os.path.join(site, "p%04d.html" % p), "w") as f:
        f.write('<!doctype html><html><head><meta charset="utf-8"><title>page %d</title></head><body>\n%s\n'
                '<a href="/">home</a></body></html>\n' % (p, "\n".join(body)))
with open(os.path.join(site, "index.html"), "w") as f:
    f.write("<!doctype html><html><body>%s</body></html>\n" %
            "".join('<a href="/p%04d.html">%d</a> ' % (p, p) for p in range(pages)))
with open(os.path.join(site, "robots.txt"), "w") as f:
    f.write("User-agent: *\nDisallow: /private/\n")
with open(os.path.join(os.path.dirname(site), "list.tsv"), "w") as f:
    f.write("\n".join(rows) + "\n")
PY
cat > "$work/nginx/nginx.conf" <<CONF
worker_processes 1;
daemon on;
pid $work/nginx.pid;
error_log $work/nginx/error.log;
events { worker_connections 1024; }
http {
  access_log off;
  types { text/html html; image/jpeg jpg; text/plain txt; }
  server { listen 127.0.0.1:$port; root $work/site; }
}
CONF
/usr/sbin/nginx -p "$work/nginx" -c "$work/nginx/nginx.conf"
total_kb=$(du -sk "$work/site/img" | cut -f1)
echo "site: $pages pages + index, $n JPEGs, $((total_kb / 1024)) MiB, on 127.0.0.1:$port${pin:+ (pinned: $pin)}"

img_flags=(--image-size 256 --resize-mode keep_ratio --encode-format jpg --encode-quality 95)
report() { # name wall user sys rss samples pages
  python3 - "$@" <<'PY'
import sys
name, wall, user, sys_, rss, acc, pages = sys.argv[1], *map(float, sys.argv[2:5]), int(sys.argv[5]), int(sys.argv[6]), int(sys.argv[7])
extra = f"{pages} pages = {pages / wall:.1f} pages/s; " if pages else ""
print(f"{name}: {extra}{acc} samples in {wall:.2f} s = {acc / wall:.1f} samples/s; "
      f"{(user + sys_) * 1000 / max(acc, 1):.2f} CPU-ms/sample; peak RSS {rss / 1024:.1f} MiB")
PY
}

$pin /usr/bin/time -f '%e %U %S %M' -o "$work/time.crawl" \
  "$bin" crawl "http://127.0.0.1:$port/" -o "$work/crawl" --allow-private -q --depth 1 \
  --host-delay 0 --host-concurrency 64 "${img_flags[@]}" >"$work/crawl.out" || { cat "$work/crawl.out"; exit 1; }
read -r wall user sys rss < "$work/time.crawl"
acc=$(sqlite3 "$work/crawl/index.sqlite" "SELECT count(*) FROM items WHERE status='accepted'")
np=$(sqlite3 "$work/crawl/index.sqlite" "SELECT count(*) FROM crawl_pages WHERE state='fetched'")
report "clipcrawl crawl" "$wall" "$user" "$sys" "$rss" "$acc" "$np"

$pin /usr/bin/time -f '%e %U %S %M' -o "$work/time.fetch" \
  "$bin" fetch "$work/list.tsv" -o "$work/fetch" --allow-private -q "${img_flags[@]}" >"$work/fetch.out" \
  || { cat "$work/fetch.out"; exit 1; }
read -r wall user sys rss < "$work/time.fetch"
acc=$(sqlite3 "$work/fetch/index.sqlite" "SELECT count(*) FROM items WHERE status='accepted'")
report "clipcrawl fetch (same images, same captions)" "$wall" "$user" "$sys" "$rss" "$acc" 0
