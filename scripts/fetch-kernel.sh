#!/usr/bin/env bash
# fetch-kernel.sh PROFILE: install the headers of a kernel profile (kernels/PROFILE.yaml)
# and unpack (not install) the matching linux-image package into the klab cache:
#   $CACHE/kernels/PROFILE/RELEASE/{vmlinuz,System.map,config,lib/modules/RELEASE}
#   $CACHE/kernels/PROFILE/current   (holds RELEASE once the unpack is complete)
# The release (6.1.0-N-cloud-amd64) is resolved from Debian's metapackages, never written here.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
profile=${1:-cloud}
file="$root/kernels/$profile.yaml"
[ -f "$file" ] || { echo "fetch-kernel: no profile $file" >&2; exit 2; }
get() { sed -n "s/^$1:[[:space:]]*//p" "$file" | head -n1; }
image_meta=$(get image_package)
headers_meta=$(get headers_package)
cache=${KLAB_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/klab}
dest="$cache/kernels/$profile"

resolve() { # metapackage -> the versioned package it depends on
  apt-cache depends "$1" 2>/dev/null | sed -n 's/^ *Depends: \(linux-[a-z]*-[0-9].*\)$/\1/p' | head -n1
}
image_pkg=$(resolve "$image_meta")
if [ -z "$image_pkg" ]; then
  apt-get update -qq
  image_pkg=$(resolve "$image_meta")
fi
[ -n "$image_pkg" ] || { echo "fetch-kernel: cannot resolve $image_meta (is apt reachable?)" >&2; exit 1; }
release=${image_pkg#linux-image-}
headers_pkg="linux-headers-$release"

if [ -f "$dest/$release/.complete" ] && [ -d "/usr/src/$headers_pkg" ] \
   && [ "$(cat "$dest/current" 2>/dev/null)" = "$release" ]; then
  exit 0
fi
echo "fetch-kernel: $profile -> $release"
if [ ! -d "/usr/src/$headers_pkg" ]; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$headers_pkg" >/dev/null
fi
mkdir -p "$dest"
tmp=$(mktemp -d "$dest/.fetch.XXXXXX")
chmod 755 "$tmp"  # apt-get download runs as _apt
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && apt-get download -qq "$image_pkg" >/dev/null)
mkdir "$tmp/root"
dpkg-deb -x "$tmp"/"$image_pkg"_*.deb "$tmp/root"
out="$tmp/$release"
mkdir -p "$out/lib"
mv "$tmp/root/boot/vmlinuz-$release" "$out/vmlinuz"
mv "$tmp/root/boot/System.map-$release" "$out/System.map"
mv "$tmp/root/boot/config-$release" "$out/config"
mv "$tmp/root/lib/modules" "$out/lib/modules"
depmod -b "$out" "$release"
touch "$out/.complete"
rm -rf "${dest:?}/$release"
mv "$out" "$dest/$release"
echo "$release" > "$tmp/current"
mv "$tmp/current" "$dest/current"
echo "fetch-kernel: $profile ready in $dest/$release"
