#!/usr/bin/env bash
# Long fuzzing runs (libFuzzer, ASan+UBSan).  NOT part of CI.
#
#   scripts/fuzz.sh [SECONDS] [flags...]            hostile data files (fuzz/fuzz_env.cpp)
#   scripts/fuzz.sh hostile [SECONDS] [flags...]    the same
#   scripts/fuzz.sh hostile-merge                   add the inputs of the work corpus that
#                                                   bring new coverage to fuzz/hostile_corpus
#   scripts/fuzz.sh diff_api [HOURS] [flags...]     differential API fuzzer (fuzz/diff_api.cpp)
#   scripts/fuzz.sh diff_api-merge                  add the inputs of the work corpus that
#                                                   bring new coverage to fuzz/diff_api_corpus
#
# Everything is built with the `fuzz` CMake preset (clang) in build/fuzz.
# hostile: default 600 s; work corpus build/fuzz/corpus (starts from the
#   committed fuzz/hostile_corpus and the generator's small seeds), findings
#   build/fuzz/artifacts/ (replay one with: build/fuzz/fuzz/lmdb_fuzz FILE).
#   HOSTILE_JOBS=N runs N processes (libFuzzer -fork=N) that go on after a
#   finding; inputs stay under 64 KiB (16 pages) unless -max_len is given.
# diff_api: default 1 hour (HOURS may be fractional); the work corpus
#   build/fuzz/diff_api_corpus starts from the committed fuzz/diff_api_corpus;
#   one fuzzing process that goes on after a divergence: the first input of
#   each kind is saved in build/fuzz/diff_api_artifacts/ (div-* and div-*.txt,
#   the trace), crashes as crash-*.
#   Replay one:            build/fuzz/fuzz/diff_api FILE
#   As a C test case:      DIFF_API_EMIT_C=1 build/fuzz/fuzz/diff_api FILE 2>/dev/null > case.c
#   Shrink it first:       build/fuzz/fuzz/diff_api -minimize_crash=1 -runs=20000 FILE
#   Against another oracle: LMDB_COMPAT_ORACLE=/path/liblmdb.so build/fuzz/fuzz/diff_api FILE
set -euo pipefail
cd "$(dirname "$0")/.."
command -v clang++ >/dev/null || { echo "clang++ is needed (scripts/deps.sh installs it)" >&2; exit 1; }
mode=hostile
case "${1:-}" in
  hostile|hostile-merge|diff_api|diff_api-merge) mode=$1; shift ;;
esac
cmake --preset fuzz >/dev/null
cmake --build --preset fuzz
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
bin=build/fuzz/fuzz
case $mode in
  hostile)
    secs=${1:-600}
    shift || true
    mkdir -p build/fuzz/corpus build/fuzz/artifacts
    if [ -z "$(ls -A build/fuzz/corpus)" ]; then
      rm -rf build/fuzz/seeds && $bin/lmdb_fuzz_corpus build/fuzz/seeds
      cp build/fuzz/seeds/empty-* build/fuzz/seeds/small-* build/fuzz/corpus/
      cp -n fuzz/hostile_corpus/* build/fuzz/corpus/ 2>/dev/null || true
    fi
    # Allocation stacks are not recorded (15% faster); replaying a finding
    # with the default ASAN_OPTIONS shows them.
    export ASAN_OPTIONS=$ASAN_OPTIONS:malloc_context_size=0
    jobs=()
    if [ "${HOSTILE_JOBS:-1}" -gt 1 ]; then jobs=(-fork="$HOSTILE_JOBS" -ignore_crashes=1); fi
    exec $bin/lmdb_fuzz "${jobs[@]}" -max_total_time="$secs" -timeout=20 -rss_limit_mb=2048 \
      -max_len=65536 -artifact_prefix=build/fuzz/artifacts/ -print_final_stats=1 "$@" build/fuzz/corpus
    ;;
  hostile-merge)
    mkdir -p fuzz/hostile_corpus
    exec $bin/lmdb_fuzz -merge=1 -max_len=65536 -timeout=20 fuzz/hostile_corpus build/fuzz/corpus
    ;;
  diff_api)
    hours=${1:-1}
    shift || true
    secs=$(python3 -c "print(int(float('$hours') * 3600))")
    mkdir -p build/fuzz/diff_api_corpus build/fuzz/diff_api_artifacts
    cp -n fuzz/diff_api_corpus/* build/fuzz/diff_api_corpus/
    # Divergences do not stop the run: the first input of each kind is saved
    # (DIFF_API_SAVE_DIR); a crash or sanitizer report ends one libFuzzer
    # process (its input saved by -artifact_prefix) and the loop starts the next.
    export DIFF_API_SAVE_DIR=$PWD/build/fuzz/diff_api_artifacts
    end=$((SECONDS + secs))
    while [ $SECONDS -lt $((end - 30)) ]; do
      $bin/diff_api -max_total_time=$((end - SECONDS)) -timeout=60 -rss_limit_mb=3072 -max_len=600 \
        -dict=fuzz/diff_api.dict -artifact_prefix=build/fuzz/diff_api_artifacts/ -print_final_stats=1 \
        "$@" build/fuzz/diff_api_corpus || echo "diff_api: crash input saved, restarting" >&2
    done
    n=$(find build/fuzz/diff_api_artifacts -name 'crash-*' -o -name 'div-*' ! -name '*.txt' | wc -l)
    echo "diff_api: $n divergence/crash input(s) in build/fuzz/diff_api_artifacts/"
    echo "merge new coverage into the committed corpus: scripts/fuzz.sh diff_api-merge"
    [ "$n" -eq 0 ]
    ;;
  diff_api-merge)
    exec $bin/diff_api -merge=1 -max_len=600 -timeout=60 fuzz/diff_api_corpus build/fuzz/diff_api_corpus
    ;;
esac
