#!/usr/bin/env bash
# Configures (once) and builds clipcrawl into build/ (or $BUILD_DIR).
#   SANITIZE=1  AddressSanitizer + UBSan (-Dsanitize=true) into build-asan/
#   FUZZ=1      libFuzzer programs with clang (-Dfuzz=true) into build-fuzz/
#   WERROR=1    warnings are errors (-Dwerror=true); applies to an existing
#               build directory too
# Any further arguments are ninja targets (default: everything).
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${BUILD_DIR:-build}
opts=()
if [ "${FUZZ:-0}" = 1 ]; then
  dir=${BUILD_DIR:-build-fuzz}
  opts+=(-Dfuzz=true)
  export CC=${CC:-clang} CXX=${CXX:-clang++}
elif [ "${SANITIZE:-0}" = 1 ]; then
  dir=${BUILD_DIR:-build-asan}
  opts+=(-Dsanitize=true)
fi
if [ "${WERROR:-0}" = 1 ]; then
  opts+=(-Dwerror=true)
fi
if [ ! -f "$dir/build.ninja" ]; then
  meson setup "$dir" "${opts[@]}" >/dev/null
elif [ ${#opts[@]} -gt 0 ]; then
  meson configure "$dir" "${opts[@]}" >/dev/null
fi
ninja -C "$dir" -j"$(nproc)" --quiet "$@"
