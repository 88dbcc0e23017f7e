#!/usr/bin/env bash
# Meterstream in one command: an in-process Kafka, a real Kill Bill 0.22 (H2) with the meterstream plugin,
# a few usage messages published, and the usage printed as Kill Bill reports it (plus a dry-run invoice).
# Needs a JDK 17+ and Maven 3.8+; the first run downloads Kill Bill (~60 MB) and the build's dependencies.
# Arguments go to Maven (e.g. ./quickstart.sh -o offline).
set -euo pipefail
cd "$(dirname "$0")"
echo "== Building the meterstream plugin bundle and the quickstart with Maven (about a minute; more on the first run) ..."
# While Maven builds, a line every 10 s says so; it stops when the quickstart itself starts printing.
( while sleep 10; do echo "   ... still building (${SECONDS} s)"; done ) &
ticker=$!
trap 'kill $ticker 2>/dev/null || true' EXIT
# Maven's own lines are reduced to one per module built; errors, and everything the quickstart prints, pass.
# Colour codes are stripped: Maven 3.8 writes some even in batch mode.
mvn -B -ntp -Dstyle.color=never -Pe2e,quickstart -pl killbill-e2e -am -DskipTests verify "$@" 2>&1 \
  | sed -u -e 's/\x1b\[[0-9;]*[A-Za-z]//g' \
  | awk -v ticker="$ticker" '
      /^== Meterstream quickstart/ { system("kill " ticker " 2>/dev/null") }
      /^\[INFO\] Building .* \[[0-9]+\/[0-9]+\]$/ { sub(/^\[INFO\] Building /, ""); print "   building " $0; fflush(); next }
      /^\[INFO\] BUILD FAILURE/ { system("kill " ticker " 2>/dev/null"); print; fflush(); failed = 1; next }
      /^\[(INFO|WARNING)\]/ { if (failed) print; next }
      /^\[ERROR\]/ { print; fflush(); next }
      { print; fflush() }
    '
