#!/usr/bin/env bash
# Regenerates tests/golden/records.jsonl with ZooKeeper's Java implementation of Jute
# (the installed Debian package's zookeeper-jute.jar), for every class of zookeeper.jute.
# Usage: regen-golden.sh [OUTPUT]   (default tests/golden/records.jsonl)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
jar=/usr/share/java/zookeeper-jute.jar
[ -f "$jar" ] || { echo "missing $jar: run scripts/install-zookeeper.sh first" >&2; exit 1; }
out=${1:-$root/tests/golden/records.jsonl}
build=$(mktemp -d)
trap 'rm -rf "$build"' EXIT
javac -d "$build" -cp "$jar" "$here/GoldenVectors.java"
java -cp "$build:$jar" GoldenVectors "$root/jute-schemas/tests/fixtures/zookeeper.jute" "${SEED:-20261122}" > "$out"
echo "wrote $(wc -l < "$out") vectors to $out"
