#!/usr/bin/env bash
# Figures for the cost model of docs/performance.md: for each size and each
# library, the tree's shape (mdb_stat) and, per operation, the instructions,
# data reads and simulated cache misses (callgrind's cache simulation with
# this machine's L1d and L3 sizes) of readrandom, seekrandom and
# fillrandom_batch.  Not a test and not part of CI (valgrind is slow: a few
# minutes per size).
#
#   bench/cost_model.sh [KEYS...]          default: 1000000 10000000
#   COST_OPS=N   lookups simulated per read workload (default 100000)
#   COST_FILL_KEYS=N  keys of the simulated fillrandom_batch (default 1000000; 0: skip)
#
# Needs a release build (build/release) and valgrind (installed here with
# apt-get when missing).  Fixtures go to ${COST_DIR:-/dev/shm/lmdb_cost} (about 2 GB per
# library at 10M keys) and are kept for the next run.
set -euo pipefail
cd "$(dirname "$0")/.."
bench=build/release/bench/lmdb_bench
up=${UPSTREAM_DIR:-/usr/lib/x86_64-linux-gnu}
dir=${COST_DIR:-/dev/shm/lmdb_cost}
ops=${COST_OPS:-100000}
fill_keys=${COST_FILL_KEYS:-1000000}
sizes=("$@")
[ ${#sizes[@]} -eq 0 ] && sizes=(1000000 10000000)
if ! command -v valgrind >/dev/null; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO=sudo
  $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq valgrind >/dev/null
fi
[ -x $bench ] || { echo "build first: cmake --preset release && cmake --build --preset release" >&2; exit 2; }
# A copy of our library: fixtures are tied to the library's bytes, and a
# rebuild during the run would make the simulated run rebuild its fixture.
ours=$dir/lib-ours
mkdir -p "$ours" && cp -P build/release/liblmdb.so.0* "$ours/"
# L1d 48 KiB 12-way, L3 32 MiB 16-way (lscpu of this VM); callgrind has no L2.
cache="--D1=49152,12,64 --LL=33554432,16,64 --I1=32768,8,64"

# One simulated run; prints the callgrind totals of the toggled function
# (lmdb_bench runs the workload in a child process: one output file each).
sim() {
  local lib=$1 fx=$2 keys=$3 only=$4 fn=$5 out
  out=$(mktemp -d)
  LD_LIBRARY_PATH=$lib valgrind --tool=callgrind --cache-sim=yes $cache --collect-atstart=no \
    "--toggle-collect=$fn" --callgrind-out-file="$out/cg.%p" \
    $bench --only "$only" --keys "$keys" --point-ops "$ops" --fixtures "$fx" >/dev/null 2>&1
  for f in "$out"/cg.*; do callgrind_annotate "$f" 2>/dev/null | grep "PROGRAM TOTALS"; done |
    python3 -c '
import sys,re
for line in sys.stdin:
    head=re.sub(r"\([^)]*\)", "", line.split("PROGRAM")[0])
    nums=[int(x.replace(",","")) for x in re.findall(r"[0-9][0-9,]*", head)]
    if nums: print(" ".join(map(str, nums))); break'
  rm -rf "$out"
}

echo "# cost model figures: $(date -u '+%Y-%m-%d %H:%M'), ops per read workload $ops"
echo "# columns of callgrind: Ir Dr Dw I1mr D1mr D1mw ILmr DLmr DLmw (totals over the timed function)"
for keys in "${sizes[@]}"; do
  for side in ours upstream; do
    lib=$ours; [ $side = upstream ] && lib=$up
    fx=$dir/$side-$keys
    mkdir -p "$fx"
    # Build (or reuse) the fixture natively.
    LD_LIBRARY_PATH=$lib $bench --only readrandom --keys "$keys" --point-ops 1000 --fixtures "$fx" >/dev/null
    echo "## $side, $keys keys"
    mdb_stat_bin=build/release/tools/mdb_stat
    [ $side = upstream ] && command -v mdb_stat >/dev/null && mdb_stat_bin=$(command -v mdb_stat)
    $mdb_stat_bin "$fx"/fixture_* 2>/dev/null | grep -E "Tree depth|Branch pages|Leaf pages|Overflow pages|Entries" | tr -s ' ' | sed 's/^/  /' || true
    for w in readrandom seekrandom; do
      echo "  $w: $(sim "$lib" "$fx" "$keys" "$w" '*lookups<*') / $ops ops"
    done
  done
done
if [ "$fill_keys" != 0 ]; then
  for side in ours upstream; do
    lib=$ours; [ $side = upstream ] && lib=$up
    fx=$dir/$side-fill
    mkdir -p "$fx"
    echo "## $side fillrandom_batch, $fill_keys keys: $(ops=$fill_keys sim "$lib" "$fx" "$fill_keys" fillrandom_batch '*fill_workload*') / $fill_keys ops"
  done
fi
