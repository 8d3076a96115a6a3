#!/usr/bin/env bash
# setup.sh [--quiet] [--serve]: install what klab needs on a Debian machine (packages,
# kernels, npm test tools). Idempotent and fast when everything is there; `make serve`
# and `make test` call it first. Needs root (or sudo) only when something is missing.
# --serve: what serving needs, no kernel (`make serve` never waits for a kernel build).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
quiet=0
serve=0
for a in "$@"; do
  case $a in
    --quiet) quiet=1 ;;
    --serve) serve=1 ;;
    *) echo "usage: setup.sh [--quiet] [--serve]" >&2; exit 2 ;;
  esac
done
say() { [ $quiet = 1 ] || echo "setup: $*"; }

# What building and serving klab needs (`make serve`): the compiler, CMake, the
# libraries klab links, and graphviz for the diagrams. Nothing to test or to run labs.
serve_packages=(
  build-essential cmake pkg-config
  libcmark-gfm-dev libcmark-gfm-extensions-dev libgit2-dev libsqlite3-dev
  libmicrohttpd-dev libyaml-dev libarchive-dev libdw-dev libelf-dev zlib1g-dev libjansson-dev
  graphviz
)
# What running labs and the test suite add: QEMU and the kernel build, the unit-test
# library, the fuzzers' clang, the web tests' browser, the load tests' wrk and nginx.
packages=(
  "${serve_packages[@]}"
  kmod cpio patch diffutils git python3-yaml libcmocka-dev
  qemu-system-x86 busybox-static linux-source-6.1 universal-ctags flex bison bc lz4 libssl-dev strace
  clang libclang-rt-14-dev
  wrk nginx-light chromium fonts-dejavu-core nodejs curl
  zstd
)
[ $serve = 1 ] && packages=("${serve_packages[@]}")
sudo=""
[ "$(id -u)" = 0 ] || sudo="sudo"
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  say "Debian packages present"
fi

[ $serve = 1 ] && { say "ready to serve"; exit 0; }

cache="${KLAB_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/klab}"
for profile in cloud generic; do
  $sudo env KLAB_CACHE="$cache" "$root/scripts/fetch-kernel.sh" "$profile"
done
# klab's own debug kernel (the default profile): built once, 5-10 min on 2 cores
"$root/scripts/build-kernel.sh" debug

if [ -f "$root/tests/web/package.json" ] && [ ! -d "$root/tests/web/node_modules/playwright-core" ]; then
  echo "setup: npm install in tests/web"
  (cd "$root/tests/web" && npm install --no-audit --no-fund --silent)
fi
say "ready"
