#!/usr/bin/env bash
# CFEngine 3 (cfengine3, libpromises3): cf-agent runs a policy that keeps
# persistent classes (cf_state.lmdb), takes and releases promise locks
# (cf_lock.lmdb, MDB_NOSYNC, purged with a cursor), and watches a tree of
# 600 files for changes (cf_changes.lmdb: content hashes, stat records and
# directory listings, updated and deleted as files change, depth 2-3);
# cf-promises checks the policy, cf-key makes keys and lists lastseen hosts
# (cf_lastseen.lmdb); cf-check dump, lmdump and diagnose read every
# database.  All are MDB_NOSUBDIR files.  The work directory is moved to one
# fixed path for each run, since lock names hash the paths of promises.
# Values holding times, process ids and inode data are masked.  Protocol of
# scripts/clients_check.sh.
set -uo pipefail
F=/var/tmp/clients-cfengine-workdir   # the fixed path
case $1 in
setup)
  S=$2; mkdir -p "$S"
  cat > "$S/policy.cf" <<'EOF2'
body common control { bundlesequence => { "main" }; }
body agent control { ifelapsed => "0"; }
bundle agent main
{
  vars:
      "t" string => "$(sys.workdir)/tree";
  classes:
      "persist_$(sys.cf_version_major)_a" expression => "any", persistence => "60";
      "persist_b" expression => fileexists("$(t)/d0/f0"), persistence => "120";
    phase2::
      "persist_phase2" expression => "any", persistence => "30";
  files:
      "$(t)/."
        depth_search => recurse("inf"),
        changes => watch,
        file_select => all_files;
      "$(t)/made.txt"
        create => "true",
        edit_line => lines("made by cf-agent", "$(sys.cf_version_major)"),
        classes => persist_if_repaired("made_repaired");
  reports:
      "hello from cf-agent";
    persist_b::
      "persist_b is set";
    made_repaired::
      "made.txt was repaired";
}
body depth_search recurse(d) { depth => "$(d)"; }
body changes watch { hash => "best"; report_changes => "all"; update_hashes => "yes"; }
body file_select all_files { leaf_name => { ".*" }; file_result => "leaf_name"; }
body classes persist_if_repaired(c) { promise_repaired => { "$(c)" }; persist_time => "15"; }
bundle edit_line lines(a, b) { insert_lines: "$(a)"; "$(b)"; }
EOF2
  # Keys of other hosts, made once so that both sides see the same digests.
  mkdir -p "$S/keys"; for i in $(seq 1 60); do cf-key -T 1024 -f "$S/keys/k$i" >/dev/null 2>&1; done
  ;;
run)
  lib=$2 D=$3 phase=$4 S=$5; export LD_LIBRARY_PATH=$lib CFENGINE_TEST_OVERRIDE_WORKDIR=$F
  rm -rf "$F"; if [ -d "$D" ]; then mv "$D" "$F"; else mkdir -p "$F"; fi
  trap 'mkdir -p "$(dirname "$D")" && mv "$F" "$D"' EXIT
  ln -sfn /usr/bin "$F/bin"   # cf-agent runs cf-promises from WORKDIR/bin
  LD_DEBUG=libs cf-agent -V 2>&1 | grep -m1 -o "calling init: [^ ]*liblmdb[^ ]*"
  mask() { sed -E 's/(expires|time|process_start_time|pid|lastseen)([^0-9]{1,4})[0-9]+/\1\2N/g; s/\b[0-9]{10}\b/T/g; s/(inode for .* changed) [0-9]+ -> [0-9]+/\1 I -> I/; s/[A-Z][a-z]{2} [A-Z][a-z]{2} [ 0-9]{2} [0-9:]{8} [0-9]{4}/DATE/g'; }
  c() { echo "== $*"; "$@" 2>&1 | mask | sort; echo "rc ${PIPESTATUS[0]}"; }
  db() {  # every database: cf-check's views, then Debian's mdb_stat and dump
    for f in "$F"/state/*.lmdb; do
      n=$(basename "$f"); echo "== $n"
      case $n in
        cf_changes.lmdb) cf-check dump -s "$f" 2>&1 | sed -E 's/^(\t"S_[^"]*": ).*/\1STAT/' | mask ;;
        *) cf-check dump "$f" 2>&1 | mask ;;
      esac
      cf-check lmdump -d "$f" | sed -E 's/0x[0-9a-f]+//g' | md5sum   # sizes in cursor order
      mdb_stat -n -a -e "$f" | grep -v 'readers used'
      case $n in cf_changes.lmdb|cf_lock.lmdb|cf_state.lmdb|cf_lastseen.lmdb) ;; *) mdb_dump -n -a "$f" | md5sum;; esac
    done
    c cf-check diagnose "$F"/state/*.lmdb
  }
  if [ "$phase" = 1 ]; then
    for d in $(seq 0 29); do mkdir -p "$F/tree/d$d"; for i in $(seq 0 19); do echo "file $d/$i" > "$F/tree/d$d/f$i"; done; done
    c cf-key
    for i in $(seq 1 40); do cf-key -t "192.0.2.$i:$S/keys/k$i.pub" || echo "trust $i: rc $?"; done
    c cf-key -s -n
    c cf-promises -f "$S/policy.cf"
    c cf-agent -f "$S/policy.cf"
    c cf-agent -K -f "$S/policy.cf"
  else
    # New inodes for every file, as a copy of the state has them.
    cp -a "$F/tree" "$F/tree.new" && rm -rf "$F/tree" && mv "$F/tree.new" "$F/tree"
    for d in $(seq 0 5); do rm -f "$F/tree/d$d/f1" "$F/tree/d$d/f2"; echo changed >> "$F/tree/d$d/f3"; echo new > "$F/tree/d$d/g$d"; done
    rm -rf "$F/tree/d7"; chmod 600 "$F/tree/d8/f0"
    c cf-agent -D phase2 -f "$S/policy.cf"
    c cf-agent -K -D phase2 -f "$S/policy.cf"
    c cf-key -r 192.0.2.7
    c cf-key -r "$(cf-key -p "$S/keys/k9.pub")"
    for i in $(seq 41 60); do cf-key -t "198.51.100.$i:$S/keys/k$i.pub" || echo "trust $i: rc $?"; done
    c cf-key -s -n
  fi
  ls "$F/state" | grep -v '^cf_.*procs$'
  db
  ;;
esac
exit 0
