#!/usr/bin/env bash
# Installs the Debian packages Backbeat needs to build, test or run.
# Used by the Makefile (make build/run/test) and the Dockerfile, so all three agree.
#   scripts/setup.sh build   compiler, libraries and build tools
#   scripts/setup.sh test    build + what the tests drive (node, chromium, curl, jq, ffmpeg, wrk)
#   scripts/setup.sh bench   build + the benchmark peers (nginx, FastAPI + uvicorn)
#   scripts/setup.sh runtime only the shared libraries the binary links
set -euo pipefail

build_pkgs=(g++ make cmake ninja-build ccache pkg-config
  libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev
  libsqlite3-dev libsqlitecpp-dev libsodium-dev libssl-dev libfmt-dev doctest-dev
  libavformat-dev libavcodec-dev libavfilter-dev libswresample-dev libavutil-dev zlib1g-dev
  libcurl4-openssl-dev libcairo2-dev libpango1.0-dev)
test_pkgs=(nodejs npm chromium curl jq ffmpeg wrk sqlite3 libxml2-utils python3-aiosmtpd openssl poppler-utils
  fonts-dejavu-core)
bench_pkgs=(wrk curl jq sqlite3 ffmpeg nginx-light python3-fastapi python3-uvicorn python3-uvloop python3-httptools)
runtime_pkgs=(libboost-json1.81.0 libboost-url1.81.0 libsqlite3-0 libsodium23
  libssl3 libfmt9 libavformat59 libavcodec59 libavfilter8 libswresample4 libavutil57 zlib1g libcurl4 libcairo2
  libpango-1.0-0 libpangocairo-1.0-0 fonts-dejavu-core curl ca-certificates)

case "${1:-build}" in
  build) wanted=("${build_pkgs[@]}") ;;
  test) wanted=("${build_pkgs[@]}" "${test_pkgs[@]}") ;;
  bench) wanted=("${build_pkgs[@]}" "${bench_pkgs[@]}") ;;
  runtime) wanted=("${runtime_pkgs[@]}") ;;
  *) echo "usage: $0 build|test|bench|runtime" >&2; exit 2 ;;
esac

missing=()
for pkg in "${wanted[@]}"; do
  # node may come from elsewhere (nodesource); a working binary is enough.
  if [ "$pkg" = nodejs ] && command -v node >/dev/null; then continue; fi
  if [ "$pkg" = npm ] && command -v npm >/dev/null; then continue; fi
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0

sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"
echo "setup: installing ${missing[*]}" >&2
# Another apt (a second make, unattended-upgrades) may hold the lock: wait for it, do not fail.
$sudo apt-get -o DPkg::Lock::Timeout=600 update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${missing[@]}" >&2
