#!/usr/bin/env bash
# build-kernel.sh PROFILE [--check]: build the kernel of a `source: build` profile
# (kernels/PROFILE.yaml) from Debian's linux-source package into the klab cache:
#   $CACHE/kernels/PROFILE/KEY/
#     vmlinuz System.map config release   the kernel (bzImage) and its release string
#     lib/modules/RELEASE/                its modules (depmod'ed)
#     src/  build/                        the patched source and the object tree (vmlinux
#                                         with DWARF); `make -C build M=DIR modules` builds a lab
#     .complete                           written last
#   $CACHE/kernels/PROFILE/current        holds KEY once the build is complete
# The key is a hash of the profile, its config fragment and patches, this script
# and the source package's version: a change to any of them builds again.
# --check: exit 0 when the cached kernel is complete and current, 1 otherwise.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
profile=${1:?usage: build-kernel.sh PROFILE [--check]}
check=0
[ "${2:-}" = "--check" ] && check=1
file="$root/kernels/$profile.yaml"
[ -f "$file" ] || { echo "build-kernel: no profile $file" >&2; exit 2; }
get() { sed -n "s/^$1:[[:space:]]*//p" "$file" | head -n1; }
[ "$(get source)" = build ] || { echo "build-kernel: $profile is not a built kernel (source: build)" >&2; exit 2; }
src_pkg=$(get source_package)
base=$(get base_config)
fragment="$root/kernels/$(get config)"
read -r -a patches <<<"$(get patches | tr -d '[],')"
cache=${KLAB_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/klab}
dest="$cache/kernels/$profile"
tarball="/usr/src/$src_pkg.tar.xz"

src_ver=$(dpkg-query -W -f='${Version}' "$src_pkg" 2>/dev/null || true)
[ -n "$src_ver" ] && [ -f "$tarball" ] || {
  echo "build-kernel: $src_pkg is not installed: run \`make setup\` (or apt-get install $src_pkg)" >&2
  exit 1
}
key=$( { cat "$file" "$fragment" "$0"; for p in "${patches[@]}"; do cat "$root/kernels/patches/$p"; done
         echo "$src_pkg $src_ver"; } | sha256sum | cut -c1-16)

ready() { [ "$(cat "$dest/current" 2>/dev/null || true)" = "$key" ] && [ -f "$dest/$key/.complete" ]; }
ready && exit 0
[ $check = 1 ] && exit 1

jobs=${KLAB_KERNEL_JOBS:-$(nproc)}
mkdir -p "$dest"
exec 9>"$dest/.lock"
flock 9 # one build at a time; a second caller waits, then finds it done
ready && exit 0
work="$dest/$key"
rm -rf "$work"
mkdir -p "$work"
log="$dest/build.log"
: >"$log"
t0=$(date +%s)
say() { echo "build-kernel: $profile: $*"; }
fail() { echo "build-kernel: $profile: $1 failed; the last lines of $log:" >&2; tail -n 30 "$log" >&2; exit 1; }

say "building klab's $profile kernel from $src_pkg $src_ver (once; about 5-8 min on 2 cores)"
say "[1/4] unpacking $tarball"
tar -xf "$tarball" -C "$work" || fail "unpacking"
mv "$work/$src_pkg" "$work/src"
for p in "${patches[@]}"; do
  patch -s -p1 -d "$work/src" <"$root/kernels/patches/$p" >>"$log" 2>&1 || fail "patch $p"
done

say "[2/4] configuring: $base + kernels/$(basename "$fragment")"
mk() { make -C "$work/src" O="$work/build" -j"$jobs" "$@" >>"$log" 2>&1; }
mk "$base" || fail "make $base"
"$work/src/scripts/kconfig/merge_config.sh" -m -O "$work/build" "$work/build/.config" "$fragment" \
  >>"$log" 2>&1 || fail "merging the fragment"
mk olddefconfig || fail "make olddefconfig"
# every option of the fragment must have stuck: a silently dropped checker is a grader that lies
missing=$(grep -E '^(CONFIG_[A-Z0-9_]+=.*|# CONFIG_[A-Z0-9_]+ is not set)$' "$fragment" | while read -r want; do
  name=$(sed -E 's/^# (CONFIG_[A-Z0-9_]+) is not set$/\1/; s/=.*//' <<<"$want")
  got=$(grep -E "^$name=|^# $name is not set" "$work/build/.config" || echo "# $name is not set")
  [ "$got" = "$want" ] || echo "  $want (got: $got)"
done)
[ -z "$missing" ] || { echo "build-kernel: $profile: options that did not stick:" >&2; echo "$missing" >&2; exit 1; }

say "[3/4] compiling bzImage and modules with $jobs jobs (log: $log)"
(
  mk bzImage modules
) &
pid=$!
while kill -0 $pid 2>/dev/null; do
  sleep 5
  n=$(grep -c '^  CC' "$log" || true)
  line="build-kernel: $profile:       $n files compiled, $(( $(date +%s) - t0 )) s"
  if [ -t 1 ]; then printf '\r%s' "$line"; else [ $(( ($(date +%s) - t0) % 60 )) -lt 5 ] && echo "$line"; fi
done
[ -t 1 ] && echo
wait $pid || fail "compiling"

say "[4/4] installing modules"
release=$(cat "$work/build/include/config/kernel.release")
make -C "$work/src" O="$work/build" INSTALL_MOD_PATH="$work" INSTALL_MOD_STRIP=1 \
  DEPMOD=/sbin/depmod modules_install >>"$log" 2>&1 || fail "modules_install"
rm -f "$work/lib/modules/$release/build" "$work/lib/modules/$release/source"
cp "$work/build/arch/x86/boot/bzImage" "$work/vmlinuz"
cp "$work/build/System.map" "$work/System.map"
cp "$work/build/.config" "$work/config"
echo "$release" >"$work/release"
touch "$work/.complete"
prev=$(cat "$dest/current" 2>/dev/null || true)
echo "$key" >"$dest/.current.tmp"
mv "$dest/.current.tmp" "$dest/current"
# older builds of this profile, but the one just replaced: runs may still be using it
for old in "$dest"/*/; do
  case $(basename "$old") in "$key"|"$prev") ;; *) rm -rf "$old" ;; esac
done
say "ready in $work ($(( $(date +%s) - t0 )) s)"
