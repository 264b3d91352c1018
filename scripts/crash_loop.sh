#!/usr/bin/env bash
# Long run, not in CI (docs/robustness.md): kill -9 a writer of synced (or
# NOSYNC / NOMETASYNC / WRITEMAP) commits KILLS times per mode and check that
# no commit that returned 0 is lost and none is torn.
# Usage: scripts/crash_loop.sh [KILLS] [MODE ...]
#   KILLS default 10000; MODE among default nosync nometasync writemap mapasync
#   (default: all five).  Needs a release build (cmake --preset release &&
#   cmake --build --preset release --target crash_loop mdb_chk).
set -euo pipefail
cd "$(dirname "$0")/.."
kills=${1:-10000}
shift || true
modes=("$@")
[ ${#modes[@]} -gt 0 ] || modes=(default nosync nometasync writemap mapasync)
bin=build/release/tests/crash_loop
[ -x "$bin" ] || { echo "build the release preset first ($bin missing)"; exit 2; }
# A private copy of the program and library: a rebuild during the run does
# not change what runs.
run=$(mktemp -d /var/tmp/crash-loop-XXXXXX)
trap 'rm -rf "$run"' EXIT
cp build/release/liblmdb.so.0* "$run"/
cp "$bin" build/release/tools/mdb_chk "$run"/
status=0
for m in "${modes[@]}"; do
  mkdir -p "$run/env-$m"
  # On the real file system (/var/tmp), so syncs do real work.
  start=$(date +%s)
  LD_LIBRARY_PATH="$run" MDB_CHK="$run/mdb_chk" "$run/crash_loop" "$run/env-$m" "$kills" "$m" || status=1
  echo "$m: $(( $(date +%s) - start )) s"
done
exit $status
