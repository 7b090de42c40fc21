#!/usr/bin/env bash
# The main job on a fresh machine: a gray release of our Piper TTS worker (upstream-tts) — a
# `stable` arm (v1) and a `canary` arm (v2, which speaks 25% slower) — behind the tracing proxy,
# behind nginx when it can be installed, exporting to a local Zipkin when Java 17 is there (or
# installable), else to a span file in Zipkin JSON. Installs what it needs (cached outside the
# clone), prints the URLs, stops everything on Ctrl-C.
#
# env: APP_PORT (7860, the stable worker; the canary takes APP_PORT+10) PROXY_PORT (7861)
#      ADMIN_PORT (9464) NGINX_PORT (8080) ZIPKIN_PORT (9411) CANARY_WEIGHT (20)
#      UPSTREAM: put the proxy in front of an app that already runs instead (no workers, one arm)
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

APP_PORT="${APP_PORT:-7860}"; CANARY_PORT="$((APP_PORT + 10))"; PROXY_PORT="${PROXY_PORT:-7861}"
ADMIN_PORT="${ADMIN_PORT:-9464}"; NGINX_PORT="${NGINX_PORT:-8080}"; ZIPKIN_PORT="${ZIPKIN_PORT:-9411}"
CANARY_WEIGHT="${CANARY_WEIGHT:-20}"
export ZIPKIN_PORT
demo_run="$RUN_DIR/demo-$PROXY_PORT"
rm -rf "$demo_run"; mkdir -p "$demo_run"
pids=()
zipkin_started=0

cleanup() {
  trap - EXIT INT TERM
  log "stopping"
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  if [ "$zipkin_started" -eq 1 ]; then bash scripts/stop-zipkin.sh || true; fi
  log "stopped"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# A component's URL answering is not enough: on a port something else took first, a component
# that failed to bind exits while the other program answers (a CosyVoice on 7860 would have been
# fronted as our worker). So the component's process must still be alive once its URL answers.
wait_http() { # URL WHAT LOG PID
  for _ in $(seq 1 240); do
    kill -0 "$4" 2>/dev/null || die "$2 exited (see $3)"
    if curl -fsS -o /dev/null "$1" 2>/dev/null; then
      kill -0 "$4" 2>/dev/null || die "$2 exited (see $3)"
      return 0
    fi
    sleep 0.5
  done
  die "$2 did not start (see $3)"
}

# Every port the demo listens on must be free before anything starts: a clear error up front
# rather than a component that cannot bind.
check_free() { # VAR PORT
  if listening 127.0.0.1 "$2"; then die "port $2 ($1) is already in use by another program: stop it, or choose another with $1=<port>"; fi
}
# Nor may two of them share a number: the second to bind would exit, late and far from the cause.
declare -A port_owner=()
check_distinct() { # VAR PORT
  if [ -n "${port_owner[$2]:-}" ]; then die "${port_owner[$2]} and $1 are both $2: each needs a port of its own"; fi
  port_owner[$2]="$1"
}
if [ -z "${UPSTREAM:-}" ]; then check_distinct APP_PORT "$APP_PORT"; check_distinct 'APP_PORT+10 (the canary)' "$CANARY_PORT"; fi
check_distinct PROXY_PORT "$PROXY_PORT"; check_distinct ADMIN_PORT "$ADMIN_PORT"; check_distinct NGINX_PORT "$NGINX_PORT"
check_distinct ZIPKIN_PORT "$ZIPKIN_PORT"
if [ -z "${UPSTREAM:-}" ]; then check_free APP_PORT "$APP_PORT"; check_free 'APP_PORT+10, the canary' "$CANARY_PORT"; fi
check_free PROXY_PORT "$PROXY_PORT"; check_free ADMIN_PORT "$ADMIN_PORT"; check_free NGINX_PORT "$NGINX_PORT"

log "node dependencies and build"
npm ci --no-audit --no-fund --loglevel=error --cache "$CACHE/npm" >/dev/null
npm run --silent build

exporter=zipkin
traces_at=""
if bash scripts/setup-zipkin.sh >/dev/null 2>"$demo_run/zipkin-setup.log"; then
  bash scripts/start-zipkin.sh >/dev/null
  zipkin_started=1
  traces_at="http://127.0.0.1:$ZIPKIN_PORT/zipkin/"
else
  exporter=file
  traces_at="$demo_run/spans.zipkin.json (Zipkin JSON: load it in any Zipkin UI)"
  log "Zipkin could not be set up (see $demo_run/zipkin-setup.log); spans go to a file"
fi
export OTEL_TRACES_EXPORTER="$exporter" OTEL_EXPORTER_ZIPKIN_ENDPOINT="http://127.0.0.1:$ZIPKIN_PORT/api/v2/spans"

if [ -n "${UPSTREAM:-}" ]; then
  arms="stable=unversioned:100:$UPSTREAM"
else
  voice="$(bash scripts/setup-voice.sh)"
  # The canary: the same voice, speaking 25% slower (Piper's length_scale), as version v2.
  mkdir -p "$demo_run/voice-v2"
  ln -sf "$voice" "$demo_run/voice-v2/voice.onnx"
  node -e 'const f=require("fs");const c=JSON.parse(f.readFileSync(process.argv[1]));c.inference={...c.inference,length_scale:(c.inference?.length_scale??1)*1.25};f.writeFileSync(process.argv[2],JSON.stringify(c))' \
    "$voice.json" "$demo_run/voice-v2/voice.onnx.json"
  for arm in stable canary; do
    if [ "$arm" = stable ]; then port="$APP_PORT"; v=v1; arm_voice="$voice"; else port="$CANARY_PORT"; v=v2; arm_voice="$demo_run/voice-v2/voice.onnx"; fi
    OTEL_SERVICE_NAME="upstream-tts-$arm" OTEL_RESOURCE_ATTRIBUTES="service.version=$v" \
      node dist/upstream-tts/src/main.js --voice "$arm_voice" --listen "127.0.0.1:$port" --workers 1 \
      >"$demo_run/tts-$arm.log" 2>&1 &
    pids+=($!)
  done
  wait_http "http://127.0.0.1:$APP_PORT/config" "the stable worker" "$demo_run/tts-stable.log" "${pids[-2]}"
  wait_http "http://127.0.0.1:$CANARY_PORT/config" "the canary worker" "$demo_run/tts-canary.log" "${pids[-1]}"
  arms="stable=v1:$((100 - CANARY_WEIGHT)):http://127.0.0.1:$APP_PORT;canary=v2:$CANARY_WEIGHT:http://127.0.0.1:$CANARY_PORT"
fi

OTEL_SERVICE_NAME="${OTEL_SERVICE_NAME:-tts-trace-proxy}" TTS_PROXY_ARMS="$arms" TTS_PROXY_SPAN_FILE="$demo_run/spans.zipkin.json" \
  node --max-old-space-size=2048 --heap-growing-percent=100 --initial-old-space-size=64 dist/proxy/src/main.js --listen "127.0.0.1:$PROXY_PORT" --admin "127.0.0.1:$ADMIN_PORT" \
  >"$demo_run/proxy-access.log" 2>"$demo_run/proxy.log" &
pids+=($!)
wait_http "http://127.0.0.1:$ADMIN_PORT/healthz" "the proxy" "$demo_run/proxy.log" "${pids[-1]}"

front="http://127.0.0.1:$PROXY_PORT/"
if nginx_bin="$(bash scripts/setup-nginx.sh 2>"$demo_run/nginx-setup.log")"; then
  conf="$(NGINX_LISTEN="127.0.0.1:$NGINX_PORT" PROXY_ADDR="127.0.0.1:$PROXY_PORT" NGINX_RUNTIME="$demo_run/nginx" \
    bash scripts/render-nginx.sh "$demo_run/nginx")"
  "$nginx_bin" -p "$demo_run/nginx" -e "$demo_run/nginx/error.log" -c "$conf" -g 'daemon off;' &
  pids+=($!)
  front="http://127.0.0.1:$NGINX_PORT/"
  wait_http "$front" "nginx" "$demo_run/nginx/error.log" "${pids[-1]}"
else
  log "nginx could not be installed (see $demo_run/nginx-setup.log); open the proxy directly"
fi

cat <<TXT

  tts-trace-proxy demo is up.
    open the app          $front   (you are pinned to one arm; add header X-Canary: canary to choose)
    traces                $traces_at
    per-arm report        node dist/proxy/src/main.js report --zipkin http://127.0.0.1:$ZIPKIN_PORT --since 1h
    proxy metrics         http://127.0.0.1:$ADMIN_PORT/metrics
    logs                  $demo_run/
  arms: $arms
  Every response carries X-Trace-Id; look it up in Zipkin.
  Press Ctrl-C to stop everything.

TXT
wait -n "${pids[@]}" || true
log "a component exited; see $demo_run/"
