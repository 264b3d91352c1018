#!/usr/bin/env bash
# Builds Debian packages of lmdb-cpp that stand in for Debian's own LMDB packages:
#
#   liblmdb-cpp0      replaces liblmdb0     /usr/lib/<multiarch>/liblmdb.so.0{,.0.0}
#   liblmdb-cpp-dev   replaces liblmdb-dev  lmdb.h, liblmdb.so, liblmdb.a, pkgconfig/lmdb.pc,
#                                           cmake/lmdb/ (find_package(lmdb CONFIG))
#   lmdb-cpp-utils    replaces lmdb-utils   mdb_stat mdb_dump mdb_load mdb_copy mdb_drop
#                                           + mdb_chk, with man pages
#
# Each one Provides (versioned), Conflicts with and Replaces the Debian package it
# stands in for, so that packages depending on liblmdb0 (python3-lmdb, postfix-lmdb,
# ...) stay installable.  See README.md ("Debian packages") for installing them and
# going back to Debian's.
#
# Usage: scripts/package.sh [-B BUILD_DIR] [-o OUT_DIR] [-r REVISION]
#   -B  package an existing, built tree (its CMAKE_INSTALL_LIBDIR must be
#       lib/<multiarch>, the default on Debian); without -B a Release tree is
#       configured and built in build/deb (library and tools only)
#   -o  where the .deb files go (default: build/debs)
#   -r  Debian revision of the packages (default: 1), version 0.9.33+cpp<REVISION>
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
build=""
out=$src/build/debs
revision=1
while getopts "B:o:r:" opt; do
  case $opt in
  B) build=$(cd "$OPTARG" && pwd) ;;
  o) out=$OPTARG ;;
  r) revision=$OPTARG ;;
  *) sed -n '2,25p' "$0" >&2; exit 2 ;;
  esac
done

arch=$(dpkg --print-architecture)
multiarch=$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || gcc -print-multiarch)

if [ -z "$build" ]; then
  build=$src/build/deb
  cmake -S "$src" -B "$build" -DCMAKE_BUILD_TYPE=Release -DLMDB_BUILD_TESTS=OFF \
    -DBUILD_TESTING=OFF -DLMDB_WERROR=ON -DCMAKE_INSTALL_LIBDIR="lib/$multiarch" >/dev/null
  cmake --build "$build" -j2 >/dev/null
fi
cache=$build/CMakeCache.txt
[ -f "$cache" ] || { echo "package.sh: $build is not a CMake build tree" >&2; exit 1; }
libdir=$(sed -n 's/^CMAKE_INSTALL_LIBDIR:[A-Z]*=//p' "$cache")
if [ "$libdir" != "lib/$multiarch" ]; then
  echo "package.sh: $build installs libraries in '$libdir', not lib/$multiarch;" \
       "reconfigure it with -DCMAKE_INSTALL_LIBDIR=lib/$multiarch" >&2
  exit 1
fi
if grep -q '^LMDB_SANITIZE:STRING=.' "$cache"; then
  echo "package.sh: $build is a sanitizer build; package a Release build" >&2
  exit 1
fi

upstream_version=$(sed -n 's/^CMAKE_PROJECT_VERSION:[A-Z]*=//p' "$cache")
[ -n "$upstream_version" ] || upstream_version=$(sed -n 's/^project(lmdb_cpp VERSION \([0-9.]*\).*/\1/p' "$src/CMakeLists.txt")
version="${upstream_version}+cpp${revision}"
maintainer="lmdb-cpp developers <lmdb-cpp@localhost>"
homepage="https://www.symas.com/mdb"

stage=$(mktemp -d "${TMPDIR:-/tmp}/lmdb-deb.XXXXXX")
trap 'rm -rf "$stage"' EXIT
mkdir -p "$out"

# The lowest glibc version the binaries of a tree need (GLIBC_x.y symbols).
glibc_min() {
  find "$1" -type f \( -name '*.so*' -o -path '*/bin/*' \) -print0 |
    xargs -0 -r objdump -T 2>/dev/null | grep -o 'GLIBC_[0-9][0-9.]*' |
    sed 's/GLIBC_//' | sort -uV | tail -n 1 || true
}

# make_deb PACKAGE COMPONENT SECTION MULTIARCH REPLACES DEPENDS DESCRIPTION
make_deb() {
  local pkg=$1 component=$2 section=$3 ma=$4 replaces=$5 depends=$6 desc=$7
  local root=$stage/$pkg
  mkdir -p "$root/DEBIAN"
  DESTDIR=$root cmake --install "$build" --prefix /usr --component "$component" >/dev/null
  # Debian's layout: compressed man pages, stripped binaries, doc directory.
  if [ -d "$root/usr/share/man" ]; then
    find "$root/usr/share/man" -type f -name '*.[0-9]' -exec gzip -9n {} +
  fi
  find "$root" -type f \( -name '*.so.*' -o -path '*/usr/bin/*' \) -exec strip --strip-unneeded {} +
  find "$root" -type f -name '*.a' -exec strip --strip-debug {} +
  mkdir -p "$root/usr/share/doc/$pkg"
  cat >"$root/usr/share/doc/$pkg/copyright" <<EOF
lmdb-cpp: a drop-in reimplementation of LMDB 0.9 (liblmdb.so.0) in C++20.
This package ($pkg) stands in for Debian's $replaces.
The on-disk formats and the C API follow the OpenLDAP Lightning Memory-Mapped
Database; no code of it is included.
EOF
  printf '%s (%s) unstable; urgency=medium\n\n  * Built by scripts/package.sh.\n\n -- %s  %s\n' \
    "$pkg" "$version" "$maintainer" "$(date -R -u -d @"${SOURCE_DATE_EPOCH:-0}")" |
    gzip -9n >"$root/usr/share/doc/$pkg/changelog.Debian.gz"
  find "$root" -path "$root/DEBIAN" -prune -o -type d -exec chmod 0755 {} +
  find "$root" -path "$root/DEBIAN" -prune -o -type f -exec chmod go-w {} +

  local glibc
  glibc=$(glibc_min "$root")
  if [ -n "$glibc" ]; then
    depends="libc6 (>= $glibc)${depends:+, $depends}"
  fi
  {
    echo "Package: $pkg"
    echo "Source: lmdb-cpp"
    echo "Version: $version"
    echo "Architecture: $arch"
    echo "Multi-Arch: $ma"
    echo "Maintainer: $maintainer"
    echo "Installed-Size: $(du -sk --exclude=DEBIAN "$root" | cut -f1)"
    [ -z "$depends" ] || echo "Depends: $depends"
    echo "Provides: $replaces (= $version)"
    echo "Conflicts: $replaces"
    echo "Replaces: $replaces"
    echo "Section: $section"
    echo "Priority: optional"
    echo "Homepage: $homepage"
    echo "Description: $desc"
  } >"$root/DEBIAN/control"
  (cd "$root" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' |
    LC_ALL=C sort -z | xargs -0 -r md5sum) >"$root/DEBIAN/md5sums"
  dpkg-deb --root-owner-group -Zxz -b "$root" "$out/${pkg}_${version}_${arch}.deb" >/dev/null
  echo "$out/${pkg}_${version}_${arch}.deb"
}

# The shared library package: ldconfig after install/remove, shlibs so that
# packages built against it depend on liblmdb0 (which this one provides).
prepare_runtime() {
  local root=$stage/liblmdb-cpp0
  mkdir -p "$root/DEBIAN"
  echo "activate-noawait ldconfig" >"$root/DEBIAN/triggers"
  echo "liblmdb 0 liblmdb0 (>= $upstream_version)" >"$root/DEBIAN/shlibs"
}

prepare_runtime
make_deb liblmdb-cpp0 runtime libs same liblmdb0 "" \
"Lightning Memory-Mapped Database shared library (lmdb-cpp)
 A drop-in, ABI-compatible reimplementation of LMDB 0.9 (liblmdb.so.0):
 same API, same data and lock file formats, same return codes; damaged or
 hostile files give MDB_CORRUPTED instead of a crash.
 .
 This package replaces liblmdb0."
make_deb liblmdb-cpp-dev dev libdevel same liblmdb-dev "liblmdb-cpp0 (= $version)" \
"Lightning Memory-Mapped Database development files (lmdb-cpp)
 Header, static library, pkg-config file (lmdb.pc) and CMake package
 (find_package(lmdb CONFIG): lmdb::lmdb, lmdb::lmdb_static) of lmdb-cpp,
 a drop-in reimplementation of LMDB 0.9.
 .
 This package replaces liblmdb-dev."
make_deb lmdb-cpp-utils tools database foreign lmdb-utils "liblmdb-cpp0 (>= $version)" \
"Lightning Memory-Mapped Database utilities (lmdb-cpp)
 mdb_stat, mdb_dump, mdb_load, mdb_copy and mdb_drop, as LMDB 0.9 has them,
 and mdb_chk, an integrity checker, linked against lmdb-cpp's liblmdb.so.0.
 .
 This package replaces lmdb-utils."
