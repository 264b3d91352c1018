#!/usr/bin/env bash
# Tests of mdb_chk.  Usage: chk_test.sh GROUP
#   healthy   environments of every kind built with our library: exit 0, no
#             problem lines; the statistics agree with mdb_stat; -v lists
#             every page; options and usage errors
#   upstream  the same kinds built with upstream's liblmdb.so.0
#   live      checks while another process keeps committing
#   corrupt   copies patched in one known way each: exit 1 and a problem line
#             naming the right page
#   garbage   random damage: never a crash, a hang or a sanitizer report
# Environment (set by CTest): CHK, GEN (gen_env), HELPER (chk_helper), WORK,
# UPSTREAM_LIBDIR.
set -u
: "${CHK:?}" "${GEN:?}" "${HELPER:?}" "${WORK:?}"
group=${1:?group}
TOOLS_BIN=$(dirname "$CHK")
# Sanitizer reports must not pass for exit status 1 ("problems found").
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}exitcode=86"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:+$UBSAN_OPTIONS:}exitcode=86:print_stacktrace=1"

W=$WORK/$group
rm -rf "$W"
mkdir -p "$W"
failures=0
checks=0

fail() {
	echo "FAIL: $*"
	failures=$((failures + 1))
}

# run_chk OUT [options] DIR: runs mdb_chk, stdout to OUT, stderr to OUT.err,
# sets $rc.
run_chk() {
	local out=$1
	shift
	checks=$((checks + 1))
	timeout 120 "$CHK" "$@" >"$out" 2>"$out.err"
	rc=$?
	if grep -qE "Sanitizer|runtime error" "$out.err"; then
		fail "sanitizer report from mdb_chk $*"
		sed 's/^/    /' "$out.err" | head -30
	fi
}

expect_clean() {
	local name=$1
	shift
	run_chk "$W/$name.out" "$@"
	if [ "$rc" != 0 ] || grep -q '^problem:' "$W/$name.out" || [ -s "$W/$name.out.err" ]; then
		fail "$name: mdb_chk $* exited $rc on a healthy environment"
		head -20 "$W/$name.out" "$W/$name.out.err" | sed 's/^/    /'
	fi
}

# The programs that build environments run with the library in $BUILD_LIB
# (upstream's for the upstream group), mdb_chk always with ours.
BUILD_LIB=
build() {
	if [ -n "$BUILD_LIB" ]; then
		LD_LIBRARY_PATH=$BUILD_LIB "$@"
	else
		"$@"
	fi
}

# A fresh environment built by gen_env or chk_helper.
make_env() { # DIR KIND [ARG]
	local dir=$1 kind=$2
	shift 2
	mkdir -p "$dir"
	case $kind in
	churn | deep | writemap) build "$HELPER" gen "$kind" "$dir" ;;
	*) build "$GEN" "$kind" "$dir" "$@" ;;
	esac || { fail "building $kind"; return 1; }
}

KINDS="plain named dupsort intkey mixed text empty churn deep writemap"

# The statistics of a tree as mdb_chk prints them, and as mdb_stat does.
stat_block() { # FILE TITLE
	awk -v t="Status of $2" '$0 == t {p = 1; next} p && /^  / {print; next} {p = 0}' "$1"
}

check_kinds() {
	for kind in $KINDS; do
		local d=$W/$kind
		make_env "$d" "$kind" || continue
		expect_clean "$kind" "$d"
		# Same numbers as mdb_stat for the main db (our tools, our library).
		LD_LIBRARY_PATH= "$TOOLS_BIN/mdb_stat" "$d" >"$W/$kind.stat" 2>&1
		if [ "$(stat_block "$W/$kind.out" "Main DB")" != "$(stat_block "$W/$kind.stat" "Main DB")" ]; then
			fail "$kind: main db statistics differ from mdb_stat"
			diff <(stat_block "$W/$kind.out" "Main DB") <(stat_block "$W/$kind.stat" "Main DB") | sed 's/^/    /'
		fi
	done
	make_env "$W/big" big 30000 && expect_clean big "$W/big"
	build "$GEN" nosubdir "$W/nosubdir.mdb" || fail "building nosubdir"
	expect_clean nosubdir -n "$W/nosubdir.mdb"
	# A snapshot held by a reader while more commits go on: the free db keeps
	# records that cannot be reused yet.
	make_env "$W/held" churn || return
	build "$GEN" hold "$W/held" >"$W/hold.out" </dev/null &
	local hp=$!
	sleep 0.3
	build "$HELPER" gen churn "$W/held" || fail "second churn"
	kill -TERM "$hp" 2>/dev/null
	wait "$hp"
	expect_clean held "$W/held"
}

group_healthy() {
	check_kinds
	local d=$W/churn
	# -v lists every page the layout walker of chk_helper finds.
	run_chk "$W/v.out" -v "$d"
	"$HELPER" list "$d/data.mdb" >"$W/list"
	local missing
	missing=$(awk '$1 == "page" {print $2} $1 == "overflow" {print $2}' "$W/list" | sort -u |
		while read -r pg; do grep -q "^page $pg: " "$W/v.out" || echo "$pg"; done | head -5)
	[ -z "$missing" ] || fail "-v does not list pages $missing"
	local nfree
	nfree=$(awk '$1 == "free" {n += $5} END {print n + 0}' "$W/list")
	[ "$(grep -c ': free (txn ' "$W/v.out")" = "$nfree" ] || fail "-v does not list the $nfree free pages"
	# -q: nothing at all on a healthy environment.
	run_chk "$W/q.out" -q "$d"
	[ "$rc" = 0 ] && [ ! -s "$W/q.out" ] || fail "-q printed something or exited $rc"
	# -s: one named database.
	run_chk "$W/s.out" -s dups "$d"
	[ "$rc" = 0 ] && grep -q '^Status of "dups"' "$W/s.out" && ! grep -q '^Status of "plain"' "$W/s.out" ||
		fail "-s dups: exit $rc"
	run_chk "$W/s2.out" -s nosuchdb "$d"
	[ "$rc" = 2 ] || fail "-s nosuchdb: exit $rc, expected 2"
	# -w: the writer lock; -i: no order checks.
	expect_clean w -w "$d"
	expect_clean i -i "$d"
	# Usage and open errors: exit 2.
	run_chk "$W/u1.out"
	[ "$rc" = 2 ] || fail "no arguments: exit $rc"
	run_chk "$W/u2.out" -x "$d"
	[ "$rc" = 2 ] || fail "unknown option: exit $rc"
	run_chk "$W/u3.out" "$W/does-not-exist"
	[ "$rc" = 2 ] || fail "missing environment: exit $rc"
	run_chk "$W/u4.out" -V
	[ "$rc" = 0 ] && grep -q 'LMDB' "$W/u4.out" || fail "-V"
}

group_upstream() {
	local lib=${UPSTREAM_LIBDIR:-/usr/lib/x86_64-linux-gnu}
	if [ ! -e "$lib/liblmdb.so.0" ]; then
		echo "upstream liblmdb.so.0 not found in $lib"
		exit 1
	fi
	BUILD_LIB=$lib
	check_kinds
	# Upstream's bare mdb_drop() of the main db loses the pages of the named
	# databases: a real leak, which must be found.
	make_env "$W/naive" named && build "$GEN" naive-drop "$W/naive"
	run_chk "$W/naive.out" "$W/naive"
	[ "$rc" = 1 ] && grep -q '^problem: page [0-9]*: leaked' "$W/naive.out" ||
		fail "upstream's naive drop: leaked pages not reported (exit $rc)"
}

group_live() {
	local d=$W/live
	mkdir -p "$d"
	mkfifo "$W/ctl"
	"$HELPER" churn "$d" <"$W/ctl" >"$W/churn.out" 2>"$W/churn.err" &
	local pid=$!
	exec 3>"$W/ctl"
	for _ in $(seq 100); do
		grep -q ready "$W/churn.out" 2>/dev/null && break
		sleep 0.1
	done
	grep -q ready "$W/churn.out" || fail "the writer did not start"
	local before after
	before=$(LD_LIBRARY_PATH= "$TOOLS_BIN/mdb_stat" -e "$d" | awk '/Last transaction ID/ {print $4}')
	for i in $(seq 30); do
		expect_clean "live$i" "$d"
	done
	expect_clean livew -w "$d"
	for i in $(seq 5); do
		expect_clean "liveq$i" -q "$d"
	done
	after=$(LD_LIBRARY_PATH= "$TOOLS_BIN/mdb_stat" -e "$d" | awk '/Last transaction ID/ {print $4}')
	exec 3>&-
	wait "$pid" || fail "the writer failed: $(cat "$W/churn.err")"
	echo "writer: txn $before -> $after during the checks; $(cat "$W/churn.err")"
	[ "${after:-0}" -gt "${before:-0}" ] || fail "no commits happened while checking"
	# Snapshots seen by the checks really moved on.
	[ "$(grep -h 'Snapshot: txn' "$W"/live*.out | sort -u | wc -l)" -gt 3 ] ||
		fail "all checks saw the same few snapshots"
	expect_clean final "$d"
}

# ---- corruption ------------------------------------------------------------------

# fresh NAME KIND: a copy of the healthy environment $W/src-KIND in $W/NAME;
# sets $F (its data file) and $L (its page list).
fresh() {
	local name=$1 kind=$2
	if [ ! -d "$W/src-$kind" ]; then
		make_env "$W/src-$kind" "$kind" || return 1
		"$HELPER" list "$W/src-$kind/data.mdb" >"$W/src-$kind.list"
	fi
	rm -rf "${W:?}/$name"
	mkdir -p "$W/$name"
	cp "$W/src-$kind/data.mdb" "$W/$name/data.mdb"
	F=$W/$name/data.mdb
	L=$W/src-$kind.list
	D=$W/$name
	NAME=$name
}

# expect_problem PAGE REGEX: mdb_chk on $D exits 1 with a problem line for PAGE
# matching REGEX.
expect_problem() {
	local page=$1 re=$2
	run_chk "$W/$NAME.out" "$D"
	if [ "$rc" != 1 ] || ! grep -qE "^problem: page $page: .*$re" "$W/$NAME.out"; then
		fail "$NAME: expected exit 1 and 'problem: page $page: ...$re', got exit $rc"
		head -20 "$W/$NAME.out" "$W/$NAME.out.err" | sed 's/^/    /'
	fi
}

# Values from a page list.
first_page() { awk -v t="$1" -v db="$2" '$1 == "page" && $3 == t && $4 == db {print $2; exit}' "$L"; }
nth_page() { awk -v t="$1" -v db="$2" -v n="$3" '$1 == "page" && $3 == t && $4 == db && ++k == n {print $2; exit}' "$L"; }

group_corrupt() {
	local ps=4096 leaf branch pg ov cnt last

	# wrong page type
	fresh type-leaf plain
	leaf=$(nth_page leaf main 3)
	"$HELPER" set "$F" "$leaf" 10 2 4
	expect_problem "$leaf" "main db: page flags 0x4: not a branch or leaf"
	fresh type-branch plain
	branch=$(first_page branch main)
	"$HELPER" set "$F" "$branch" 10 2 2
	expect_problem "$branch" "main db"
	fresh type-dup dupsort
	pg=$(first_page leaf2 dupfixed/dups)
	"$HELPER" set "$F" "$pg" 10 2 2
	expect_problem "$pg" "dupfixed.*leaf page where LEAF2 pages are expected"

	# bad lower/upper
	fresh lower-odd plain
	leaf=$(nth_page leaf main 2)
	"$HELPER" set "$F" "$leaf" 12 2 17
	expect_problem "$leaf" "bad lower/upper 17/"
	fresh upper-big named
	leaf=$(first_page leaf alpha)
	"$HELPER" set "$F" "$leaf" 14 2 $((ps + 2))
	expect_problem "$leaf" "db \"alpha\": leaf page: bad lower/upper [0-9]+/$((ps + 2))"
	fresh lower-above-upper plain
	branch=$(first_page branch main)
	"$HELPER" set "$F" "$branch" 12 2 4000
	expect_problem "$branch" "branch page: bad lower/upper 4000/"

	# node out of bounds
	fresh node-offset plain
	leaf=$(nth_page leaf main 2)
	"$HELPER" set "$F" "$leaf" 18 2 $((ps - 4))
	expect_problem "$leaf" "key 1: node offset $((ps - 4)) outside the node area"
	fresh node-ksize intkey
	leaf=$(first_page leaf u64)
	"$HELPER" node "$F" "$leaf" 2 ksize 5000
	expect_problem "$leaf" "key 2: node at offset [0-9]+ ends at [0-9]+, past the page end"
	fresh node-dsize intkey
	leaf=$(nth_page leaf u32 2)
	"$HELPER" node "$F" "$leaf" 0 hi 3
	expect_problem "$leaf" "key 0: node at offset"

	# keys out of order: in a leaf, in a branch, against the separator
	fresh order-leaf plain
	leaf=$(nth_page leaf main 2)
	"$HELPER" swap "$F" "$leaf" 3 4
	expect_problem "$leaf" "main db: key 4: keys out of order"
	fresh order-branch deep
	branch=$(nth_page branch deep 2)
	"$HELPER" swap "$F" "$branch" 1 2
	expect_problem "$branch" "db \"deep\": key 2: keys out of order"
	fresh order-sep plain
	leaf=$(nth_page leaf main 3)
	"$HELPER" key "$F" "$leaf" 0 0 0x20
	expect_problem "$leaf" "key 0: first key below its separator in parent page $(first_page branch main)"
	fresh order-sep-hi plain
	leaf=$(nth_page leaf main 2)
	"$HELPER" key "$F" "$leaf" 0 0 0x7e
	expect_problem "$leaf" "keys out of order|not below the next separator"
	fresh order-intkey intkey
	leaf=$(first_page leaf u32)
	"$HELPER" swap "$F" "$leaf" 0 5
	expect_problem "$leaf" "db \"u32\": key [0-9]: keys out of order"
	fresh order-revkey intkey
	leaf=$(nth_page leaf revkey 2)
	"$HELPER" swap "$F" "$leaf" 7 8
	expect_problem "$leaf" "db \"revkey\": key 8: keys out of order"
	# -i skips the order checks (for custom comparators)
	run_chk "$W/order-revkey-i.out" -i "$D"
	[ "$rc" = 0 ] || fail "-i still reports the swapped keys (exit $rc)"
	fresh order-leaf2 dupsort
	pg=$(first_page leaf2 dupfixed/dups)
	"$HELPER" set "$F" "$pg" 16 8 0xffffffffffffffff
	expect_problem "$pg" "dupfixed/?.* dups of key [0-9]+ on page [0-9]+: key 1: keys out of order"

	# wrong entry count and depth in the database records
	fresh entries-main plain
	cnt=$("$TOOLS_BIN/mdb_stat" "$D" | awk '/Entries/ {print $2}')
	"$HELPER" meta "$F" main.entries $((cnt + 1))
	local slot
	slot=$(awk '$1 == "meta" {print $2}' "$L")
	expect_problem "$slot" "main db: record says $((cnt + 1)) entries, found $cnt"
	fresh entries-named named
	read -r _ _ pg idx < <(grep '^record beta ' "$L")
	"$HELPER" rec "$F" "$pg" "$idx" entries 7
	expect_problem "$pg" "db \"beta\": key $idx: record says 7 entries, found 20"
	fresh entries-subdb dupsort
	read -r _ _ pg idx _ < <(grep '^subdb dupfixed ' "$L")
	"$HELPER" rec "$F" "$pg" "$idx" entries 1
	expect_problem "$pg" "db \"dupfixed\" dups of key $idx on page $pg: key $idx: record says 1 entries"
	fresh depth-main plain
	"$HELPER" meta "$F" main.depth 3
	expect_problem "$slot" "main db: record says 3 levels \\(depth\\), found 2"
	fresh depth-named deep
	read -r _ _ pg idx < <(grep '^record deep ' "$L")
	local depth
	depth=$(awk '$1 == "page" && $4 == "deep" && $5 > m {m = $5} END {print m}' "$L")
	[ "$depth" -ge 4 ] || fail "the deep environment has only $depth levels"
	"$HELPER" rec "$F" "$pg" "$idx" depth $((depth - 1))
	expect_problem "$pg" "db \"deep\": key $idx: record says $((depth - 1)) levels \\(depth\\), found $depth"
	fresh branch-count named
	read -r _ _ pg idx < <(grep '^record alpha ' "$L")
	"$HELPER" rec "$F" "$pg" "$idx" branch 0
	expect_problem "$pg" "db \"alpha\": key $idx: record says 0 branch pages, found 1"

	# an overflow run past the end
	fresh overflow-end plain
	ov=$(awk '$1 == "overflow" {print $2; exit}' "$L")
	last=$(awk '$1 == "meta" {print $3}' "$L")
	"$HELPER" set "$F" "$ov" 12 4 "$last"
	expect_problem "$ov" "overflow run of $last pages goes past the last page $last"
	fresh overflow-short plain
	read -r _ ov cnt _ < <(awk '$1 == "overflow" && $3 > 1' "$L" | head -1)
	"$HELPER" set "$F" "$ov" 12 4 1
	expect_problem "$ov" "overflow run of 1 pages, the value of [0-9]+ bytes needs [0-9]+"
	leaked_covers $((ov + 1)) || fail "overflow-short: page $((ov + 1)) not leaked"
	fresh overflow-type plain
	ov=$(awk '$1 == "overflow" {print $2; exit}' "$L")
	"$HELPER" set "$F" "$ov" 10 2 2
	expect_problem "$ov" "not an overflow page"

	# a page referenced twice; a cycle
	fresh twice plain
	branch=$(first_page branch main)
	local c0 c1
	c0=$("$HELPER" children "$F" "$branch" | sed -n 1p)
	c1=$("$HELPER" children "$F" "$branch" | sed -n 2p)
	"$HELPER" child "$F" "$branch" 0 "$c1"
	expect_problem "$c1" "used twice: by main db and by main db"
	leaked_covers "$c0" || fail "twice: the orphaned page $c0 is not reported as leaked"
	fresh cycle deep
	branch=$(nth_page branch deep 3)
	"$HELPER" child "$F" "$branch" 1 "$(first_page branch deep)"
	expect_problem "$(first_page branch deep)" "used twice"
	fresh cross-db named
	read -r _ _ pg idx < <(grep '^record beta ' "$L")
	"$HELPER" rec "$F" "$pg" "$idx" root "$(first_page leaf alpha)"
	expect_problem "$(first_page leaf alpha)" "used twice: by db \"alpha\" and by db \"beta\""

	# leaked pages: a free list entry removed; a page added to nothing
	fresh leak-free plain
	local fpg fidx ftxn fcnt entries
	read -r _ fpg fidx ftxn fcnt entries < <(awk '$1 == "free" && $5 > 1' "$L" | head -1)
	local lastfree=${entries##* }
	"$HELPER" idl "$F" "$fpg" "$fidx" 0 $((fcnt - 1))
	expect_problem "$lastfree" "leaked: in no tree and not free"
	fresh leak-grow plain
	last=$("$HELPER" grow "$F")
	expect_problem "$last" "leaked: in no tree and not free"
	# past the end of the file: a page that was never written must be free
	fresh leak-eof plain
	last=$("$HELPER" grow "$F" noextend)
	expect_problem "$last" "leaked: in no tree and not free"
	grep -q "^note: last page $last is beyond the end of the file" "$W/$NAME.out" || fail "leak-eof: no note"
	# a free page that is also in a tree
	fresh free-used plain
	read -r _ fpg fidx ftxn fcnt entries < <(awk '$1 == "free" && $5 > 1' "$L" | head -1)
	local prev
	prev=$(echo "$entries" | awk '{print $(NF - 1)}')
	pg=$(awk -v lim="$prev" '($1 == "page" || $1 == "overflow") && $2 < lim {print $2; exit}' "$L")
	if [ -n "$pg" ]; then
		"$HELPER" idl "$F" "$fpg" "$fidx" "$fcnt" "$pg"
		expect_problem "$pg" "listed as free, but used by main db"
		leaked_covers "$lastfree" || fail "free-used: page $lastfree not leaked"
	else
		fail "free-used: no tree page below $prev"
	fi
	fresh free-range plain
	read -r _ fpg fidx ftxn fcnt entries < <(awk '$1 == "free" && $5 > 1' "$L" | head -1)
	"$HELPER" idl "$F" "$fpg" "$fidx" 1 999999
	expect_problem "$fpg" "free db: key $fidx: free list of txn $ftxn: page 999999 outside pages"
	fresh free-order plain
	"$HELPER" idl "$F" "$fpg" "$fidx" 1 2
	expect_problem "$fpg" "free db: key $fidx: free list of txn $ftxn: page [0-9]+ after 2 \\(not descending\\)"

	# meta pages
	fresh magic-other plain
	local other=$((1 - slot))
	"$HELPER" meta "$F" magic 0x12345678 "$other"
	expect_problem "$other" "meta $other: bad magic 0x12345678"
	grep -q '^problem: the library cannot open the environment' "$W/$NAME.out" || fail "magic-other: open failure not reported"
	grep -q "Snapshot: txn .* (meta page $slot)" "$W/$NAME.out" || fail "magic-other: did not check meta $slot"
	fresh magic-current plain
	"$HELPER" meta "$F" magic 0 "$slot"
	expect_problem "$slot" "meta $slot: bad magic 0x00000000"
	grep -q "Snapshot: txn .* (meta page $other)" "$W/$NAME.out" || fail "magic-current: did not fall back to meta $other"
	fresh version plain
	"$HELPER" meta "$F" version 7 "$other"
	expect_problem "$other" "meta $other: data format version 7"
	fresh mapsize plain
	"$HELPER" meta "$F" mapsize 8192 "$other"
	expect_problem "$other" "does not fit in the map size 8192"
	fresh meta-root plain
	"$HELPER" meta "$F" main.root 99999999
	expect_problem "$slot" "main db root page 99999999 outside pages"
	fresh meta-last plain
	"$HELPER" meta "$F" last_pgno 0xffffffffffff
	expect_problem "$slot" "meta $slot: last page 281474976710655 is far beyond the end of the file"
	grep -q '^problem: the library cannot open the environment' "$W/$NAME.out" || fail "meta-last: open failure not reported"

	# sub-pages of duplicates
	fresh subpage-bounds dupsort
	read -r _ _ pg idx _ _ < <(grep '^subpage dups ' "$L")
	"$HELPER" sub "$F" "$pg" "$idx" 12 2 15
	expect_problem "$pg" "db \"dups\": key $idx: sub-page: bad lower/upper 15/"
	fresh subpage-order dupsort
	read -r _ _ pg idx cnt _ < <(awk '$1 == "subpage" && $2 == "intdup" && $5 > 1' "$L")
	"$HELPER" sub "$F" "$pg" "$idx" 16 4 0xffffffff
	expect_problem "$pg" "db \"intdup\": key $idx: duplicates 0 and 1 out of order"
	fresh subpage-type dupsort
	read -r _ _ pg idx _ _ < <(grep '^subpage revdup ' "$L")
	"$HELPER" sub "$F" "$pg" "$idx" 10 2 0x62
	expect_problem "$pg" "db \"revdup\": key $idx: sub-page flags 0x62, expected 0x42"
	fresh subpage-node dupsort
	read -r _ _ pg idx cnt _ < <(awk '$1 == "subpage" && $2 == "revdup" && $5 > 2' "$L")
	"$HELPER" sub "$F" "$pg" "$idx" 18 2 4
	expect_problem "$pg" "db \"revdup\": key $idx: sub-page node 1 at offset 4 outside"
}

# leaked_covers PAGE: the last output reports PAGE as leaked (alone or in a range).
leaked_covers() {
	awk -v pg="$1" '
		/^problem: page [0-9]+: leaked: pages [0-9]+-[0-9]+/ {
			split($6, r, "-"); if (pg + 0 >= r[1] + 0 && pg + 0 <= r[2] + 0) found = 1 }
		/^problem: page [0-9]+: leaked: in no tree/ { p = $3; sub(":", "", p); if (p + 0 == pg + 0) found = 1 }
		END { exit !found }' "$W/$NAME.out"
}

group_garbage() {
	# Deterministic: bash's RANDOM with a fixed seed.
	RANDOM=4242
	local kinds=(plain dupsort churn deep named intkey)
	local n=0 bad=0 found=0
	for round in $(seq 150); do
		local kind=${kinds[$((round % ${#kinds[@]}))]}
		fresh "g$round" "$kind" >/dev/null || continue
		local last
		last=$(awk '$1 == "meta" {print $3}' "$L")
		local hits=$((1 + RANDOM % 6))
		for _ in $(seq $hits); do
			local pg=$((2 + RANDOM % (last - 1)))
			local off width val
			if [ $((RANDOM % 2)) = 0 ]; then
				off=$((8 + RANDOM % 24)) # header and the first node pointers
			else
				off=$((RANDOM % 4096))
			fi
			width=1
			case $((RANDOM % 4)) in
			0) val=$((RANDOM % 256)) ;;
			1) val=255 ;;
			2) val=0 ;;
			*) val=$((RANDOM % 3)) ;;
			esac
			"$HELPER" set "$F" "$pg" "$off" "$width" "$val"
		done
		run_chk "$W/g.out" -v "$D"
		n=$((n + 1))
		[ "$rc" = 1 ] && found=$((found + 1))
		if [ "$rc" != 0 ] && [ "$rc" != 1 ]; then
			fail "garbage round $round ($kind): exit $rc"
			bad=$((bad + 1))
			cp -r "$D" "$W/keep-$round"
		fi
		rm -rf "$D"
	done
	# Damaged meta pages: any verdict but a crash.
	for round in $(seq 30); do
		fresh "m$round" plain >/dev/null || continue
		"$HELPER" set "$F" $((RANDOM % 2)) $((RANDOM % 160)) 1 $((RANDOM % 256))
		run_chk "$W/m.out" "$D"
		if [ "$rc" -gt 2 ]; then
			fail "meta garbage round $round: exit $rc"
			cp -r "$D" "$W/keep-m$round"
		fi
		rm -rf "$D"
	done
	# Extreme header values on every fifth page.
	for v in 0 1 0xffff 0x8000 4095 4096 4097; do
		for off in 8 10 12 14 16; do
			fresh "x$v-$off" churn >/dev/null || continue
			local pages
			pages=$(awk '$1 == "page" || $1 == "overflow" {print $2}' "$L" | awk 'NR % 5 == 1' | paste -sd,)
			"$HELPER" set "$F" "$pages" "$off" 2 "$v"
			run_chk "$W/x.out" -v "$D"
			# mp_pad means nothing outside LEAF2 pages: any verdict there.
			if [ "$rc" != 1 ] && { [ "$off" != 8 ] || [ "$rc" != 0 ]; }; then
				fail "extreme value $v at offset $off: exit $rc"
			fi
			rm -rf "$D"
		done
	done
	echo "$n garbage rounds, $found with problems found"
}

case $group in
healthy) group_healthy ;;
upstream) group_upstream ;;
live) group_live ;;
corrupt) group_corrupt ;;
garbage) group_garbage ;;
*)
	echo "unknown group $group"
	exit 2
	;;
esac
echo "$checks mdb_chk runs, $failures failures"
[ "$failures" = 0 ]
