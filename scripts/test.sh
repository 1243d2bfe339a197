#!/usr/bin/env bash
# The whole test suite: installs the Debian packages, builds, runs every test
# (meson test), and ends with one "N passed, N failed" line.
# SANITIZE=1 runs the same suite under ASan/UBSan in build-asan/ (slower: meson's
# per-test timeouts are tripled there; any sanitizer report fails the test).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/build.sh
dir=${BUILD_DIR:-build}
extra=()
if [ "${SANITIZE:-0}" = 1 ]; then
  dir=${BUILD_DIR:-build-asan}
  extra=(--timeout-multiplier 3)
fi
# A leak, an invalid access or any undefined behaviour stops the program with
# a report and SIGABRT (status 134, never the exit 1 a test may expect from a
# refused input), so its test fails.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:halt_on_error=1:abort_on_error=1:print_stacktrace=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1:abort_on_error=1}
status=0
meson test -C "$dir" --print-errorlogs --num-processes "$(nproc)" --logbase testlog "${extra[@]}" ${MESON_TEST_ARGS:-} || status=$?
# One closing line for CI, counted from meson's own log.
python3 - "$dir/meson-logs/testlog.json" <<'PY'
import json, sys
passed = failed = skipped = 0
for line in open(sys.argv[1]):
    r = json.loads(line)["result"]
    if r in ("OK", "EXPECTEDFAIL"):
        passed += 1
    elif r == "SKIP":
        skipped += 1
    else:
        failed += 1
print(f"{passed} passed, {failed} failed" + (f", {skipped} skipped" if skipped else ""))
PY
exit $status
