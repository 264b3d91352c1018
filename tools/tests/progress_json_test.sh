#!/usr/bin/env bash
# -P progress of mdb_dump, mdb_load, mdb_copy (with and without -c, to a
# directory and to standard output) and mdb_chk, and -j JSON of mdb_chk and
# mdb_stat.
#   progress_json_test.sh progress | json
# progress: with -P the report is on stderr and stdout (and the files made) are
#   byte for byte what the run without -P gives; without -P and with stderr not
#   a terminal nothing is reported; with stderr a terminal (script(1)) it is.
# json: the output parses (python3 -m json.tool) and has the values the text
#   output shows; a damaged environment gives status "problems".
# Environment: TOOLS_BIN, GEN (gen_env), WORK.
set -uo pipefail
: "${TOOLS_BIN:?}" "${GEN:?}" "${WORK:?}"
group=$1
fail=0
bad() { echo "FAIL: $*"; fail=1; }
T=$TOOLS_BIN
PY=/usr/bin/python3
rm -rf "${WORK:?}/$group"
mkdir -p "$WORK/$group"
cd "$WORK/$group" || exit 1

mkdir -p big named
"$GEN" big big 30000 >/dev/null || { echo "gen_env big failed"; exit 1; }
"$GEN" named named >/dev/null || { echo "gen_env named failed"; exit 1; }

# progress_line FILE UNIT: the last report says everything was done.
final_line() {
  local file=$1 unit=$2
  grep -Eq ": ([0-9]+/)?[0-9]+ $unit( \(100%\))?(, [0-9]+ $unit/s)?, done in [0-9:]+ \([0-9.]+ s\)$" "$file"
}

# same_out NAME CMD...: runs CMD with and without -P (inserted after the tool);
# stdout equal, stderr empty without -P, a final report with it.
check_tool() {
  local name=$1 unit=$2; shift 2
  local tool=$1; shift
  "$tool" "$@" >"$name.plain.out" 2>"$name.plain.err" </dev/null || bad "$name failed"
  "$tool" -P "$@" >"$name.P.out" 2>"$name.P.err" </dev/null || bad "$name -P failed"
  cmp -s "$name.plain.out" "$name.P.out" || bad "$name: stdout changes with -P"
  [ -s "$name.plain.err" ] && bad "$name: stderr not empty without -P: $(head -c 200 "$name.plain.err")"
  final_line "$name.P.err" "$unit" || bad "$name -P: no final report: $(tail -n 2 "$name.P.err")"
  echo "$name: $(tail -n 1 "$name.P.err")"
}

case $group in
progress)
  check_tool dump records "$T/mdb_dump" big
  check_tool dump_all records "$T/mdb_dump" -a named
  grep -q '^[^ ].*: [0-9]*/[0-9]* records' dump_all.P.err || bad "mdb_dump -a: no total"
  check_tool chk pages "$T/mdb_chk" big
  check_tool copy_stdout pages "$T/mdb_copy" big
  check_tool copy_stdout_c pages "$T/mdb_copy" -c big
  # The copies to standard output, with or without -P, are the same bytes.
  # To a directory: the files are the same.
  for c in "" -c; do
    rm -rf cp.plain cp.P; mkdir cp.plain cp.P
    "$T/mdb_copy" $c big cp.plain 2>cp.plain.err || bad "mdb_copy $c"
    "$T/mdb_copy" -P $c big cp.P 2>cp.P.err || bad "mdb_copy -P $c"
    cmp -s cp.plain/data.mdb cp.P/data.mdb || bad "mdb_copy $c: the copy differs with -P"
    [ -s cp.plain.err ] && bad "mdb_copy $c: stderr not empty without -P"
    final_line cp.P.err pages || bad "mdb_copy -P $c: no final report"
    echo "copy_dir$c: $(tail -n 1 cp.P.err)"
  done
  # mdb_load from a file (bytes of input) and from a pipe (records).
  "$T/mdb_dump" big >big.dump
  for how in file pipe; do
    for p in "" -P; do
      rm -rf "load.$how$p"; mkdir "load.$how$p"
      if [ $how = file ]; then
        "$T/mdb_load" $p -f big.dump "load.$how$p" 2>"load.$how$p.err" || bad "mdb_load $p ($how)"
      else
        cat big.dump | "$T/mdb_load" $p "load.$how$p" 2>"load.$how$p.err" || bad "mdb_load $p ($how)"
      fi
    done
    [ -s "load.$how.err" ] && bad "mdb_load ($how): stderr not empty without -P"
    unit=bytes; [ $how = pipe ] && unit=records
    final_line "load.$how-P.err" $unit || bad "mdb_load -P ($how): no final report: $(cat "load.$how-P.err")"
    "$T/mdb_dump" "load.$how-P" | cmp -s - big.dump || bad "mdb_load -P ($how) loaded something else"
    echo "load_$how: $(tail -n 1 "load.$how-P.err")"
  done
  # stderr a terminal: a report without -P, redrawn in place; stdout still clean.
  if command -v script >/dev/null; then
    script -qec "$T/mdb_dump big >tty.out" /dev/null >tty.log 2>&1 </dev/null || bad "mdb_dump under script"
    grep -q $'\r.*records' tty.log || bad "no report on a terminal: $(head -c 300 tty.log | od -c | head -5)"
    cmp -s tty.out dump.plain.out || bad "stdout differs when stderr is a terminal"
    echo "terminal: $(tr '\r' '\n' <tty.log | grep -c records) redraws"
  else
    bad "script(1) is missing (bsdutils)"
  fi
  ;;
json)
  "$T/mdb_chk" -j big >chk.json; rc=$?
  [ $rc -eq 0 ] || bad "mdb_chk -j exited $rc"
  $PY -m json.tool chk.json >/dev/null || bad "mdb_chk -j output is not JSON"
  "$T/mdb_stat" -j -a named >stat_named.json || bad "mdb_stat -j -a"
  "$T/mdb_stat" -j -rr big >stat_big.json || bad "mdb_stat -j -rr"
  for f in stat_named.json stat_big.json; do
    $PY -m json.tool "$f" >/dev/null || bad "$f is not JSON"
  done
  # The values: against the text output of the same tools.
  "$T/mdb_stat" -e -f big >stat_big.txt
  "$T/mdb_stat" -a named >stat_named.txt
  $PY - chk.json stat_big.json stat_big.txt stat_named.json stat_named.txt <<'PYEOF' || bad "JSON values"
import json, re, sys
chk, sbig, sbig_txt, snamed, snamed_txt = sys.argv[1:]
c = json.load(open(chk))
assert c["status"] == "clean" and c["exit_code"] == 0 and c["problem_count"] == 0, c
assert c["problems"] == [] and c["checked"] is True
main = [d for d in c["databases"] if d["name"] == "Main DB"][0]
assert main["entries"] == 30000, main
u = c["page_usage"]
assert u["total"] == c["last_pgno"] + 1 == u["meta"] + u["tree"] + u["overflow"] + u["free"] + u["leaked"], u
for k in ("page_size", "snapshot_txnid", "map_size", "file_pages", "free_pages", "elapsed_seconds"):
    assert k in c, k

s = json.load(open(sbig))
txt = open(sbig_txt).read()
def txtnum(label):
    return int(re.search(r"%s: (\d+)" % re.escape(label), txt).group(1))
env = s["environment"]
assert env["pages_used"] == txtnum("Number of pages used") == c["last_pgno"] + 1, env
assert env["map_size"] == txtnum("Map size") and env["page_size"] == txtnum("Page size")
assert env["last_txnid"] == txtnum("Last transaction ID") == c["snapshot_txnid"]
assert s["freelist"]["free_pages"] == txtnum("Free pages") == c["free_pages"]
assert s["databases"][0]["name"] is None and s["databases"][0]["entries"] == 30000
assert s["stale_readers_cleared"] == 0 and s["readers"] == [], s.get("readers")

n = json.load(open(snamed))
names = [d["name"] for d in n["databases"]]
txt_names = re.findall(r"^Status of (.*)$", open(snamed_txt).read(), re.M)
assert names == [None] + txt_names[1:], (names, txt_names)
txt_entries = [int(x) for x in re.findall(r"Entries: (\d+)", open(snamed_txt).read())]
assert [d["entries"] for d in n["databases"]] == txt_entries
print("json values: ok (%d named databases)" % (len(names) - 1))
PYEOF
  # A reader holding a snapshot is listed.
  coproc HOLD ("$GEN" hold big)
  read -r line <&"${HOLD[0]}"
  [ "$line" = ready ] || bad "gen_env hold"
  "$T/mdb_stat" -j -r big >stat_readers.json
  $PY -c 'import json,sys; r=json.load(open(sys.argv[1]))["readers"]; assert len(r)==1 and r[0]["pid"]==int(sys.argv[2]) and r[0]["txnid"]>0, r' \
    stat_readers.json "$HOLD_PID" || bad "mdb_stat -j -r does not list the reader"
  kill "$HOLD_PID"; wait "$HOLD_PID" 2>/dev/null
  # A damaged copy: status "problems", exit 1, the problems listed.
  mkdir -p damaged && cp big/data.mdb damaged/
  psize=$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["page_size"])' chk.json)
  leaf=$(( $("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["last_pgno"])' chk.json) - 3 ))
  printf 'garbage!%.0s' $(seq 1 64) | dd of=damaged/data.mdb bs=1 seek=$((leaf * psize + 40)) conv=notrunc status=none
  "$T/mdb_chk" -j damaged >damaged.json; rc=$?
  [ $rc -eq 1 ] || bad "mdb_chk -j on a damaged file exited $rc"
  $PY -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["status"] == "problems" and d["exit_code"] == 1, d["status"]
assert d["problem_count"] == len(d["problems"]) > 0
print("damaged:", d["problem_count"], "problems, first:", d["problems"][0])' damaged.json || bad "damaged.json"
  ;;
*) echo "unknown group $group"; exit 2 ;;
esac
[ $fail -eq 0 ] && echo "$group: OK"
exit $fail
