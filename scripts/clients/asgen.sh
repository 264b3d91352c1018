#!/usr/bin/env bash
# appstream-generator (Debian backend): `run`, `publish`, `info`, `cleanup`,
# `forget`, `remove-found` over a small local archive of made-up packages
# (desktop files, metainfo, icons); its databases db/main and db/contents are
# LMDB.  The "statistics" database is keyed by the second of each run and is
# left out.  Protocol of scripts/clients_check.sh.
set -uo pipefail
case $1 in
setup)
  S=$2; rm -rf "$S/build" "$S/archive.1" "$S/archive.2"; mkdir -p "$S/build"
  /usr/bin/python3 - "$S/build" <<'PY'
import os, struct, zlib, sys, hashlib
base = sys.argv[1]
def png(w, h, seed):
    raw = b''.join(b'\x00' + bytes(((x * seed + y * 3 + seed) & 255) for x in range(w) for _ in range(4)) for y in range(h))
    def ch(t, d): return struct.pack('>I', len(d)) + t + d + struct.pack('>I', zlib.crc32(t + d) & 0xffffffff)
    return b'\x89PNG\r\n\x1a\n' + ch(b'IHDR', struct.pack('>IIBBBBB', w, h, 8, 6, 0, 0, 0)) + ch(b'IDAT', zlib.compress(raw, 9)) + ch(b'IEND', b'')
for i in range(1, 10):
    r = f'{base}/testapp{i}'
    files = {}
    if i != 8:
        files[f'usr/share/applications/org.example.App{i}.desktop'] = (f'[Desktop Entry]\nType=Application\nName=Test App {i}\n'
            f'Comment=Does thing {i}\nExec=testapp{i}\nIcon=testapp{i}\nCategories=Utility;\n').encode()
        files[f'usr/share/icons/hicolor/64x64/apps/testapp{i}.png'] = png(64, 64, i)
    if i % 2 == 0 or i == 9:
        files[f'usr/share/metainfo/org.example.App{i}.metainfo.xml'] = (f'<?xml version="1.0" encoding="UTF-8"?>\n<component type="desktop-application">\n'
            f'<id>org.example.App{i}</id><metadata_license>CC0-1.0</metadata_license><project_license>MIT</project_license>\n'
            f'<name>Test App {i}</name><summary>Summary of app {i}</summary><description><p>App number {i} {"does things. " * i}</p></description>\n'
            f'<launchable type="desktop-id">org.example.App{i}.desktop</launchable><url type="homepage">https://example.com/{i}</url>\n'
            f'<releases><release version="1.{i}" date="2023-01-0{i}"/></releases><content_rating type="oars-1.1"/></component>\n').encode()
    os.makedirs(f'{r}/DEBIAN')
    for p, d in files.items():
        os.makedirs(os.path.dirname(f'{r}/{p}'), exist_ok=True); open(f'{r}/{p}', 'wb').write(d)
    open(f'{r}/DEBIAN/md5sums', 'w').write(''.join(f'{hashlib.md5(d).hexdigest()}  {p}\n' for p, d in files.items()))
    open(f'{r}/DEBIAN/control', 'w').write(f'Package: testapp{i}\nVersion: 1.{i}-1\nArchitecture: amd64\n'
        f'Maintainer: T <t@example.com>\nDescription: test app {i}\n long description of test app {i}\n')
PY
  # archive.1: testapp1..8; archive.2: testapp3 gone, testapp9 new.
  for a in 1 2; do
    A=$S/archive.$a; mkdir -p "$A/pool/main/t" "$A/dists/bookworm/main/binary-amd64"
    for i in 1 2 3 4 5 6 7 8 9; do
      { [ $a = 1 ] && [ $i = 9 ]; } || { [ $a = 2 ] && [ $i = 3 ]; } && continue
      dpkg-deb --root-owner-group -Zxz -b "$S/build/testapp$i" "$A/pool/main/t/testapp${i}_1.$i-1_amd64.deb" >/dev/null
    done
    (cd "$A" && dpkg-scanpackages pool/ 2>/dev/null > dists/bookworm/main/binary-amd64/Packages && xz -k dists/bookworm/main/binary-amd64/Packages)
  done;;
run)
  lib=$2 ws=$3 phase=$4 S=$5; export LD_LIBRARY_PATH=$lib; mkdir -p "$ws"
  printf '{ "ProjectName": "C2Test", "ArchiveRoot": "%s/archive.%s", "MediaBaseUrl": "https://example.com/media", "Backend": "debian", "WorkspaceDir": "%s",
  "Features": { "noDownloads": true, "optimizePNGSize": false, "metadataTimestamps": false, "processFonts": false, "processGStreamer": false },
  "Suites": { "bookworm": { "sections": ["main"], "architectures": ["amd64"] } } }\n' "$S" "$phase" "$ws" > "$ws/asgen-config.json"
  cd "$ws" || exit 1
  a() { echo "== $*"; appstream-generator "$@" -w "$ws" > "$ws/log" 2>&1; echo "rc $?"
        sed 's/^[0-9-]* [0-9:]* - //' "$ws/log" | grep -v -E 'md5sums|superfluous statistics' | sed "s#$ws#WS#g; s#$S#SHARED#g" | sort; }
  LD_DEBUG=libs appstream-generator info foo -w "$ws" 2>&1 | grep -m1 -o "calling init: [^ ]*liblmdb[^ ]*"
  a run bookworm; a publish bookworm main; a info testapp4/1.4-1/amd64; a info testapp3/1.3-1/amd64
  if [ "$phase" = 2 ]; then
    a cleanup; a forget testapp4/1.4-1/amd64; a info testapp4/1.4-1/amd64; a run bookworm; a remove-found bookworm; a run bookworm
  fi
  for f in $(cd export/data && find . -type f | sort); do
    echo "$f $(case $f in *.gz) zcat "export/data/$f";; *.xz) xzcat "export/data/$f";; *) cat "export/data/$f";; esac | grep -v -i -E 'time|date' | md5sum)"
  done
  for d in main contents; do
    mdb_stat -a "db/$d" | grep -v -E 'readers|pages used' | awk '/^Status of statistics/{skip=5;next} skip>0{skip--;next} {print}'
    for n in $(mdb_stat -a "db/$d" | sed -n 's/^Status of //p' | grep -v -E '^(Main DB|statistics)$'); do echo "$n $(cd "db/$d" && mdb_dump -s "$n" . | md5sum)"; done
  done;;
esac
exit 0
