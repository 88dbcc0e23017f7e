#!/usr/bin/env bash
# meterstream-dlq: list, show and redrive a source's dead letters, configured by the same properties
# file as the Kill Bill plugin. Builds the tool on first use (Maven, offline when possible), then runs it:
#   ./dlq.sh list    --config /etc/killbill/killbill.properties --source usage [--reason UNIT_NOT_IN_PLAN]
#   ./dlq.sh redrive --config /etc/killbill/killbill.properties --source usage --dry-run
# See dlq-tool/README.md.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cp="$here/dlq-tool/target/classpath.txt"
if [[ ! -f $cp || ! -f $here/dlq-tool/target/dlq-tool-0.1.0-SNAPSHOT.jar ]]; then
  echo "building the tool (once) ..." >&2
  (cd "$here" && mvn -B -q -ntp -Dstyle.color=never -pl dlq-tool -am -DskipTests package dependency:build-classpath \
      -Dmdep.outputFile=target/classpath.txt -Dmdep.includeScope=runtime 2>&1 | sed -u 's/\x1b\[[0-9;]*[A-Za-z]//g' >&2)
fi
exec java -cp "$here/dlq-tool/target/dlq-tool-0.1.0-SNAPSHOT.jar:$(cat "$cp")" io.github.meterstream.dlqtool.DeadLetterTool "$@"
