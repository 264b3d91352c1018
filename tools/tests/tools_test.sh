#!/usr/bin/env bash
# "test && ok || fail" is intended here: ok always succeeds; printf formats
# are used to write test input with escapes.
# shellcheck disable=SC2015,SC2059
# Tests of mdb_stat, mdb_dump, mdb_load, mdb_copy and mdb_drop.
#
#   tools_test.sh GROUP      GROUP: cli stat dump load load_errors copy drop readers
#
# Our tools are compared byte for byte with Debian's lmdb-utils (the oracle,
# LMDB 0.9.24, statically linked) on environments built by gen_env through
# the public API.  Where our tools deliberately do better than 0.9.24 (error
# messages, backslashes in -p dumps, all-or-nothing loads) the test checks
# our behaviour directly.
#
# Environment (set by CTest, see CMakeLists.txt):
#   TOOLS_BIN   directory of our tools      GEN       the gen_env program
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
	[ "$t" = mdb_drop ] || [ -x "$ORACLE_BIN/$t" ] || { echo "missing oracle $ORACLE_BIN/$t"; exit 1; }
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

	# Many databases in one transaction: counted in advance in a file; a
	# pipe can hold up to 4096.
	awk 'BEGIN { for (i = 0; i < 4100; i++)
		printf "VERSION=3\nformat=print\ndatabase=db%05d\ntype=btree\n%sHEADER=END\n k\n v%d\nDATA=END\n",
			i, (i ? "" : "mapsize=67108864\n"), i }' >L/many.dump
	mkdir -p L/many L/manypipe
	expect_ok "mdb_load of 4100 databases" ours mdb_load -f L/many.dump L/many
	[ "$(deb mdb_dump -l L/many | wc -l)" = 4100 ] && ok || fail "mdb_load of 4100 databases: not all there"
	deb mdb_dump -s db04099 -p L/many | grep -qx ' v4099' && ok || fail "mdb_load of 4100 databases: wrong content"
	expect_fail "4100 databases from a pipe" '^mdb_load: line 32774: too many databases in the input \(at most 4096 when reading from a pipe: use -f\)$' \
		bash -c 'cat "$1" | PATH="$2:$PATH" mdb_load "$3"' _ L/many.dump "$TOOLS_BIN" L/manypipe
	[ "$(deb mdb_stat L/manypipe | grep Entries)" = "  Entries: 0" ] && ok || fail "4100 databases from a pipe: something was committed"

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
		if [ -e "f$n/data.mdb" ] && [ "$(deb mdb_stat "f$n" | grep Entries)" != "  Entries: 0" ]; then
			fail "$desc: a fresh environment got records"
		else ok; fi
	}
	bad "empty input" 'the input is empty \(no header\)' ''
	bad "truncated header" 'line 2: unexpected end of input in the header \(no HEADER=END\)' 'VERSION=3\nformat=bytevalue\n'
	bad "unknown header keyword" 'line 3: unknown header keyword "colour"' 'VERSION=3\nformat=bytevalue\ncolour=blue\nHEADER=END\nDATA=END\n'
	bad "header line without =" 'line 2: malformed header line \(expected keyword=value\)' 'VERSION=3\nformat\nHEADER=END\nDATA=END\n'
	bad "data line in the header" 'line 3: data line inside the header \(no HEADER=END before it\)' 'VERSION=3\nformat=bytevalue\n 6b\n 76\nDATA=END\n'
	bad "DATA=END in the header" 'line 2: DATA=END without a database before it' 'VERSION=3\nDATA=END\n'
	bad "unsupported VERSION" 'line 1: unsupported VERSION 4' 'VERSION=4\nHEADER=END\nDATA=END\n'
	bad "invalid VERSION" 'line 1: invalid VERSION three' 'VERSION=three\nHEADER=END\nDATA=END\n'
	bad "unsupported format" 'line 2: unsupported format xml \(expected print or bytevalue\)' 'VERSION=3\nformat=xml\nHEADER=END\nDATA=END\n'
	bad "unsupported type" 'line 2: unsupported type hash \(only btree\)' 'VERSION=3\ntype=hash\nHEADER=END\nDATA=END\n'
	bad "invalid mapsize" 'line 2: invalid mapsize 12x' 'VERSION=3\nmapsize=12x\nHEADER=END\nDATA=END\n'
	bad "negative mapsize" 'line 2: invalid mapsize -1' 'VERSION=3\nmapsize=-1\nHEADER=END\nDATA=END\n'
	bad "invalid maxreaders" 'line 2: invalid maxreaders many' 'VERSION=3\nmaxreaders=many\nHEADER=END\nDATA=END\n'
	bad "invalid mapaddr" 'line 2: invalid mapaddr here' 'VERSION=3\nmapaddr=here\nHEADER=END\nDATA=END\n'
	bad "invalid flag value" 'line 2: invalid value for dupsort: yes \(expected 0 or 1\)' 'VERSION=3\ndupsort=yes\nHEADER=END\nDATA=END\n'
	bad "invalid db_pagesize" 'line 2: invalid db_pagesize big' 'VERSION=3\ndb_pagesize=big\nHEADER=END\nDATA=END\n'
	bad "missing DATA=END" 'line 9: unexpected end of input \(no DATA=END\)' "$hdr 6b6579\n 76616c\n"
	bad "key without value (DATA=END)" 'line 9: expected the value of the key on line 8 \(a line starting with a space\)' "$hdr 6b6579\nDATA=END\n"
	bad "key without value (end of input)" 'line 8: unexpected end of input \(the key on line 8 has no value\)' "$hdr 6b6579\n"
	bad "incomplete last line" 'line 9: unexpected end of input \(incomplete last line\)' "$hdr 6b6579\n 7661"
	bad "incomplete DATA=END" 'line 10: unexpected end of input \(incomplete last line\)' "$hdr 6b6579\n 76616c\nDATA=END"
	bad "odd number of hex digits" 'line 8: odd number of hex digits' "$hdr 6b657\n 76616c\nDATA=END\n"
	bad "bad hex digit" 'line 9: invalid hex digit at column 3' "$hdr 6b6579\n 7g616c\nDATA=END\n"
	bad "garbage between records" 'line 10: expected a key \(a line starting with a space\) or DATA=END' "$hdr 6b6579\n 76616c\ngarbage\n 6b\n 76\nDATA=END\n"
	bad "NUL byte" 'line 8: NUL byte in input' "$hdr 6b\\0000\n 76\nDATA=END\n"
	bad "bad escape" 'line 6: invalid escape sequence at column 4 \(expected .* and two hex digits\)' "$phdr key\n va\\\\lue\nDATA=END\n"
	bad "truncated escape" 'line 6: invalid escape sequence at column 4 .*' "$phdr key\n va\\\\4\nDATA=END\n"
	bad "-T key without value" 'line 3: unexpected end of input \(the key on line 3 has no value\)' 'k\nv\nlonely\n' -T
	bad "-T bad escape" 'line 2: invalid escape sequence at column 1 .*' 'k\n\\zz\n' -T
	bad "garbage after the last database" 'line 11: unknown header keyword "trailing garbage"' "$hdr 6b\n 76\nDATA=END\ntrailing garbage=1\n"
	bad "line after the last database" 'line 11: malformed header line \(expected keyword=value\)' "$hdr 6b\n 76\nDATA=END\noops\n"
	bad "key too long" 'line 9: cannot store the record: .*' "$hdr $(printf '61%.0s' $(seq 600))\n 76\nDATA=END\n"

	# A failure after more than 100 records (where 0.9 has already committed
	# a batch), and in the second database of a dump: nothing is committed.
	{
		printf "$hdr"
		for i in $(seq 1000 1250); do printf ' %04x\n 76\n' "$i"; done
		printf ' zz\n 76\nDATA=END\n'
	} >late.fmt
	bad "bad record after 251 good ones" 'line 510: invalid hex digit at column 2' @late.fmt
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
	local before
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
cli | stat | dump | load | load_errors | copy | drop | readers) "group_$group" ;;
*)
	echo "unknown group $group"
	exit 2
	;;
esac

echo "$group: $CHECKS checks passed, $FAILS failed"
[ "$FAILS" = 0 ] && [ "$CHECKS" -gt 0 ]
