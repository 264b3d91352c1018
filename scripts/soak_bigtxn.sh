#!/usr/bin/env bash
# Long run, not in CI: one write transaction of several GiB on a real disk,
# reporting peak resident memory (dirty pages spill past the budget).
# Usage: scripts/soak_bigtxn.sh [GIB] [DIR]     (default 4 GiB under /var/tmp)
set -euo pipefail
cd "$(dirname "$0")/.."
gib=${1:-4}
dir=${2:-/var/tmp/lmdb-bigtxn.$$}
bash scripts/deps.sh
cmake --preset release >/dev/null
cmake --build --preset release --target lmdb_bigtxn >/dev/null
mkdir -p "$dir"
trap 'rm -rf "$dir"' EXIT
/usr/bin/time -f "elapsed %e s, peak RSS including the read-back %M KiB" ./build/release/examples/lmdb_bigtxn "$dir" "$gib"
ls -l "$dir/data.mdb"
