#!/usr/bin/env bash
# Stop the Zipkin that scripts/start-zipkin.sh started on ZIPKIN_PORT (default 9411), by its pid file.
# Quiet and successful when it is not running.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

port="${ZIPKIN_PORT:-9411}"
pid_file="$RUN_DIR/zipkin-$port.pid"
[ -f "$pid_file" ] || exit 0
pid="$(cat "$pid_file")"

if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null \
   && grep -qa zipkin-server "/proc/$pid/cmdline" 2>/dev/null; then
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 100); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$pid" 2>/dev/null; then
    log "zipkin (pid $pid) ignored SIGTERM for 10s; sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
  fi
fi
rm -f "$pid_file"
