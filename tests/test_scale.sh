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
ok()   { pass=$((pass + 1)); echo "ok   $*"; }
bad()  { fail=$((fail + 1)); echo "FAIL $*"; }
check() { local what=$1; shift; if "$@"; then ok "$what"; else bad "$what"; fi; }
sql()  { "$bin" query "$1" --format tsv --no-header --sql "$2"; }

# The example site on 8 loopback hosts (127.0.0.1 .. 127.0.0.8), one port.
python3 "$src/tests/multihost_server.py" "$src/examples/site" 8 --access-log "$work/access.log" > "$work/port" &
server=$!
for _ in $(seq 100); do [ -s "$work/port" ] && break; sleep 0.1; done
port=$(cat "$work/port")
[ -n "$port" ] || { echo "FAIL server did not start"; echo "0 passed, 1 failed"; exit 1; }

# The image list, URLs spread round-robin over the 8 hosts.
awk -v port="$port" -F'\t' 'NR == 1 { print; next } { printf "http://127.0.0.%d:%s%s\t%s\n", (NR % 8) + 1, port, $1, $2 }' \
  "$src/examples/site/images.tsv" > "$work/list.tsv"
common=(--allow-private --image-size 64 --resize-mode keep_ratio -q)

# Reference: one machine, the whole list.
"$bin" fetch "$work/list.tsv" -o "$work/single" "${common[@]}" >/dev/null 2>"$work/single.err"
check "single run" test -f "$work/single/index.sqlite"
outcomes() {  # every row as url<TAB>status<TAB>reason<TAB>sha256, sorted
  for d in "$@"; do sql "$d" "SELECT url, status, coalesce(reason,''), coalesce(sha256,'') FROM items"; done | sort
}

# Four parts, one of them killed mid-run and resumed.
for i in 0 1 2 3; do
  "$bin" fetch "$work/list.tsv" -o "$work/parts/part-$i" --part "$i/4" "${common[@]}" >/dev/null 2>"$work/part-$i.err" \
    || bad "part $i exit status ($(head -1 "$work/part-$i.err"))"
done
check "every part has _SUCCESS" test -f "$work/parts/part-0/_SUCCESS" -a -f "$work/parts/part-1/_SUCCESS" \
  -a -f "$work/parts/part-2/_SUCCESS" -a -f "$work/parts/part-3/_SUCCESS"
check "union of parts equals the single run" \
  diff <(outcomes "$work/single") <(outcomes "$work"/parts/part-{0,1,2,3})
hosts_in_two=$(for i in 0 1 2 3; do sql "$work/parts/part-$i" \
  "SELECT DISTINCT substr(url, 1, instr(substr(url, 8), ':') + 6) FROM items"; done | sort | uniq -d | wc -l)
check "no host in two parts" test "$hosts_in_two" = 0
nonempty=0
for i in 0 1 2 3; do [ "$(sql "$work/parts/part-$i" "SELECT count(*) FROM items")" -gt 0 ] && nonempty=$((nonempty + 1)); done
check "the split is not degenerate ($nonempty of 4 parts hold rows)" test "$nonempty" -ge 3

# --part auto from the Slurm environment, and its errors.
SLURM_ARRAY_TASK_ID=2 SLURM_ARRAY_TASK_COUNT=4 "$bin" fetch "$work/list.tsv" -o "$work/auto2" --part auto "${common[@]}" >/dev/null 2>&1
check "--part auto (Slurm env) equals --part 2/4" diff <(outcomes "$work/auto2") <(outcomes "$work/parts/part-2")
env -u SLURM_ARRAY_TASK_ID "$bin" fetch "$work/list.tsv" -o "$work/noenv" --part auto "${common[@]}" >/dev/null 2>"$work/noenv.err"
rc=$?
check "--part auto without a scheduler fails (exit $rc)" test $rc -ne 0 -a ! -e "$work/noenv/index.sqlite"
"$bin" fetch "$work/list.tsv" -o "$work/badpart" --part 4/4 "${common[@]}" >/dev/null 2>&1
check "--part 4/4 is refused" test $? -eq 2 -a ! -e "$work/badpart"

# A part killed at random moments and resumed, then merged: clean under verify.
for k in 1 2 3; do
  "$bin" fetch "$work/list.tsv" -o "$work/killed/part-1" --part 1/4 "${common[@]}" --concurrency 2 >/dev/null 2>&1 &
  pid=$!
  sleep "0.$((k * 3))"
  kill -9 $pid 2>/dev/null; wait $pid 2>/dev/null
done
check "a killed part has no _SUCCESS" test ! -f "$work/killed/part-1/_SUCCESS"
"$bin" merge "$work/parts/part-0" "$work/killed/part-1" -o "$work/refused" >/dev/null 2>"$work/refused.err"
rc=$?
check "merge refuses a part without _SUCCESS (exit $rc: $(head -1 "$work/refused.err"))" test $rc -ne 0 -a ! -e "$work/refused"
"$bin" fetch "$work/list.tsv" -o "$work/killed/part-1" --part 1/4 "${common[@]}" >/dev/null 2>&1
check "the resumed part completes" test -f "$work/killed/part-1/_SUCCESS"
"$bin" merge "$work/parts/part-0" "$work/killed/part-1" "$work/parts/part-2" "$work/parts/part-3" -o "$work/merged" >/dev/null 2>"$work/merge.err"
check "merge exits 0 ($(head -1 "$work/merge.err"))" test $? -eq 0
check "merged equals the single run" diff <(outcomes "$work/single") <(outcomes "$work/merged")
check "merged verifies clean" "$bin" verify "$work/merged" -q
keys=$(sql "$work/merged" "SELECT count(key) - count(DISTINCT key) FROM items")
check "merged keys are unique" test "$keys" = 0
check "merged samples read back like the single run's" diff \
  <(for k in $(sql "$work/merged" "SELECT key FROM items WHERE status='accepted' ORDER BY url LIMIT 5"); do "$bin" cat "$work/merged" "$k" --member txt; done) \
  <(for k in $(sql "$work/single" "SELECT key FROM items WHERE status='accepted' ORDER BY url LIMIT 5"); do "$bin" cat "$work/single" "$k" --member txt; done)
"$bin" merge "$work/parts/part-0" "$work/killed/part-1" -o "$work/merged" >/dev/null 2>&1
check "merge into an existing dataset is refused" test $? -ne 0

# query and stats over several DIRs.
n_single=$(sql "$work/single" "SELECT count(*) FROM items WHERE status='accepted'")
n_multi=$("$bin" query "$work"/parts/part-{0,1,2,3} --format jsonl --status accepted --limit 100000 | wc -l)
check "query over 4 parts returns the single run's samples ($n_multi vs $n_single)" test "$n_multi" = "$n_single"
acc_stats=$("$bin" stats "$work"/parts/part-{0,1,2,3} | python3 -c 'import json,sys; print(json.load(sys.stdin)["accepted"])')
check "stats over 4 parts adds up ($acc_stats vs $n_single)" test "$acc_stats" = "$n_single"

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
    check "slurm: merged equals the single run" diff <(outcomes "$work/single") <(outcomes "$work/sl/merged")
    check "slurm: merged verifies clean" "$bin" verify "$work/sl/merged" -q
    # A lost part: resubmit-missing.sh runs only that index, then merges again.
    rm -rf "$work/sl/part-2" "$work/sl/merged"
    CLIPCRAWL="$bin" bash "$src/scripts/slurm/resubmit-missing.sh" 4 "$work/sl" fetch "$work/list.tsv" "${common[@]}" >/dev/null 2>&1
    for _ in $(seq 600); do [ -z "$(squeue -h 2>/dev/null)" ] && break; sleep 0.2; done
    check "slurm: resubmitted part 2 and merged again" diff <(outcomes "$work/single") <(outcomes "$work/sl/merged")
    unset SLURM_CONF
  else
    bad "slurm: cluster did not start: $(tail -1 "$work/slurm.err")"
  fi
fi

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
