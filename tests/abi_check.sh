#!/usr/bin/env bash
# ABI checks of the shared library: SONAME, exported symbols exactly the
# functions declared in include/lmdb.h, no C++ or internal symbols, and no
# runtime dependency beyond glibc.  Also compiles a C and a C++ program
# against the header with every warning turned into an error.
# Usage: abi_check.sh LIBFILE HEADER
set -u
lib=$1
header=$2
fail=0
note() { echo "FAIL: $*"; fail=1; }

soname=$(readelf -d "$lib" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
[ "$soname" = liblmdb.so.0 ] || note "SONAME is '$soname', expected liblmdb.so.0"
# Bound at load time and read-only after relocation, as distributions build
# it: a program forking short-lived workers does not resolve symbols lazily
# in every child.
readelf -d "$lib" | grep -q 'FLAGS.*BIND_NOW\|FLAGS_1.*NOW' || note "not linked with -z now"
readelf -l "$lib" | grep -q GNU_RELRO || note "no RELRO segment (-z relro)"

needed=$(readelf -d "$lib" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | sort | tr '\n' ' ')
for n in $needed; do
	case "$n" in
	libc.so.6 | ld-linux-x86-64.so.2) ;;
	*) note "depends on $n (only glibc is allowed)" ;;
	esac
done

exported=$(nm -D --defined-only "$lib" | awk '{print $NF}' | sort)
declared=$(grep -oE '\bmdb_[a-z0-9_]+\(' "$header" | tr -d '(' | sort -u |
	grep -vxE 'mdb_open|mdb_close')  # those two are macros
extra=$(comm -23 <(echo "$exported") <(echo "$declared"))
missing=$(comm -13 <(echo "$exported") <(echo "$declared"))
[ -z "$extra" ] || note "exported but not in lmdb.h: $(echo $extra)"
[ -z "$missing" ] || note "declared in lmdb.h but not exported: $(echo $missing)"
if nm -D "$lib" | grep -qE ' (T|W|V|B|D) _Z'; then note "C++ symbols are exported"; fi
if nm -D "$lib" | grep -qE ' U (_Z|__cxa|__gxx)'; then note "needs the C++ runtime at run time"; fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cat >"$tmp/t.c" <<'C'
#include <lmdb.h>
#include <stdio.h>
int main(void) {
	int major, minor, patch;
	MDB_env *env = NULL;
	MDB_val v = {0, NULL};
	MDB_cursor_op op = MDB_SET_RANGE;
	(void)v;
	(void)op;
	printf("%s %d\n", mdb_version(&major, &minor, &patch), MDB_VERSION_FULL);
	if (mdb_env_create(&env) == 0) mdb_env_close(env);
	return (major == MDB_VERSION_MAJOR && minor == MDB_VERSION_MINOR && patch == MDB_VERSION_PATCH) ? 0 : 1;
}
C
inc=$(dirname "$header")
libdir=$(dirname "$lib")
cc -std=c99 -Wall -Wextra -Werror -pedantic -I"$inc" "$tmp/t.c" -o "$tmp/tc" -L"$libdir" -llmdb \
	-Wl,-rpath,"$libdir" || note "C program does not compile cleanly against lmdb.h"
c++ -std=c++11 -Wall -Wextra -Werror -x c++ -I"$inc" "$tmp/t.c" -o "$tmp/tcpp" -L"$libdir" -llmdb \
	-Wl,-rpath,"$libdir" || note "C++ program does not compile cleanly against lmdb.h"
[ -x "$tmp/tc" ] && { "$tmp/tc" >/dev/null || note "version check program failed"; }
# The static archive beside it links into a C program with the C compiler
# alone, as Debian's liblmdb.a does: no C++ runtime symbol is needed.
archive="$libdir/liblmdb.a"
if [ -f "$archive" ]; then
	# Symbols the archive uses but does not define itself, of the C++ runtime.
	outside=$(comm -23 <(nm "$archive" 2>/dev/null | awk '$1 == "U" {print $2}' | sort -u) \
		<(nm --defined-only "$archive" 2>/dev/null | awk 'NF == 3 {print $3}' | sort -u) |
		grep -E '^(_Z|__cxa|__gxx|_Unwind)')
	[ -z "$outside" ] || note "liblmdb.a needs the C++ runtime: $(echo $outside | c++filt | head -c 300)"
	cc -std=c99 -I"$inc" "$tmp/t.c" -o "$tmp/tstatic" "$archive" -pthread ||
		note "a C program does not link with liblmdb.a and the C compiler alone"
	[ -x "$tmp/tstatic" ] && { "$tmp/tstatic" >/dev/null || note "statically linked version check failed"; }
fi
[ $fail = 0 ] && echo "1 passed, 0 failed" || echo "0 passed, 1 failed"
exit $fail
