#!/usr/bin/env bash
# "test && ok || fail" is intended here: ok always succeeds; printf formats
# are used to write test input with escapes.
# shellcheck disable=SC2015,SC2059
# Tests of mdb_stat, mdb_dump, mdb_load, mdb_copy and mdb_drop.
#
#   tools_test.sh GROUP      GROUP: cli stat dump load load_errors load_compat copy drop
#                                   readers
#
# Our tools are compared byte for byte with Debian's lmdb-utils (the oracle,
# LMDB 0.9.24, statically linked) on environments built by gen_env through
# the public API.  Where our tools deliberately do better than 0.9.24 (error
# messages, backslashes in -p dumps, all-or-nothing loads) the test checks
# our behaviour directly.
#
# Environment (set by CTest, see CMakeLists.txt):
#   TOOLS_BIN   directory of our tools      GEN       the gen_env program
#   HELPER      chk_helper (patches data files; optional, for mdb_drop)
#   ORACLE_BIN  directory of Debian's tools  WORK     scratch directory
#   LMDB_HEADER our include/lmdb.h (for the version string)
#   UPSTREAM_LIBDIR  where upstream's liblmdb.so.0 lives
#   LMDB_TOOLS_TEST_UPSTREAM=1  run our tools (and gen_env) against upstream's
#                    library instead of ours; UPSTREAM_DEFAULT gives the
#                    default chosen at configure time.
set -u
group=${1:?usage: tools_test.sh GROUP}
: "${TOOLS_BIN:?}" "${GEN:?}" "${ORACLE_BIN:?}" "${WORK:?}" "${LMDB_HEADER:?}"
UPSTREAM_LIBDIR=${UPSTREAM_LIBDIR:-/usr/lib/x86_64-linux-gnu}
upstream=${LMDB_TOOLS_TEST_UPSTREAM:-${UPSTREAM_DEFAULT:-0}}
case $upstream in 1|ON|on|yes|true|TRUE) upstream=1 ;; *) upstream=0 ;; esac

FAILS=0
CHECKS=0
fail() {
	FAILS=$((FAILS + 1))
	echo "FAIL: $*"
}
ok() { CHECKS=$((CHECKS + 1)); }

W="$WORK/$group"
rm -rf "$W"
mkdir -p "$W"
cd "$W" || exit 1

# ---- which library -------------------------------------------------------------
for t in mdb_stat mdb_dump mdb_load mdb_copy mdb_drop; do
	[ -x "$TOOLS_BIN/$t" ] || { echo "missing $TOOLS_BIN/$t"; exit 1; }
	# load_compat asserts LMDB 0.9's answers itself: the oracle is optional there
	[ "$t" = mdb_drop ] || [ "$group" = load_compat ] || [ -x "$ORACLE_BIN/$t" ] ||
		{ echo "missing oracle $ORACLE_BIN/$t"; exit 1; }
done
if [ "$upstream" = 1 ]; then
	[ -e "$UPSTREAM_LIBDIR/liblmdb.so.0" ] || { echo "no $UPSTREAM_LIBDIR/liblmdb.so.0"; exit 1; }
	export LD_LIBRARY_PATH="$UPSTREAM_LIBDIR${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
fi
lib=$(ldd "$TOOLS_BIN/mdb_stat" | awk '$1 == "liblmdb.so.0" { print $3 }')
lib=$(readlink -f "$lib")
echo "mode: $([ "$upstream" = 1 ] && echo upstream || echo ours) library, our tools load $lib"
if [ "$upstream" = 1 ]; then
	[ "$(dirname "$lib")" = "$(readlink -f "$UPSTREAM_LIBDIR")" ] || { echo "tools do not load upstream's library"; exit 1; }
else
	[ "$(dirname "$lib")" != "$(readlink -f "$UPSTREAM_LIBDIR")" ] ||
		{ echo "tools load upstream's library although ours was asked for (LD_LIBRARY_PATH?)"; exit 1; }
fi

# ---- running tools ---------------------------------------------------------------
# run NAME CMD...: stdout in NAME.out, stderr in NAME.err, status in NAME.rc
run() {
	local name=$1
	shift
	"$@" >"$name.out" 2>"$name.err"
	echo $? >"$name.rc"
}
ours() { local t=$1; shift; "$TOOLS_BIN/$t" "$@"; }
# our tool found through PATH, so that its messages start with its bare name
short() { PATH="$TOOLS_BIN:$PATH" "$@"; }
deb() { local t=$1; shift; "$ORACLE_BIN/$t" "$@"; }

# Strip the program paths, so that messages of both tools compare.
strip_prog() {
	local s
	s=$(cat "$1")
	s=${s//"$TOOLS_BIN/"/}
	s=${s//"$ORACLE_BIN/"/}
	printf '%s\n' "$s"
}

show_diff() {
	diff "$1" "$2" | head -n 8 | cut -c1-160
}

# same DESC STDERR(yes|no) TOOL ARGS...: our tool and the oracle print the
# same bytes on stdout and exit with the same status (and, with yes, print
# the same messages apart from the program path).
same() {
	local desc=$1 witherr=$2 tool=$3
	shift 3
	run o ours "$tool" "$@"
	run d deb "$tool" "$@"
	if ! cmp -s o.out d.out; then
		fail "$desc: stdout differs from Debian's $tool"
		show_diff o.out d.out
	elif [ "$(cat o.rc)" != "$(cat d.rc)" ]; then
		fail "$desc: exit status $(cat o.rc), Debian's $tool $(cat d.rc)"
	elif [ "$witherr" = yes ] && [ "$(strip_prog o.err)" != "$(strip_prog d.err)" ]; then
		fail "$desc: stderr differs from Debian's $tool"
		show_diff <(strip_prog o.err) <(strip_prog d.err)
	else
		ok
	fi
}

# expect_fail DESC PATTERN CMD...: exit status 1 and a message matching PATTERN
expect_fail() {
	local desc=$1 pattern=$2
	shift 2
	run e "$@"
	if [ "$(cat e.rc)" != 1 ]; then
		fail "$desc: exit status $(cat e.rc), expected 1"
		sed 's/^/    /' e.err | head -5
	elif ! grep -Eq -- "$pattern" e.err; then
		fail "$desc: message does not match /$pattern/:"
		sed 's/^/    /' e.err | head -5
	else
		ok
	fi
}

# expect_ok DESC CMD...: exit status 0
expect_ok() {
	local desc=$1
	shift
	run k "$@"
	if [ "$(cat k.rc)" != 0 ]; then
		fail "$desc: exit status $(cat k.rc)"
		sed 's/^/    /' k.err | head -5
	else
		ok
	fi
}

# same_pages DESC A B: two data files hold the same pages (bytes no reader
# looks at are ignored; upstream's compacting copy leaves heap garbage there)
same_pages() {
	if "$PAGECMP" "$2" "$3" >pc.out; then
		ok
	else
		fail "$1: $2 and $3 differ: $(cat pc.out)"
	fi
}

# same_files DESC A B
same_files() {
	if cmp -s "$2" "$3"; then
		ok
	else
		fail "$1: $2 and $3 differ"
		show_diff "$2" "$3"
	fi
}

# ---- environments ------------------------------------------------------------------
ENVS="plain named dupsort intkey mixed text empty"
make_envs() {
	mkdir -p envs
	for k in $ENVS; do
		mkdir -p "envs/$k"
		"$GEN" "$k" "envs/$k" || { echo "gen_env $k failed"; exit 1; }
	done
	"$GEN" nosubdir envs/nosub.mdb || { echo "gen_env nosubdir failed"; exit 1; }
}

# Named databases of an environment, as Debian's mdb_dump lists them.
dbs_of() { deb mdb_dump -l "$1" 2>/dev/null; }

# The version string our header declares.
version_string() {
	local maj min pat date
	maj=$(sed -n 's/^#define MDB_VERSION_MAJOR[[:space:]]*\([0-9]*\).*/\1/p' "$LMDB_HEADER")
	min=$(sed -n 's/^#define MDB_VERSION_MINOR[[:space:]]*\([0-9]*\).*/\1/p' "$LMDB_HEADER")
	pat=$(sed -n 's/^#define MDB_VERSION_PATCH[[:space:]]*\([0-9]*\).*/\1/p' "$LMDB_HEADER")
	date=$(sed -n 's/^#define MDB_VERSION_DATE[[:space:]]*"\(.*\)".*/\1/p' "$LMDB_HEADER")
	echo "LMDB $maj.$min.$pat: ($date)"
}

# Pages in use = 2 meta pages + pages of all trees + free pages.  Holds for
# environments without sorted duplicates (whose sub-trees mdb_stat does not
# count), and fails when pages were lost.
leak_check() {
	deb mdb_stat -efa "$@" | awk '
		/Number of pages used:/ { used = $NF }
		/Branch pages:|Leaf pages:|Overflow pages:/ { tree += $NF }
		/Free pages:/ { free = $NF }
		END { if (used != tree + free + 2) { print "used " used ", trees " tree ", free " free; exit 1 } }'
}

# ==== groups =========================================================================

group_cli() {
	local v t
	v=$(version_string)
	for t in mdb_stat mdb_dump mdb_load mdb_copy mdb_drop; do
		run v ours "$t" -V
		if [ "$(cat v.out)" = "$v" ] && [ "$(cat v.rc)" = 0 ]; then ok; else
			fail "$t -V printed '$(cat v.out)' (status $(cat v.rc)), expected '$v'"; fi
	done
	make_envs
	for t in mdb_stat mdb_dump; do
		same "$t without arguments" yes $t
		same "$t with a bad option" yes $t -x envs/plain
		same "$t with two paths" yes $t envs/plain envs/named
		same "$t -a -s" yes $t -a -s alpha envs/named
		same "$t -s -a" yes $t -s alpha -a envs/named
		same "$t -s without argument" yes $t envs/named -s
		same "$t with options after the path" yes $t envs/named -a
		same "$t with -- before the path" yes $t -a -- envs/named
	done
	same "mdb_dump -l -s" yes mdb_dump -l -s alpha envs/named
	same "mdb_load without arguments" no mdb_load
	# 0.9 opens -f's file when it sees -f: before -V
	same "mdb_load -f missing -V" no mdb_load -f nothere.dump -V
	expect_fail "mdb_load -f missing -V" 'nothere.dump: cannot open for reading: No such file or directory' \
		ours mdb_load -f nothere.dump -V
	same "mdb_load with a bad option" no mdb_load -x envs/plain
	same "mdb_copy without arguments" yes mdb_copy
	same "mdb_copy with grouped options" yes mdb_copy -cn envs/plain x
	same "mdb_copy with a bad option" yes mdb_copy -x envs/plain
	same "mdb_copy with three paths" yes mdb_copy envs/plain a b
	same "mdb_copy with an option after the path" no mdb_copy envs/plain -c
	# Our mdb_load has -a (LMDB 0.9.28), Debian's 0.9.24 has not.
	expect_fail "mdb_load usage" '^usage: mdb_load \[-V\] \[-a\] \[-f input\] \[-n\] \[-s name\] \[-N\] \[-T\] dbpath$' \
		short mdb_load
	expect_fail "mdb_load usage" '^usage: .*mdb_load \[-V\] \[-a\]' ours mdb_load a b
	expect_fail "mdb_drop usage" '^usage: mdb_drop \[-V\] \[-n\] \[-d\] \[-s subdb\] dbpath$' \
		short mdb_drop
	expect_fail "mdb_drop with a bad option" "invalid option -- 'x'" ours mdb_drop -x envs/plain
	expect_fail "mdb_drop with two paths" '^usage: ' ours mdb_drop envs/plain envs/named
}

group_stat() {
	local k n db o
	make_envs
	for k in $ENVS nosub.mdb; do
		n=
		[ "$k" = nosub.mdb ] && n=-n
		for o in "" -e -a -f -ff -fff "-e -a -fff" -r -rr "-e -r" "-r -a" "-rr -f"; do
			# shellcheck disable=SC2086
			same "mdb_stat $n $o $k" yes mdb_stat $n $o "envs/$k"
		done
		while IFS= read -r db; do
			same "mdb_stat -s $db $k" yes mdb_stat $n -s "$db" "envs/$k"
			same "mdb_stat -e -fff -s $db $k" yes mdb_stat $n -e -fff -s "$db" "envs/$k"
		done < <(dbs_of "envs/$k" $n)
	done
	same "mdb_stat -s 'with space'" yes mdb_stat -s "with space" envs/named
	same "mdb_stat -s 'back\\slash'" yes mdb_stat -s 'back\slash' envs/named

	# errors: same status and stdout as LMDB, clearer messages
	# write errors: status 0 as in 0.9, a message from us
	ours mdb_stat -a envs/named >/dev/full 2>full.err
	echo $? >full.rc
	deb mdb_stat -a envs/named >/dev/full 2>/dev/null
	[ "$(cat full.rc)" = "$?" ] && [ "$(cat full.rc)" = 0 ] && grep -q 'write error: No space left on device' full.err && ok ||
		fail "mdb_stat to a full disk: status $(cat full.rc), message '$(cat full.err)'"

	same "mdb_stat on a missing environment" no mdb_stat envs/missing
	expect_fail "mdb_stat on a missing environment" '^mdb_stat: envs/missing: cannot open environment: No such file or directory$' \
		short mdb_stat envs/missing
	same "mdb_stat -s on a missing database" no mdb_stat -s nosuch envs/named
	expect_fail "mdb_stat -s on a missing database" 'envs/named: no database named "nosuch"$' ours mdb_stat -s nosuch envs/named
	same "mdb_stat -s on a plain record" no mdb_stat -s aaa-plain envs/mixed
	expect_fail "mdb_stat -s on a plain record" '"aaa-plain" is a record of the main database, not a named database' \
		ours mdb_stat -s aaa-plain envs/mixed
	same "mdb_stat on a file without -n" no mdb_stat envs/nosub.mdb
	expect_fail "mdb_stat on a file without -n" 'cannot open environment: Not a directory \(the path is a file: use -n' \
		ours mdb_stat envs/nosub.mdb
	same "mdb_stat -n on a directory" no mdb_stat -n envs/plain
	expect_fail "mdb_stat -n on a directory" 'cannot open environment: .*\(the path is a directory' ours mdb_stat -n envs/plain
	echo "not an environment" >envs/junk.mdb
	same "mdb_stat on a file that is no environment" no mdb_stat -n envs/junk.mdb
	expect_fail "mdb_stat on a file that is no environment" 'envs/junk.mdb: cannot open environment: ' ours mdb_stat -n envs/junk.mdb
}

group_dump() {
	local k n db o
	make_envs
	for k in $ENVS nosub.mdb; do
		n=
		[ "$k" = nosub.mdb ] && n=-n
		for o in "" -a -l; do
			# shellcheck disable=SC2086
			same "mdb_dump $n $o $k" yes mdb_dump $n $o "envs/$k"
		done
		while IFS= read -r db; do
			same "mdb_dump -s $db $k" yes mdb_dump $n -s "$db" "envs/$k"
		done < <(dbs_of "envs/$k" $n)
		# -p: LMDB 0.9.25 fixed backslashes (ITS#9068): we write "\\" for
		# a backslash, 0.9.24 a single "\".  Apart from that, the same bytes.
		for o in -p "-p -a"; do
			# shellcheck disable=SC2086
			run o ours mdb_dump $n $o "envs/$k"
			# shellcheck disable=SC2086
			run d deb mdb_dump $n $o "envs/$k"
			sed 's/\\\\/\\/g' o.out >o.norm
			if cmp -s o.norm d.out && [ "$(cat o.rc)" = "$(cat d.rc)" ]; then ok; else
				fail "ITS#9068: mdb_dump $n $o $k: differs from Debian's beyond backslash doubling"
				show_diff o.norm d.out
			fi
		done
	done
	# Without backslashes in the data, -p output is identical.
	same "mdb_dump -p text" yes mdb_dump -p envs/text
	# And backslashes are doubled, everything else unprintable is \hh.
	ours mdb_dump -p -s 'back\slash' envs/named >bs.out
	if grep -qx 'database=back\\slash' bs.out && grep -qx ' value 0 \\\\ with text' bs.out &&
		grep -q '^ \\01\\02\\03' bs.out; then ok; else
		fail "mdb_dump -p does not escape as expected"
		head -12 bs.out
	fi
	ours mdb_dump -p envs/plain | grep -c '\\0a\\\\$' >bs.count
	[ "$(cat bs.count)" = 20 ] && ok || fail "mdb_dump -p: binary keys ending in newline+backslash: $(cat bs.count) of 20"

	# -f writes the same as stdout
	ours mdb_dump -a -f o.dump envs/dupsort
	deb mdb_dump -a -f d.dump envs/dupsort
	same_files "mdb_dump -f" o.dump d.dump
	# ... and is not touched when the environment cannot be opened
	echo "precious" >keep.dump
	expect_fail "mdb_dump -f on a missing environment" 'envs/missing: cannot open environment' \
		ours mdb_dump -f keep.dump envs/missing
	[ "$(cat keep.dump)" = precious ] && ok || fail "mdb_dump -f truncated its output file although nothing was dumped"
	expect_fail "mdb_dump -s missing -f" 'no database named "nosuch"' ours mdb_dump -s nosuch -f keep.dump envs/named
	[ "$(cat keep.dump)" = precious ] && ok || fail "mdb_dump -s nosuch -f truncated its output file"
	expect_fail "mdb_dump -f into a missing directory" 'nodir/x.dump: cannot open for writing: No such file or directory' \
		ours mdb_dump -f nodir/x.dump envs/plain
	# -V after -f writes the version into the file, as 0.9 does (it opens
	# the file when it sees -f); before -f, on stdout
	local t
	for t in ours deb; do
		rm -f "v.$t"
		$t mdb_dump -f "v.$t" -V >"v.$t.out" 2>&1
		echo "status $?" >>"v.$t.out"
	done
	[ "$(cat v.ours)" = "$(version_string)" ] && [ "$(cat v.ours.out)" = "status 0" ] && ok ||
		fail "mdb_dump -f FILE -V: '$(cat v.ours 2>&1)', stdout '$(cat v.ours.out)'"
	cmp -s v.deb.out v.ours.out && [ -s v.deb ] && ok || fail "mdb_dump -f FILE -V: status differs from Debian's"
	rm -f v.ours
	run v ours mdb_dump -V -f v.ours
	[ "$(cat v.out)" = "$(version_string)" ] && [ ! -e v.ours ] && [ "$(cat v.rc)" = 0 ] && ok ||
		fail "mdb_dump -V -f FILE: the version belongs on stdout"
	expect_fail "mdb_dump -f into a missing directory -V" 'nodir/x.dump: cannot open for writing: No such file or directory' \
		ours mdb_dump -f nodir/x.dump -V

	# Write errors (a full disk) end the dump with status 0 as in 0.9, which
	# does not look at them; we say so on stderr.
	for t in ours deb; do
		$t mdb_dump -a envs/named >/dev/full 2>"full.$t.err"
		echo $? >"full.$t.rc"
		$t mdb_dump -f /dev/full envs/plain 2>"fullf.$t.err"
		echo $? >"fullf.$t.rc"
	done
	[ "$(cat full.ours.rc) $(cat fullf.ours.rc)" = "$(cat full.deb.rc) $(cat fullf.deb.rc)" ] && ok ||
		fail "mdb_dump to a full disk: status $(cat full.ours.rc) $(cat fullf.ours.rc), Debian's $(cat full.deb.rc) $(cat fullf.deb.rc)"
	[ "$(cat full.ours.rc)" = 0 ] && grep -q 'write error: No space left on device' full.ours.err && ok ||
		fail "mdb_dump to a full disk: status $(cat full.ours.rc), message '$(cat full.ours.err)'"
	grep -q '/dev/full: write error: No space left on device' fullf.ours.err && ok ||
		fail "mdb_dump -f /dev/full: message '$(cat fullf.ours.err)'"

	# errors
	same "mdb_dump -a without named databases" yes mdb_dump -a envs/plain
	same "mdb_dump -l of an empty environment" yes mdb_dump -l envs/empty
	same "mdb_dump -s on a missing database" no mdb_dump -s nosuch envs/named
	expect_fail "mdb_dump -s on a missing database" 'envs/named: no database named "nosuch"$' ours mdb_dump -s nosuch envs/named
	same "mdb_dump -s on a plain record" no mdb_dump -s zzz-plain envs/mixed
	expect_fail "mdb_dump -s on a plain record" '"zzz-plain" is a record of the main database' ours mdb_dump -s zzz-plain envs/mixed
	same "mdb_dump on a missing environment" no mdb_dump envs/missing
	expect_fail "mdb_dump on a missing environment" 'envs/missing: cannot open environment: No such file or directory' \
		ours mdb_dump envs/missing

	# A reader that goes away: SIGPIPE ends the dump with status 1 and
	# releases the environment.
	mkdir -p envs/big
	"$GEN" big envs/big 20000 || fail "gen_env big"
	( ours mdb_dump envs/big; echo $? >pipe.rc ) 2>pipe.err | head -c 100 >/dev/null
	[ "$(cat pipe.rc)" = 1 ] && ok || fail "mdb_dump into a closed pipe: status $(cat pipe.rc)"
}

# Dumps compare in hex.  0.9.24's mdb_load mangles "\\" (ITS#9068), so -p
# round trips through Debian's tools use only data without backslashes.
group_load() {
	local k a n db
	make_envs
	mkdir -p L
	for k in $ENVS; do
		a=
		[ -n "$(dbs_of "envs/$k")" ] && a=-a
		# Debian's dump, loaded by us, dumps the same
		deb mdb_dump $a "envs/$k" >"L/$k.deb.dump"
		mkdir -p "L/$k.ours"
		expect_ok "mdb_load of Debian's dump of $k" ours mdb_load -f "L/$k.deb.dump" "L/$k.ours"
		deb mdb_dump $a "L/$k.ours" >"L/$k.ours.dump"
		same_files "Debian's dump of $k loaded by our mdb_load" "L/$k.deb.dump" "L/$k.ours.dump"
		# our dump, loaded by Debian, dumps the same
		ours mdb_dump $a "envs/$k" >"L/$k.our.dump"
		same_files "our dump of $k" "L/$k.our.dump" "L/$k.deb.dump"
		mkdir -p "L/$k.deb"
		deb mdb_load -f "L/$k.our.dump" "L/$k.deb" 2>/dev/null || fail "Debian's mdb_load of our dump of $k"
		ours mdb_dump $a "L/$k.deb" >"L/$k.deb2.dump"
		same_files "our dump of $k loaded by Debian's mdb_load" "L/$k.our.dump" "L/$k.deb2.dump"
		# the environment settings from the header are applied like Debian does
		deb mdb_stat -e "L/$k.ours" | grep -E 'Map size|Max readers|Page size' >"L/$k.ours.env"
		deb mdb_stat -e "L/$k.deb" | grep -E 'Map size|Max readers|Page size' >"L/$k.deb.env"
		same_files "environment of $k after loading" "L/$k.ours.env" "L/$k.deb.env"
		# -p round trip through our tools, backslashes included
		ours mdb_dump -p $a "envs/$k" >"L/$k.p.dump"
		mkdir -p "L/$k.p"
		expect_ok "mdb_load of our -p dump of $k" ours mdb_load -f "L/$k.p.dump" "L/$k.p"
		ours mdb_dump $a "L/$k.p" >"L/$k.p2.dump"
		same_files "-p round trip of $k" "L/$k.our.dump" "L/$k.p2.dump"
		# -a (append) loads the same as a sorted load
		mkdir -p "L/$k.a"
		expect_ok "ITS#8662/ITS#10125: mdb_load -a of $k" ours mdb_load -a -f "L/$k.our.dump" "L/$k.a"
		ours mdb_dump $a "L/$k.a" >"L/$k.a.dump"
		same_files "ITS#8662/ITS#10125: mdb_load -a of $k" "L/$k.our.dump" "L/$k.a.dump"
	done

	# -p without backslashes, both ways
	deb mdb_dump -p envs/text >L/text.deb.p
	mkdir -p L/tp.ours L/tp.deb
	expect_ok "mdb_load of Debian's -p dump" ours mdb_load -f L/text.deb.p L/tp.ours
	deb mdb_dump -p L/tp.ours | cmp -s - L/text.deb.p && ok || fail "Debian's -p dump loaded by our mdb_load"
	ours mdb_dump -p envs/text >L/text.our.p
	deb mdb_load -f L/text.our.p L/tp.deb 2>/dev/null || fail "Debian's mdb_load of our -p dump"
	deb mdb_dump -p L/tp.deb | cmp -s - L/text.deb.p && ok || fail "our -p dump loaded by Debian's mdb_load"

	# stdin, -s, -n, into an existing environment, several databases
	mkdir -p L/s.ours L/s.deb
	ours mdb_load -s fromstdin L/s.ours <L/plain.our.dump || fail "mdb_load -s from stdin"
	deb mdb_load -s fromstdin L/s.deb <L/plain.our.dump 2>/dev/null
	ours mdb_load -s more L/s.ours <L/text.our.dump || fail "mdb_load -s into an existing environment"
	deb mdb_load -s more L/s.deb <L/text.our.dump 2>/dev/null
	ours mdb_load L/s.ours <L/named.our.dump || fail "mdb_load of several databases into an existing environment"
	deb mdb_load L/s.deb <L/named.our.dump 2>/dev/null
	deb mdb_dump -a L/s.ours >L/s.ours.dump
	deb mdb_dump -a L/s.deb >L/s.deb.dump
	same_files "mdb_load -s and into existing environments" L/s.ours.dump L/s.deb.dump
	grep -qx 'database=fromstdin' L/s.ours.dump && grep -qx 'database=alpha' L/s.ours.dump && ok ||
		fail "mdb_load -s: databases missing"
	ours mdb_load -n -s sub -f L/plain.our.dump L/n.ours.mdb || fail "mdb_load -n"
	deb mdb_load -n -s sub -f L/plain.our.dump L/n.deb.mdb 2>/dev/null
	same "mdb_dump -n of what mdb_load -n loaded" yes mdb_dump -n -a L/n.ours.mdb
	deb mdb_dump -n -a L/n.ours.mdb | cmp -s - <(deb mdb_dump -n -a L/n.deb.mdb) && ok || fail "mdb_load -n differs"

	# -T plain text, with escapes
	printf 'key1\nvalue 1\nkey\\0a2\nv\\01al\\ffue\ne\n\nx\\5c\\5cy\nz\n' >L/plain.txt
	mkdir -p L/T.ours L/T.deb
	expect_ok "mdb_load -T" ours mdb_load -T -f L/plain.txt L/T.ours
	deb mdb_load -T -f L/plain.txt L/T.deb
	deb mdb_dump L/T.ours | cmp -s - <(deb mdb_dump L/T.deb) && ok || fail "mdb_load -T differs from Debian's"
	[ "$("$GEN" count L/T.ours)" = 4 ] && ok || fail "mdb_load -T: expected 4 records"
	printf 'back\\\\slash\n\\\\\n' | ours mdb_load -T -s bs L/T.ours || fail "mdb_load -T with \\\\"
	ours mdb_dump -s bs L/T.ours | grep -qx ' 6261636b5c736c617368' && ok || fail "mdb_load -T: \\\\ is not one backslash"
	# -T into a dupsort database is not possible (no header): duplicates of a
	# key overwrite each other, like Debian's
	printf 'k\n1\nk\n2\n' | ours mdb_load -T -s dup L/T.ours
	[ "$("$GEN" count L/T.ours dup)" = 1 ] && ok || fail "mdb_load -T: a repeated key must overwrite"

	# -N keeps what is there (also for duplicates)
	mkdir -p L/N.ours L/N.deb
	for t in ours deb; do
		printf 'a\n1\nb\n2\n' | $t mdb_load -T "L/N.$t" 2>/dev/null
		printf 'a\nX\nc\n3\n' | $t mdb_load -N -T "L/N.$t" 2>/dev/null
	done
	deb mdb_dump -p L/N.ours >L/N.ours.dump
	deb mdb_dump -p L/N.deb | cmp -s - L/N.ours.dump && ok || fail "mdb_load -N differs from Debian's"
	grep -qx ' 1' L/N.ours.dump && ! grep -qx ' X' L/N.ours.dump && ok || fail "mdb_load -N overwrote a record"
	ours mdb_dump -s dups envs/dupsort >L/dups.dump
	mkdir -p L/Nd
	ours mdb_load -f L/dups.dump L/Nd && ours mdb_load -N -f L/dups.dump L/Nd || fail "mdb_load -N of duplicates"
	ours mdb_dump -s dups L/Nd | cmp -s - L/dups.dump && ok || fail "mdb_load -N of duplicates changed the database"

	# A database that exists with other flags than the dump says is refused
	# (0.9 would load duplicates into a database without MDB_DUPSORT).
	sed 's/^database=dups$/database=nodups/; /^duplicates=1$/d; /^dupsort=1$/d' L/dups.dump >L/nodups.dump
	ours mdb_load -f L/nodups.dump L/Nd 2>/dev/null # loads: the repeated keys overwrite
	sed 's/^database=dups$/database=nodups/' L/dups.dump >L/dups2.dump
	expect_fail "mdb_load into a database with other flags" \
		'^mdb_load: line 10: database "nodups" already exists with flags none, but the header gives dupsort$' \
		short mdb_load -f L/dups2.dump L/Nd
	expect_fail "mdb_load of a named database onto a plain record" 'line 7: cannot create database "aaa-plain"' \
		ours mdb_load -s aaa-plain -f L/plain.our.dump envs/mixed

	# From a pipe
	mkdir -p L/pipe
	cat L/named.our.dump | ours mdb_load L/pipe || fail "mdb_load from a pipe"
	deb mdb_dump -a L/pipe | cmp -s - L/named.our.dump && ok || fail "mdb_load from a pipe differs"

	# Many databases in one transaction: counted in advance in a file; from
	# a pipe, 4096 at a time (the load is committed in parts).
	awk 'BEGIN { for (i = 0; i < 4100; i++)
		printf "VERSION=3\nformat=print\ndatabase=db%05d\ntype=btree\n%sHEADER=END\n k\n v%d\nDATA=END\n",
			i, (i ? "" : "mapsize=67108864\n"), i }' >L/many.dump
	mkdir -p L/many L/manypipe
	expect_ok "mdb_load of 4100 databases" ours mdb_load -f L/many.dump L/many
	[ "$(deb mdb_dump -l L/many | wc -l)" = 4100 ] && ok || fail "mdb_load of 4100 databases: not all there"
	deb mdb_dump -s db04099 -p L/many | grep -qx ' v4099' && ok || fail "mdb_load of 4100 databases: wrong content"
	expect_ok "4100 databases from a pipe" bash -c 'cat "$1" | "$2/mdb_load" "$3"' _ L/many.dump "$TOOLS_BIN" L/manypipe
	[ "$(deb mdb_dump -l L/manypipe | wc -l)" = 4100 ] && ok || fail "4100 databases from a pipe: not all there"
	deb mdb_dump -a -p L/manypipe | cmp -s - <(deb mdb_dump -a -p L/many) && ok || fail "4100 databases from a pipe: other content"

	# A big load in one transaction: quick, and the same as Debian's.
	mkdir -p envs/big
	"$GEN" big envs/big 30000 || fail "gen_env big"
	ours mdb_dump envs/big >L/big.dump
	mkdir -p L/big
	expect_ok "mdb_load of 30000 records" ours mdb_load -f L/big.dump L/big
	deb mdb_dump L/big | cmp -s - L/big.dump && ok || fail "big load differs"
}

# Every case: status 1, a message naming the problem and the line, and the
# target environment unchanged (its content and its last transaction).
group_load_errors() {
	local hdr phdr
	mkdir -p base/env
	"$GEN" named base/env || exit 1
	ours mdb_dump -a base/env >base.dump 2>/dev/null || deb mdb_dump -a base/env >base.dump
	deb mdb_stat -e base/env | grep 'Last transaction' >base.txn
	hdr='VERSION=3\nformat=bytevalue\ntype=btree\nmapsize=1048576\nmaxreaders=126\ndb_pagesize=4096\nHEADER=END\n'
	phdr='VERSION=3\nformat=print\ntype=btree\nHEADER=END\n'
	n=0
	bad() { # bad DESC PATTERN PRINTF-FORMAT [mdb_load options...]
		local desc=$1 pattern=$2 fmt=$3
		shift 3
		n=$((n + 1))
		rm -rf "t$n"
		cp -r base/env "t$n"
		if [ "${fmt#@}" != "$fmt" ]; then
			cp "${fmt#@}" "in$n"
		else
			# shellcheck disable=SC2059
			printf "$fmt" >"in$n"
		fi
		expect_fail "$desc" "^mdb_load: $pattern\$" short mdb_load "$@" -f "in$n" "t$n"
		deb mdb_dump -a "t$n" | cmp -s - base.dump && ok || fail "$desc: the environment was changed"
		deb mdb_stat -e "t$n" | grep 'Last transaction' | cmp -s - base.txn && ok || fail "$desc: something was committed"
		# and into a fresh directory: no records there either
		rm -rf "f$n"
		mkdir "f$n"
		ours mdb_load "$@" -f "in$n" "f$n" 2>/dev/null
		if [ -e "f$n/data.mdb" ] && deb mdb_stat "f$n" >fstat 2>/dev/null &&
			[ "$(grep Entries fstat)" != "  Entries: 0" ]; then
			fail "$desc: a fresh environment got records"
		else ok; fi
	}
	# (Inputs that LMDB 0.9 accepts, exit status 0, are in load_compat.)
	bad "header line without =" 'line 2: malformed header line \(expected keyword=value\)' 'VERSION=3\nformat\nHEADER=END\nDATA=END\n'
	bad "data line in the header" 'line 4: malformed header line \(expected keyword=value\)' 'VERSION=3\nformat=bytevalue\n 6b\n 76\nDATA=END\n'
	bad "unsupported VERSION" 'line 1: unsupported VERSION 4' 'VERSION=4\nHEADER=END\nDATA=END\n'
	bad "unsupported format" 'line 2: unsupported format xml \(expected print or bytevalue\)' 'VERSION=3\nformat=xml\nHEADER=END\nDATA=END\n'
	bad "unsupported type" 'line 2: unsupported type hash \(only btree\)' 'VERSION=3\ntype=hash\nHEADER=END\nDATA=END\n'
	bad "invalid mapsize" 'line 2: invalid mapsize x12' 'VERSION=3\nmapsize=x12\nHEADER=END\nDATA=END\n'
	bad "negative mapsize" 't[0-9]+: cannot open environment: Cannot allocate memory' 'VERSION=3\nmapsize=-1\nHEADER=END\nDATA=END\n'
	bad "invalid maxreaders" 'line 2: invalid maxreaders many' 'VERSION=3\nmaxreaders=many\nHEADER=END\nDATA=END\n'
	bad "invalid mapaddr" 'line 2: invalid mapaddr here' 'VERSION=3\nmapaddr=here\nHEADER=END\nDATA=END\n'
	bad "key without value (DATA=END)" 'line 9: expected the value of the key on line 8, found DATA=END' "$hdr 6b6579\nDATA=END\n"
	bad "key without value (end of input)" 'line 8: unexpected end of input \(the key on line 8 has no value\)' "$hdr 6b6579\n"
	bad "incomplete last line" 'line 9: unexpected end of input \(incomplete last line\)' "$hdr 6b6579\n 7661"
	bad "odd number of hex digits" 'line 9: odd number of hex digits' "$hdr 6b6579\n 76616\nDATA=END\n"
	bad "bad hex digit" 'line 9: invalid hex digit at column 3' "$hdr 6b6579\n 7g616c\nDATA=END\n"
	bad "garbage instead of a value" 'line 9: expected the value of the key on line 8 \(a line starting with a space\)' \
		"$hdr 6b6579\ngarbage\n 6b\n 76\nDATA=END\n"
	# a NUL byte ends the line's text; the next line is read onto it, as in 0.9
	bad "NUL byte in a value" 'line 9: invalid hex digit at column 6' "$hdr 6b\n 76\\0000\nDATA=END\n"
	bad "bad escape" 'line 6: invalid escape sequence at column 4 \(expected .* and two hex digits\)' "$phdr key\n va\\\\lue\nDATA=END\n"
	bad "truncated escape" 'line 6: invalid escape sequence at column 4 .*' "$phdr key\n va\\\\4\nDATA=END\n"
	bad "-T key without value" 'line 3: unexpected end of input \(the key on line 3 has no value\)' 'k\nv\nlonely\n' -T
	bad "-T bad escape" 'line 2: invalid escape sequence at column 1 .*' 'k\n\\zz\n' -T
	bad "key too long" 'line 9: cannot store the record: .*' "$hdr $(printf '61%.0s' $(seq 600))\n 76\nDATA=END\n"

	# A failure after more than 100 records (where 0.9 has already committed
	# a batch), and in the second database of a dump: nothing is committed.
	{
		printf "$hdr"
		for i in $(seq 1000 1250); do printf ' %04x\n 76\n' "$i"; done
		printf ' 6b\n zz\nDATA=END\n'
	} >late.fmt
	bad "bad value after 251 good records" 'line 511: invalid hex digit at column 2' @late.fmt
	{
		printf "$hdr"
		printf ' 6b\n 76\nDATA=END\n'
		printf 'VERSION=3\nformat=bytevalue\ndatabase=second\ntype=btree\nHEADER=END\n 6b\n'
	} >second.fmt
	bad "second database truncated" 'line 16: unexpected end of input \(the key on line 16 has no value\)' @second.fmt

	# The map fills up: a clear message, the line, and nothing committed.
	mkdir -p bigenv
	"$GEN" big bigenv 3000 || exit 1
	ours mdb_dump bigenv | sed 's/^mapsize=.*/mapsize=131072/' >full.dump
	mkdir -p full
	expect_fail "full map" '^mdb_load: line [0-9]+: cannot store the record: .*\(the map is full; give a larger mapsize= in the header\)$' \
		short mdb_load -f full.dump full
	[ "$(deb mdb_stat full | grep Entries)" = "  Entries: 0" ] && ok || fail "full map: records were committed"
	# an environment with a small map, loaded once, then a load that fills it
	mkdir -p fullbase
	head -n 27 full.dump >small.dump
	echo DATA=END >>small.dump
	expect_ok "load into a small map" ours mdb_load -s small -f small.dump fullbase
	deb mdb_dump -a fullbase >small.before
	expect_fail "full map in an existing environment" '.*map is full' ours mdb_load -s big -f full.dump fullbase
	deb mdb_dump -a fullbase | cmp -s - small.before && ok || fail "full map: the existing environment was changed"
	grep -qx 'database=small' small.before && ok || fail "full map: the first load is missing"
	# the header's map size does not shrink an existing environment
	cp -r base/env grown
	expect_ok "load of a small-map dump into a big map" ours mdb_load -s more -f small.dump grown
	deb mdb_stat -e grown | grep -qx '  Map size: 8388608' && ok || fail "mdb_load shrank the map of an existing environment"

	# Missing input file, missing environment directory, file without -n
	expect_fail "missing input file" '^mdb_load: nothere.dump: cannot open for reading: No such file or directory$' \
		short mdb_load -f nothere.dump x
	printf "$hdr DATA=END\n" >ok.dump
	expect_fail "missing environment directory" 'nodir/env: cannot open environment: No such file or directory' \
		ours mdb_load -f ok.dump nodir/env
	touch afile
	expect_fail "environment path is a file" 'afile: cannot open environment: Not a directory \(the path is a file: use -n' \
		ours mdb_load -f ok.dump afile
}

# content DIR: the databases of an environment on one line,
#   main[flags]{key=value,...} name[flags]{...} ...
# in mdb_dump -p's encoding, named databases in mdb_dump -l's order, their
# records left out of main's; "none" without a data file.
content() {
	local dir=$1 names db out
	[ -e "$dir/data.mdb" ] || { echo none; return; }
	names=$(ours mdb_dump -l "$dir" 2>/dev/null)
	out=$( { ours mdb_dump -p "$dir" 2>/dev/null || echo "(dump failed)"; } |
		dump_summary main "$(while IFS= read -r db; do print_encode "$db"; done <<<"$names")")
	while IFS= read -r db; do
		[ -n "$db" ] || continue
		out="$out $( { ours mdb_dump -p -s "$db" "$dir" 2>/dev/null || echo "(dump failed)"; } |
			dump_summary "$(print_encode "$db")" "")"
	done <<<"$names"
	printf '%s\n' "$out"
}
# print_encode STRING: STRING as mdb_dump -p writes it (a line of its own)
print_encode() {
	local LC_ALL=C s=$1 i c
	for ((i = 0; i < ${#s}; i++)); do
		c=${s:i:1}
		case $c in
		\\) printf '\134\134' ;;
		[[:print:]]) printf '%s' "$c" ;;
		*) printf '\\%02x' "'$c" ;;
		esac
	done
	echo
}
# dump_summary NAME SKIP: summarise one mdb_dump -p output (stdin), leaving
# out the keys listed (one a line) in SKIP.
dump_summary() {
	# (through the environment: awk -v would interpret the backslashes)
	SUMMARY_NAME=$1 SUMMARY_SKIP=$2 awk '
		BEGIN { name = ENVIRON["SUMMARY_NAME"]; n = split(ENVIRON["SUMMARY_SKIP"], s, "\n")
			for (i = 1; i <= n; i++) sk[" " s[i]] = 1 }
		/^\(dump failed\)$/ { printf "%s(unreadable)", name; bad = 1; exit }
		!body && /^HEADER=END$/ { body = 1; next }
		!body && /=1$/ && !/^duplicates=/ { sub(/=1$/, ""); flags = flags (flags ? "," : "") $0; next }
		!body { next }
		/^DATA=END$/ { body = 0; next }
		{ if (key == "") { key = $0; next }
		  if (!(key in sk)) recs = recs (recs ? "," : "") substr(key, 2) "=" substr($0, 2)
		  key = "" }
		END { if (!bad) printf "%s%s{%s}", name, flags ? "[" flags "]" : "", recs }'
}

# Inputs that LMDB 0.9's mdb_load accepts or refuses, with its answer: the
# exit status and the records loaded (into a fresh environment, or into one
# made from $PRE first).  Our messages are checked against a pattern;
# Debian's mdb_load (0.9.24), when there, must give the same answer, except
# for the cases marked as deliberate differences (lc_ours, see README.md).
group_load_compat() {
	local H P n=0 oracle='' a511
	[ -x "$ORACLE_BIN/mdb_load" ] && oracle=1
	H='VERSION=3\nformat=bytevalue\ntype=btree\nHEADER=END\n'
	P='VERSION=3\nformat=print\ntype=btree\nHEADER=END\n'
	PRE=
	a511=$(printf 'a%.0s' $(seq 511))
	# lc_run DIR TOOL INPUT OPTIONS...: load INPUT into a fresh DIR
	lc_run() {
		local dir=$1 tool=$2 input=$3
		shift 3
		rm -rf "$dir"
		mkdir -p "$dir"
		[ -z "$PRE" ] || ours mdb_load -f "$PRE" "$dir" || { echo "cannot load $PRE"; exit 1; }
		if [ "$tool" = ours ]; then
			short mdb_load "$@" -f "$input" "$dir" >lc.out 2>lc.err
		else
			deb mdb_load "$@" -f "$input" "$dir" >lc.out 2>/dev/null
		fi
		echo $? >lc.rc
	}
	# lc_check DESC STATUS CONTENT ERR DIR: what lc_run left
	lc_check() {
		local desc=$1 status=$2 want=$3 err=$4 dir=$5 got
		got=$(content "$dir")
		if [ "$(cat lc.rc)" != "$status" ]; then
			fail "$desc: exit status $(cat lc.rc), expected $status"
			sed 's/^/    /' lc.err | head -3
		elif [ "$got" != "$want" ]; then
			fail "$desc: loaded $(printf '%s' "$got" | cut -c1-200), expected $(printf '%s' "$want" | cut -c1-200)"
		elif [ -s lc.out ]; then
			fail "$desc: printed on stdout"
		else
			ok
		fi
	}
	# lc NAME STATUS CONTENT ERR FORMAT [options]: LMDB 0.9's answer to the
	# input printf FORMAT; ERR is an ERE for our messages (lines joined by
	# '|'), '' for none.  lc_ours: our answer, a deliberate difference.
	lc_ours() {
		local name=$1 status=$2 want=$3 err=$4 fmt=$5 e
		shift 5
		n=$((n + 1))
		printf "$fmt" >"in.$name"
		lc_run "c/$name" ours "in.$name" "$@"
		lc_check "$name" "$status" "$want" "$err" "c/$name"
		e=$(paste -sd'|' lc.err)
		if [ -z "$err" ] && [ -n "$e" ]; then
			fail "$name: unexpected message: $e"
		elif [ -n "$err" ] && ! printf '%s' "$e" | grep -Eq -- "$err"; then
			fail "$name: message '$e' does not match /$err/"
		else ok; fi
	}
	lc() {
		lc_ours "$@"
		local name=$1 status=$2 want=$3
		shift 5
		case " $* " in *" -a "*) return ;; esac # not in 0.9.24
		[ -n "$oracle" ] || return 0
		lc_run "d/$name" deb "in.$name" "$@"
		lc_check "$name (Debian's mdb_load)" "$status" "$want" "" "d/$name"
	}

	# -- the header --
	# The end of the input ends the load wherever it comes: nothing to load
	# is no error, and the database named is still created.
	lc empty 0 'main{}' '' ''
	lc empty_s 0 'main{} sub{}' '' '' -s sub
	lc header_only_eof 0 'main{}' '' 'VERSION=3\nformat=bytevalue\n'
	lc header_eof_flags 0 'main{} x[dupsort]{}' '' 'VERSION=3\ndupsort=1\ndatabase=x\n'
	lc trailing_header 0 'main{k=v} second{}' '' "$H 6b\n 76\nDATA=END\nVERSION=3\ndatabase=second\n"
	# Keywords are matched by their beginning; unknown ones are ignored
	# with a message (except two that mdb_dump writes itself).
	lc unknown_keyword 0 'main{k=v}' '^mdb_load: line 2: unrecognized keyword ignored: colour$' \
		'VERSION=3\ncolour=blue\nHEADER=END\n 6b\n 76\nDATA=END\n'
	lc bdb_keywords 0 'main{k=v}' '^mdb_load: line 2: unrecognized keyword ignored: bt_minkey\|mdb_load: line 3: unrecognized keyword ignored: chksum\|mdb_load: line 4: unrecognized keyword ignored: db_lorder$' \
		'VERSION=3\nbt_minkey=2\nchksum=1\ndb_lorder=1234\ndb_pagesize=big\nHEADER=END\n 6b\n 76\nDATA=END\n'
	lc dump_keywords 0 'main{} d[dupsort]{k=v,k=w}' '' \
		'VERSION=3\ndatabase=d\nduplicates=1\ndupsort=1\ndb_pagesize=4096\nHEADER=END\n 6b\n 76\n 6b\n 77\nDATA=END\n'
	lc dataend_in_header 0 'main{}' 'line 2: unrecognized keyword ignored: DATA$' 'VERSION=3\nDATA=END\n'
	lc version_text 0 'main{k=v}' '' 'VERSION=three\nHEADER=END\n 6b\n 76\nDATA=END\n'
	lc format_prefix 0 'main{k=v}' '' 'VERSION=3\nformat=printable\nHEADER=END\n k\n v\nDATA=END\n'
	lc type_prefix 0 'main{k=v}' '' 'VERSION=3\ntype=btreeish\nHEADER=END\n 6b\n 76\nDATA=END\n'
	lc header_end_prefix 0 'main{k=v}' '' 'VERSION=3\nHEADER=ENDING\n 6b\n 76\nDATA=END\n'
	lc maxreaders_0 0 'main{k=v}' '' 'VERSION=3\nmaxreaders=0\nmapaddr=0\nHEADER=END\n 6b\n 76\nDATA=END\n'
	# mapsize=12x is 12 bytes: the map fills up
	lc mapsize_digits 1 'main{}' 'line 5: cannot store the record: MDB_MAP_FULL' \
		'VERSION=3\nmapsize=12x\nHEADER=END\n 6b\n 76\nDATA=END\n'
	# a flag keyword sets the flag, whatever its value; duplicates= is ignored
	lc dupsort_yes 0 'main[dupsort]{k=v,k=w}' '' 'VERSION=3\ndupsort=yes\nHEADER=END\n 6b\n 76\n 6b\n 77\nDATA=END\n'
	lc dupsort_0 0 'main{} d[dupsort]{k=v,k=w}' '' 'VERSION=3\ndatabase=d\ndupsort=0\nHEADER=END\n 6b\n 76\n 6b\n 77\nDATA=END\n'
	lc duplicates_alone 0 'main{} d{k=w}' '' 'VERSION=3\ndatabase=d\nduplicates=1\nHEADER=END\n 6b\n 76\n 6b\n 77\nDATA=END\n'
	# The first database's flags count (0.9.28 to 0.9.32 lose them: a bad
	# merge of ITS#8831; 0.9.24 and the fix keep them).
	lc first_db_flags 0 'main{} d[dupsort,integerdup]{k=\01\00\00\00,k=\02\00\00\00}' '' \
		'VERSION=3\ndatabase=d\nduplicates=1\ndupsort=1\nintegerdup=1\nHEADER=END\n 6b\n 02000000\n 6b\n 01000000\nDATA=END\n'
	lc flags_second 0 'main{k=v} d[dupsort]{k=v,k=w}' '' \
		"$H 6b\n 76\nDATA=END\nVERSION=3\ndatabase=d\ndupsort=1\nHEADER=END\n 6b\n 76\n 6b\n 77\nDATA=END\n"
	# A header line without '=' is an error, unless the buffer still holds
	# an '=' further right from an earlier line (0.9 looks there too).
	lc blank_in_header 0 'main{k=v}' 'line 2: unrecognized keyword ignored: $' 'VERSION=3\n\nHEADER=END\n 6b\n 76\nDATA=END\n'
	lc blank_first_line 1 none '^mdb_load: line 1: malformed header line' '\nVERSION=3\nHEADER=END\n 6b\n 76\nDATA=END\n'
	lc no_equals 1 none 'line 2: malformed header line' 'VERSION=3\nformat\nHEADER=END\nDATA=END\n'
	lc data_in_header 1 none 'line 3: unrecognized keyword ignored:  6b\|.*line 4: malformed header line' \
		'VERSION=3\nformat=bytevalue\n 6b\n 76\nDATA=END\n'
	lc trailing_keyword 0 'main{k=v}' 'line 8: unrecognized keyword ignored: trailing garbage$' "$H 6b\n 76\nDATA=END\ntrailing garbage=1\n"
	lc trailing_word 0 'main{k=v}' 'line 8: unrecognized keyword ignored: oops$' "$H 6b\n 76\nDATA=END\noops\n"
	lc trailing_blank 0 'main{k=v}' 'line 8: unrecognized keyword ignored: $' "$H 6b\n 76\nDATA=END\n\n"
	lc blank_between 0 'main{k=v} x{l=w}' 'line 8: unrecognized keyword ignored: $' \
		"$H 6b\n 76\nDATA=END\n\nVERSION=3\ndatabase=x\nHEADER=END\n 6c\n 77\nDATA=END\n"
	lc stale_equals 0 'main{k=v========,l=w}' 'line 8: unrecognized keyword ignored: ab$' \
		"$H 6b\n 763d3d3d3d3d3d3d3d\nDATA=END\nab\nHEADER=END\n 6c\n 77\nDATA=END\n"
	# header lines are read in pieces of 4095 bytes, each a line of its own
	lc header_long_keyword 0 'main{k=v}' 'line 2: unrecognized keyword ignored: x{4090}yy$' \
		"VERSION=3\n$(printf 'x%.0s' $(seq 4090))yy=1\nHEADER=END\n 6b\n 76\nDATA=END\n"
	lc header_long_line 1 none 'line 2: malformed header line' \
		"VERSION=3\n$(printf 'x%.0s' $(seq 5000))\nHEADER=END\n 6b\n 76\nDATA=END\n"
	# the rest of a long DATA=END line (past 1023 bytes) is a header line
	lc dataend_long 0 'main{k=v,l=w}' 'line 8: unrecognized keyword ignored: z{84}$' \
		"$H 6b\n 76\nDATA=END$(printf 'z%.0s' $(seq 1100))=5\nHEADER=END\n 6c\n 77\nDATA=END\n"

	# -- records --
	lc no_dataend 0 'main{key=val}' '' "$H 6b6579\n 76616c\n"
	lc dataend_no_newline 0 'main{key=val}' '' "$H 6b6579\n 76616c\nDATA=END"
	lc dataend_prefix 0 'main{k=v}' '' "$H 6b\n 76\nDATA=ENDS\n"
	lc key_space_eof 0 'main{key=v}' '' "$H 6b6579\n 76\n "
	# A line that cannot be a key ends the input: what came before is loaded.
	lc key_incomplete 0 'main{k=v}' '^mdb_load: line 7: unexpected end of input \(incomplete last line; the rest of the input is ignored\)$' \
		"$H 6b\n 76\n 6b65"
	lc key_odd_hex 0 'main{k=v}' 'line 7: unexpected end of input \(odd number of hex digits' "$H 6b\n 76\n 6b657\n 76616c\n 6c\n 77\nDATA=END\n"
	lc key_bad_hex 0 'main{k=v}' 'line 7: unexpected end of input \(invalid hex digit at column 3' "$H 6b\n 76\n 7g\n 76616c\nDATA=END\n"
	lc key_garbage 0 'main{key=val}' 'line 7: unexpected end of input \(expected a key' "$H 6b6579\n 76616c\ngarbage\n 6b\n 76\nDATA=END\n"
	lc key_blank 0 'main{k=v}' 'line 7: unexpected end of input' "$H 6b\n 76\n\n 6c\n 77\nDATA=END\n"
	lc key_D 0 'main{k=v}' 'line 7: unexpected end of input' "$H 6b\n 76\nD\n 6c\n 77\nDATA=END\n"
	lc key_nul 0 'main{}' 'line 5: unexpected end of input \(odd number' "$H 6b\\00\n 76\n 77\nDATA=END\n"
	lc crlf 0 'main{}' 'line 5: unexpected end of input \(odd number' \
		'VERSION=3\r\nformat=bytevalue\r\ntype=btree\r\nHEADER=END\r\n 6b\r\n 76\r\nDATA=END\r\n'
	lc crlf_print 0 'main{} cr\0d{k\0d=v\0d}' '' 'VERSION=3\r\nformat=print\r\ndatabase=cr\r\nHEADER=END\r\n k\r\n v\r\nDATA=END\r\n'
	lc upper_hex 0 'main{k=z}' '' "$H 6B\n 7A\nDATA=END\n"
	lc empty_value 0 'main{k=}' '' "$H 6b\n \nDATA=END\n"
	lc print_escapes 0 'main{a\\b=A\\~}' '' "$P a\\\\\\\\b\n \\\\41\\\\5c\\\\7E\nDATA=END\n"
	lc print_key_bad_escape 0 'main{k=v}' 'line 7: unexpected end of input \(invalid escape sequence at column 3' "$P k\n v\n k\\\\zz\n v\nDATA=END\n"
	lc print_key_backslash_end 0 'main{}' 'line 5: unexpected end of input \(invalid escape' "$P a\\\\\n v\nDATA=END\n"
	# The same trouble in a value is an error.
	lc value_missing_dataend 1 'main{}' '^mdb_load: line 6: expected the value of the key on line 5, found DATA=END$' "$H 6b6579\nDATA=END\n"
	lc value_missing_eof 1 'main{}' '^mdb_load: line 5: unexpected end of input \(the key on line 5 has no value\)$' "$H 6b6579\n"
	lc value_incomplete 1 'main{}' '^mdb_load: line 6: unexpected end of input \(incomplete last line\)$' "$H 6b6579\n 7661"
	lc value_odd_hex 1 'main{}' '^mdb_load: line 8: odd number of hex digits$' "$H 6b\n 76\n 6b6579\n 76616\nDATA=END\n"
	lc value_bad_hex 1 'main{}' '^mdb_load: line 6: invalid hex digit at column 3$' "$H 6b6579\n 7g616c\nDATA=END\n"
	lc value_garbage 1 'main{}' '^mdb_load: line 6: expected the value of the key on line 5 \(a line starting with a space\)$' \
		"$H 6b6579\ngarbage\n 6b\n 76\nDATA=END\n"
	lc value_bad_escape 1 'main{}' '^mdb_load: line 6: invalid escape sequence at column 4 ' "$P key\n va\\\\lue\nDATA=END\n"
	lc value_short_escape 1 'main{}' 'line 6: invalid escape sequence at column 4 ' "$P key\n va\\\\4\nDATA=END\n"
	# key sizes
	lc key_empty 1 'main{}' 'line 6: cannot store the record: MDB_BAD_VALSIZE' "$H \n 76\nDATA=END\n"
	lc key_511 0 "main{$a511=v}" '' "$H $(printf '61%.0s' $(seq 511))\n 76\nDATA=END\n"
	lc key_512 1 'main{}' 'line 6: cannot store the record: MDB_BAD_VALSIZE' "$H $(printf '61%.0s' $(seq 512))\n 76\nDATA=END\n"
	lc key_511_escaped 0 "main{$a511=v}" '' "$P $(printf '\\\\61%.0s' $(seq 511))\n v\nDATA=END\n"
	lc value_long 0 "main{k=$(printf 'b%.0s' $(seq 5000))}" '' "$H 6b\n $(printf '62%.0s' $(seq 5000))\nDATA=END\n"

	# -- several databases --
	lc two_databases 0 'main{k=v} x{l=w}' '' "$H 6b\n 76\nDATA=END\nVERSION=3\nformat=bytevalue\ndatabase=x\nHEADER=END\n 6c\n 77\nDATA=END\n"
	# the name (starting as -s's) and the print format carry over to the
	# next header unless it gives them again
	lc name_kept 0 'main{} x{k=v,l=w}' '' "VERSION=3\ndatabase=x\nHEADER=END\n 6b\n 76\nDATA=END\nVERSION=3\nHEADER=END\n 6c\n 77\nDATA=END\n"
	lc name_kept_s 0 'main{} x{k=v} y{l=w,m=x}' '' \
		"VERSION=3\nHEADER=END\n 6b\n 76\nDATA=END\nVERSION=3\ndatabase=y\nHEADER=END\n 6c\n 77\nDATA=END\nVERSION=3\nHEADER=END\n 6d\n 78\nDATA=END\n" -s x
	lc print_kept 0 'main{k=v} b{kA=v}' '' "VERSION=3\nformat=print\nHEADER=END\n k\n v\nDATA=END\nVERSION=3\ndatabase=b\nHEADER=END\n k\\\\41\n v\nDATA=END\n"
	lc empty_name 1 'main{}' 'line 3: cannot open database "": MDB_BAD_VALSIZE' "VERSION=3\ndatabase=\nHEADER=END\n 6b\n 76\nDATA=END\n"

	# -- -T: plain text --
	lc T_pairs 0 'main{DATA=END=v3,k=v,k2=v2}' '' 'k\nv\nk2\nv2\nDATA=END\nv3\n' -T
	lc T_named 0 'main{} t{k=v}' '' 'k\nv\n' -T -s t
	lc T_key_eof 1 'main{}' '^mdb_load: line 3: unexpected end of input \(the key on line 3 has no value\)$' 'k\nv\nk2\n' -T
	lc T_key_incomplete 0 'main{k=v}' '^mdb_load: line 3: unexpected end of input \(incomplete last line' 'k\nv\nk2' -T
	lc T_value_incomplete 1 'main{}' '^mdb_load: line 4: unexpected end of input \(incomplete last line\)$' 'k\nv\nk2\nv' -T
	lc T_empty_key 1 'main{}' 'line 2: cannot store the record: MDB_BAD_VALSIZE' '\nv\n' -T
	lc T_bad_escape 1 'main{}' '^mdb_load: line 2: invalid escape sequence at column 1 ' 'k\n\\zz\n' -T
	lc T_key_bad_escape 0 'main{k=v}' 'line 3: unexpected end of input \(invalid escape sequence at column 1' 'k\nv\n\\zz\nv\n' -T

	# -- -a (LMDB 0.9.28): the records go in as they come --
	lc a_sorted 0 'main{a=1,b=2}' '' "$H 61\n 31\n 62\n 32\nDATA=END\n" -a
	lc a_unsorted 0 'main{b=1,a=2}' '' "$H 62\n 31\n 61\n 32\nDATA=END\n" -a
	lc a_dups 0 'main{} d[dupsort]{a=1,a=2,b=3}' '' "VERSION=3\ndatabase=d\ndupsort=1\nHEADER=END\n 61\n 31\n 61\n 32\n 62\n 33\nDATA=END\n" -a
	lc a_dups_main 0 'main[dupsort]{a=1,a=2,b=3}' '' "VERSION=3\ndupsort=1\nHEADER=END\n 61\n 31\n 61\n 32\n 62\n 33\nDATA=END\n" -a
	lc a_N 0 'main{a=1,a=2}' '' "$H 61\n 31\n 61\n 32\nDATA=END\n" -a -N
	lc a_garbage 0 'main{a=1,b=2}' 'line 9: unexpected end of input' "$H 61\n 31\n 62\n 32\ngarbage\nDATA=END\n" -a

	# -- into existing databases --
	printf 'VERSION=3\ndatabase=nodup\nHEADER=END\n 6b\n 31\nDATA=END\nVERSION=3\ndatabase=dup\ndupsort=1\nHEADER=END\n 6b\n 31\n 6b\n 32\nDATA=END\n' >pre.named
	printf 'VERSION=3\nHEADER=END\n 6b\n 31\nDATA=END\n' >pre.main
	printf 'VERSION=3\nintegerkey=1\nHEADER=END\n 01000000\n 31\nDATA=END\n' >pre.intmain
	# a named database keeps its flags, whatever the header says
	PRE=pre.named
	lc into_plain 0 'main{} dup[dupsort]{k=1,k=2} nodup{k=3,l=4}' '' "VERSION=3\ndatabase=nodup\nHEADER=END\n 6b\n 33\n 6c\n 34\nDATA=END\n"
	lc into_plain_intkey 0 'main{} dup[dupsort]{k=1,k=2} nodup{k=3}' '' "VERSION=3\ndatabase=nodup\nintegerkey=1\nHEADER=END\n 6b\n 33\nDATA=END\n"
	lc into_dupsort_plain 0 'main{} dup[dupsort]{k=1,k=2,k=3} nodup{k=1}' '' "VERSION=3\ndatabase=dup\nHEADER=END\n 6b\n 33\nDATA=END\n"
	lc into_dupsort_T 0 'main{} dup[dupsort]{k=1,k=2,k=3} nodup{k=1}' '' 'k\n3\n' -T -s dup
	lc into_dupsort_N 0 'main{} dup[dupsort]{k=1,k=2} nodup{k=1}' '' "VERSION=3\ndatabase=dup\ndupsort=1\nHEADER=END\n 6b\n 31\n 6b\n 35\nDATA=END\n" -N
	lc into_plain_N 0 'main{} dup[dupsort]{k=1,k=2} nodup{k=1,m=5}' '' "VERSION=3\ndatabase=nodup\nHEADER=END\n 6b\n 39\n 6d\n 35\nDATA=END\n" -N
	lc into_main_holding_dbs 0 'main{k=3} dup[dupsort]{k=1,k=2} nodup{k=1}' '' "VERSION=3\nHEADER=END\n 6b\n 33\nDATA=END\n"
	PRE=pre.main
	lc onto_a_plain_record 1 'main{k=1}' '^mdb_load: cannot create database "k": the name is a record of the main database' 'x\nv\n' -T -s k
	lc main_add_dupsort 0 'main[dupsort]{k=1,k=3}' '' "VERSION=3\ndupsort=1\nHEADER=END\n 6b\n 33\nDATA=END\n"
	PRE=pre.intmain
	lc into_intkey_main 0 'main[integerkey]{\01\00\00\00=1,\02\00\00\00=3}' '' "VERSION=3\nHEADER=END\n 02000000\n 33\nDATA=END\n"
	lc named_in_intkey_main 1 'main[integerkey]{\01\00\00\00=1}' 'line 3: cannot create database "n"' "VERSION=3\ndatabase=n\nHEADER=END\n 6b\n 33\nDATA=END\n"
	PRE=

	# -- deliberate differences (README.md) --
	# All or nothing: 0.9 keeps the databases (and batches of 100 records)
	# before the failure (here main{k=v}, and main[dupsort]{k=v}).
	lc_ours all_or_nothing_header 1 'main{}' '^mdb_load: line 9: unsupported type hash \(only btree\)$' \
		"$H 6b\n 76\nDATA=END\nVERSION=3\ntype=hash\nHEADER=END\nDATA=END\n"
	lc_ours all_or_nothing_value 1 'main{}' 'line 11: unexpected end of input \(the key on line 11 has no value\)' \
		"$H 6b\n 76\nDATA=END\nVERSION=3\ndatabase=second\nHEADER=END\n 6b\n"
	lc_ours all_or_nothing_open 1 'main{}' 'line 9: cannot create database "n"' \
		"VERSION=3\ndupsort=1\nHEADER=END\n 6b\n 76\nDATA=END\nVERSION=3\ndatabase=n\nHEADER=END\n 6b\n 76\nDATA=END\n"
	# format=bytevalue after format=print: 0.9 stays with print (b{6b=76})
	lc_ours print_then_bytevalue 0 'main{k=v} b{k=v}' '' \
		"VERSION=3\nformat=print\nHEADER=END\n k\n v\nDATA=END\nVERSION=3\nformat=bytevalue\ndatabase=b\nHEADER=END\n 6b\n 76\nDATA=END\n"
	# 0.9 loads duplicates into a database without dupsort (nodup{k=4}: all
	# but the last value lost), adds dupsort to a main database holding
	# named databases (which then cannot be opened), and crashes adding
	# integerkey to a main database with other keys.
	PRE=pre.named
	lc_ours into_plain_dupsort 1 'main{} dup[dupsort]{k=1,k=2} nodup{k=1}' \
		'^mdb_load: line 4: database "nodup" already exists with flags none, but the header gives dupsort$' \
		"VERSION=3\ndatabase=nodup\ndupsort=1\nHEADER=END\n 6b\n 33\n 6b\n 34\nDATA=END\n"
	lc_ours main_holding_dbs_dupsort 1 'main{} dup[dupsort]{k=1,k=2} nodup{k=1}' \
		'^mdb_load: line 3: the main database holds records with flags none: the header.s flags dupsort would' \
		"VERSION=3\ndupsort=1\nHEADER=END\n 6b\n 33\nDATA=END\n"
	PRE=pre.main
	lc_ours main_add_intkey 1 'main{k=1}' 'line 3: the main database holds records with flags none: the header.s flags integerkey' \
		"VERSION=3\nintegerkey=1\nHEADER=END\n 02000000\n 33\nDATA=END\n"
	PRE=
	echo "load_compat: $n inputs"
}

group_copy() {
	local k c
	make_envs
	mkdir -p C
	for k in $ENVS; do
		for c in "" -c; do
			mkdir -p "C/$k$c.ours" "C/$k$c.deb"
			expect_ok "mdb_copy $c $k" ours mdb_copy $c "envs/$k" "C/$k$c.ours"
			deb mdb_copy $c "envs/$k" "C/$k$c.deb"
			if [ -z "$c" ]; then
				same_files "mdb_copy $k" "C/$k.ours/data.mdb" "C/$k.deb/data.mdb"
			else
				same_pages "mdb_copy -c $k" "C/$k-c.ours/data.mdb" "C/$k-c.deb/data.mdb"
			fi
			[ ! -e "C/$k$c.ours/lock.mdb" ] && ok || fail "mdb_copy $c $k wrote a lock file"
			run o ours mdb_copy $c "envs/$k"
			run d deb mdb_copy $c "envs/$k"
			same_pages "mdb_copy $c $k to stdout" o.out d.out
			[ "$(cat o.rc)" = "$(cat d.rc)" ] && ok || fail "mdb_copy $c $k to stdout: exit status $(cat o.rc), Debian's $(cat d.rc)"
			same_files "mdb_copy $c $k to stdout and to a directory" o.out "C/$k$c.ours/data.mdb"
		done
	done
	same "mdb_copy -n" yes mdb_copy -n envs/nosub.mdb
	expect_ok "mdb_copy -n -c" ours mdb_copy -n -c envs/nosub.mdb C/nosub.ours
	deb mdb_copy -n -c envs/nosub.mdb C/nosub.deb
	same_pages "mdb_copy -n -c" C/nosub.ours C/nosub.deb
	# the copy is a working environment with the same content
	deb mdb_dump -a C/named-c.ours | cmp -s - <(deb mdb_dump -a envs/named) && ok || fail "compacted copy has other content"

	same "mdb_copy to a missing directory" no mdb_copy envs/plain C/missing/dir
	expect_fail "mdb_copy to a missing directory" 'envs/plain: cannot copy to C/missing/dir: No such file or directory \(the target directory must exist\)' \
		ours mdb_copy envs/plain C/missing/dir
	same "mdb_copy onto an existing copy" no mdb_copy envs/plain C/plain.ours
	expect_fail "mdb_copy onto an existing copy" 'cannot copy to C/plain.ours: File exists' ours mdb_copy envs/plain C/plain.ours
	same "mdb_copy of a missing environment" no mdb_copy envs/missing C/x
	expect_fail "mdb_copy of a missing environment" 'envs/missing: cannot open environment: No such file or directory' \
		ours mdb_copy envs/missing C
	expect_fail "mdb_copy of a file without -n" 'use -n' ours mdb_copy envs/nosub.mdb C
}

group_drop() {
	local before t
	make_envs
	cp -r envs/named n1
	deb mdb_dump -s beta n1 >beta.before
	expect_ok "mdb_drop -s alpha" ours mdb_drop -s alpha n1
	deb mdb_stat -s alpha n1 | grep -qx '  Entries: 0' && ok || fail "mdb_drop -s alpha did not empty it"
	deb mdb_dump -l n1 | grep -qx alpha && ok || fail "mdb_drop -s alpha deleted it"
	deb mdb_dump -s beta n1 | cmp -s - beta.before && ok || fail "mdb_drop -s alpha changed beta"
	leak_check n1 && ok || fail "mdb_drop -s alpha lost pages"
	expect_ok "mdb_drop -d -s beta" ours mdb_drop -d -s beta n1
	deb mdb_dump -l n1 | grep -qx beta && fail "mdb_drop -d -s beta kept it" || ok
	[ "$(deb mdb_dump -l n1 | tr '\n' ' ')" = 'alpha back\slash empty with space ' ] && ok || fail "mdb_drop -d -s beta: wrong databases left"
	leak_check n1 && ok || fail "mdb_drop -d -s beta lost pages"
	expect_ok "mdb_drop -d -s 'with space'" ours mdb_drop -d -s "with space" n1

	# errors change nothing
	before=$(deb mdb_dump -a n1)
	expect_fail "mdb_drop -s on a missing database" 'n1: no database named "beta"$' ours mdb_drop -d -s beta n1
	expect_fail "mdb_drop -s on a plain record" '"aaa-plain" is a record of the main database' ours mdb_drop -s aaa-plain envs/mixed
	expect_fail "mdb_drop on a missing environment" 'nowhere: cannot open environment: No such file or directory' ours mdb_drop nowhere
	[ "$(deb mdb_dump -a n1)" = "$before" ] && ok || fail "a failed mdb_drop changed the environment"

	# Emptying the main database deletes the named databases in it, and
	# (unlike a bare mdb_drop(), as LMDB 0.9's tool does) loses no pages.
	cp -r envs/mixed m1
	cp -r envs/mixed m2
	expect_ok "mdb_drop of the main database" ours mdb_drop m1
	deb mdb_stat m1 | grep -qx '  Entries: 0' && ok || fail "mdb_drop did not empty the main database"
	same "mdb_dump -a after emptying the main database" yes mdb_dump -a m1
	leak_check m1 && ok || fail "mdb_drop of the main database lost pages"
	"$GEN" naive-drop m2 || fail "gen_env naive-drop"
	leak_check m2 >/dev/null && fail "leak_check does not see the pages a bare mdb_drop() loses" || ok
	mkdir -p m1.copy
	expect_ok "compacting copy after mdb_drop" ours mdb_copy -c m1 m1.copy
	cp -r envs/named n2
	expect_ok "mdb_drop -d of the main database" ours mdb_drop -d n2
	deb mdb_stat n2 | grep -qx '  Entries: 0' && ok || fail "mdb_drop -d did not empty the main database"
	leak_check n2 && ok || fail "mdb_drop -d of the main database lost pages"

	# -n, and sorted duplicates
	cp envs/nosub.mdb ns.mdb
	expect_ok "mdb_drop -n -s sub" ours mdb_drop -n -s sub ns.mdb
	deb mdb_stat -n -s sub ns.mdb | grep -qx '  Entries: 0' && ok || fail "mdb_drop -n -s sub"
	deb mdb_stat -n ns.mdb | grep -qx '  Entries: 31' && ok || fail "mdb_drop -n -s sub changed the main database"
	# A damaged named database (its root page past the end of the file):
	# LMDB's mdb_drop (in 1.0; 0.9 has none) empties the main database all
	# the same, status 0, losing the pages of every named database.  We
	# delete the healthy ones properly and leave only the damaged one's.
	if [ -n "${HELPER:-}" ]; then
		local pg idx
		for t in dm dn; do
			cp -r envs/named "$t"
			read -r _ _ pg idx < <("$HELPER" list "$t/data.mdb" | awk '$1 == "record" && $2 == "alpha"')
			"$HELPER" rec "$t/data.mdb" "$pg" "$idx" root 999999 || fail "chk_helper rec"
		done
		run dm ours mdb_drop dm
		if [ "$(cat dm.rc)" = 0 ] && grep -q 'cannot delete database "alpha": MDB_PAGE_NOTFOUND' dm.err; then ok; else
			fail "mdb_drop with a damaged named database: status $(cat dm.rc), message '$(cat dm.err)'"; fi
		deb mdb_stat dm | grep -qx '  Entries: 0' && ok || fail "mdb_drop with a damaged named database: main not emptied"
		[ -z "$(deb mdb_dump -l dm 2>/dev/null)" ] && ok || fail "mdb_drop with a damaged named database: databases left"
		"$GEN" naive-drop dn || fail "gen_env naive-drop"
		free_pages() { deb mdb_stat -ef "$1" | awk '/Free pages:/ { print $NF }'; }
		[ "$(free_pages dm)" -gt "$(free_pages dn)" ] && ok ||
			fail "mdb_drop with a damaged named database: free pages $(free_pages dm), a bare mdb_drop() $(free_pages dn)"
		cp -r envs/named ds
		read -r _ _ pg idx < <("$HELPER" list ds/data.mdb | awk '$1 == "record" && $2 == "alpha"')
		"$HELPER" rec ds/data.mdb "$pg" "$idx" root 999999
		expect_fail "mdb_drop -s of a damaged database" 'ds: cannot empty database "alpha": MDB_PAGE_NOTFOUND' ours mdb_drop -s alpha ds
	fi

	cp -r envs/dupsort d1
	expect_ok "mdb_drop -d -s dupfixed" ours mdb_drop -d -s dupfixed d1
	[ "$(deb mdb_dump -l d1 | tr '\n' ' ')" = 'dupfixed1 dupfixed2 dups intdup revdup ' ] && ok || fail "mdb_drop -d -s dupfixed"
	same "stat after dropping a dupsort database" yes mdb_stat -ffa d1
}

# Reader table: a live reader (gen_env hold) and a dead one (gen_env stale).
# Process and thread IDs are masked; everything else compares.
group_readers() {
	local t pid
	make_envs
	mask() { sed -E 's/^ +[0-9]+ +[0-9a-f]+ /  PID TID /' "$1"; }
	for t in ours deb; do
		rm -rf "r.$t"
		cp -r envs/named "r.$t"
		mkfifo "fifo.$t"
		"$GEN" hold "r.$t" <"fifo.$t" >"ready.$t" &
		pid=$!
		exec 7>"fifo.$t"
		for _ in $(seq 100); do [ -s "ready.$t" ] && break; sleep 0.05; done
		[ -s "ready.$t" ] || fail "reader process did not start"
		"$GEN" stale "r.$t"
		$t mdb_stat -r "r.$t" >"r1.$t" 2>&1
		echo "status $?" >>"r1.$t"
		$t mdb_stat -e "r.$t" >"r2.$t" 2>&1
		$t mdb_stat -rr "r.$t" >"r3.$t" 2>&1
		echo "status $?" >>"r3.$t"
		$t mdb_stat -r "r.$t" >"r4.$t" 2>&1
		"$GEN" stale "r.$t"
		$t mdb_stat -e -rr -a "r.$t" >"r5.$t" 2>&1
		echo "status $?" >>"r5.$t"
		exec 7>&-
		wait "$pid"
		$t mdb_stat -r "r.$t" >"r6.$t" 2>&1
	done
	for i in 1 2 3 4 5 6; do
		if cmp -s <(mask "r$i.ours") <(mask "r$i.deb"); then ok; else
			fail "reader table output $i differs from Debian's"
			show_diff <(mask "r$i.ours") <(mask "r$i.deb")
		fi
	done
	grep -q '1 stale readers cleared' r3.ours && [ "$(grep -c 'PID TID' <(mask r3.ours))" = 3 ] && ok ||
		fail "mdb_stat -rr did not show and clear the stale reader"
	grep -qx '(no active readers)' r6.ours && ok || fail "the reader table is not empty at the end"
}

case $group in
cli | stat | dump | load | load_errors | load_compat | copy | drop | readers) "group_$group" ;;
*)
	echo "unknown group $group"
	exit 2
	;;
esac

echo "$group: $CHECKS checks passed, $FAILS failed"
[ "$FAILS" = 0 ] && [ "$CHECKS" -gt 0 ]
