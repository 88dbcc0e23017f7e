#!/bin/bash
# Before/after of the overhead benchmark in one time window: builds the jars of two commits (each in
# a detached git worktree, never a stash), then runs them alternately, the order flipping every
# pair, and keeps every run's raw output. Both sides run AFTER's benchmark code (the same harness,
# with its CPU-per-message figure) over their own broker-core and adapters.
#
#   benchmarks/tools/ab-overhead.sh BEFORE_COMMIT AFTER_COMMIT [pairs=3] [args="rounds=3 variants=raw-work,meterstream"]
#
# Output: benchmarks/results/ab/<broker>-<before|after>-<pair>.txt; the ratio to compare is the
# "meterstream / raw-work" row that each run prints. Needs RabbitMQ at 127.0.0.1:5672 (guest/guest).
set -euo pipefail
before=$1; after=$2; pairs=${3:-3}; args=${4:-"rounds=3 variants=raw-work,meterstream"}
repo=$(git rev-parse --show-toplevel)
out=$repo/benchmarks/results/ab; mkdir -p "$out"
work=$(mktemp -d /tmp/ab-overhead.XXXX)
for side in before after; do
  commit=$([ $side = before ] && echo "$before" || echo "$after")
  git -C "$repo" worktree add --detach "$work/$side-src" "$commit" >/dev/null
  (cd "$work/$side-src" && mvn -B -ntp -o -q -Pbench -pl benchmarks -am package -DskipTests \
      dependency:build-classpath -Dmdep.outputFile="$work/$side.cp")
  mkdir -p "$work/$side-jars"
  cp "$work/$side-src"/*/target/*-SNAPSHOT.jar "$work/$side-jars/"
  # the classpath points at the copies, so that the source tree can go away
  echo "$work/$side-jars/benchmarks-0.1.0-SNAPSHOT.jar:$(sed "s#$work/$side-src/[a-z-]*/target/#$work/$side-jars/#g" "$work/$side.cp")" > "$work/$side.cp"
  git -C "$repo" worktree remove --force "$work/$side-src"
done
cp "$work/after-jars/benchmarks-0.1.0-SNAPSHOT.jar" "$work/before-jars/"
for i in $(seq 1 "$pairs"); do
  if [ $((i % 2)) -eq 1 ]; then order="before after"; else order="after before"; fi
  for broker in kafka rabbitmq; do
    for side in $order; do
      f=$out/$broker-$side-$i.txt
      echo "=== $side ($([ $side = before ] && echo "$before" || echo "$after")) $broker pair $i start $(date -u +%H:%M:%S) load $(cut -d' ' -f1-3 /proc/loadavg)" > "$f"
      java -Xms1g -Xmx1g -XX:+UseG1GC -cp "$(cat "$work/$side.cp")" io.github.meterstream.bench.Bench \
          "overhead-$broker" $args >> "$f" 2>&1 || echo "=== exit $?" >> "$f"
      echo "=== end $(date -u +%H:%M:%S) load $(cut -d' ' -f1-3 /proc/loadavg)" >> "$f"
      grep "meterstream / raw-work" "$f" | sed "s/^/$broker $side pair $i: /"
    done
  done
done
