#!/usr/bin/env bash
# Opt-in (not in CI): other people's programs on upstream's liblmdb.so.0 and
# on ours, their observable behaviour compared.
#   scripts/clients_check.sh [BUILD_DIR]    (default build/release)
# - Perl's LMDB_File (liblmdb-file-perl): its own test suite (t/*.t of the
#   Debian source package, fetched with apt-get source when a deb-src entry
#   is configured, or of LMDB_FILE_T=DIR, a copy of its t/ directory;
#   skipped otherwise), test by test.
# - PHP's dba with the lmdb handler (php8.2-dba): scripts/clients/dba_exercise.php,
#   each case in its own process; the databases each side made are then read
#   and updated by the other.
# - Programs driven by scripts/clients/NAME.sh (CLIENTS="baloo dnsdist ..."
#   picks some, perl and php included; default: perl php baloo dnsdist dnsjit
#   icegrid mapcache asgen blast cfengine, plus fapolicyd and ds389 with
#   CLIENTS_SYSTEM=1: these change /etc and /var/lib, and on a machine booted
#   with systemd installing fapolicyd starts its daemon, which denies unknown
#   programs): KDE Baloo, dnsdist's LMDB KVS, dnsjit's respdiff output, ZeroC
#   IceGrid and IceStorm, MapCache's lmdb cache, appstream-generator, NCBI
#   BLAST+'s accession and taxonomy indexes, CFEngine's state databases
#   (cfengine uses /var/tmp/clients-cfengine-workdir while it runs),
#   fapolicyd's trust database, 389-ds-base with its mdb backend.  Each runs phase 1 on a
#   new state with each library, then phase 2 on each side's state with the
#   same library and on a copy with the other one; transcripts (with the
#   environments' mdb_stat -a and dumps) must equal upstream's.
#   CLIENTS_KEEP=1 keeps the work directory (transcripts NAME/up.1 ...).
# Installs the Debian packages it needs (root or sudo).  Prints one line per
# comparison and ends with "N passed, N failed".
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
ours=$(cd "${1:-$here/../build/release}" && pwd)
up=/usr/lib/$(gcc -print-multiarch 2>/dev/null || echo x86_64-linux-gnu)
[ -f "$ours/liblmdb.so.0" ] || { echo "no $ours/liblmdb.so.0: build first"; exit 2; }
SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO=sudo
clients=${CLIENTS:-perl php baloo dnsdist dnsjit icegrid mapcache asgen blast cfengine${CLIENTS_SYSTEM:+ fapolicyd ds389}}
pkgs="liblmdb0 lmdb-utils python3-lmdb liblmdb-file-perl libtest-exception-perl php8.2-cli php8.2-dba"
has() { [[ " $clients " == *" $1 "* ]]; }
for c in $clients; do
  case $c in
    perl|php) ;;
    baloo) pkgs+=" baloo-kf5 dbus";; dnsdist) pkgs+=" dnsdist";; dnsjit) pkgs+=" dnsjit";;
    icegrid) pkgs+=" zeroc-icegrid zeroc-ice-utils zeroc-icebox libzeroc-icestorm3.7";;
    mapcache) pkgs+=" mapcache-tools";; blast) pkgs+=" ncbi-blast+";; cfengine) pkgs+=" cfengine3";; asgen) pkgs+=" appstream-generator dpkg-dev xz-utils";;
    fapolicyd) pkgs+=" fapolicyd";; ds389) pkgs+=" 389-ds-base ldap-utils";;
    *) echo "unknown client $c"; exit 2;;
  esac
done
need=()
for p in $pkgs; do
  [ "$(dpkg-query -W -f='${Status}' $p 2>/dev/null)" = "install ok installed" ] || need+=("$p")
done
if [ ${#need[@]} -gt 0 ]; then
  $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null ||
    { echo "cannot install ${need[*]}"; exit 2; }
fi
work=$(mktemp -d /tmp/clients_check.XXXXXX)
if [ -n "${CLIENTS_KEEP:-}" ]; then echo "work directory: $work"; else trap 'rm -rf "$work"' EXIT; fi
passed=0 failed=0
ok() { echo "ok   $*"; passed=$((passed + 1)); }
bad() { echo "FAIL $*"; failed=$((failed + 1)); }
lib() { if [ "$1" = ours ]; then echo "$ours"; else echo "$up"; fi; }

if has perl; then
# Perl: each test file's "ok N" / "not ok N" lines, compared.
t=""
if [ -n "${LMDB_FILE_T:-}" ]; then
  t=$(cd "$LMDB_FILE_T" && pwd)
elif (cd "$work" && apt-get source -qq liblmdb-file-perl >/dev/null 2>&1); then
  t=$(ls -d "$work"/liblmdb-file-perl-*/t | head -n1)
fi
if [ -n "$t" ]; then
  for side in upstream ours; do
    for f in "$t"/*.t; do
      (cd "$t/.." && LD_LIBRARY_PATH=$(lib $side) perl "$f" 2>/dev/null |
        sed -n 's/^\(\(not \)\{0,1\}ok [0-9]*\).*/\1/p'; echo "exit ${PIPESTATUS[0]}") >"$work/perl.$side.$(basename "$f")"
    done
  done
  for f in "$t"/*.t; do
    n=$(basename "$f")
    if cmp -s "$work/perl.upstream.$n" "$work/perl.ours.$n"; then
      ok "perl $n: $(grep -c '^ok' "$work/perl.ours.$n") ok, $(grep -c '^not ok' "$work/perl.ours.$n") not ok on both"
    else
      bad "perl $n differs:"; diff "$work/perl.upstream.$n" "$work/perl.ours.$n" | head -n 10
    fi
  done
else
  echo "skip perl: no source package (a deb-src entry for apt-get source, or LMDB_FILE_T=DIR)"
fi

fi
if has php; then
# PHP: every case on both libraries.
cases="matrix standard edges mapfull iterwrite iterdelete nextfirst iterfetchmiss iterfetchmiss2 iterdone iterloop subdir perm twice persist many"
for side in upstream ours; do
  for c in $cases; do
    d="$work/php/$side/$c"; mkdir -p "$d"
    (cd "$d" && LD_LIBRARY_PATH=$(lib $side) timeout 120 php -n -d extension=dba "$here/clients/dba_exercise.php" "$c" "$d" 2>&1
     echo "exit $?"
     find . -type f | sort | while read -r f; do echo "$f $(stat -c '%s %a' "$f")"; done) 2>&1 |
      sed '/line [0-9]*: *[0-9]* \(Segmentation fault\|Aborted\)/d' >"$work/php.$side.$c"
  done
done
for c in $cases; do
  u="$work/php.upstream.$c" o="$work/php.ours.$c"
  if cmp -s "$u" "$o"; then
    ok "php $c"
  elif grep -Eq '^exit (134|139)$' "$u" && ! grep -Eq '^exit (134|139)$' "$o"; then
    # Upstream crashed (a double free of a txn PHP ended twice): ours must
    # answer the same up to that point.
    n=$(($(grep -n '^exit' "$u" | cut -d: -f1) - 1))
    if cmp -s <(head -n "$n" "$u") <(head -n "$n" "$o"); then
      ok "php $c: upstream crashed after $n lines, ours the same up to there and went on"
    else
      bad "php $c differs before upstream's crash:"; diff <(head -n "$n" "$u") <(head -n "$n" "$o") | head -n 10
    fi
  else
    bad "php $c differs:"; diff "$u" "$o" | head -n 10
  fi
done
# Databases made by one side, read and updated by the other.
for c in standard edges persist; do
  for made in upstream ours; do
    other=ours; [ $made = ours ] && other=upstream
    f=$(cd "$work/php/$made/$c" && ls ./*.db | head -n1)
    cp -r "$work/php/$made/$c" "$work/x.$made.$c" && rm -f "$work/x.$made.$c"/*-lock
    LD_LIBRARY_PATH=$(lib $other) php -n -d extension=dba "$here/clients/dba_exercise.php" readback "$work/x.$made.$c" "$f" >"$work/x.$made.$c.out" 2>&1
  done
  if cmp -s "$work/x.upstream.$c.out" "$work/x.ours.$c.out" && grep -q '^walk' "$work/x.ours.$c.out"; then
    ok "php $c: each side reads and updates the other's file alike"
  else
    bad "php $c: cross-reading differs"; diff "$work/x.upstream.$c.out" "$work/x.ours.$c.out" | head -n 10
  fi
done
fi
# Programs of scripts/clients/NAME.sh: setup SHARED; run LIB STATE PHASE
# SHARED (line 1 of its transcript names the liblmdb it loaded); between
# SHARED (after phase 1); cleanup SHARED.  ds389 has no copies (its instances
# live in /etc and /var/lib): phase 2 runs each side's instance with the
# other library.
for c in $clients; do
  case $c in perl|php) continue;; esac
  x="$here/clients/$c.sh" S="$work/$c/shared" W="$work/$c"; mkdir -p "$S"
  $SUDO bash "$x" setup "$S" >"$W/setup.log" 2>&1
  norm() { sed 1d "$1" | sed "s#$W/[a-z]*/$c-[a-z]*#STATE#g; s#$c-[a-z]*#STATE#g; s#$S#SHARED#g"; }
  run() { $SUDO bash "$x" run "$(lib "$1")" "$W/$2/$c-$2" "$3" "$S" >"$W/$2.$3" 2>&1; }
  loaded() {  # the transcript's first line must name the library it ran on
    if [ "$1" = ours ]; then head -n1 "$2" | grep -q "$ours/liblmdb"; else head -n1 "$2" | grep -q liblmdb && ! head -n1 "$2" | grep -q "$ours"; fi; }
  run upstream up 1; run ours ours 1
  if [ "$c" != ds389 ]; then
    mkdir -p "$W/upours" "$W/oursup"
    cp -a "$W/up/$c-up" "$W/upours/$c-upours"; cp -a "$W/ours/$c-ours" "$W/oursup/$c-oursup"
  fi
  $SUDO bash "$x" between "$S" >>"$W/setup.log" 2>&1
  if [ "$c" = ds389 ]; then
    run ours up 2; cp "$W/up.2" "$W/upours.2"; run upstream ours 2; cp "$W/ours.2" "$W/oursup.2"
    pairs="upours:ours oursup:upstream"; ref=upours.2
  else
    run upstream up 2; run ours ours 2; run ours upours 2; run upstream oursup 2
    pairs="up:upstream ours:ours upours:ours oursup:upstream"; ref=up.2
  fi
  for f in up.1:upstream ours.1:ours $(for p in $pairs; do echo "${p%%:*}.2:${p#*:}"; done); do
    loaded "${f#*:}" "$W/${f%%:*}" || bad "$c ${f%%:*}: not run on the expected library: $(head -n1 "$W/${f%%:*}")"
  done
  if cmp -s <(norm "$W/up.1") <(norm "$W/ours.1"); then ok "$c phase 1 ($(wc -l < "$W/up.1") lines)"; else
    bad "$c phase 1 differs:"; diff <(norm "$W/up.1") <(norm "$W/ours.1") | head -n 10; fi
  for p in $pairs; do
    d=${p%%:*}; [ "$d.2" = "$ref" ] && continue
    if cmp -s <(norm "$W/$ref") <(norm "$W/$d.2"); then ok "$c phase 2 $d (as $ref)"; else
      bad "$c phase 2 $d differs from $ref:"; diff <(norm "$W/$ref") <(norm "$W/$d.2") | head -n 10; fi
  done
  $SUDO bash "$x" cleanup "$S" >>"$W/setup.log" 2>&1
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
