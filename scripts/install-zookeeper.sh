#!/usr/bin/env bash
# Installs at once what the tests need from Debian's archive: ZooKeeper 3.8 (server, Java
# client, jars), a JDK (javac builds the golden-vector and capture programs), tmux (drives the
# zk shell in a real terminal), tcpdump and tshark (captures for zk dump), MIT Kerberos's KDC
# and the gssapi feature's build dependencies (the Kerberos tests). Optional: the tests
# install each of these themselves through zk-testkit when they first need it. Safe to run
# repeatedly.
set -euo pipefail
need=()
[ -f /usr/share/java/zookeeper.jar ] && [ -f /usr/share/java/zookeeper-jute.jar ] || need+=(zookeeper)
command -v javac >/dev/null 2>&1 || need+=(default-jdk-headless)
command -v tmux >/dev/null 2>&1 || need+=(tmux)
command -v tcpdump >/dev/null 2>&1 || need+=(tcpdump)
command -v tshark >/dev/null 2>&1 || need+=(tshark)
for p in krb5-kdc krb5-admin-server libkrb5-dev libclang-dev pkg-config; do
  [ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)" = "install ok installed" ] || need+=("$p")
done
if [ "${#need[@]}" -gt 0 ]; then
  echo "installing: ${need[*]}"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q "${need[@]}"
fi
test -f /usr/share/java/zookeeper.jar || { echo "zookeeper.jar still missing after install" >&2; exit 1; }
echo "zookeeper: $(ls /usr/share/java/zookeeper-3*.jar | head -1); java: $(java -version 2>&1 | head -1)"
