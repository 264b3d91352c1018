#!/usr/bin/env bash
# fapolicyd: the daemon builds its trust database (/var/lib/fapolicyd, LMDB)
# from the file trust source; fapolicyd-cli --update makes it rebuild from a
# changed trust file; then --dump-db, --check-trustdb, --check-path.  The
# daemon runs in --permissive mode with watch_fs set to a file system type
# that is not mounted (iso9660), so it marks nothing with fanotify.  Changes
# /etc/fapolicyd (restored by cleanup) and /var/lib/fapolicyd (emptied).
# Protocol of scripts/clients_check.sh.
set -uo pipefail
case $1 in
setup)
  S=$2; mkdir -p "$S"; rm -rf "$S/etc.orig"; cp -a /etc/fapolicyd "$S/etc.orig"
  sed -i 's/^trust = .*/trust = file/; s/^watch_fs = .*/watch_fs = iso9660/; s/^uid = .*/uid = root/; s/^gid = .*/gid = root/' /etc/fapolicyd/fapolicyd.conf
  fagenrules >/dev/null 2>&1
  /usr/bin/python3 - "$S" <<'PY'
import os, hashlib, sys
S = sys.argv[1]
def entries(d, n):
    out = []
    for f in sorted(os.listdir(d))[:n]:
        p = os.path.join(d, f)
        if os.path.isfile(p) and not os.path.islink(p):
            out.append('%s %d %s' % (p, os.path.getsize(p), hashlib.sha256(open(p, 'rb').read()).hexdigest()))
    return out
a = entries('/usr/sbin', 200); b = entries('/usr/bin', 400)
open(S + '/trust.1', 'w').write('\n'.join(a) + '\n')
open(S + '/trust.2', 'w').write('\n'.join([l for l in a if '/usr/sbin/a' not in l] + b) + '\n')
PY
  ;;
cleanup)
  S=$2; [ -d "$S/etc.orig" ] && { rm -rf /etc/fapolicyd; cp -a "$S/etc.orig" /etc/fapolicyd; }
  rm -f /var/lib/fapolicyd/*;;
run)
  lib=$2 D=$3 phase=$4 S=$5; export LD_LIBRARY_PATH=$lib; mkdir -p "$D/db"
  rm -f /var/lib/fapolicyd/*; [ "$phase" = 2 ] && cp -a "$D/db/." /var/lib/fapolicyd/
  cp "$S/trust.$phase" /etc/fapolicyd/fapolicyd.trust
  q() { echo "== $*"; "$@" 2>&1 | grep -v rpm_sha256; echo "rc ${PIPESTATUS[0]}"; }
  fapolicyd --debug --permissive > "$D/daemon.log" 2>&1 & p=$!
  for _ in $(seq 100); do sleep 0.1; grep -q "Starting to listen" "$D/daemon.log" && break; done
  grep -m1 -o "/[^ ]*liblmdb[^ ]*" /proc/$p/maps
  echo "dump $(fapolicyd-cli --dump-db 2>/dev/null | sort | md5sum)"
  cp "$S/trust.$((3 - phase))" /etc/fapolicyd/fapolicyd.trust
  q fapolicyd-cli --update
  for _ in $(seq 100); do sleep 0.1; grep -q "^Updated" "$D/daemon.log" && break; done; sleep 0.5
  kill $p; wait $p; echo "daemon exit $?"
  grep -v -E "^(Allowed|Denied|Inter-thread|Subject|Object)" "$D/daemon.log"
  echo "dump $(fapolicyd-cli --dump-db 2>/dev/null | sort | tee "$D/dumpdb" | md5sum) $(wc -l < "$D/dumpdb")"
  q fapolicyd-cli --check-trustdb
  q fapolicyd-cli --check-path | tail -n 3
  mdb_stat -a -e /var/lib/fapolicyd | grep -v 'readers used'; mdb_dump -a /var/lib/fapolicyd | md5sum
  cp -a /var/lib/fapolicyd/. "$D/db/"; rm -f /var/lib/fapolicyd/*;;
esac
exit 0
