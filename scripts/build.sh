#!/usr/bin/env bash
# Configures (once) and builds clipcrawl into build/ (or $BUILD_DIR).
# SANITIZE=1 builds with AddressSanitizer + UBSan into build-asan/.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${BUILD_DIR:-build}
opts=()
if [ "${SANITIZE:-0}" = 1 ]; then
  dir=${BUILD_DIR:-build-asan}
  opts+=(-Db_sanitize=address,undefined -Db_lundef=false)
fi
if [ ! -f "$dir/build.ninja" ]; then
  meson setup "$dir" "${opts[@]}" >/dev/null
fi
ninja -C "$dir" -j"$(nproc)" --quiet
