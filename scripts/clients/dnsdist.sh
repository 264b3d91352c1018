#!/usr/bin/env bash
# dnsdist's LMDB key-value store (newLMDBKVStore: lookup, lookupSuffix,
# reload) run from a configuration file with --check-config; the store is
# written by python3-lmdb on the same library.  Protocol of scripts/clients_check.sh.
set -uo pipefail
case $1 in
run)
  lib=$2 D=$3 phase=$4; mkdir -p "$D"; export LD_LIBRARY_PATH=$lib
  [ "$phase" = 1 ] && /usr/bin/python3 - "$D/kvs.mdb" <<'PY'
import lmdb, sys
env = lmdb.open(sys.argv[1], subdir=False, max_dbs=4, map_size=1 << 24)
db = env.open_db(b'db-name')
with env.begin(write=True) as t:
    t.put(b'\x03www\x07example\x03com\x00', b'found-www')
    t.put(b'\x07example\x03com\x00', b'found-example')
    t.put(b'192.0.2.1', b'ip-text')
    for i in range(3000):
        t.put(b'\x05host%d\x03org\x00' % i if i < 10 else b'\x06h%05d\x03org\x00' % i, b'v%d' % i, db=db)
    t.put(b'bigkey', b'x' * 10000, db=db)
PY
  [ "$phase" = 2 ] && /usr/bin/python3 - "$D/kvs.mdb" <<'PY'
import lmdb, sys
env = lmdb.open(sys.argv[1], subdir=False, max_dbs=4, map_size=1 << 24)
db = env.open_db(b'db-name')
with env.begin(write=True) as t:
    for i in range(10, 3000, 3):
        t.delete(b'\x06h%05d\x03org\x00' % i, db=db)
    t.put(b'\x03new\x07example\x03com\x00', b'found-new')
    t.put(b'bigkey', b'y' * 20000, db=db)
PY
  cat > "$D/t.conf" <<EOF2
print(io.open('/proc/self/maps'):read('*a'):match('[^ ]*liblmdb[^\\n]*'))
local kvs = newLMDBKVStore('$D/kvs.mdb', 'db-name')
local kvs0 = newLMDBKVStore('$D/kvs.mdb', '')
local function show(k, v) print(k .. ' => ' .. tostring(v)) end
for _, n in ipairs({'h00010.org', 'h00011.org', 'h02999.org', 'host3.org'}) do show(n, kvs:lookup(newDNSName(n):toDNSString())) end
show('missing', kvs:lookup('missing'))
show('bigkey', string.len(kvs:lookup('bigkey')))
show('www main', kvs0:lookup(newDNSName('www.example.com'):toDNSString()))
show('suffix a.b.www', kvs0:lookupSuffix(newDNSName('a.b.www.example.com')))
show('suffix foo.example', kvs0:lookupSuffix(newDNSName('foo.example.com')))
show('suffix new', kvs0:lookupSuffix(newDNSName('x.new.example.com')))
show('suffix nope', kvs0:lookupSuffix(newDNSName('foo.example.net')))
show('ip text', kvs0:lookup('192.0.2.1'))
show('reload', kvs0:reload())
show('ip after reload', kvs0:lookup('192.0.2.1'))
EOF2
  dnsdist -C "$D/t.conf" --check-config 2>&1; echo "rc $?"
  mdb_stat -n -a -e "$D/kvs.mdb" | grep -v 'readers used'; mdb_dump -n -a "$D/kvs.mdb" | md5sum;;
esac
exit 0
