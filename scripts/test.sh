#!/usr/bin/env bash
# The whole test suite, on a fresh machine: installs what it needs (downloads cached outside the
# clone, see scripts/lib.sh), starts one shared Zipkin for all test files, runs every test.
# Extra arguments go to ava (e.g. test/e2e/x.test.ts, or its dist/…/x.test.js). Exit code: ava's.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

start=$(date +%s)
log "node dependencies"
# npm's cache lives with the other downloads, outside the clone.
npm ci --no-audit --no-fund --loglevel=error --cache "$CACHE/npm" >/dev/null
log "node_modules: $(du -sh node_modules | cut -f1) (npm cache $(du -sh "$CACHE/npm" | cut -f1))"
npm run --silent build
# Which layer may import which (docs/architecture.md): a wrong-way import fails the run here.
npm run --silent lint:deps
log "test rig (Zipkin jar, nginx, Gradio virtualenv)"
bash scripts/setup-zipkin.sh >/dev/null
bash scripts/setup-nginx.sh >/dev/null
bash scripts/setup-gradio.sh >/dev/null
bash scripts/setup-prometheus.sh >/dev/null
bash scripts/setup-jaeger.sh >/dev/null         # the OTLP receiver: a real Jaeger (a Go build, cached)
bash scripts/setup-voice.sh >/dev/null && bash scripts/setup-piper-python.sh >/dev/null
for v in "$GRADIO_VERSION" 5.4.0 4.44.1; do bash scripts/setup-example.sh "$v" >/dev/null; done
bash scripts/setup-chromium.sh >/dev/null
bash scripts/setup-gradio.sh 4.7.1 >/dev/null   # the first SSE protocol ("sse", 4.0–4.8)
bash scripts/setup-gradio.sh 3.50.2 >/dev/null  # 3.x legacy predict

ZIPKIN_PORT="$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')"
export ZIPKIN_PORT
stop_zipkin() { ZIPKIN_PORT="$ZIPKIN_PORT" bash scripts/stop-zipkin.sh >/dev/null 2>&1 || true; }
trap stop_zipkin EXIT
ZIPKIN_URL="$(bash scripts/start-zipkin.sh)"
export ZIPKIN_URL
log "Zipkin at $ZIPKIN_URL; setup took $(( $(date +%s) - start )) s"

# A source path names its compiled test: test/e2e/x.test.ts runs dist/test/e2e/x.test.js.
if [ $# -gt 0 ]; then
  args=()
  for a in "$@"; do
    case "$a" in
      test/*.ts|./test/*.ts) a="${a#./}"; args+=("dist/${a%.ts}.js") ;;
      *) args+=("$a") ;;
    esac
  done
  npx ava "${args[@]}"; exit $?
fi
status=0
npx ava || status=$?
# Latency and memory measurements under load, alone (see ava.timing.config.js).
npx ava --config ava.timing.config.js || status=$?
# A bounded share of the fuzzer (docs/operations.md, "Fuzzing"): about two minutes of cases against the real
# process and the Zipkin above, then a short shrink of each distinct failure. The seed changes
# daily (FUZZ_SEED overrides it) and is printed, so a failure is reproducible. FUZZ_ARGS adds
# options (e.g. --skip close).
log "fuzz (${FUZZ_TIME_S:-120} s)"
# shellcheck disable=SC2086 # FUZZ_ARGS is a list of options
node dist/test/fuzz/run.js --seed "${FUZZ_SEED:-$(date -u +%Y%m%d)}" --cases 1000000 --time "${FUZZ_TIME_S:-120}" \
  --shrink-time 15 --max-shrinks 4 --zipkin "$ZIPKIN_URL" ${FUZZ_ARGS:-} || status=$?
exit "$status"
