#!/usr/bin/env bash
# Installs every Debian package clipcrawl needs to build, test and run its demo.
# Idempotent: packages already present are left alone. Needs root (or sudo).
set -euo pipefail

packages=(
  build-essential meson ninja-build pkg-config
  libcurl4-openssl-dev libxml2-dev libturbojpeg0-dev libjpeg62-turbo-dev libpng-dev
  libsqlite3-dev libzstd-dev libsnappy-dev liblz4-dev libwebp-dev libdnnl-dev libutf8proc-dev libcld2-dev
  libpsl-dev publicsuffix libidn2-dev libgif-dev
  zlib1g-dev libbrotli-dev
  zstd sqlite3 nginx-light python3 tar
  chromium python3-numpy   # tests: report rendered headless; export-embeddings read by NumPy
  slurm-wlm munge
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
echo "install-deps: installed ${missing[*]}"
