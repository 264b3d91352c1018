#!/usr/bin/env bash
# KDE Baloo (baloo-kf5, libKF5BalooEngine.so.5): index files with
# `balooctl index`, then baloosearch / balooshow / balooctl status|indexSize|
# failed|clear.  The index (XDG_DATA_HOME/baloo/index) is LMDB.  Protocol of
# scripts/clients_check.sh: setup SHARED | between SHARED | run LIB STATE PHASE SHARED.
set -uo pipefail
cmd=$1
case $cmd in
setup)
  S=$2; H=$S/home; rm -rf "$H"; mkdir -p "$H/docs/sub" "$H/.config"
  printf '[Basic Settings]\nIndexing-Enabled=true\n\n[General]\nfolders[$e]=%s/docs/\nonly basic indexing=false\nexclude folders[$e]=\n' "$H" > "$H/.config/baloofilerc"
  for i in $(seq 1 300); do
    { echo "alpha document number $i banana$((i % 7)) cherry"
      for j in $(seq 1 $((i % 13))); do echo "word$((i * j % 97)) filler text line $j lorem$((j * 7)) ipsum"; done; } > "$H/docs/file$i.txt"
  done
  echo "unique zebra text" > "$H/docs/zebra.txt"; echo "nested kiwi" > "$H/docs/sub/kiwi.txt"
  seq -f 'tok%g' 1 20000 | tr '\n' ' ' > "$H/docs/big.txt";;
between)
  H=$2/home; echo "changed zebra giraffe" > "$H/docs/zebra.txt"; touch -d '2020-01-01 00:00:00' "$H/docs/zebra.txt";;
run)
  lib=$2 D=$3 phase=$4 H=$5/home
  mkdir -p "$D" "$D/run"; chmod 700 "$D/run"
  # QT_HASH_SEED=0: Baloo writes terms in QHash order, random per process otherwise.
  export QT_HASH_SEED=0 HOME=$H XDG_CONFIG_HOME=$H/.config XDG_DATA_HOME=$D XDG_RUNTIME_DIR=$D/run QT_QPA_PLATFORM=offscreen LD_LIBRARY_PATH=$lib
  q() { echo "== $1 $2 ($#)"; "$@" 2>&1 | grep -v -E '^Elapsed|kf\.|Not connected to D-Bus'; echo "rc ${PIPESTATUS[0]}"; }
  if [ "$phase" = 1 ]; then
    # The index file is created by the daemon (which then idles: no power
    # management service); balooctl index fills it in-process.
    dbus-run-session -- bash -c 'baloo_file & p=$!; for i in $(seq 50); do sleep 0.2; [ -f "$XDG_DATA_HOME/baloo/index" ] && break; done; sleep 1
      grep -m1 -o "/[^ ]*liblmdb[^ ]*" /proc/$p/maps; kill $p; wait $p' 2>/dev/null
    q balooctl index "$H"/docs/file1*.txt
    q balooctl index "$H"/docs/*.txt "$H/docs/sub/kiwi.txt"
  else
    LD_DEBUG=libs balooctl indexSize 2>&1 | grep -m1 -o "calling init: [^ ]*liblmdb[^ ]*"
    q balooctl index "$H/docs/zebra.txt"
    q balooctl clear "$H/docs/file2.txt" "$H"/docs/file3*.txt
  fi
  q balooctl indexSize
  for w in alpha zebra giraffe kiwi banana3 'filename:file1*' 'cherry OR kiwi'; do echo "== search $w"; baloosearch "$w" 2>&1 | grep -v Elapsed | sort; done
  q balooshow -x "$H/docs/zebra.txt" | grep -v Ctime
  q balooshow -x "$H/docs/big.txt"
  q balooctl status "$H/docs/zebra.txt" "$H/docs/file2.txt"
  q balooctl failed
  mdb_stat -n -a -e "$D/baloo/index" | grep -v -E 'readers used'
  mdb_dump -n -a "$D/baloo/index" | md5sum;;
esac
exit 0
