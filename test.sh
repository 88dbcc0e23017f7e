#!/usr/bin/env bash
# Meterstream's whole test suite in one command, on a fresh machine: first .ci/services.sh installs
# (Debian packages, as root) and starts what the tests need and is missing (JDK 17, Maven, PostgreSQL,
# MariaDB, RabbitMQ); it is quick when everything is there. Then every module's tests and the Kill Bill
# end-to-end scenarios. Arguments go to Maven (e.g. ./test.sh -o for an offline run).
set -euo pipefail
cd "$(dirname "$0")"
bash .ci/services.sh
exec mvn -B -ntp verify -Pe2e "$@"
