#!/usr/bin/env bash
# Meterstream in one command: an in-process Kafka, a real Kill Bill 0.22 (H2) with the meterstream plugin,
# a few usage messages published, and the usage printed as Kill Bill reports it (plus a dry-run invoice).
# Needs a JDK 17+ and Maven 3.8+; the first run downloads Kill Bill (~60 MB) and the build's dependencies.
set -euo pipefail
cd "$(dirname "$0")"
exec mvn -B -q -ntp -Dstyle.color=never -Pe2e,quickstart -pl killbill-e2e -am -DskipTests verify "$@"
