#!/usr/bin/env bash
# Debian's python3-lmdb on our liblmdb.so.0 and on upstream's: the same pytest
# file (test_pylmdb.py) runs once with each, both runs must pass, their
# transcripts must be equal, and the environments each run leaves are read
# back with both libraries (lmdb_listing.py): all four listings equal.
# Environment: OURS_LIBDIR (dir of our liblmdb.so.0), UPSTREAM_LIBDIR (dir of
# Debian's), WORK (scratch).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
: "${OURS_LIBDIR:?}" "${UPSTREAM_LIBDIR:?}" "${WORK:?}"
export PYTHONDONTWRITEBYTECODE=1
PY=/usr/bin/python3   # Debian's interpreter, where python3-lmdb lives
fail=0
rm -rf "$WORK"
mkdir -p "$WORK"

# python3-lmdb's extension links the system liblmdb.so.0 dynamically (no
# bundled copy), so LD_LIBRARY_PATH chooses the library.
ext=$("$PY" -c 'import lmdb.cpython as c; print(c.__file__)') || { echo "FAIL: python3-lmdb missing"; exit 1; }
grep -q 'liblmdb\.so\.0 =>' <<<"$(ldd "$ext")" || { echo "FAIL: $ext does not link liblmdb.so.0"; exit 1; }

for side in ours upstream; do
  if [ $side = ours ]; then libdir=$OURS_LIBDIR; else libdir=$UPSTREAM_LIBDIR; fi
  echo "=== pytest on $side ($libdir/liblmdb.so.0)"
  mkdir -p "$WORK/$side"
  LD_LIBRARY_PATH=$libdir PYLMDB_OUT=$WORK/$side PYLMDB_EXPECT=$libdir/liblmdb.so.0 \
    "$PY" -m pytest -q -p no:cacheprovider -o console_output_style=classic \
    --rootdir "$here" "$here/test_pylmdb.py" 2>&1 | tee "$WORK/$side.log"
  rc=${PIPESTATUS[0]}
  [ "$rc" -eq 0 ] || { echo "FAIL: pytest on $side exited $rc"; fail=1; }
done

echo "=== transcripts, ours against upstream"
if diff -r -u "$WORK/upstream/transcript" "$WORK/ours/transcript"; then
  echo "transcripts equal ($(ls "$WORK/ours/transcript" | wc -l) files)"
else
  echo "FAIL: transcripts differ"; fail=1
fi

echo "=== cross-opening the environments"
for envs in ours upstream; do
  for lib in ours upstream; do
    if [ $lib = ours ]; then libdir=$OURS_LIBDIR; else libdir=$UPSTREAM_LIBDIR; fi
    LD_LIBRARY_PATH=$libdir "$PY" "$here/lmdb_listing.py" "$WORK/$envs/envs" \
      >"$WORK/listing.$envs-by-$lib" 2>&1 || { echo "FAIL: listing $envs envs with $lib"; fail=1; }
  done
done
for pair in "ours-by-ours ours-by-upstream" "upstream-by-upstream upstream-by-ours" \
            "upstream-by-upstream ours-by-ours"; do
  set -- $pair
  if cmp -s "$WORK/listing.$1" "$WORK/listing.$2"; then
    echo "listing.$1 = listing.$2 ($(wc -l <"$WORK/listing.$1") lines)"
  else
    echo "FAIL: listing.$1 differs from listing.$2"; diff "$WORK/listing.$1" "$WORK/listing.$2" | head -20
    fail=1
  fi
done
[ "$fail" -eq 0 ] && echo "python3-lmdb: OK"
exit $fail
