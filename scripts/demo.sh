#!/usr/bin/env bash
# The main job on a fresh machine: an app with our tracing proxy in front of it, nginx in front
# of that (when it can be installed), and a local Zipkin (when Java 17 is there or installable).
# Installs what it needs (cached outside the clone), prints the URLs, stops everything on Ctrl-C.
#
# env: UPSTREAM       an app that already runs (e.g. http://127.0.0.1:7860); default: start the
#                     bundled example Gradio app (test/apps/echo_app.py) on APP_PORT
#      APP_PORT (7860) PROXY_PORT (7861) ADMIN_PORT (9464) NGINX_PORT (8080) ZIPKIN_PORT (9411)
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

APP_PORT="${APP_PORT:-7860}"; PROXY_PORT="${PROXY_PORT:-7861}"; ADMIN_PORT="${ADMIN_PORT:-9464}"
NGINX_PORT="${NGINX_PORT:-8080}"; ZIPKIN_PORT="${ZIPKIN_PORT:-9411}"
export ZIPKIN_PORT
demo_run="$RUN_DIR/demo"
mkdir -p "$demo_run"
pids=()
zipkin_started=0

cleanup() {
  trap - EXIT INT TERM
  log "stopping"
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  [ "$zipkin_started" -eq 1 ] && bash scripts/stop-zipkin.sh || true
  log "stopped"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log "node dependencies and build"
npm ci --no-audit --no-fund --loglevel=error --cache "$CACHE/npm" >/dev/null
npm run --silent build

traces_exporter=zipkin
zipkin_ui=""
if bash scripts/setup-zipkin.sh >/dev/null 2>"$demo_run/zipkin-setup.log"; then
  bash scripts/start-zipkin.sh >/dev/null
  zipkin_started=1
  zipkin_ui="http://127.0.0.1:$ZIPKIN_PORT/zipkin/"
else
  log "Zipkin could not be set up (see $demo_run/zipkin-setup.log); spans go to the console"
  traces_exporter=console
fi

upstream="${UPSTREAM:-}"
if [ -z "$upstream" ]; then
  python="$(bash scripts/setup-gradio.sh)"
  GRADIO_SERVER_NAME=127.0.0.1 GRADIO_SERVER_PORT="$APP_PORT" GRADIO_ANALYTICS_ENABLED=False \
    "$python" test/apps/echo_app.py >"$demo_run/app.log" 2>&1 &
  pids+=($!)
  upstream="http://127.0.0.1:$APP_PORT"
  for _ in $(seq 1 240); do curl -fsS -o /dev/null "$upstream/config" 2>/dev/null && break; sleep 0.5; done
  curl -fsS -o /dev/null "$upstream/config" || die "the example app did not start (see $demo_run/app.log)"
fi

OTEL_SERVICE_NAME="${OTEL_SERVICE_NAME:-tts-trace-proxy}" OTEL_TRACES_EXPORTER="$traces_exporter" \
  OTEL_EXPORTER_ZIPKIN_ENDPOINT="http://127.0.0.1:$ZIPKIN_PORT/api/v2/spans" \
  node dist/proxy/src/main.js --upstream "$upstream" --listen "127.0.0.1:$PROXY_PORT" --admin "127.0.0.1:$ADMIN_PORT" \
  >"$demo_run/proxy-access.log" 2>"$demo_run/proxy.log" &
pids+=($!)
for _ in $(seq 1 100); do curl -fsS -o /dev/null "http://127.0.0.1:$ADMIN_PORT/healthz" 2>/dev/null && break; sleep 0.1; done

front="http://127.0.0.1:$PROXY_PORT/"
if nginx_bin="$(bash scripts/setup-nginx.sh 2>"$demo_run/nginx-setup.log")"; then
  conf="$(NGINX_LISTEN="127.0.0.1:$NGINX_PORT" PROXY_ADDR="127.0.0.1:$PROXY_PORT" NGINX_RUNTIME="$demo_run/nginx" \
    bash scripts/render-nginx.sh "$demo_run/nginx")"
  "$nginx_bin" -p "$demo_run/nginx" -e "$demo_run/nginx/error.log" -c "$conf" -g 'daemon off;' &
  pids+=($!)
  front="http://127.0.0.1:$NGINX_PORT/"
else
  log "nginx could not be installed (see $demo_run/nginx-setup.log); open the proxy directly"
fi

cat <<TXT

  tts-trace-proxy demo is up.
    open the app        $front
    traces (Zipkin)     ${zipkin_ui:-"(console: $demo_run/proxy-access.log)"}
    proxy metrics       http://127.0.0.1:$ADMIN_PORT/metrics
    logs                $demo_run/
  Every request gets an X-Trace-Id response header; look it up in Zipkin.
  Press Ctrl-C to stop everything.

TXT
wait -n "${pids[@]}" || true
log "a component exited; see $demo_run/"
