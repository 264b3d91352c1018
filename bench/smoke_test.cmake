# Runs lmdb_bench --quick on one workload against the library in LIBDIR and
# checks the output format and the identity of the loaded library.
# Never looks at timings beyond "a positive number".
# Usage: cmake -DBENCH=<lmdb_bench> -DLIBDIR=<dir with liblmdb.so.0> -DFIXTURES=<scratch dir>
#              -P smoke_test.cmake
cmake_minimum_required(VERSION 3.25)

function(fail msg)
  message(FATAL_ERROR "bench smoke test: ${msg}\n--- output ---\n${out}\n--- stderr ---\n${err}")
endfunction()

execute_process(
  COMMAND ${CMAKE_COMMAND} -E env LD_LIBRARY_PATH=${LIBDIR}
          ${BENCH} --quick --only readrandom --keys 2000
  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  fail("exit status ${rc}")
endif()

string(REGEX REPLACE "\n$" "" body "${out}")
string(REPLACE "\n" ";" lines "${body}")
# Expected records: library, then fixture records (any number), one result, done.
set(lib_line "")
set(res_line "")
set(done_line "")
set(nres 0)
list(LENGTH lines n)
math(EXPR last "${n} - 1")
foreach(i RANGE ${last})
  list(GET lines ${i} line)
  string(JSON t ERROR_VARIABLE jerr GET "${line}" type)
  if(jerr)
    fail("line ${i} is not a JSON object: ${line}")
  endif()
  if(i EQUAL 0)
    if(NOT t STREQUAL "library")
      fail("first line is not the library record")
    endif()
    set(lib_line "${line}")
  elseif(i EQUAL last)
    set(done_line "${line}")
  elseif(t STREQUAL "result")
    set(res_line "${line}")
    math(EXPR nres "${nres} + 1")
  elseif(NOT t STREQUAL "fixture")
    fail("unexpected record type '${t}' on line ${i}")
  endif()
endforeach()
if(NOT nres EQUAL 1)
  fail("expected exactly one result record, got ${nres}")
endif()

# Line 1: the library actually loaded, which must be the one in LIBDIR.
string(JSON type GET "${lib_line}" type)
string(JSON version GET "${lib_line}" version)
string(JSON real GET "${lib_line}" realpath)
string(JSON major GET "${lib_line}" major)
string(JSON minor GET "${lib_line}" minor)
if(NOT type STREQUAL "library")
  fail("first line is not the library record")
endif()
if(NOT version MATCHES "^LMDB 0\\.9\\.[0-9]+")
  fail("unexpected version string '${version}'")
endif()
if(NOT major EQUAL 0 OR NOT minor EQUAL 9)
  fail("unexpected version numbers ${major}.${minor}")
endif()
file(REAL_PATH "${LIBDIR}/liblmdb.so.0" want)
if(NOT real STREQUAL want)
  fail("loaded ${real}, expected ${want}")
endif()

# Line 2: one result with every field, sane values.
string(JSON type GET "${res_line}" type)
string(JSON wl GET "${res_line}" workload)
string(JSON ops GET "${res_line}" ops)
if(NOT type STREQUAL "result" OR NOT wl STREQUAL "readrandom")
  fail("second line is not the readrandom result")
endif()
if(NOT ops EQUAL 2000)
  fail("ops is ${ops}, expected 2000")
endif()
foreach(field seconds ops_per_sec ns_per_op db_bytes peak_rss_kb wall_seconds)
  string(JSON v GET "${res_line}" ${field})
  if(NOT v MATCHES "^[0-9]+(\\.[0-9]+)?$" OR NOT v GREATER 0)
    fail("field ${field} = '${v}' is not a positive number")
  endif()
endforeach()
string(JSON checksum GET "${res_line}" checksum)
if(NOT checksum MATCHES "^[0-9]+$")
  fail("checksum '${checksum}' is not an integer")
endif()

# Line 3: the summary.
string(JSON type GET "${done_line}" type)
string(JSON failures GET "${done_line}" failures)
if(NOT type STREQUAL "done" OR NOT failures EQUAL 0)
  fail("last line is not a clean done record")
endif()

# --fixtures DIR: the first run builds the fixture there, the next one with
# the same library and sizes reuses it, a run with other sizes rebuilds it.
file(REMOVE_RECURSE "${FIXTURES}")
function(run_with_fixtures keys expect_reused)
  execute_process(
    COMMAND ${CMAKE_COMMAND} -E env LD_LIBRARY_PATH=${LIBDIR}
            ${BENCH} --quick --only readrandom --keys ${keys} --fixtures ${FIXTURES}
    RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    fail("--fixtures run with ${keys} keys: exit status ${rc}")
  endif()
  string(REGEX MATCH "\"type\":\"fixture\",\"name\":\"main\",\"reused\":true" reused "${out}")
  if(expect_reused AND NOT reused)
    fail("--fixtures run with ${keys} keys did not reuse the fixture")
  elseif(NOT expect_reused AND reused)
    fail("--fixtures run with ${keys} keys reused a fixture it should have rebuilt")
  endif()
  if(NOT out MATCHES "\"workload\":\"readrandom\",\"rep\":1,\"ops\":${keys},")
    fail("--fixtures run with ${keys} keys: no readrandom result of ${keys} ops")
  endif()
endfunction()
run_with_fixtures(2000 FALSE)
run_with_fixtures(2000 TRUE)
run_with_fixtures(3000 FALSE)
run_with_fixtures(3000 TRUE)
# --reps 3: three result records, numbered, each from a process of its own.
execute_process(
  COMMAND ${CMAKE_COMMAND} -E env LD_LIBRARY_PATH=${LIBDIR}
          ${BENCH} --quick --only readrandom --keys 3000 --fixtures ${FIXTURES} --reps 3
  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  fail("--reps 3: exit status ${rc}")
endif()
string(REGEX MATCHALL "\"type\":\"result\"" results "${out}")
list(LENGTH results nresults)
if(NOT nresults EQUAL 3 OR NOT out MATCHES "\"rep\":1,.*\"rep\":2,.*\"rep\":3,")
  fail("--reps 3: expected results of reps 1, 2 and 3, got ${nresults} results")
endif()
if(NOT EXISTS "${FIXTURES}/fixture_main/data.mdb")
  fail("--fixtures did not keep the fixture in ${FIXTURES}")
endif()
file(REMOVE_RECURSE "${FIXTURES}")

# The scale workloads are left out of a default run but listed, and
# '--only scale' runs each of them once, checking what it reads back.
execute_process(COMMAND ${BENCH} --list RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
set(scale_names smallcommit dbi_open_many dbi_touch_many dup_fill_1m dup_scan_1m dup_get_1m bigtxn_spill)
foreach(w ${scale_names})
  if(NOT out MATCHES "(^|\n)${w} +\\[scale\\] ")
    fail("--list does not mark ${w} as a scale workload")
  endif()
endforeach()
execute_process(
  COMMAND ${CMAKE_COMMAND} -E env LD_LIBRARY_PATH=${LIBDIR}
          ${BENCH} --quick --only scale --keys 2000
  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  fail("--only scale: exit status ${rc}")
endif()
foreach(w ${scale_names})
  if(NOT out MATCHES "\"type\":\"result\",\"workload\":\"${w}\",\"rep\":1,\"ops\":[1-9]")
    fail("--only scale: no result for ${w}")
  endif()
endforeach()
string(REGEX MATCHALL "\"type\":\"result\"" results "${out}")
list(LENGTH results nresults)
if(NOT nresults EQUAL 7)
  fail("--only scale: expected 7 results, got ${nresults}")
endif()

# An unknown workload is refused with status 2.
execute_process(COMMAND ${BENCH} --only no_such_workload
  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 2)
  fail("unknown workload gave status ${rc}, expected 2")
endif()
message(STATUS "bench smoke test passed: ${version} from ${real}")
