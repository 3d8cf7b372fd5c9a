#!/usr/bin/env bash
# Install the build into a scratch prefix, then build and run an example against it using only
# what `pkg-config --cflags --libs iommusim` says: proves the installed headers, library and
# .pc file work together.
set -euo pipefail
build=$1 example=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

meson install -C "$build" --destdir "$tmp" --no-rebuild --quiet >/dev/null
pc=$(find "$tmp" -name iommusim.pc -print -quit)
[ -n "$pc" ] || { echo "no iommusim.pc installed" >&2; exit 1; }
# The .pc names its final prefix; point it at the scratch copy (the rest of it is untouched).
sed -i "s|^prefix=|prefix=$tmp|" "$pc"
flags=$(PKG_CONFIG_PATH=$(dirname "$pc") pkg-config --cflags --libs iommusim)
case "$flags" in *"$tmp"*) ;; *) echo "pkg-config flags do not point at the install: $flags" >&2; exit 1;; esac
echo "pkg-config: $flags"
cc -std=c11 -Wall -Wextra -Werror "$example" $flags -o "$tmp/hello_iova"
libdir=$(dirname "$(find "$tmp" -name 'libiommusim.so' -print -quit)")
LD_LIBRARY_PATH=$libdir "$tmp/hello_iova"
# A static link with what `pkg-config --static` says: every library it needs, in link order.
sflags=$(PKG_CONFIG_PATH=$(dirname "$pc") pkg-config --static --cflags --libs iommusim)
echo "pkg-config --static: $sflags"
cc -std=c11 -Wall -Wextra -Werror "$example" -static $sflags -o "$tmp/hello_iova_static"
"$tmp/hello_iova_static" >/dev/null
for h in iommusim.h version.h iova.h mem.h cpu.h clock.h; do
  [ -n "$(find "$tmp" -path "*/include/iommusim/$h" -print -quit)" ] \
    || { echo "header $h not installed" >&2; exit 1; }
done
