#!/usr/bin/env bash
# Fetch throughput on a loopback site of photo-like JPEGs.
#
#   bench/bench-fetch.sh [BUILD_DIR] [N_IMAGES]     (defaults: build, 2000)
#
# Serves N photo-like JPEGs (bench/make-photos: 320x240 … 1600x1200, 30–400 KB)
# with nginx on 127.0.0.1, runs `clipcrawl fetch` on them with
# --image-size 256 --resize-mode keep_ratio --encode-format jpg --encode-quality 95,
# and reports samples/s, CPU ms per sample (user+sys of the whole process:
# HTTP, decode, resize, encode, zstd, SQLite) and peak RSS.
# Beside it, in the same run, the baseline: the same decode+resize+encode
# done the way img2dataset does it in Python (Pillow decode, resize, JPEG
# q95 encode; no HTTP, no storage — so the baseline is flattered), when
# python3-pil is installed. img2dataset itself cannot be installed here
# (no PyPI); its published cost on this kind of machine is 45–50 CPU-ms/sample.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
n=${2:-2000}
bin=$build/cli/clipcrawl
photos=$build/bench/make-photos
work=$(mktemp -d)
chmod 755 "$work"   # nginx workers run as www-data
[ -n "${KEEP:-}" ] || trap 'kill $(cat $work/nginx.pid 2>/dev/null) 2>/dev/null || true; rm -rf "$work"' EXIT

mkdir -p "$work/site/img" "$work/nginx"
"$photos" "$work/site/img" "$n" 1 >/dev/null
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cat > "$work/nginx/nginx.conf" <<CONF
worker_processes 1;
daemon on;
pid $work/nginx.pid;
error_log $work/nginx/error.log;
events { worker_connections 1024; }
http {
  access_log off;
  server { listen 127.0.0.1:$port; root $work/site; }
}
CONF
/usr/sbin/nginx -p "$work/nginx" -c "$work/nginx/nginx.conf"
{ echo "url"; for f in "$work"/site/img/*.jpg; do echo "http://127.0.0.1:$port/img/$(basename "$f")"; done; } > "$work/list.csv"
total_kb=$(du -sk "$work/site/img" | cut -f1)
echo "site: $n JPEGs, $((total_kb / 1024)) MiB, on 127.0.0.1:$port"

/usr/bin/time -f '%e %U %S %M' -o "$work/time" \
  "$bin" fetch "$work/list.csv" -o "$work/out" --allow-private -q \
  --image-size 256 --resize-mode keep_ratio --encode-format jpg --encode-quality 95 >"$work/fetch.out" || { cat "$work/fetch.out"; exit 1; }
read -r wall user sys rss < "$work/time"
accepted=$(sqlite3 "$work/out/index.sqlite" "SELECT count(*) FROM items WHERE status='accepted'")
python3 - "$wall" "$user" "$sys" "$rss" "$accepted" <<'PY'
import sys
wall, user, sys_, rss, acc = float(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
print(f"clipcrawl fetch: {acc} samples in {wall:.2f} s = {acc / wall:.1f} samples/s; "
      f"{(user + sys_) * 1000 / max(acc, 1):.2f} CPU-ms/sample; peak RSS {rss / 1024:.1f} MiB")
PY

if /usr/bin/python3 -c 'import PIL' 2>/dev/null; then
  /usr/bin/python3 - "$work/site/img" <<'PY'
import io, os, sys, time
from PIL import Image
d = sys.argv[1]
files = sorted(os.listdir(d))
t0 = time.process_time()
for f in files:
    im = Image.open(os.path.join(d, f)).convert("RGB")
    w, h = im.size
    s = 256 / min(w, h)
    im = im.resize((max(1, round(w * s)), max(1, round(h * s))), Image.LANCZOS)
    im.save(io.BytesIO(), "JPEG", quality=95)
ms = (time.process_time() - t0) * 1000 / len(files)
print(f"baseline (Pillow decode+resize+encode only, img2dataset's way): {ms:.2f} CPU-ms/sample")
PY
else
  echo "baseline: python3-pil not installed (apt-get install python3-pil) — skipped"
fi
