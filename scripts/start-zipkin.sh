#!/usr/bin/env bash
# usage: start-zipkin.sh [--foreground]
# Start the pinned Zipkin server in the background (in-memory storage) and wait until healthy.
# env: ZIPKIN_PORT (default 9411), ZIPKIN_BIND (default 127.0.0.1), ZIPKIN_JAVA_OPTS (default -Xmx512m),
# MEM_MAX_SPANS (spans kept in memory, default 100000).
# Prints the base URL on stdout. Idempotent: a Zipkin this script already started on that port is reused.
# --foreground: exec the server in place instead (no pid file, no health wait) for a supervisor
# or the test rig (test/support/zipkin.ts), which then owns the process.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

foreground=0
case "${1:-}" in
  --foreground) foreground=1 ;;
  "") ;;
  *) die "usage: $(basename "$0") [--foreground]" ;;
esac

port="${ZIPKIN_PORT:-9411}"
bind="${ZIPKIN_BIND:-127.0.0.1}"
[[ "$port" =~ ^[0-9]+$ ]] || die "bad ZIPKIN_PORT: '$port'"
url="http://$bind:$port"
pid_file="$RUN_DIR/zipkin-$port.pid"
log_file="$RUN_DIR/zipkin-$port.log"
timeout_s=120

command -v curl >/dev/null 2>&1 || apt_install curl ca-certificates
healthy() { curl -fsS --max-time 2 "$url/health" 2>/dev/null | grep -q '"status" *: *"UP"'; }
ours_running() {
  local pid
  pid="$(cat "$pid_file" 2>/dev/null)" || return 1
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && grep -qa zipkin-server "/proc/$pid/cmdline" 2>/dev/null
}

if [ "$foreground" -eq 0 ] && ours_running && healthy; then
  printf '%s\n' "$url"
  exit 0
fi
if listening "$bind" "$port"; then
  die "port $bind:$port is already in use by another process (not a Zipkin started by this script)"
fi

jar="$("$(dirname "$0")/setup-zipkin.sh")"

# Zipkin 3.x (zipkin-server-shared.yml in the jar) reads QUERY_PORT into server.port, which feeds
# armeria.ports[0].port; there is no env var for the bind address. Armeria's spring Port has an
# `ip` property, and Spring replaces a list from a higher-priority source as a whole, so the
# whole first port entry is given on the command line.
# Armeria's brotli4j unpacks a native library into java.io.tmpdir at every start and never
# removes it (~1 MB each time). Keep those under RUN_DIR and prune old ones: a library that is
# already loaded stays mapped after its file is deleted.
java_tmp="$RUN_DIR/java-tmp"
mkdir -p "$java_tmp"
find "$java_tmp" -mindepth 1 -maxdepth 1 -mmin +10 -exec rm -rf {} + 2>/dev/null || true

# shellcheck disable=SC2206 # ZIPKIN_JAVA_OPTS is a list of JVM options
java_cmd=(java ${ZIPKIN_JAVA_OPTS:--Xmx512m} -XX:+ExitOnOutOfMemoryError "-Djava.io.tmpdir=$java_tmp" -jar "$jar"
  "--armeria.ports[0].port=$port" "--armeria.ports[0].ip=$bind" "--armeria.ports[0].protocols[0]=http")
# In-memory storage keeps 500,000 spans by default, more than 512 MB of heap holds once spans
# carry many tags (a long fuzz run ended Zipkin with OutOfMemoryError); the oldest go first.
export STORAGE_TYPE=mem QUERY_PORT="$port" SELF_TRACING_ENABLED=false MEM_MAX_SPANS="${MEM_MAX_SPANS:-100000}"

if [ "$foreground" -eq 1 ]; then
  exec "${java_cmd[@]}"
fi

rm -f "$pid_file"
log "starting zipkin $ZIPKIN_VERSION on $url (log: $log_file)"
setsid nohup "${java_cmd[@]}" >"$log_file" 2>&1 </dev/null &
pid=$!
echo "$pid" >"$pid_file"

deadline=$((SECONDS + timeout_s))
until healthy; do
  if ! kill -0 "$pid" 2>/dev/null; then
    rm -f "$pid_file"
    tail -n 30 "$log_file" >&2 || true
    die "zipkin exited during start-up (log: $log_file)"
  fi
  if [ "$SECONDS" -ge "$deadline" ]; then
    kill "$pid" 2>/dev/null || true
    rm -f "$pid_file"
    tail -n 30 "$log_file" >&2 || true
    die "zipkin not healthy at $url/health after ${timeout_s}s (log: $log_file)"
  fi
  sleep 0.5
done

printf '%s\n' "$url"
