#!/usr/bin/env bash
# Postfix's postmap and postalias with lmdb: tables (Debian's postfix-lmdb, whose
# plugin links liblmdb.so.0) on our library and on upstream's: one scripted
# scenario (create, query one key and a batch, incremental update, delete keys,
# list everything; an alias table) runs with each library, the transcripts must
# be equal, and the tables each side made are then read and updated by the
# other.  No mail daemon runs: postmap/postalias only read a private main.cf.
# Environment: OURS_LIBDIR, UPSTREAM_LIBDIR, WORK.
set -uo pipefail
: "${OURS_LIBDIR:?}" "${UPSTREAM_LIBDIR:?}" "${WORK:?}"
fail=0
bad() { echo "FAIL: $*"; fail=1; }
command -v postmap >/dev/null && [ -f /usr/lib/postfix/postfix-lmdb.so ] ||
  { echo "FAIL: postfix and postfix-lmdb are not installed (scripts/deps.sh)"; exit 1; }
rm -rf "$WORK"
mkdir -p "$WORK/conf"
# A configuration directory of our own: the lmdb plugin is found through
# Debian's dynamicmaps.cf in meta_directory.
cat >"$WORK/conf/main.cf" <<CONF
compatibility_level = 3.6
meta_directory = /etc/postfix
shlib_directory = /usr/lib/postfix
CONF

libdir_of() { if [ "$1" = ours ]; then echo "$OURS_LIBDIR"; else echo "$UPSTREAM_LIBDIR"; fi; }
# pf LIB PROGRAM ARGS...: a postfix command on one library
pf() {
  local lib=$1; shift
  LD_LIBRARY_PATH=$(libdir_of "$lib") "$@"
}

# The library a postmap process loads is the one asked for.
for lib in ours upstream; do
  loaded=$(LD_DEBUG=libs pf $lib postmap -c "$WORK/conf" -q nothing lmdb:/nonexistent 2>&1 |
           sed -n 's/.*calling init: \(.*liblmdb\.so\.0\)$/\1/p' | head -n1)
  # (a missing table is an error; only the loading matters here)
  want=$(libdir_of $lib)/liblmdb.so.0
  [ "$(readlink -f "$loaded")" = "$(readlink -f "$want")" ] ||
    bad "postmap on $lib loaded '$loaded', not $want"
done

scenario() { # scenario LIB DIR: writes the transcript on stdout
  local lib=$1 dir=$2 c="-c $WORK/conf"
  mkdir -p "$dir"
  cd "$dir" || exit 1
  for i in $(seq 1 3000); do echo "user$i@example.com OK$((i * 7))"; done >access
  printf '%s\n' "example.org REJECT spam" ".sub.example.org DUNNO" "[10.0.0.1]:25 relay" >>access
  pf $lib postmap $c lmdb:access; echo "create rc=$?"
  for k in user1@example.com user2999@example.com example.org .sub.example.org missing@x; do
    echo "q $k: $(pf $lib postmap $c -q "$k" lmdb:access) rc=$?"
  done
  seq 1 97 3000 | sed 's/.*/user&@example.com/' | pf $lib postmap $c -q - lmdb:access | md5sum | sed 's/^/batch /'
  # Incremental update: new keys and replaced values.
  for i in $(seq 2990 3100); do echo "user$i@example.com NEW$i"; done | pf $lib postmap $c -i lmdb:access
  echo "update rc=$?"
  echo "q after update: $(pf $lib postmap $c -q user3050@example.com lmdb:access) $(pf $lib postmap $c -q user2995@example.com lmdb:access)"
  # Deletes: one key, a key that is not there, a batch.
  pf $lib postmap $c -d user5@example.com lmdb:access; echo "delete one rc=$?"
  pf $lib postmap $c -d nobody@example.com lmdb:access; echo "delete missing rc=$?"
  seq 10 3 2000 | sed 's/.*/user&@example.com/' | pf $lib postmap $c -d - lmdb:access; echo "delete batch rc=$?"
  echo "q deleted: $(pf $lib postmap $c -q user13@example.com lmdb:access) rc=$?"
  pf $lib postmap $c -s lmdb:access >access.list; echo "list rc=$? lines $(wc -l <access.list) $(md5sum <access.list)"
  # Aliases.
  printf '%s\n' "postmaster: root" "root: admin" "team: alice, bob, carol" \
    "archive: /var/mail/archive" "big: $(seq -s, 1 400 | sed 's/[0-9]*/u&/g')" >aliases
  pf $lib postalias $c lmdb:aliases; echo "postalias rc=$?"
  for k in postmaster team big nothere; do
    echo "alias $k: $(pf $lib postalias $c -q "$k" lmdb:aliases | md5sum; echo "rc=${PIPESTATUS[0]}")"
  done
  pf $lib postalias $c -d team lmdb:aliases; echo "alias delete rc=$?"
  # (YP_LAST_MODIFIED is the time postalias ran)
  pf $lib postalias $c -s lmdb:aliases | grep -v "^YP_LAST_MODIFIED" | sort | md5sum | sed 's/^/aliases /'
  echo "sizes: $(stat -c %s access.lmdb aliases.lmdb | tr '\n' ' ')"
  # Tables that are not LMDB files: some text, and an empty file (opened
  # read-only, upstream answers EBADF: "Bad file descriptor").
  echo "not a table" >text.lmdb
  : >empty.lmdb
  for t in text empty; do
    out=$(pf $lib postmap $c -q x lmdb:$t 2>&1)
    echo "$t: rc=$? ${out#postmap: }"
  done
}

for lib in ours upstream; do
  scenario $lib "$WORK/$lib" >"$WORK/transcript.$lib" 2>&1
done
if diff -u "$WORK/transcript.upstream" "$WORK/transcript.ours"; then
  echo "transcripts equal:"; cat "$WORK/transcript.ours"
else
  bad "the transcripts differ"
fi
grep -q 'q user1@example.com: OK7 rc=0' "$WORK/transcript.ours" || bad "unexpected query answer"
grep -q 'delete missing rc=1' "$WORK/transcript.ours" || bad "deleting a missing key did not fail"

# Cross-opening: each side's tables listed by the other library, then
# updated by it and listed again by the first.
c="-c $WORK/conf"
for made in ours upstream; do
  other=upstream; [ $made = upstream ] && other=ours
  d=$WORK/$made
  pf $other postmap $c -s lmdb:"$d/access" >"$d/access.list.by-$other" || bad "$other cannot list $made's table"
  cmp -s "$d/access.list" "$d/access.list.by-$other" || bad "$made's table listed by $other differs"
  echo "cross-add@example.com BY-$other" | pf $other postmap $c -i lmdb:"$d/access" || bad "$other cannot update $made's table"
  pf $other postmap $c -d user7@example.com lmdb:"$d/access" || bad "$other cannot delete from $made's table"
  got=$(pf $made postmap $c -q cross-add@example.com lmdb:"$d/access")
  [ "$got" = "BY-$other" ] || bad "$made does not read $other's update ($got)"
  pf $made postmap $c -q user7@example.com lmdb:"$d/access" && bad "$made still finds the key $other deleted"
  pf $other postalias $c -q team lmdb:"$d/aliases" && bad "$other finds $made's deleted alias"
  [ "$(pf $other postalias $c -q postmaster lmdb:"$d/aliases")" = root ] || bad "$other reads $made's aliases wrong"
done
pf ours postmap $c -s lmdb:"$WORK/ours/access" >"$WORK/final.ours"
pf upstream postmap $c -s lmdb:"$WORK/upstream/access" >"$WORK/final.upstream"
sed 's/BY-upstream/BY-x/' "$WORK/final.ours" | cmp -s - <(sed 's/BY-ours/BY-x/' "$WORK/final.upstream") ||
  bad "tables differ after the cross updates"
[ $fail -eq 0 ] && echo "postfix: OK"
exit $fail
