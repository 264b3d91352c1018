#!/usr/bin/env bash
# Long fuzzing run of fuzz/fuzz_env.cpp (libFuzzer, ASan+UBSan).  NOT part of
# CI.  Usage: scripts/fuzz.sh [SECONDS] [extra libFuzzer flags...]
#   default 600 s; the corpus is kept in build/fuzz/corpus, findings go to
#   build/fuzz/artifacts (replay one with: build/fuzz/fuzz/lmdb_fuzz FILE).
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-600}
shift || true
command -v clang++ >/dev/null || { echo "clang++ is needed (apt-get install clang)" >&2; exit 1; }
cmake -S . -B build/fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_C_COMPILER=clang \
  -DCMAKE_CXX_COMPILER=clang++ -DLMDB_FUZZ=ON >/dev/null
cmake --build build/fuzz --target lmdb_fuzz lmdb_fuzz_corpus -j2
mkdir -p build/fuzz/corpus build/fuzz/artifacts
if [ -z "$(ls -A build/fuzz/corpus)" ]; then
  build/fuzz/fuzz/lmdb_fuzz_corpus build/fuzz/corpus
fi
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
exec build/fuzz/fuzz/lmdb_fuzz -max_total_time="$secs" -timeout=20 -rss_limit_mb=4096 \
  -max_len=1100000 -artifact_prefix=build/fuzz/artifacts/ "$@" build/fuzz/corpus
