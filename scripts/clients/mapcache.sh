#!/usr/bin/env bash
# MapServer MapCache (libmapcache1): mapcache_seed seeds, deletes and
# reseeds tiles of a GDAL source into a cache of type "lmdb".  Tiles carry a
# creation time in their last 8 bytes, so values are compared without them.
# Protocol of scripts/clients_check.sh.
set -uo pipefail
case $1 in
setup)
  S=$2; mkdir -p "$S"
  /usr/bin/python3 - "$S" <<'PY'
import sys
S = sys.argv[1]; W, H = 512, 256
with open(S + '/img.bin', 'wb') as f:
    for b in range(3):
        f.write(bytes(((x * (b + 1) + y * (3 - b)) ^ (x // 16 * y // 16)) & 255 for y in range(H) for x in range(W)))
open(S + '/img.hdr', 'w').write('ENVI\nsamples = 512\nlines = 256\nbands = 3\nheader offset = 0\nfile type = ENVI Standard\n'
    'data type = 1\ninterleave = bsq\nbyte order = 0\nmap info = {Geographic Lat/Lon, 1, 1, -180, 90, 0.703125, 0.703125, WGS-84}\n')
PY
  ;;
run)
  lib=$2 D=$3 phase=$4 S=$5; export LD_LIBRARY_PATH=$lib; mkdir -p "$D/cache"
  cat > "$D/mc.xml" <<EOF2
<?xml version="1.0" encoding="UTF-8"?>
<mapcache>
 <cache name="lmdb" type="lmdb"><base>$D/cache</base><max_size>64</max_size></cache>
 <source name="src" type="gdal"><data>$S/img.bin</data></source>
 <format name="PNGF" type="PNG"><compression>fast</compression></format>
 <tileset name="ts"><source>src</source><cache>lmdb</cache><grid>WGS84</grid><format>PNGF</format><metatile>1 1</metatile></tileset>
 <tileset name="ts2"><source>src</source><cache>lmdb</cache><grid>GoogleMapsCompatible</grid><format>PNGF</format><metatile>2 2</metatile></tileset>
</mapcache>
EOF2
  s() { echo "== $*"; mapcache_seed -c "$D/mc.xml" -b "$@" 2>&1 | grep -v '^seeded .*now at' | sed 's/ in [0-9.]* seconds.*//'; echo "rc ${PIPESTATUS[0]}"; }
  LD_DEBUG=libs mapcache_seed -c "$D/mc.xml" -t ts -z 0,0 -b 2>&1 | grep -m1 -o "calling init: [^ ]*liblmdb[^ ]*"
  if [ "$phase" = 1 ]; then
    s -t ts -z 0,2; s -t ts2 -z 0,3; s -t ts -z 2,2 -m delete; s -t ts -z 0,3
  else
    s -t ts -z 1,1 -m delete; s -t ts2 -z 2,2 -m delete; s -t ts -z 0,3; s -t ts2 -z 0,3 -f
  fi
  mdb_stat -a -e "$D/cache" | grep -v 'readers used'
  /usr/bin/python3 - "$D/cache" <<'PY'
import lmdb, sys, hashlib
e = lmdb.open(sys.argv[1], readonly=True, lock=False)
h = hashlib.md5()
with e.begin() as t:
    for k, v in t.cursor():
        h.update(k); h.update(v[:-8])
print('tiles without times', h.hexdigest())
PY
  ;;
esac
exit 0
