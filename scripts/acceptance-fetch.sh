#!/usr/bin/env bash
# Issue 2's "Done when" for `clipcrawl fetch`, as one script (not part of the
# test suite: it takes a minute or two).
#
#   scripts/acceptance-fetch.sh [BUILD_DIR] [N_IMAGES] [KILLS]   (build, 2000, 3)
#
# 1. generates N photo-like JPEGs (bench/make-photos: 320x240 … 1600x1200,
#    30–400 KB) and serves them with nginx on 127.0.0.1;
# 2. run A: `fetch` of the list, uninterrupted;
# 3. run B: the same list into another directory, killed with kill -9 at
#    KILLS random moments, then rerun to completion;
# 4. checks: every image accepted exactly once in both runs (no duplicate
#    URL or key); `tar --zstd -tf` of every shard lists KEY.jpg/.txt/.json for
#    each indexed key in order, and sealed shards end with the tar end blocks;
#    `clipcrawl cat` returns the exact bytes `tar -x` extracts (every image,
#    and the txt/json of every 10th key); each sample's sha256 is that of the
#    served file; `verify` is clean; run B holds the same
#    (url, sha256, stored-member sha256, caption) set as run A.
# Prints PASS/FAIL lines and figures; exits 1 if any check failed.
set -uo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
n=${2:-2000}
kills=${3:-3}
bin=$(realpath "$build/cli/clipcrawl")
photos=$build/bench/make-photos
for tool in "$bin" "$photos"; do
  [ -x "$tool" ] || { echo "missing $tool (build first: ninja -C $build)"; exit 2; }
done
for tool in /usr/sbin/nginx sqlite3 zstd tar sha256sum python3; do
  command -v "$tool" >/dev/null || { echo "missing $tool (scripts/install-deps.sh)"; exit 2; }
done

work=$(mktemp -d)
chmod 755 "$work"
cleanup() { [ -f "$work/nginx.pid" ] && kill "$(cat "$work/nginx.pid")" 2>/dev/null; [ -n "${KEEP:-}" ] && echo "kept $work" || rm -rf "$work"; }
trap cleanup EXIT
fails=0
calc() { awk "BEGIN { printf \"%.${2:-3}f\", $1 }"; }
check() { # check "what" COND-EXIT-STATUS
  if [ "$2" = 0 ]; then echo "PASS $1"; else echo "FAIL $1"; fails=$((fails + 1)); fi
}

t0=$(date +%s.%N)
mkdir -p "$work/site/img" "$work/nginx"
"$photos" "$work/site/img" "$n" 2 2>&1 | sed 's/^/  /'
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cat > "$work/nginx/nginx.conf" <<CONF
worker_processes 1;
daemon on;
pid $work/nginx.pid;
error_log $work/nginx/error.log;
events { worker_connections 1024; }
http {
  types { image/jpeg jpg; }
  access_log off;
  client_body_temp_path $work/nginx/body; proxy_temp_path $work/nginx/proxy;
  fastcgi_temp_path $work/nginx/fcgi; uwsgi_temp_path $work/nginx/uwsgi; scgi_temp_path $work/nginx/scgi;
  keepalive_requests 100000;
  server { listen 127.0.0.1:$port; root $work/site; }
}
CONF
/usr/sbin/nginx -p "$work/nginx" -c "$work/nginx/nginx.conf" || { echo "nginx failed"; exit 2; }
# list + the sha256 of every served file
{
  echo "url,caption"
  i=0
  for f in "$work"/site/img/*.jpg; do
    echo "http://127.0.0.1:$port/img/$(basename "$f"),\"generated landscape photo number $i, with \"\"quotes\"\" and a comma\""
    i=$((i + 1))
  done
} > "$work/list.csv"
(cd "$work/site/img" && sha256sum -- *.jpg | awk -v p="http://127.0.0.1:$port/img/" '{print p $2 "|" $1}' | sort) > "$work/served.txt"
t1=$(date +%s.%N)
echo "site: $n JPEGs, $(du -sm "$work/site/img" | cut -f1) MiB, made in $(calc "$t1 - $t0" 1) s"

opts=(--allow-private -q)

# ---- run A: uninterrupted
/usr/bin/time -f '%e %U %S %M' -o "$work/timeA" "$bin" fetch "$work/list.csv" -o "$work/A" "${opts[@]}" > "$work/A.out"
check "run A exits 0: $(cat "$work/A.out")" $?
read -r wall user sys rss < "$work/timeA"
echo "run A: $n rows in $wall s = $(calc "$n / $wall" 1) rows/s; $(calc "($user + $sys) * 1000 / $n" 2) CPU-ms/row; peak RSS $((rss / 1024)) MiB"

# ---- run B: kill -9 at random moments, then rerun
killed=0
for k in $(seq 1 "$kills"); do
  before=$(sqlite3 "$work/B/index.sqlite" "SELECT count(*) FROM items" 2>/dev/null || echo 0)
  # a moment in the first 15–85 % of what is left of an uninterrupted run
  left=$(calc "$wall * ($n - $before) / $n")
  when=$(python3 -c "import random; print(round($left * random.uniform(0.15, 0.85), 3))")
  "$bin" fetch "$work/list.csv" -o "$work/B" "${opts[@]}" > /dev/null 2>&1 &
  pid=$!
  sleep "$when"
  if kill -9 "$pid" 2>/dev/null; then killed=$((killed + 1)); state=killed; else state="had finished"; fi
  wait "$pid" 2>/dev/null
  after=$(sqlite3 "$work/B/index.sqlite" "SELECT count(*) FROM items" 2>/dev/null || echo 0)
  echo "run B: kill -9 #$k at $when s ($state): $before rows committed before, $after after"
done
"$bin" fetch "$work/list.csv" -o "$work/B" "${opts[@]}" > "$work/B.out"
check "run B rerun exits 0: $(cat "$work/B.out")" $?
check "at least one kill -9 interrupted run B ($killed of $kills)" "$([ "$killed" -ge 1 ]; echo $?)"

# ---- checks on both directories
for d in A B; do
  db="$work/$d/index.sqlite"
  q() { sqlite3 "$db" "$1"; }
  check "$d: $n accepted, each URL and key once" \
    "$([ "$(q "SELECT count(*), count(DISTINCT url), count(DISTINCT key) FROM items WHERE status='accepted'")" = "$n|$n|$n" ]; echo $?)"
  check "$d: no other outcome" "$([ "$(q "SELECT count(*) FROM items WHERE status<>'accepted'")" = 0 ]; echo $?)"
  q "SELECT url || '|' || sha256 FROM items WHERE status='accepted' ORDER BY 1" > "$work/$d.sha"
  cmp -s "$work/served.txt" "$work/$d.sha"
  check "$d: each sample's sha256 is that of the served file" $?
  bad=0
  mkdir -p "$work/x$d"
  while IFS='|' read -r no path state; do
    shard="$work/$d/$path"
    q "SELECT key || '.' || image_format || char(10) || key || '.txt' || char(10) || key || '.json'
       FROM items WHERE status='accepted' AND shard_no=$no ORDER BY frame_offset" > "$work/want.lst"
    tar --zstd -tf "$shard" > "$work/got.lst" || bad=1
    cmp -s "$work/want.lst" "$work/got.lst" || { echo "  $shard: tar listing differs from the index"; bad=1; }
    if [ "$state" = sealed ]; then
      tail=$(zstd -dcq "$shard" | tail -c 1024 | tr -d '\0' | wc -c)
      [ "$tail" = 0 ] || { echo "  $shard: no end blocks"; bad=1; }
    fi
    tar --zstd -xf "$shard" -C "$work/x$d" || bad=1
  done < <(q "SELECT shard_no, path, state FROM shards ORDER BY shard_no")
  check "$d: tar lists KEY.jpg/.txt/.json for every key, in order; sealed shards end with zero blocks" $bad
  bad=0
  i=0
  for key in $(q "SELECT key FROM items WHERE status='accepted' ORDER BY key"); do
    "$bin" cat "$work/$d" "$key" | cmp -s - "$work/x$d/$key.jpg" || { echo "  cat $key differs"; bad=1; }
    if [ $((i % 10)) = 0 ]; then
      "$bin" cat "$work/$d" "$key" --member txt | cmp -s - "$work/x$d/$key.txt" || { echo "  cat $key txt differs"; bad=1; }
      "$bin" cat "$work/$d" "$key" --member json | cmp -s - "$work/x$d/$key.json" || { echo "  cat $key json differs"; bad=1; }
    fi
    i=$((i + 1))
  done
  check "$d: cat returns the exact member bytes (all $i images, txt/json of every 10th)" $bad
  "$bin" verify "$work/$d" > "$work/verify$d.out" 2>&1
  check "$d: verify clean: $(tail -1 "$work/verify$d.out")" $?
done

sqlite3 "$work/B/index.sqlite" "ATTACH '$work/A/index.sqlite' AS a;
  SELECT count(*) FROM (SELECT url, sha256, member_sha256, caption FROM main.items WHERE status='accepted'
                        EXCEPT SELECT url, sha256, member_sha256, caption FROM a.items WHERE status='accepted');
  SELECT count(*) FROM (SELECT url, sha256, member_sha256, caption FROM a.items WHERE status='accepted'
                        EXCEPT SELECT url, sha256, member_sha256, caption FROM main.items WHERE status='accepted');" > "$work/diff.txt"
check "killed+rerun B has the same samples as uninterrupted A (url, sha256, stored bytes, caption)" \
  "$([ "$(tr '\n' ' ' < "$work/diff.txt")" = "0 0 " ]; echo $?)"
echo "shards: A $(ls "$work/A/shards" | wc -l), B $(ls "$work/B/shards" | wc -l); stored $(du -sm "$work/A/shards" | cut -f1) MiB"
echo "total $(calc "$(date +%s.%N) - $t0" 0) s; $fails failed"
[ "$fails" = 0 ]
