#!/usr/bin/env bash
# 389 Directory Server (389-ds-base) with the LMDB backend (db_lib = mdb):
# dscreate from an inf file, ldapadd of 600 entries, ldapmodify (modify,
# delete, add a group, modrdn), ldapsearch with indexed and unindexed filters,
# then offline `dsctl dbverify` and `dsctl db2ldif`.  No systemd here: a
# stand-in `systemctl` (start/stop/is-active of dirsrv@INSTANCE) runs
# ns-slapd directly.  STATE's last component names the instance, whose files
# stay under /etc/dirsrv, /var/lib/dirsrv (removed by cleanup); phase 2
# reopens the instance.  Protocol of scripts/clients_check.sh, but with no
# copies: phase 2 runs each side's instance with the other library.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
case $1 in
setup)
  S=$2; mkdir -p "$S/bin"
  cat > "$S/bin/systemctl" <<'SC'
#!/bin/bash
cmd=$1; unit=${@: -1}; i=${unit#dirsrv@}; i=${i%.service}; pidf=/run/dirsrv/slapd-$i.pid
stop() { [ -f $pidf ] && { p=$(cat $pidf); kill $p 2>/dev/null; while kill -0 $p 2>/dev/null; do sleep 0.1; done; rm -f $pidf; }; }
case $cmd in
  start|restart) [ $cmd = restart ] && stop
    mkdir -p /run/dirsrv /run/lock/dirsrv/slapd-$i; chown dirsrv:dirsrv /run/dirsrv /run/lock/dirsrv/slapd-$i
    /usr/sbin/ns-slapd -D /etc/dirsrv/slapd-$i -i $pidf >/dev/null 2>&1 || exit 1
    for n in $(seq 100); do [ -s $pidf ] && break; sleep 0.1; done;;
  stop) stop;;
  is-active|status) [ -f $pidf ] && kill -0 $(cat $pidf) 2>/dev/null && { echo active; exit 0; }; echo inactive; exit 3;;
esac
exit 0
SC
  chmod +x "$S/bin/systemctl"
  /usr/bin/python3 - "$S" <<'PY'
import sys
S = sys.argv[1]
with open(S + '/users.ldif', 'w') as f:
    for i in range(600):
        f.write(f"dn: uid=user{i:04d},ou=people,dc=example,dc=com\nobjectClass: top\nobjectClass: person\n"
                f"objectClass: organizationalPerson\nobjectClass: inetOrgPerson\nuid: user{i:04d}\ncn: User Number {i}\n"
                f"sn: Number{i % 37}\ngivenName: User\nmail: user{i:04d}@example.com\ndescription: d{'d' * (i * 13 % 3000)}\n"
                f"telephoneNumber: +1 555 {i:07d}\n\n")
with open(S + '/mods.ldif', 'w') as f:
    for i in range(0, 600, 7):
        f.write(f"dn: uid=user{i:04d},ou=people,dc=example,dc=com\nchangetype: modify\nreplace: sn\nsn: Changed{i}\n-\n"
                f"add: mail\nmail: alias{i}@example.org\n\n")
    for i in range(0, 600, 11):
        f.write(f"dn: uid=user{i:04d},ou=people,dc=example,dc=com\nchangetype: delete\n\n")
    f.write("dn: cn=group1,ou=groups,dc=example,dc=com\nchangetype: add\nobjectClass: top\nobjectClass: groupOfNames\ncn: group1\n"
            + ''.join(f"member: uid=user{i:04d},ou=people,dc=example,dc=com\n" for i in range(1, 600, 3) if i % 11) + "\n")
    f.write("dn: uid=user0001,ou=people,dc=example,dc=com\nchangetype: modrdn\nnewrdn: uid=renamed0001\ndeleteoldrdn: 1\n\n")
PY
  ;;
cleanup)
  S=$2; for i in $(cat "$S/instances" 2>/dev/null); do PATH=$S/bin:$PATH dsctl "$i" remove --do-it >/dev/null 2>&1; done; rm -f "$S/instances";;
run)
  lib=$2 D=$3 phase=$4 S=$5; inst=$(basename "$D"); mkdir -p "$D"
  port=3389; [ -f "$D/port" ] && port=$(cat "$D/port")
  export PATH=$S/bin:$PATH LD_LIBRARY_PATH=$lib
  L="ldap://127.0.0.1:$port"; B=dc=example,dc=com; DM=(-D "cn=Directory Manager" -w Password123)
  srch() { echo "== search $*"; ldapsearch -x -H "$L" "${DM[@]}" -LLL -o ldif-wrap=no -b "$B" "$@" 2>&1 |
    grep -v -i -E '^(nsUniqueId|createTimestamp|modifyTimestamp|entryid|parentid|numSubordinates)'; echo "rc ${PIPESTATUS[0]}"; }
  if [ "$phase" = 1 ]; then
    # a free port for this instance
    for port in $(seq 3389 3420); do (echo > /dev/tcp/127.0.0.1/$port) 2>/dev/null || break; done; echo $port > "$D/port"; L="ldap://127.0.0.1:$port"
    printf '[general]\nfull_machine_name = localhost\nstart = True\nselinux = False\nsystemd = False\nstrict_host_checking = False\n[slapd]\ninstance_name = %s\nport = %s\nsecure_port = %s\nself_sign_cert = False\nroot_password = Password123\ndb_lib = mdb\n[backend-userroot]\nsuffix = dc=example,dc=com\nsample_entries = yes\n' \
      "$inst" "$port" "$((port + 1000))" > "$D/inst.inf"
    dsctl "$inst" remove --do-it >/dev/null 2>&1; echo "$inst" >> "$S/instances"
    created=$(dscreate from-file "$D/inst.inf" 2>&1 | tail -n 1)
    grep -m1 -o "/[^ ]*liblmdb[^ ]*" "/proc/$(cat "/run/dirsrv/slapd-$inst.pid")/maps"; echo "$created"
    echo "== ldapadd $(ldapadd -x -H "$L" "${DM[@]}" -f "$S/users.ldif" 2>&1 | grep -c '^adding')"
    echo "== ldapmodify"; ldapmodify -x -H "$L" "${DM[@]}" -f "$S/mods.ldif" 2>&1 | sort | uniq -c | sort -rn | head -n 5
  else
    systemctl start "dirsrv@$inst"
    grep -m1 -o "/[^ ]*liblmdb[^ ]*" "/proc/$(cat "/run/dirsrv/slapd-$inst.pid")/maps"
    echo "== ldapmodify"; printf 'dn: uid=user0002,ou=people,dc=example,dc=com\nchangetype: modify\nreplace: sn\nsn: Phase2\n\ndn: uid=user0003,ou=people,dc=example,dc=com\nchangetype: delete\n\n' |
      ldapmodify -x -H "$L" "${DM[@]}" 2>&1
  fi
  srch "(uid=user0100)"; srch "(sn=Changed*)" dn; srch "(sn=Number5)" dn; srch "(sn=Phase2)" dn
  srch "(&(objectClass=person)(mail=*example.org))" dn
  echo "$(srch "(description=ddddd*)" dn | md5sum) $(srch "(objectClass=*)" dn | sort | md5sum)"
  srch "(member=uid=user0004,ou=people,dc=example,dc=com)" dn; srch "(uid=renamed0001)" dn cn; srch "(uid=user0011)"
  srch "(telephoneNumber=+1 555 0000599)" uid; srch "(objectClass=*)" -s base hasSubordinates
  systemctl stop "dirsrv@$inst"
  echo "== dbverify"; dsctl "$inst" dbverify userroot 2>&1 | grep -v -E '^\[|^$' | tail -n 3
  x=/var/lib/dirsrv/slapd-$inst/ldif/export.ldif; rm -f "$x"
  echo "== db2ldif $(dsctl "$inst" db2ldif userroot "$x" 2>&1 | grep -c -i success)"
  grep -v -i -E '^(nsUniqueId|createTimestamp|modifyTimestamp|entryid|parentid|numSubordinates|# |creatorsName|modifiersName|entryUUID|dsEntryDN|entrydn)' "$x" | grep -v '^ ' | sort | md5sum
  # entryUUID and nsUniqueId are random: the shape of their index trees is not compared.
  mdb_stat -a -e "/var/lib/dirsrv/slapd-$inst/db" | grep -v -E 'readers used|pages used' |
    awk '/^Status of userroot\/(entryuuid|nsuniqueid)\.db/{print; skip=5; next} skip>0{skip--; if ($0 ~ /Entries/) print; next} {print}';;
esac
exit 0
