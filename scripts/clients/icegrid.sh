#!/usr/bin/env bash
# ZeroC Ice 3.7: an IceGrid registry (icegridregistry, IceGrid.Registry.LMDB.Path)
# driven by icegridadmin (applications, well-known objects), and an IceStorm
# service in icebox (IceStorm.LMDB.Path) driven by icestormadmin (topics, links).
# Protocol of scripts/clients_check.sh.  Ports 24061 (registry), 24062 (IceStorm).
set -uo pipefail
case $1 in
run)
  lib=$2 D=$3 phase=$4; export LD_LIBRARY_PATH=$lib
  mkdir -p "$D/grid" "$D/storm"
  wait_port() { for _ in $(seq 100); do sleep 0.1; (echo > "/dev/tcp/127.0.0.1/$1") 2>/dev/null && return; done; }
  cat > "$D/registry.cfg" <<EOF2
IceGrid.InstanceName=TestGrid
IceGrid.Registry.Client.Endpoints=tcp -h 127.0.0.1 -p 24061
IceGrid.Registry.Server.Endpoints=tcp -h 127.0.0.1
IceGrid.Registry.Internal.Endpoints=tcp -h 127.0.0.1
IceGrid.Registry.LMDB.Path=$D/grid
IceGrid.Registry.LMDB.MapSize=10
IceGrid.Registry.PermissionsVerifier=TestGrid/NullPermissionsVerifier
IceGrid.Registry.AdminPermissionsVerifier=TestGrid/NullPermissionsVerifier
IceGrid.Registry.DynamicRegistration=1
EOF2
  icegridregistry --Ice.Config="$D/registry.cfg" > "$D/registry.log" 2>&1 & p=$!
  wait_port 24061; grep -m1 -o "/[^ ]*liblmdb[^ ]*" /proc/$p/maps
  ad() { echo "== $*"; icegridadmin --Ice.Default.Locator="TestGrid/Locator:tcp -h 127.0.0.1 -p 24061" -u x -p x -e "$*" 2>&1 |
    sed -e 's/[0-9a-fA-F]\{8\}-[0-9a-fA-F-]\{27\}/UUID/g' -e 's/time = .*/time = T/'; echo "rc ${PIPESTATUS[0]}"; }
  app() { printf '<icegrid><application name="%s"><node name="node1"><server id="SRV-%s" exe="/bin/true" activation="manual"><adapter name="Adapter" endpoints="tcp -h 127.0.0.1"/><property name="X" value="%s"/></server></node></application></icegrid>\n' "$1" "$1" "$2" > "$D/$1.xml"; }
  if [ "$phase" = 1 ]; then
    for i in $(seq 1 30); do app "app$i" "v$i"; ad application add "$D/app$i.xml"; done
    ad application remove app7; ad application add "$D/app7.xml"; ad application add "$D/app7.xml"
    for i in $(seq 1 50); do ad object add "\"obj$i:tcp -h 127.0.0.1 -p $((10000 + i))\"" "::Test::Type$((i % 3))"; done
    ad object remove obj5
  else
    ad application remove app3; ad object remove obj9
    app app2 changed; ad application update "$D/app2.xml"
  fi
  ad application list; ad application describe app2; ad server list; ad object list
  ad object find ::Test::Type1; ad adapter list; ad object describe obj10
  kill $p; wait $p; echo "registry exit $?"
  mdb_stat -a -e "$D/grid" | grep -v 'readers used'
  mdb_dump -a "$D/grid" | sed 's/^ .*/V/' | uniq -c | md5sum   # keys and value counts (values hold UUIDs and times)
  printf 'IceStorm.InstanceName=DemoIceStorm\nIceStorm.TopicManager.Endpoints=tcp -h 127.0.0.1 -p 24062\nIceStorm.Publish.Endpoints=tcp -h 127.0.0.1\nIceStorm.LMDB.Path=%s/storm\nIceStorm.LMDB.MapSize=10\n' "$D" > "$D/storm.cfg"
  icebox --IceBox.Service.IceStorm="IceStormService,37:createIceStorm --Ice.Config=$D/storm.cfg" > "$D/icebox.log" 2>&1 & p=$!
  wait_port 24062
  st() { echo "== $*"; icestormadmin --IceStormAdmin.TopicManager.Default="DemoIceStorm/TopicManager:tcp -h 127.0.0.1 -p 24062" -e "$*" 2>&1; echo "rc $?"; }
  if [ "$phase" = 1 ]; then
    for i in $(seq 1 60); do st create "topic$i"; done
    st create topic5; st destroy topic7
    for i in 1 2 3 4; do st link "topic$i" "topic$((i + 10))" "$i"; done
  else
    st destroy topic3; st unlink topic1 topic11; st create newtopic
  fi
  st topics; st links
  kill $p; wait $p; echo "icebox exit $?"
  mdb_stat -a -e "$D/storm" | grep -v 'readers used'
  mdb_dump -a "$D/storm" | sed 's/^ .*/V/' | uniq -c | md5sum;;   # links hold port numbers
esac
exit 0
