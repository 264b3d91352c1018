#!/usr/bin/env bash
# NCBI BLAST+ (ncbi-blast+): makeblastdb -parse_seqids -blastdb_version 5
# writes each database's accession index, NAME.ndb / NAME.pdb (acc2oid: a
# DUPSORT|DUPFIXED table of 40,800 accessions, depth 3; volinfo, volname),
# and its taxonomy index NAME.ntf / NAME.ptf (taxid2offset), all MDB_NOSUBDIR
# files; blastdbcmd (-entry, -entry_batch, -taxids, -taxidlist, -entry all),
# blastn/blastp with -seqidlist, -taxids and -negative_taxids, and
# blastdbcheck read them (MDB_RDONLY|MDB_NOLOCK, a map smaller than the
# file).  makeblastdb deletes an existing database before writing, so
# phase 2 reads the other side's indexes and writes new databases beside
# them, then reads old and new ones together.  Protocol of
# scripts/clients_check.sh.
set -uo pipefail
case $1 in
setup)
  S=$2; mkdir -p "$S"
  /usr/bin/python3 - "$S" <<'PY'
import random, sys
S = sys.argv[1]; r = random.Random(11)
with open(S + '/nt.fa', 'w') as f, open(S + '/nt.tax', 'w') as t, open(S + '/q.fa', 'w') as q:
    for i in range(20000):
        s = ''.join(r.choice('ACGT') for _ in range(r.randint(40, 90)))
        acc = ('XM_%06d.%d' % (i, 1 + i % 4)) if i % 2 else ('NM_%06d.%d' % (i, 1 + i % 3))
        f.write('>ref|%s| nucleotide %d\n%s\n' % (acc, i, s))
        t.write('%s %d\n' % (acc, 9606 + i % 7 * 1000 if i % 5 else 10090))
        if i % 50 == 0:  # a second version of the same accession
            f.write('>ref|%s| nucleotide %d again\n%s\n' % (acc[:-1] + '9', i, s[::-1]))
            t.write('%s 7227\n' % (acc[:-1] + '9'))
        if i % 997 == 0:
            q.write('>q%d\n%s\n' % (i, s))
with open(S + '/half.fa', 'w') as f:
    for i in range(0, 30000, 3):
        s = ''.join(r.choice('ACGT') for _ in range(r.randint(40, 90)))
        f.write('>gb|AB%06d.1| second %d\n%s\n' % (i, i, s))
aa = 'ACDEFGHIKLMNPQRSTVWY'
with open(S + '/prot.fa', 'w') as f, open(S + '/pq.fa', 'w') as q:
    for i in range(3000):
        s = ''.join(r.choice(aa) for _ in range(r.randint(30, 120)))
        f.write('>sp|P%05d.%d|PROT%d protein %d\n%s\n' % (i, 1 + i % 2, i, i, s))
        if i % 499 == 0:
            q.write('>pq%d\n%s\n' % (i, s))
with open(S + '/ids.txt', 'w') as f:
    for i in list(range(0, 20000, 731)) + [50, 100, 150]:
        f.write(('XM_%06d\n' % i) if i % 2 else ('NM_%06d.%d\n' % (i, 1 + i % 3)))
    f.write('NM_000050.9\nXX_000001\nNM_000002.2\n')
PY
  printf '10090\n7227\n' > "$S/taxids.txt"
  ;;
run)
  lib=$2 D=$3 phase=$4 S=$5; export LD_LIBRARY_PATH=$lib; mkdir -p "$D"; cd "$D" || exit 1
  LD_DEBUG=libs blastdbcmd -version 2>&1 | grep -m1 -o "calling init: [^ ]*liblmdb[^ ]*"
  c() { echo "== $*"; "$@" 2>&1 | sed 's/^\(Date: \).*\(\tLongest\)/\1DATE\2/; s/ in [0-9.]* seconds/ in T seconds/; s/current time: .*/current time: T/'; echo "rc ${PIPESTATUS[0]}"; }
  h() { echo "== $* | md5sum"; "$@" 2>&1 | md5sum; echo "rc ${PIPESTATUS[0]}"; }
  mk() { c makeblastdb -parse_seqids -blastdb_version 5 "$@"; }
  reads() {  # $1: nucleotide db, $2: protein db
    c blastdbcmd -db "$1" -info
    c blastdbcmd -db "$1" -entry NM_000000.1,XM_000001,NM_000050,XM_019999.4,NM_019998 -outfmt '%a %o %l %T'
    c blastdbcmd -db "$1" -entry_batch "$S/ids.txt" -outfmt '%a %o %l %T'
    c blastdbcmd -db "$1" -entry NM_000004.1 -outfmt '%a missing'
    h blastdbcmd -db "$1" -taxids 10090 -outfmt '%a %o %T'
    h blastdbcmd -db "$1" -taxidlist "$S/taxids.txt" -outfmt '%a %o %T'
    h blastdbcmd -db "$1" -entry all -outfmt '%a %o %T %l'
    c blastdb_aliastool -seqid_file_in "$S/ids.txt" -seqid_file_out ids.bsl -seqid_title ids
    c blastn -task blastn -query "$S/q.fa" -db "$1" -seqidlist ids.bsl -outfmt '6 qseqid sacc evalue' -max_target_seqs 5
    c blastn -task blastn -query "$S/q.fa" -db "$1" -taxids 10090 -outfmt '6 qseqid sacc staxid' -max_target_seqs 5
    c blastn -task blastn -query "$S/q.fa" -db "$1" -negative_taxids 10090,7227 -outfmt '6 qseqid sacc staxid' -max_target_seqs 3
    c blastdbcheck -db "$1" -full
    c blastdbcmd -db "$2" -entry P00001,P00002.1,P02998 -outfmt '%a %o %l'
    c blastp -query "$S/pq.fa" -db "$2" -outfmt '6 qseqid sacc evalue' -max_target_seqs 2
  }
  show() {  # each LMDB file of the databases named, as Debian's mdb_* tools see it
    for f in "$@"; do
      echo "== $f"; mdb_stat -n -a -e "$f" | grep -v 'readers used'
      mdb_dump -n -a "$f" | md5sum; rm -f "$f-lock"
    done
  }
  if [ "$phase" = 1 ]; then
    mk -in "$S/nt.fa" -dbtype nucl -taxid_map "$S/nt.tax" -max_file_sz 400KB -out nt -title nt
    mk -in "$S/prot.fa" -dbtype prot -out prot -title prot
    ls; reads nt prot; show nt.ndb nt.ntf prot.pdb prot.ptf
  else
    reads nt prot
    mk -in "$S/half.fa" -dbtype nucl -taxid 562 -out nt2 -title nt2
    mk -in "$S/prot.fa" -dbtype prot -taxid 9606 -out prot -title prot2   # replaces the other side's
    c blastdbcmd -db 'nt nt2' -entry AB000003,AB029997.1,NM_000050,XM_000001 -outfmt '%a %o %T'
    h blastdbcmd -db 'nt nt2' -entry all -outfmt '%a %o %T'
    h blastdbcmd -db nt2 -taxids 562 -outfmt '%a %T' -target_only
    c blastdb_aliastool -dblist 'nt nt2' -dbtype nucl -out both -title both
    c blastn -task blastn -query "$S/q.fa" -db both -seqidlist ids.bsl -outfmt '6 qseqid sacc' -max_target_seqs 5
    reads both prot; ls; show nt.ndb nt.ntf nt2.ndb nt2.ntf prot.pdb prot.ptf
  fi
  ;;
esac
exit 0
