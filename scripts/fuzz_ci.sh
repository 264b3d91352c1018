#!/usr/bin/env bash
# CI part of fuzzing (scripts/test.sh runs it as the `fuzz` preset): builds
# the fuzz targets with clang, runs the hostile-file fuzzer over its fresh
# seed corpus and for a minute from its committed corpus, then the differential API fuzzer over a copy of the committed
# corpus for DIFF_API_SECONDS (default 170) with a fixed seed.  Exits
# non-zero on any divergence, crash, sanitizer report or leak.
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${DIFF_API_SECONDS:-170}
cmake --preset fuzz >/dev/null
cmake --build --preset fuzz
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
ctest --test-dir build/fuzz -R '^fuzz\.' --output-on-failure
# The hostile-file fuzzer, HOSTILE_SECONDS (default 60) from the committed
# corpus (the long runs: scripts/fuzz.sh hostile).
hsecs=${HOSTILE_SECONDS:-60}
if [ -d fuzz/hostile_corpus ] && [ "$hsecs" -gt 0 ]; then
  hwork=build/fuzz/ci_hostile
  rm -rf "$hwork" && mkdir -p "$hwork/corpus" "$hwork/artifacts"
  cp fuzz/hostile_corpus/* "$hwork/corpus/"
  echo "hostile: ${hsecs} s over $(ls "$hwork/corpus" | wc -l) inputs"
  if ! ASAN_OPTIONS=$ASAN_OPTIONS:malloc_context_size=0 build/fuzz/fuzz/lmdb_fuzz -seed=1 \
      -max_total_time="$hsecs" -timeout=20 -rss_limit_mb=2048 -max_len=65536 \
      -artifact_prefix="$hwork/artifacts/" -print_final_stats=1 "$hwork/corpus" > "$hwork/log" 2>&1; then
    tail -60 "$hwork/log"
    echo "hostile fuzzer FAILED; input in $hwork/artifacts/, replay: build/fuzz/fuzz/lmdb_fuzz FILE" >&2
    exit 1
  fi
  grep -E '^stat::number_of_executed_units|DONE' "$hwork/log" || true
fi
work=build/fuzz/ci
rm -rf "$work" && mkdir -p "$work/corpus" "$work/artifacts"
cp fuzz/diff_api_corpus/* "$work/corpus/"
echo "diff_api: ${secs} s over $(ls "$work/corpus" | wc -l) seeds"
set +e
build/fuzz/fuzz/diff_api -seed=1 -max_total_time="$secs" -timeout=60 -rss_limit_mb=3072 -max_len=600 \
  -dict=fuzz/diff_api.dict -artifact_prefix="$work/artifacts/" -print_final_stats=1 \
  "$work/corpus" > "$work/diff_api.log" 2>&1
rc=$?
set -e
grep -E '^stat::|DONE' "$work/diff_api.log" || true
if [ $rc -ne 0 ]; then
  sed -n '/==== DIFF_API/,$p' "$work/diff_api.log" | head -200
  [ -s "$work/diff_api.log" ] && tail -40 "$work/diff_api.log"
  echo "diff_api FAILED (exit $rc); input in $work/artifacts/, replay: build/fuzz/fuzz/diff_api FILE" >&2
  exit 1
fi
echo "diff_api: no divergence"
