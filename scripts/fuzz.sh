#!/usr/bin/env bash
# scripts/fuzz.sh TARGET SECONDS — fuzzes one target with libFuzzer.
# Builds build-fuzz/ (clang, -Dfuzz=true: ASan + UBSan + coverage) and runs
# tests/fuzz/fuzz_TARGET for SECONDS (default 60). New inputs collect in
# build-fuzz/corpus/TARGET (kept between runs); tests/fuzz/corpus/TARGET is
# read as seeds and never written. Crashes land in build-fuzz/crashes/; fix
# the bug, then copy the input into tests/fuzz/corpus/TARGET as a regression
# case (the plain build replays it in `meson test --suite fuzz`).
# Needs clang and libclang-rt-dev (Debian: clang libclang-rt-14-dev).
# Extra arguments go to libFuzzer (e.g. -jobs=2, -max_len=65536).
set -euo pipefail
cd "$(dirname "$0")/.."
target=${1:?usage: scripts/fuzz.sh TARGET [SECONDS] [libFuzzer args...]}
secs=${2:-60}
shift $(( $# >= 2 ? 2 : 1 ))
if [ ! -f "tests/fuzz/fuzz_$target.c" ]; then
  echo "fuzz.sh: no target '$target' (tests/fuzz/fuzz_$target.c); have:" \
    $(ls tests/fuzz/fuzz_*.c | sed 's#.*/fuzz_##; s#\.c$##') >&2
  exit 2
fi
FUZZ=1 bash scripts/build.sh "tests/fuzz/fuzz_$target"
work=build-fuzz/corpus/$target
mkdir -p "$work" build-fuzz/crashes "tests/fuzz/corpus/$target"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
exec "build-fuzz/tests/fuzz/fuzz_$target" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
  -print_final_stats=1 -artifact_prefix="build-fuzz/crashes/$target-" "$@" \
  "$work" "tests/fuzz/corpus/$target"
