#!/usr/bin/env bash
# Runs every benchmark of docs/BENCHMARKS.md one after the other (one JVM each) and keeps the raw
# output in benchmarks/results/. Usage: bash benchmarks/run-all.sh [name ...]
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p benchmarks/results
all="overhead-kafka overhead-rabbitmq overhead-activemq slow-downstream-kafka slow-downstream-rabbitmq idempotency jmh memory-inflight memory-backlog"
for name in ${@:-$all}; do
  bench=$name; args=""
  case $name in
    slow-downstream-kafka) bench=slow-downstream; args="broker=kafka" ;;
    slow-downstream-rabbitmq) bench=slow-downstream; args="broker=rabbitmq" ;;
  esac
  echo "== $name ($(date -u +%FT%TZ), load $(cut -d' ' -f1-3 /proc/loadavg))"
  mvn -B -o -q -Pbench -pl benchmarks -am package -DskipTests -Dbench=$bench "-Dbench.args=$args" \
    > benchmarks/results/$name.txt 2>&1 || { echo "FAILED: see benchmarks/results/$name.txt"; tail -20 benchmarks/results/$name.txt; }
done
