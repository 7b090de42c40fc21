#!/usr/bin/env bash
# usage: setup-piper-python.sh
# A virtualenv at $CACHE/venv-piper-tts-VERSION with Python piper-tts from PyPI: the reference
# implementation that the sample-parity test and `npm run bench:tts` compare the worker against.
# Prints the venv's python path on stdout.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

PIPER_TTS_VERSION=1.8.0
venv="$CACHE/venv-piper-tts-$PIPER_TTS_VERSION"
py="$venv/bin/python"
stamp="$venv/.tts-trace-proxy-complete"

complete() { [ -f "$stamp" ] && [ -x "$py" ]; }
if complete; then printf '%s\n' "$py"; exit 0; fi
lock "venv-piper-tts-$PIPER_TTS_VERSION"
if complete; then printf '%s\n' "$py"; exit 0; fi

base_py=""
for c in python3.11 python3; do
  if command -v "$c" >/dev/null 2>&1 && "$c" -c 'import venv, ensurepip' >/dev/null 2>&1; then base_py="$c"; break; fi
done
if [ -z "$base_py" ]; then
  apt_install python3 python3-venv
  base_py=python3
fi

log "creating $venv (piper-tts==$PIPER_TTS_VERSION, $("$base_py" --version 2>&1))"
rm -rf "$venv"
"$base_py" -m venv "$venv" || die "python -m venv failed"
export PIP_CACHE_DIR="$CACHE/pip" PIP_DISABLE_PIP_VERSION_CHECK=1
"$py" -m pip install -q --upgrade pip >/dev/null || die "pip upgrade failed"
"$py" -m pip install -q "piper-tts==$PIPER_TTS_VERSION" >/dev/null \
  || die "pip install piper-tts==$PIPER_TTS_VERSION failed (rerun without -q to see why)"
"$py" -c 'from piper import PiperVoice' || die "piper does not import in $venv"
"$py" -m pip freeze >"$stamp"
log "$venv ready: $(du -sh "$venv" | cut -f1)"
printf '%s\n' "$py"
