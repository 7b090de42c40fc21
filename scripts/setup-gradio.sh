#!/usr/bin/env bash
# usage: setup-gradio.sh [VERSION]
# A virtualenv at $CACHE/venv-gradio-VERSION with gradio==VERSION and gradio_client from PyPI.
# Prints the venv's python path on stdout.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

version="${1:-$GRADIO_VERSION}"
[[ "$version" =~ ^[0-9]+(\.[0-9]+)*$ ]] || die "bad gradio version: '$version'"
venv="$CACHE/venv-gradio-$version"
stamp="$venv/.tts-trace-proxy-complete"
py="$venv/bin/python"

complete() { [ -f "$stamp" ] && [ -x "$py" ]; }
if complete; then
  printf '%s\n' "$py"
  exit 0
fi
lock "venv-gradio-$version"
if complete; then  # another process finished it while we waited for the lock
  printf '%s\n' "$py"
  exit 0
fi

# Interpreter for the venv: $GRADIO_PYTHON, else python3.11 / python3 (Debian 12: 3.11).
base_py="${GRADIO_PYTHON:-}"
if [ -z "$base_py" ]; then
  for c in python3.11 python3; do
    if command -v "$c" >/dev/null 2>&1 && "$c" -c 'import sys' >/dev/null 2>&1; then base_py="$c"; break; fi
  done
fi
if [ -z "$base_py" ]; then
  apt_install python3 python3-venv
  base_py=python3
fi
"$base_py" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 10) else 1)' \
  || die "gradio $version needs Python >= 3.10; $base_py is $("$base_py" --version 2>&1)"
if ! "$base_py" -c 'import venv, ensurepip' >/dev/null 2>&1; then
  # Debian splits venv/ensurepip into python3.X-venv.
  apt_install "python3-venv" "python$("$base_py" -c 'import sys; print("%d.%d" % sys.version_info[:2])')-venv"
fi

log "creating $venv (gradio==$version, $("$base_py" --version 2>&1))"
rm -rf "$venv"
"$base_py" -m venv "$venv" || die "python -m venv failed"
export PIP_CACHE_DIR="$CACHE/pip"
export PIP_DISABLE_PIP_VERSION_CHECK=1
"$py" -m pip install -q --upgrade pip >/dev/null || die "pip upgrade failed"
# Older releases declare open-ended dependency ranges that today's PyPI resolves to versions they
# cannot run with; pin the set that works (checked with 4.44.1 and 5.4.0):
#   huggingface_hub 1.x dropped HfFolder: `import gradio` fails          -> 0.26.5
#   pydantic >= 2.11 schemas crash gradio_client's /info (so GET / 500s)  -> 2.7.0 (CosyVoice's pin)
#   fastapi 0.115.6 (starlette 0.41.3) and numpy 1.26.4                  -> CosyVoice's pins
compat=()
case "$version" in
  # 4.0–4.8 (the "sse" protocol) build pydantic models of starlette's Request: FastAPI and
  # pydantic of their own time.
  # 3.x: a starlette new enough to change TemplateResponse breaks every page (unhashable dict).
  3.*) compat=("huggingface_hub==0.17.3" "pydantic==2.4.2" "fastapi==0.103.2" "numpy==1.26.4") ;;
  4.[0-8].*) compat=("huggingface_hub==0.26.5" "pydantic==2.5.3" "fastapi==0.104.1" "numpy==1.26.4") ;;
  4.*|5.[0-4].*) compat=("huggingface_hub==0.26.5" "pydantic==2.7.0" "fastapi==0.115.6" "numpy==1.26.4") ;;
esac
"$py" -m pip install -q "gradio==$version" gradio_client "${compat[@]}" >/dev/null \
  || die "pip install gradio==$version gradio_client ${compat[*]} failed (rerun without -q to see why)"
"$py" -c 'import gradio, gradio_client' || die "gradio does not import in $venv"
"$py" -m pip freeze >"$stamp"

log "$venv ready: $(du -sh "$venv" | cut -f1)"
printf '%s\n' "$py"
