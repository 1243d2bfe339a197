#!/usr/bin/env bash
# Partitioned runs (--part), merge, several DIRs in query/stats, and the Slurm
# scripts on a real one-node cluster. Run by meson (suite 'scale') with
# CLIPCRAWL_BIN and CLIPCRAWL_SRC set. Prints "N passed, N failed" at the end.
set -uo pipefail
bin=${CLIPCRAWL_BIN:?}
src=${CLIPCRAWL_SRC:?}
work=$(mktemp -d /tmp/cc-scale.XXXXXX)
pass=0; fail=0; server=""
cleanup() {
  [ -n "$server" ] && kill "$server" 2>/dev/null
  [ -f "$work/slurm/slurm.conf" ] && bash "$src/scripts/slurm/cluster.sh" stop "$work/slurm" >/dev/null 2>&1
  rm -rf "$work"
}
trap cleanup EXIT
trap "exit 1" INT TERM
ok()   { pass=$((pass + 1)); echo "ok   $*"; }
bad()  { fail=$((fail + 1)); echo "FAIL $*"; }
check() { local what=$1; shift; if "$@"; then ok "$what"; else bad "$what"; fi; }
sql()  { "$bin" query "$1" --format tsv --no-header --sql "$2"; }

# The example site on 8 loopback hosts (127.0.0.1 .. 127.0.0.8), one port.
python3 "$src/tests/multihost_server.py" "$src/examples/site" 8 --access-log "$work/access.log" \
  --delay-file "$work/delay" > "$work/port" 2>/dev/null &
server=$!
for _ in $(seq 100); do [ -s "$work/port" ] && break; sleep 0.1; done
port=$(cat "$work/port")
[ -n "$port" ] || { echo "FAIL server did not start"; echo "0 passed, 1 failed"; exit 1; }

# The image list, URLs spread round-robin over the 8 hosts, plus 6 images listed
# again on another host (same bytes, another URL: a duplicate across parts).
awk -v port="$port" -F'\t' 'NR == 1 { print; next }
  { printf "http://127.0.0.%d:%s%s\t%s\n", (NR % 8) + 1, port, $1, $2 }
  NR >= 2 && NR <= 7 { printf "http://127.0.0.%d:%s%s\t%s\n", ((NR + 3) % 8) + 1, port, $1, $2 }' \
  "$src/examples/site/images.tsv" > "$work/list.tsv"
common=(--allow-private --image-size 64 --resize-mode keep_ratio -q)

# Reference: one machine, the whole list.
"$bin" fetch "$work/list.tsv" -o "$work/single" "${common[@]}" >/dev/null 2>"$work/single.err"
check "single run" test -f "$work/single/index.sqlite"
# What must agree between one run and the union of parts. Which of two equal
# images is kept depends on download order, so duplicates are compared by
# the bytes that were kept and by their count, every other row by URL.
outcomes() {
  for d in "$@"; do sql "$d" "SELECT 'row', url, status, coalesce(reason,'') FROM items
                             WHERE status != 'accepted' AND coalesce(reason,'') != 'duplicate'"; done
  for d in "$@"; do sql "$d" "SELECT 'kept', sha256 FROM items WHERE status = 'accepted'"; done
  for d in "$@"; do sql "$d" "SELECT 'dup', sha256 FROM items WHERE reason = 'duplicate'"; done
}
same_merged() {  # a merged set against the single run: duplicates resolved again
  diff <(outcomes "$1" | sort) <(outcomes "$2" | sort)
}

# Four parts, one of them killed mid-run and resumed.
for i in 0 1 2 3; do
  "$bin" fetch "$work/list.tsv" -o "$work/parts/part-$i" --part "$i/4" "${common[@]}" >/dev/null 2>"$work/part-$i.err" \
    || bad "part $i exit status ($(head -1 "$work/part-$i.err"))"
done
check "every part has _SUCCESS" test -f "$work/parts/part-0/_SUCCESS" -a -f "$work/parts/part-1/_SUCCESS" \
  -a -f "$work/parts/part-2/_SUCCESS" -a -f "$work/parts/part-3/_SUCCESS"
n_dup=$(sql "$work/single" "SELECT count(*) FROM items WHERE reason = 'duplicate'")
check "the list holds duplicates across hosts ($n_dup)" test "$n_dup" -ge 6
check "union of parts: the same rows and images as the single run" diff \
  <(outcomes "$work"/parts/part-{0,1,2,3} | grep -v '^dup' | sort -u) <(outcomes "$work/single" | grep -v '^dup' | sort -u)
hosts_in_two=$(for i in 0 1 2 3; do sql "$work/parts/part-$i" \
  "SELECT DISTINCT substr(url, 1, instr(substr(url, 8), ':') + 6) FROM items"; done | sort | uniq -d | wc -l)
check "no host in two parts" test "$hosts_in_two" = 0
nonempty=0
for i in 0 1 2 3; do [ "$(sql "$work/parts/part-$i" "SELECT count(*) FROM items")" -gt 0 ] && nonempty=$((nonempty + 1)); done
check "the split is not degenerate ($nonempty of 4 parts hold rows)" test "$nonempty" -ge 3

# --part auto from the Slurm environment, and its errors.
SLURM_ARRAY_TASK_ID=2 SLURM_ARRAY_TASK_COUNT=4 "$bin" fetch "$work/list.tsv" -o "$work/auto2" --part auto "${common[@]}" >/dev/null 2>&1
check "--part auto (Slurm env) equals --part 2/4" diff <(outcomes "$work/auto2" | sort) <(outcomes "$work/parts/part-2" | sort)
env -u SLURM_ARRAY_TASK_ID "$bin" fetch "$work/list.tsv" -o "$work/noenv" --part auto "${common[@]}" >/dev/null 2>"$work/noenv.err"
rc=$?
check "--part auto without a scheduler fails (exit $rc)" test $rc -ne 0 -a ! -e "$work/noenv/index.sqlite"
"$bin" fetch "$work/list.tsv" -o "$work/badpart" --part 4/4 "${common[@]}" >/dev/null 2>&1
check "--part 4/4 is refused" test $? -eq 2 -a ! -e "$work/badpart"

# A part killed three times in the middle (the server answers slowly meanwhile)
# and resumed, then merged: clean under verify.
echo 0.3 > "$work/delay"
for k in 1 2 3; do
  "$bin" fetch "$work/list.tsv" -o "$work/killed/part-1" --part 1/4 "${common[@]}" --concurrency 2 >/dev/null 2>&1 &
  pid=$!
  # Kill once the index holds more rows than before: in the middle, whatever the load.
  before=$(sqlite3 "$work/killed/part-1/index.sqlite" "SELECT count(*) FROM items" 2>/dev/null || echo 0)
  for _ in $(seq 300); do
    kill -0 $pid 2>/dev/null || break
    now=$(sqlite3 "$work/killed/part-1/index.sqlite" "SELECT count(*) FROM items" 2>/dev/null || echo 0)
    [ "${now:-0}" -gt "${before:-0}" ] && break
    sleep 0.05
  done
  kill -9 $pid 2>/dev/null; wait $pid 2>/dev/null
done
rm -f "$work/delay"
n_killed=$(sql "$work/killed/part-1" "SELECT count(*) FROM items")
check "the killed part kept some rows ($n_killed)" test "$n_killed" -gt 0
check "a killed part has no _SUCCESS" test ! -f "$work/killed/part-1/_SUCCESS"
"$bin" merge "$work/parts/part-0" "$work/killed/part-1" -o "$work/refused" >/dev/null 2>"$work/refused.err"
rc=$?
check "merge refuses a part without _SUCCESS (exit $rc: $(head -1 "$work/refused.err"))" test $rc -ne 0 -a ! -e "$work/refused"
"$bin" merge "$work/parts/part-0" "$work/killed/part-1" -o "$work/partial" --allow-incomplete >/dev/null 2>&1
check "merge --allow-incomplete takes a killed part (exit $?)" test -f "$work/partial/_SUCCESS"
check "the partial merge verifies clean" "$bin" verify "$work/partial"
"$bin" fetch "$work/list.tsv" -o "$work/killed/part-1" --part 1/4 "${common[@]}" >/dev/null 2>&1
check "the resumed part completes" test -f "$work/killed/part-1/_SUCCESS"
"$bin" merge "$work/parts/part-0" "$work/killed/part-1" "$work/parts/part-2" "$work/parts/part-3" -o "$work/merged" >/dev/null 2>"$work/merge.err"
check "merge exits 0 ($(head -1 "$work/merge.err"))" test $? -eq 0
check "merged equals the single run" same_merged "$work/single" "$work/merged"
n_dup_m=$(sql "$work/merged" "SELECT count(*) FROM items WHERE reason = 'duplicate' AND duplicate_of IS NOT NULL")
check "merge marked the cross-part duplicates ($n_dup_m)" test "$n_dup_m" = "$n_dup"
check "merged verifies clean" "$bin" verify "$work/merged"
keys=$(sql "$work/merged" "SELECT count(key) - count(DISTINCT key) FROM items")
check "merged keys are unique" test "$keys" = 0
check "merged samples read back like the single run's" diff \
  <(for k in $(sql "$work/merged" "SELECT key FROM items WHERE status='accepted' ORDER BY sha256 LIMIT 5"); do "$bin" cat "$work/merged" "$k" --member txt; done) \
  <(for k in $(sql "$work/single" "SELECT key FROM items WHERE status='accepted' ORDER BY sha256 LIMIT 5"); do "$bin" cat "$work/single" "$k" --member txt; done)
"$bin" merge "$work/parts/part-0" "$work/killed/part-1" -o "$work/merged" >/dev/null 2>&1
check "merge into an existing dataset is refused" test $? -ne 0

# crawl --part: seeds on 8 hosts; each part crawls its own hosts' pages.
for k in 1 2 3 4 5 6 7 8; do printf "http://127.0.0.%d:%s/page%02d.html\n" "$k" "$port" $((k - 1)); done > "$work/seeds.txt"
ccommon=(--allow-private --depth 1 --host-delay 0 --image-size 64 -q)
"$bin" crawl "$work/seeds.txt" -o "$work/crawl-single" "${ccommon[@]}" >/dev/null 2>&1
for i in 0 1 2; do
  "$bin" crawl "$work/seeds.txt" -o "$work/crawl-part-$i" --part "$i/3" "${ccommon[@]}" >/dev/null 2>&1
done
check "crawl parts have _SUCCESS" test -f "$work/crawl-part-0/_SUCCESS" -a -f "$work/crawl-part-1/_SUCCESS" -a -f "$work/crawl-part-2/_SUCCESS"
pages_two=$(for i in 0 1 2; do sql "$work/crawl-part-$i" "SELECT DISTINCT substr(url, 1, instr(substr(url, 8), ':') + 6) FROM crawl_pages"; done | sort | uniq -d | wc -l)
check "no page host crawled by two parts" test "$pages_two" = 0
"$bin" merge "$work"/crawl-part-{0,1,2} -o "$work/crawl-merged" >/dev/null 2>&1
check "crawl: merged equals the single crawl" same_merged "$work/crawl-single" "$work/crawl-merged"
check "crawl: merged verifies clean" "$bin" verify "$work/crawl-merged"

# query and stats over several DIRs (the parts): one result, sums in "total".
# Unmerged parts still hold the duplicates across parts that merge resolves.
n_single=$(( $(sql "$work/single" "SELECT count(*) FROM items WHERE status='accepted'") + n_dup ))
n_multi=$("$bin" query "$work"/parts/part-{0,1,2,3} --format jsonl --status accepted --limit 100000 | wc -l)
check "query over 4 parts returns the single run's samples ($n_multi vs $n_single)" test "$n_multi" = "$n_single"
n_lim=$("$bin" query "$work"/parts/part-{0,1,2,3} --format csv --no-header --limit 40 | wc -l)
check "--limit counts over all DIRs ($n_lim)" test "$n_lim" = 40
acc_stats=$("$bin" stats "$work"/parts/part-{0,1,2,3} | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["total"]["by_status"]["accepted"], len(d["parts"]))')
check "stats over 4 parts adds up ($acc_stats vs $n_single 4)" test "$acc_stats" = "$n_single 4"

# warc --part: records split by the host of their page; together they list what one run lists.
warcs=("$src"/tests/data/warc/cc-whirlwind/whirlwind.warc.gz "$src"/tests/data/warc/ia-web-commons/IAH-urls-wget.warc.gz \
       "$src"/tests/data/warc/pywb/iana.warc.gz)
"$bin" warc "${warcs[@]}" --no-download 2>/dev/null | sort > "$work/warc-all.jsonl"
for i in 0 1 2; do "$bin" warc "${warcs[@]}" --no-download --part "$i/3" 2>/dev/null; done | sort > "$work/warc-parts.jsonl"
check "warc --no-download: 3 parts list what one run lists ($(wc -l < "$work/warc-all.jsonl") images)" \
  test -s "$work/warc-all.jsonl" -a "$(cat "$work/warc-all.jsonl" | md5sum)" = "$(cat "$work/warc-parts.jsonl" | md5sum)"

# Slurm: a real one-node cluster, 4 array tasks and a merge job (afterok).
if [ "$(id -u)" != 0 ] || ! command -v slurmctld >/dev/null || ! command -v munged >/dev/null; then
  echo "SKIP slurm: needs root and Debian's slurm-wlm + munge (scripts/install-deps.sh installs them)"
else
  if conf=$(CLIPCRAWL_SLURM_PORT=$((20000 + RANDOM % 20000)) bash "$src/scripts/slurm/cluster.sh" start "$work/slurm" 2>"$work/slurm.err"); then
    eval "$conf"
    ids=$(CLIPCRAWL="$bin" bash "$src/scripts/slurm/submit.sh" 4 "$work/sl" fetch "$work/list.tsv" "${common[@]}")
    for _ in $(seq 600); do [ -z "$(squeue -h 2>/dev/null)" ] && break; sleep 0.2; done
    # sbatch --wait can say 0 for a job cancelled on a failed dependency: trust the markers.
    check "slurm: 4 parts with _SUCCESS (jobs $ids)" test -f "$work/sl/part-0/_SUCCESS" -a -f "$work/sl/part-1/_SUCCESS" \
      -a -f "$work/sl/part-2/_SUCCESS" -a -f "$work/sl/part-3/_SUCCESS"
    check "slurm: merged equals the single run" same_merged "$work/single" "$work/sl/merged"
    check "slurm: merged verifies clean" "$bin" verify "$work/sl/merged"
    # A lost part: resubmit-missing.sh runs only that index, then merges again.
    rm -rf "$work/sl/part-2" "$work/sl/merged"
    CLIPCRAWL="$bin" bash "$src/scripts/slurm/resubmit-missing.sh" 4 "$work/sl" fetch "$work/list.tsv" "${common[@]}" >/dev/null 2>&1
    for _ in $(seq 600); do [ -z "$(squeue -h 2>/dev/null)" ] && break; sleep 0.2; done
    check "slurm: resubmitted part 2 and merged again" same_merged "$work/single" "$work/sl/merged"
    unset SLURM_CONF
  else
    bad "slurm: cluster did not start: $(tail -1 "$work/slurm.err")"
  fi
fi

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
