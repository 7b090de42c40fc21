#!/usr/bin/env bash
# A real OTLP/HTTP receiver for the OTLP export tests: Arize Phoenix from PyPI (it takes
# OTLP/HTTP protobuf on /v1/traces and answers queries on /v1/projects/<p>/spans), in a
# virtualenv at $CACHE/venv-phoenix-VERSION. Prints the `phoenix` executable path on stdout.
#
# Why not the Zipkin server's OTLP module (io.zipkin.contrib.otel:zipkin-module-otel, which
# design §5 suggests): Maven Central as reachable here has no artifact of it (module jar, POM and
# collector-http all answer 404 for 0.1.0-0.3.0; only the parent POM and encoder-brave are there).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

version="${PHOENIX_VERSION:-20.26.1}"
[[ "$version" =~ ^[0-9]+(\.[0-9]+)*$ ]] || die "bad phoenix version: '$version'"
venv="$CACHE/venv-phoenix-$version"
stamp="$venv/.tts-trace-proxy-complete"
bin="$venv/bin/phoenix"

complete() { [ -f "$stamp" ] && [ -x "$bin" ]; }
if complete; then printf '%s\n' "$bin"; exit 0; fi
lock "venv-phoenix-$version"
if complete; then printf '%s\n' "$bin"; exit 0; fi

base_py=""
for c in python3.11 python3.12 python3; do
  if command -v "$c" >/dev/null 2>&1 && "$c" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 10) else 1)' 2>/dev/null; then base_py="$c"; break; fi
done
if [ -z "$base_py" ]; then
  apt_install python3 python3-venv
  base_py=python3
fi
if ! "$base_py" -c 'import venv, ensurepip' >/dev/null 2>&1; then
  apt_install "python3-venv" "python$("$base_py" -c 'import sys; print("%d.%d" % sys.version_info[:2])')-venv"
fi

log "creating $venv (arize-phoenix==$version; about 1 GB, a minute)"
rm -rf "$venv"
"$base_py" -m venv "$venv" || die "python -m venv failed"
export PIP_CACHE_DIR="$CACHE/pip"
export PIP_DISABLE_PIP_VERSION_CHECK=1
"$venv/bin/python" -m pip install -q "arize-phoenix==$version" >/dev/null \
  || die "pip install arize-phoenix==$version failed (rerun without -q to see why)"
[ -x "$bin" ] || die "no phoenix executable in $venv"
"$venv/bin/python" -m pip freeze >"$stamp"

log "$venv ready: $(du -sh "$venv" | cut -f1)"
printf '%s\n' "$bin"
