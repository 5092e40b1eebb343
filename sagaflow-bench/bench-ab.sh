#!/usr/bin/env bash
# Runs one benchmark alternately on two builds of Sagaflow (for example the commit before a change
# and after it), one run at a time, and keeps the RESULT/RATIO lines of each, prefixed by the build.
#
#   git worktree add ../before <old-commit> && (cd ../before && mvn -B -q -pl sagaflow-bench -am package -DskipTests)
#   mvn -B -q -pl sagaflow-bench -am package -DskipTests
#   sagaflow-bench/bench-ab.sh ../before . 2 -- consume --scenario noop --systems raw,sagaflow
#
# usage: bench-ab.sh BEFORE_DIR AFTER_DIR ROUNDS -- BENCH_ARGS...
set -euo pipefail
BEFORE=$1; AFTER=$2; ROUNDS=$3; shift 4
JAVA="${JAVA:-java}"
OPTS=()
if "$JAVA" -XshowSettings:properties -version 2>&1 | grep -q 'java.specification.version = 2[4-9]'; then
  OPTS+=(--sun-misc-unsafe-memory-access=allow)
fi
for r in $(seq 1 "$ROUNDS"); do
  for side in before after; do
    dir=$BEFORE; [[ $side == after ]] && dir=$AFTER
    echo "=== round $r $side $(date +%T) load $(cut -d' ' -f1 /proc/loadavg)"
    (cd "$dir" && "$JAVA" "${OPTS[@]}" -jar sagaflow-bench/target/sagaflow-bench.jar "$@" 2>&1) \
      | grep --line-buffered -E '^(RESULT|RATIO|SKIP|# cpu)|Exception|ERROR' | sed "s/^/$side r$r: /"
  done
done
