# Runs the bench/compare driver on one quick workload with both sides pointing
# at the same library (a plumbing check) and checks the report's shape.
# Usage: cmake -DPYTHON=<python3> -DCOMPARE=<bench/compare> -DBENCH=<lmdb_bench>
#              -DLIBDIR=<dir with liblmdb.so.0> -DOUT=<report.md> -P compare_smoke.cmake
cmake_minimum_required(VERSION 3.25)

file(REMOVE "${OUT}")
execute_process(
  COMMAND ${PYTHON} ${COMPARE} --quick --rounds 2 --max-rounds 3 --short-reps 2 --keys 2000 --only readrandom,txn_begin_abort
          --ours ${LIBDIR} --upstream ${LIBDIR} --bench ${BENCH} --out ${OUT}
  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
function(fail msg)
  message(FATAL_ERROR "compare smoke test: ${msg}\n--- stdout ---\n${out}\n--- stderr ---\n${err}")
endfunction()
if(NOT rc EQUAL 0)
  fail("exit status ${rc}")
endif()
if(NOT EXISTS "${OUT}")
  fail("no report written to ${OUT}")
endif()
file(READ "${OUT}" md)
if(NOT md STREQUAL "${out}" AND NOT "${md}\n" STREQUAL "${out}")
  fail("the report file differs from what was printed")
endif()
# Each workload has a throughput row (ops count, a ratio) and a size row.
foreach(w readrandom txn_begin_abort)
  # ... and a ratio from 3 rounds: both are short at this size.
  if(NOT md MATCHES "\n\\| ${w} \\| [0-9,]+ \\| [^|]+ \\| [^|]+ \\| [0-9]+\\.[0-9][0-9][0-9] \\| [0-9.]+–[0-9.]+ \\(3\\) \\|")
    fail("no throughput row with a ratio over 3 rounds for ${w}")
  endif()
  if(NOT md MATCHES "\n\\| ${w} \\| [0-9.]+ [KMG]?i?B \\| [0-9.]+ [KMG]?i?B \\| 1\\.000 \\|")
    fail("no size row for ${w} (same library on both sides must give size ratio 1.000)")
  endif()
endforeach()
foreach(needle "geometric mean of speed ratios" "plumbing check" "LMDB 0.9.")
  string(FIND "${md}" "${needle}" pos)
  if(pos LESS 0)
    fail("report lacks '${needle}'")
  endif()
endforeach()
string(REGEX REPLACE "\\.md$" ".jsonl" raw "${OUT}")
file(STRINGS "${raw}" records REGEX "\"type\": \"result\"")
list(LENGTH records nrec)
# 2 workloads x 2 sides x 3 rounds (short workloads), after round 1 with 2 runs each
if(NOT nrec EQUAL 20)
  fail("expected 20 result records in ${raw}, got ${nrec}")
endif()
# Both sides of each round took turns (lmdb_bench --baton): every run's
# timed part ran in 64 slices or 65 (2000 operations are not a multiple of 64).
file(STRINGS "${raw}" sliced REGEX "\"type\": \"result\".*\"turns\": 6[45][,}]")
list(LENGTH sliced nsliced)
if(NOT nsliced EQUAL 20)
  fail("expected 20 result records that took 64 or 65 turns in ${raw}, got ${nsliced}")
endif()
# Each side's fixture is built once and then reused (lmdb_bench --fixtures).
file(STRINGS "${raw}" reused REGEX "\"type\": \"fixture\".*\"reused\": true")
list(LENGTH reused nreused)
if(NOT nreused EQUAL 10)  # 12 runs, the first of each side builds
  fail("expected 10 reused-fixture records in ${raw}, got ${nreused}")
endif()
message(STATUS "compare smoke test passed")
