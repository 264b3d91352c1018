#!/usr/bin/env bash
# dnsjit's output.respdiff (LMDB environment of queries/answers for
# respdiff, 10 MiB map): N records written, from few to past MDB_MAP_FULL.
# Protocol of scripts/clients_check.sh; a new environment each phase.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
case $1 in
run)
  lib=$2 D=$3 phase=$4; export LD_LIBRARY_PATH=$lib
  mkdir -p "$D/probe"; LD_DEBUG=libs dnsjit "$here/dnsjit_respdiff.lua" "$D/probe" 1 2>&1 | grep -m1 -o "calling init: [^ ]*liblmdb[^ ]*"
  ns="1 100 2000 2348 2349"; [ "$phase" = 2 ] && ns="2350 2400 3000"
  for n in $ns; do
    rm -rf "$D/e$n"; mkdir -p "$D/e$n"
    echo "== $n: $(dnsjit "$here/dnsjit_respdiff.lua" "$D/e$n" "$n" 2>&1 | sed 's/0x[0-9a-f]*/PTR/')"
    mdb_stat -a -e "$D/e$n" | grep -v 'readers used'; (cd "$D/e$n" && mdb_dump -a . | md5sum)
  done;;
esac
exit 0
