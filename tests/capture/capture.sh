#!/usr/bin/env bash
# Captures real ZooKeeper traffic on loopback into tests/pcap/java-client.pcap: a standalone
# server from the installed Debian package, ZooKeeper's own zkCli, and CaptureClient.java (for
# what zkCli lacks), with a server restart in the middle so the client reconnects and sends
# SetWatches. Needs root for tcpdump (apt-get install tcpdump).
#
# Usage: tests/capture/capture.sh [OUTPUT.pcap]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
out=${1:-$root/tests/pcap/java-client.pcap}
jar=/usr/share/java/zookeeper.jar
command -v tcpdump >/dev/null || { echo "tcpdump is missing: apt-get install tcpdump" >&2; exit 1; }
[ -f "$jar" ] || { echo "missing $jar: run scripts/install-zookeeper.sh" >&2; exit 1; }

work=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
mkdir -p "$work/conf" "$work/data" "$work/build"
cat > "$work/conf/zoo.cfg" <<CFG
tickTime=1000
dataDir=$work/data
clientPort=$port
clientPortAddress=127.0.0.1
admin.enableServer=false
extendedTypesEnabled=true
4lw.commands.whitelist=*
CFG
cat > "$work/conf/log4j.properties" <<'CFG'
log4j.rootLogger=WARN, CONSOLE
log4j.appender.CONSOLE=org.apache.log4j.ConsoleAppender
log4j.appender.CONSOLE.layout=org.apache.log4j.PatternLayout
log4j.appender.CONSOLE.layout.ConversionPattern=%d %p %c{1}: %m%n
CFG

server_pid=""
tcpdump_pid=""
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null || true
  [ -n "$tcpdump_pid" ] && kill "$tcpdump_pid" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

start_server() {
  java -cp "$work/conf:$jar" org.apache.zookeeper.server.ZooKeeperServerMain "$work/conf/zoo.cfg" \
    >>"$work/server.log" 2>&1 &
  server_pid=$!
  for _ in $(seq 100); do
    if [ "$( (exec 3<>/dev/tcp/127.0.0.1/$port && printf srvr >&3 && head -c 9 <&3) 2>/dev/null)" = "Zookeeper" ]; then
      return 0
    fi
    sleep 0.2
  done
  echo "server did not start on port $port:" >&2
  cat "$work/server.log" >&2
  exit 1
}

tcpdump -i lo --immediate-mode -U -s 0 -w "$work/capture.pcap" "tcp port $port" 2>"$work/tcpdump.log" &
tcpdump_pid=$!
for _ in $(seq 50); do grep -q "listening" "$work/tcpdump.log" 2>/dev/null && break; sleep 0.1; done

start_server
echo "server on 127.0.0.1:$port"

# zkCli, one command per connection.
zkcli() {
  java -cp "$work/conf:$jar" org.apache.zookeeper.ZooKeeperMain -server "127.0.0.1:$port" "$@" \
    >>"$work/zkcli.log" 2>&1
}
zkcli create /cli "hello"
zkcli create -e -s /cli/eph- "x"
zkcli get -s /cli
zkcli set /cli "world"
zkcli stat /cli
zkcli ls -s /
zkcli getAcl /cli
zkcli get /no-such-node || true
zkcli deleteall /cli

# The Java client program, with a server restart where it asks for one.
javac -d "$work/build" -cp "$jar" "$here/CaptureClient.java"
rm -f "$work/marker"
java -cp "$work/conf:$work/build:$jar" CaptureClient "127.0.0.1:$port" "$work/marker" >"$work/client.log" 2>&1 &
client_pid=$!
for _ in $(seq 300); do [ -f "$work/marker" ] && break; sleep 0.1; done
[ -f "$work/marker" ] || { echo "client never asked for the restart" >&2; cat "$work/client.log" >&2; exit 1; }
kill "$server_pid"; wait "$server_pid" 2>/dev/null || true
sleep 1
start_server
echo "server restarted"
if ! wait "$client_pid"; then
  echo "CaptureClient failed:" >&2
  cat "$work/client.log" >&2
  exit 1
fi
cat "$work/client.log"
sleep 0.5
kill "$tcpdump_pid"; wait "$tcpdump_pid" 2>/dev/null || true
tcpdump_pid=""
mkdir -p "$(dirname "$out")"
cp "$work/capture.pcap" "$out"
echo "server port $port" > "$out.port"
echo "wrote $out ($(stat -c %s "$out") bytes, server port $port)"
