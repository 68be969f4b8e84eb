#!/usr/bin/env bash
# Runs fuzz targets one after another, each for SECONDS (default 600) with inputs of up to
# 1 MiB (deep nesting needs large inputs), seeded from the repository's own test data, and
# prints one line per target with the inputs run. Stops at the first crash (the input is left
# in fuzz/artifacts/TARGET/). Needs a nightly toolchain and cargo-fuzz.
#   fuzz/run.sh [SECONDS] [TARGET...]
set -euo pipefail
cd "$(dirname "$0")"
secs=${1:-600}
[ $# -gt 0 ] && shift
targets=("$@")
[ ${#targets[@]} -gt 0 ] || mapfile -t targets < <(cargo +nightly fuzz list)
mkdir -p logs
seed() { # target, then files, each put in the corpus behind a one-byte prefix
  local t=$1 prefix=$2; shift 2
  mkdir -p "corpus/$t"
  for f in "$@"; do
    [ -f "$f" ] || continue
    { printf "$prefix"; cat "$f"; } > "corpus/$t/seed-$(basename "$f")"
  done
}
seed jute_text '\x00' ../jute-schemas/tests/fixtures/zookeeper.jute ../jute-schemas/tests/fixtures/zookeeper-3.8.jute
seed capture_dump '' ../tests/pcap/java-client.pcap
# Quorum streams (the frames of SECURITY-QUORUM.md C4/C5), already with their flag byte.
seed quorum_stream '' seeds/quorum_stream/*
for t in "${targets[@]}"; do
  mkdir -p "corpus/$t"
  if ! cargo +nightly fuzz run -O "$t" "corpus/$t" -- -max_len=1048576 \
      -max_total_time="$secs" -print_final_stats=1 -rss_limit_mb=2048 > "logs/$t.log" 2>&1; then
    echo "$t: FAILED (fuzz/logs/$t.log, fuzz/artifacts/$t/)"
    tail -n 30 "logs/$t.log"
    exit 1
  fi
  runs=$(awk '/stat::number_of_executed_units/ {print $2}' "logs/$t.log")
  echo "$t: $runs inputs in ${secs}s, no crash"
done
