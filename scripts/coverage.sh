#!/usr/bin/env bash
# Line and branch coverage of src/ from the differential tests: the compat
# tests (ctest -L compat, without the self-tests) and the diff_api corpus
# (the committed fuzz/diff_api_corpus, plus build/fuzz/diff_api_corpus when
# given --work).  clang source-based coverage (llvm-profdata, llvm-cov from
# Debian's llvm), in build/coverage.  Prints a per-file table and the total;
# build/coverage/html/index.html has the annotated sources.
# --unit adds the unit tests (tests/: hostile files, spilling, lock table,
# injected faults), so that what stays uncovered is a real gap.
# --gaps then lists the uncovered lines of src/ by file and function
# (scripts/coverage_gaps.py, which reads the run recorded in build/coverage;
# docs/coverage.md gives the reason for each).
# Usage: scripts/coverage.sh [--work] [--no-compat] [--unit] [--gaps]
set -euo pipefail
cd "$(dirname "$0")/.."
work=0 compat=1 unit=0 gaps=0
for a in "$@"; do
  case $a in
    --work) work=1 ;;
    --no-compat) compat=0 ;;
    --unit) unit=1 ;;
    --gaps) gaps=1 ;;
    *) echo "usage: $0 [--work] [--no-compat] [--unit] [--gaps]" >&2; exit 2 ;;
  esac
done
bash scripts/deps.sh
b=build/coverage
cov="-fprofile-instr-generate -fcoverage-mapping"
cmake -S . -B $b -DCMAKE_BUILD_TYPE=Debug -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ \
  -DLMDB_FUZZ=ON -DCMAKE_C_FLAGS="$cov" -DCMAKE_CXX_FLAGS="$cov" \
  -DCMAKE_EXE_LINKER_FLAGS="$cov" -DCMAKE_SHARED_LINKER_FLAGS="$cov" >/dev/null
targets=(lmdb lmdb_compat lmdb_compat_nested lmdb_compat_growth lmdb_compat_edges diff_api)
[ $unit -eq 1 ] && targets+=(unit_tests)
cmake --build $b -j2 --target "${targets[@]}"
rm -rf $b/prof && mkdir -p $b/prof
# A pool of 4 files per instrumented module, merged into as processes exit
# (the tests fork many children that write their counts: tests/test_support.h,
# child_exit).
export LLVM_PROFILE_FILE=$PWD/$b/prof/%4m.profraw
export ASAN_OPTIONS=detect_leaks=0
if [ $compat -eq 1 ]; then
  ctest --test-dir $b -L compat -LE selftest --output-on-failure -j1
fi
dirs=(fuzz/diff_api_corpus)
[ $work -eq 1 ] && [ -d build/fuzz/diff_api_corpus ] && dirs+=(build/fuzz/diff_api_corpus)
$b/fuzz/diff_api -runs=0 -max_len=600 "${dirs[@]}" 2>&1 | grep -E "INITED|DONE" || true
if [ $unit -eq 1 ]; then
  (cd $b/tests && ./unit_tests >/dev/null 2>&1) || echo "coverage: some unit tests failed under instrumentation" >&2
fi
llvm-profdata merge -sparse $b/prof/*.profraw -o $b/all.profdata
objs=($b/liblmdb.so -object $b/fuzz/diff_api)
[ $unit -eq 1 ] && objs+=(-object $b/tests/unit_tests)
# (for scripts/coverage_gaps.py)
echo "${objs[@]}" | sed 's/-object //g' > $b/objects
# Only src/ (the positional source argument); the same functions compiled
# into both objects are merged (a few with different instrumentation, the
# sanitizers of the fuzz engine, are reported as "mismatched data").
llvm-cov report "${objs[@]}" -instr-profile=$b/all.profdata -show-region-summary=false \
  -show-instantiation-summary=false "$PWD/src" | sed "s|$PWD/||"
llvm-cov show "${objs[@]}" -instr-profile=$b/all.profdata -format=html -output-dir=$b/html \
  "$PWD/src" >/dev/null
echo "annotated sources: $b/html/index.html"
[ $gaps -eq 1 ] && python3 scripts/coverage_gaps.py --build $b
exit 0
