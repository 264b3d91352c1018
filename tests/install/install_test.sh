#!/usr/bin/env bash
# Installs the build tree into a temporary prefix (cmake --install --prefix)
# and builds + runs a small C program against the installed tree:
#   install_test.sh pkgconfig   via `pkg-config --cflags --libs lmdb` (and --static)
#   install_test.sh cmake       via a tiny CMake project: find_package(lmdb CONFIG),
#                               lmdb::lmdb and lmdb::lmdb_static
# Environment: BUILD_DIR (the build tree), SRC_DIR (this directory),
# SANITIZE (the build's -fsanitize= value, empty for none), WORK (scratch).
set -euo pipefail
mode=$1
: "${BUILD_DIR:?}" "${SRC_DIR:?}" "${WORK:?}"
SANITIZE=${SANITIZE:-}
fail() { echo "FAIL: $*" >&2; exit 1; }

rm -rf "$WORK/$mode"
mkdir -p "$WORK/$mode"
cd "$WORK/$mode"
prefix=$PWD/prefix
cmake --install "$BUILD_DIR" --prefix "$prefix" >install.log
libdir=$(sed -n 's/^libdir=//p' "$(find "$prefix" -name lmdb.pc)")
libdir=${libdir//\$\{prefix\}/$prefix}
[ -d "$libdir" ] || fail "libdir of lmdb.pc ($libdir) does not exist"

# The installed tree has the file names of Debian's liblmdb0 + liblmdb-dev.
multiarch=$(gcc -print-multiarch 2>/dev/null || true)
for f in lib/$multiarch/liblmdb.so.0.0.0 lib/$multiarch/liblmdb.so.0 lib/$multiarch/liblmdb.so \
         lib/$multiarch/liblmdb.a lib/$multiarch/pkgconfig/lmdb.pc include/lmdb.h \
         lib/$multiarch/cmake/lmdb/lmdbConfig.cmake lib/$multiarch/cmake/lmdb/lmdbConfigVersion.cmake; do
  f=${f//\/\//\/}
  [ -e "$prefix/$f" ] || fail "not installed: $f"
done
[ "$(readlink "$libdir/liblmdb.so.0")" = liblmdb.so.0.0.0 ] || fail "liblmdb.so.0 link"
[ "$(readlink "$libdir/liblmdb.so")" = liblmdb.so.0 ] || fail "liblmdb.so link"

cflags_san=()
[ -z "$SANITIZE" ] || cflags_san=(-fsanitize="$SANITIZE")

# expect_run PROGRAM LOADED: runs it on a fresh environment and checks the
# version it reports and the library it runs on (a path, or "(static)").
expect_run() {
  local prog=$1 want=$2 db
  db=$(mktemp -d "$PWD/env.XXXXXX")
  LD_LIBRARY_PATH="$libdir" "$prog" "$db" >"$prog.out" || fail "$prog failed"
  cat "$prog.out"
  grep -qx 'version: 0\.9\.33 (header 0\.9\.33)' "$prog.out" || fail "$prog: wrong version"
  grep -qx 'k00777 = value 5439, entries 1000' "$prog.out" || fail "$prog: wrong data"
  local loaded
  loaded=$(sed -n 's/^loaded: //p' "$prog.out")
  if [ "$want" = "(static)" ]; then
    [ "$loaded" = "(static)" ] || fail "$prog: a liblmdb.so is loaded: $loaded"
  else
    [ "$(readlink -f "$loaded")" = "$(readlink -f "$want")" ] ||
      fail "$prog runs on $loaded, not on $want"
  fi
}

case $mode in
pkgconfig)
  export PKG_CONFIG_PATH="$libdir/pkgconfig"
  # The same fields as Debian's liblmdb-dev lmdb.pc.
  pc=$libdir/pkgconfig/lmdb.pc
  for field in prefix= exec_prefix= libdir= includedir= 'Name: liblmdb' 'Description:' \
               'URL:' 'Version: 0.9.33' 'Libs: -L${libdir} -llmdb' 'Cflags: -I${includedir}'; do
    grep -qF "$field" "$pc" || fail "lmdb.pc lacks '$field'"
  done
  flags=$(pkg-config --cflags --libs lmdb | sed "s/ *$//")
  echo "pkg-config --cflags --libs lmdb: $flags"
  [ "$flags" = "-I$prefix/include -L$libdir -llmdb" ] || fail "unexpected flags: $flags"
  [ "$(pkg-config --modversion lmdb)" = 0.9.33 ] || fail "modversion"
  # shellcheck disable=SC2046
  cc "${cflags_san[@]}" -o consumer_pc "$SRC_DIR/consumer/consumer.c" $(pkg-config --cflags --libs lmdb)
  grep -q 'NEEDED.*\[liblmdb\.so\.0\]' <<<"$(readelf -d consumer_pc)" || fail "consumer_pc does not need liblmdb.so.0"
  expect_run ./consumer_pc "$libdir/liblmdb.so.0.0.0"
  # Static link: the archive plus its private dependencies.
  if [ -z "$SANITIZE" ]; then
    # shellcheck disable=SC2046
    cc -o consumer_pc_static "$SRC_DIR/consumer/consumer.c" \
      $(pkg-config --cflags lmdb) "$libdir/liblmdb.a" $(pkg-config --static --libs-only-l lmdb | sed 's/-llmdb//')
    expect_run ./consumer_pc_static "(static)"
  fi
  ;;
cmake)
  cmake -S "$SRC_DIR/consumer" -B consumer-build -DCMAKE_PREFIX_PATH="$prefix" \
    -DCMAKE_BUILD_TYPE=Release -DCMAKE_C_FLAGS="${cflags_san[*]}" \
    -DCMAKE_EXE_LINKER_FLAGS="${cflags_san[*]}" >configure.log || { cat configure.log; fail "configure"; }
  cmake --build consumer-build >build.log 2>&1 || { cat build.log; fail "build"; }
  grep -q "lmdb_DIR:PATH=$libdir/cmake/lmdb" consumer-build/CMakeCache.txt || fail "found another lmdb package"
  # The imported shared target points into the prefix; no build-tree path leaks.
  if grep -rq "$BUILD_DIR" "$libdir/cmake/lmdb"; then fail "build-tree path in the CMake package"; fi
  expect_run consumer-build/consumer_shared "$libdir/liblmdb.so.0.0.0"
  expect_run consumer-build/consumer_static "(static)"
  ;;
*) fail "unknown mode $mode" ;;
esac
echo "install.$mode: OK"
