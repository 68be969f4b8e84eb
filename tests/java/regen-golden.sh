#!/usr/bin/env bash
# Regenerates tests/golden/records.jsonl with ZooKeeper's Java implementation of Jute
# (the installed Debian package's zookeeper-jute.jar), for every class of zookeeper.jute.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
jar=/usr/share/java/zookeeper-jute.jar
[ -f "$jar" ] || { echo "missing $jar: run .ci/install-zookeeper first" >&2; exit 1; }
mkdir -p "$here/build"
javac -d "$here/build" -cp "$jar" "$here/GoldenVectors.java"
java -cp "$here/build:$jar" GoldenVectors "$root/jute-schemas/tests/fixtures/zookeeper.jute" "${SEED:-20261122}" \
  > "$root/tests/golden/records.jsonl"
echo "wrote $(wc -l < "$root/tests/golden/records.jsonl") vectors to tests/golden/records.jsonl"
