#!/usr/bin/env bash
# scripts/package.sh on this build tree, then checks of the packages:
# control fields (Provides/Conflicts/Replaces of Debian's liblmdb0, liblmdb-dev,
# lmdb-utils), every file Debian's packages install present under the same
# name, apt accepting them in place of Debian's without removing their users
# (simulated), and the unpacked tree (dpkg -x) in use: Debian's python3-lmdb
# and our packaged tools run on the unpacked library via LD_LIBRARY_PATH (the
# loaded library checked in /proc/self/maps and with ldd), Debian's own
# lmdb-utils reading and writing environments with them.
# Environment: BUILD_DIR, SRC_DIR (the repository), WORK.
set -uo pipefail
: "${BUILD_DIR:?}" "${SRC_DIR:?}" "${WORK:?}"
PY=/usr/bin/python3
fail=0
bad() { echo "FAIL: $*"; fail=1; }
rm -rf "$WORK"
mkdir -p "$WORK/debs"
bash "$SRC_DIR/scripts/package.sh" -B "$BUILD_DIR" -o "$WORK/debs" || { echo "FAIL: package.sh"; exit 1; }
multiarch=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
declare -A ours=([liblmdb0]=liblmdb-cpp0 [liblmdb-dev]=liblmdb-cpp-dev [lmdb-utils]=lmdb-cpp-utils)

for theirs in liblmdb0 liblmdb-dev lmdb-utils; do
  deb=$(ls "$WORK"/debs/"${ours[$theirs]}"_*.deb) || { bad "no package ${ours[$theirs]}"; continue; }
  version=$(dpkg-deb -f "$deb" Version)
  for field in Provides Conflicts Replaces; do
    got=$(dpkg-deb -f "$deb" $field)
    want=$theirs; [ $field = Provides ] && want="$theirs (= $version)"
    [ "$got" = "$want" ] || bad "${ours[$theirs]}: $field is '$got', not '$want'"
  done
  # Every file (and link) of Debian's package but its docs, at the same path.
  dpkg-deb -c "$deb" | awk '{print $6}' | sed 's|^\./|/|; s|/$||' | sort >"$WORK/${ours[$theirs]}.files"
  if dpkg -L "$theirs" >/dev/null 2>&1; then
    dpkg -L "$theirs" | grep -v '^/usr/share/doc' | while read -r f; do
      [ -d "$f" ] && continue
      grep -qxF "$f" "$WORK/${ours[$theirs]}.files" || echo "$f"
    done >"$WORK/missing.$theirs"
    [ -s "$WORK/missing.$theirs" ] && bad "${ours[$theirs]} lacks $(tr '\n' ' ' <"$WORK/missing.$theirs")"
  else
    bad "Debian's $theirs is not installed (scripts/deps.sh)"
  fi
done
for f in /usr/bin/mdb_drop /usr/bin/mdb_chk /usr/share/man/man1/mdb_chk.1.gz; do
  grep -qxF "$f" "$WORK/lmdb-cpp-utils.files" || bad "lmdb-cpp-utils lacks $f"
done
for f in /usr/lib/$multiarch/cmake/lmdb/lmdbConfig.cmake /usr/lib/$multiarch/pkgconfig/lmdb.pc; do
  grep -qxF "$f" "$WORK/liblmdb-cpp-dev.files" || bad "liblmdb-cpp-dev lacks $f"
done
grep -q "liblmdb-cpp0 (= " <<<"$(dpkg-deb -f "$WORK"/debs/liblmdb-cpp-dev_*.deb Depends)" || bad "dev Depends"
grep -qx 'activate-noawait ldconfig' <<<"$(dpkg-deb --ctrl-tarfile "$WORK"/debs/liblmdb-cpp0_*.deb | tar -xO ./triggers)" ||
  bad "liblmdb-cpp0 does not trigger ldconfig"

# apt would install them in place of Debian's, keeping python3-lmdb and
# postfix-lmdb (they depend on liblmdb0, which liblmdb-cpp0 provides).
sim=$(apt-get install -s "$WORK"/debs/*.deb 2>&1)
for p in liblmdb-cpp0 liblmdb-cpp-dev lmdb-cpp-utils; do
  grep -q "^Inst $p " <<<"$sim" || bad "apt would not install $p"
done
grep -E '^Remv (python3-lmdb|postfix)' <<<"$sim" && bad "apt would remove a user of liblmdb0"

# ---- the unpacked tree -------------------------------------------------------
root=$WORK/root
for deb in "$WORK"/debs/*.deb; do dpkg -x "$deb" "$root"; done
lib=$root/usr/lib/$multiarch
[ "$(readlink "$lib/liblmdb.so.0")" = liblmdb.so.0.0.0 ] || bad "liblmdb.so.0 link"
grep -q 'SONAME.*\[liblmdb\.so\.0\]' <<<"$(readelf -d "$lib/liblmdb.so.0.0.0")" || bad "SONAME"
export LD_LIBRARY_PATH=$lib

# Our packaged tools load the unpacked library.
resolved=$(ldd "$root/usr/bin/mdb_stat" | sed -n 's/.*liblmdb\.so\.0 => \([^ ]*\).*/\1/p')
[ "$(readlink -f "$resolved")" = "$(readlink -f "$lib/liblmdb.so.0")" ] ||
  bad "packaged mdb_stat resolves liblmdb.so.0 to '$resolved'"
# Debian's lmdb-utils are linked with liblmdb statically (Debian builds them on
# liblmdb.a): no liblmdb.so.0 to replace in them.  They serve here as upstream
# readers and writers of the environments our unpacked library makes and reads.
for t in mdb_stat mdb_dump mdb_load mdb_copy; do
  if grep -q liblmdb <<<"$(ldd "/usr/bin/$t")"; then
    echo "note: /usr/bin/$t links liblmdb dynamically"
  fi
done

# python3-lmdb on the unpacked library writes an environment...
env1=$WORK/env1
mkdir -p "$env1"
"$PY" - "$env1" "$lib/liblmdb.so.0" >"$WORK/python.out" <<'PYEOF' || bad "python3-lmdb on the unpacked library failed"
import os, sys, lmdb
path, want = sys.argv[1], sys.argv[2]
maps = [l.split()[-1] for l in open("/proc/self/maps") if "liblmdb.so" in l]
assert maps and os.path.realpath(maps[0]) == os.path.realpath(want), maps
env = lmdb.open(path, max_dbs=2, map_size=32 << 20)
names = env.open_db(b"names", dupsort=True)
with env.begin(write=True) as txn:
    for i in range(3000):
        txn.put(b"key%05d" % i, b"value %d" % (i * 3))
        txn.put(b"n%03d" % (i % 100), b"dup%04d" % i, db=names)
with env.begin() as txn:
    print("loaded", maps[0])
    print("entries", txn.stat()["entries"], txn.stat(names)["entries"])
env.close()
PYEOF
cat "$WORK/python.out"
grep -q '^entries 3001 3000$' "$WORK/python.out" || bad "python3-lmdb: unexpected counts"
# ... that Debian's tools read, and our packaged tools read the same way.
/usr/bin/mdb_dump -a "$env1" >"$WORK/dump.debian" || bad "Debian's mdb_dump cannot read it"
"$root/usr/bin/mdb_dump" -a "$env1" >"$WORK/dump.ours" || bad "packaged mdb_dump failed"
cmp -s "$WORK/dump.debian" "$WORK/dump.ours" || bad "mdb_dump outputs differ"
"$root/usr/bin/mdb_chk" "$env1" >/dev/null || bad "packaged mdb_chk finds problems"
# Debian's mdb_load writes an environment; python3-lmdb and our tools on the
# unpacked library read it.
env2=$WORK/env2
mkdir -p "$env2"
/usr/bin/mdb_load -s names "$env2" < <(/usr/bin/mdb_dump -s names "$env1") || bad "Debian's mdb_load"
"$root/usr/bin/mdb_stat" -s names "$env2" >"$WORK/stat.ours" || bad "packaged mdb_stat"
/usr/bin/mdb_stat -s names "$env2" >"$WORK/stat.debian"
cmp -s "$WORK/stat.ours" "$WORK/stat.debian" || bad "mdb_stat outputs differ"
count=$("$PY" -c '
import lmdb, sys
e = lmdb.open(sys.argv[1], max_dbs=2, readonly=True)
with e.begin() as t:
    print(sum(1 for _ in t.cursor(e.open_db(b"names", txn=t, create=False))))' "$env2")
[ "$count" = 3000 ] || bad "python3-lmdb reads $count records of Debian's environment"
mkdir -p "$WORK/env2.copy"
"$root/usr/bin/mdb_copy" -c "$env2" "$WORK/env2.copy" || bad "packaged mdb_copy -c"
/usr/bin/mdb_dump -s names "$WORK/env2.copy" | cmp -s - <(/usr/bin/mdb_dump -s names "$env2") ||
  bad "Debian's mdb_dump reads our compacted copy differently"
[ $fail -eq 0 ] && echo "deb packages: OK"
exit $fail
