#!/usr/bin/env bash
# usage: setup-example.sh [GRADIO_VERSION]
# What examples/cosyvoice-webui needs on top of the Gradio venv of scripts/setup-gradio.sh:
#   * Debian's ffmpeg (pydub needs it: Gradio 5/6 turn streaming audio into AAC/HLS segments,
#     4.x converts with it too), installed with apt-get when missing;
#   * piper-tts from PyPI in that venv, without moving any package Gradio already has
#     (the venv's own freeze is the constraints file).
# The voice itself comes from scripts/setup-voice.sh. Prints the venv's python on stdout.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

PIPER_TTS_VERSION=1.8.0

version="${1:-$GRADIO_VERSION}"
if ! command -v ffmpeg >/dev/null 2>&1; then
  lock "ffmpeg-setup"
  command -v ffmpeg >/dev/null 2>&1 || apt_install ffmpeg
fi
command -v ffmpeg >/dev/null 2>&1 || die "ffmpeg missing after apt-get install ffmpeg"

py="$(bash "$(dirname "$0")/setup-gradio.sh" "$version")"
venv="$(dirname "$(dirname "$py")")"
stamp="$venv/.example-piper-tts-$PIPER_TTS_VERSION-complete"

complete() { [ -f "$stamp" ] && [ -x "$py" ]; }
if complete; then printf '%s\n' "$py"; exit 0; fi
lock "example-gradio-$version"
if complete; then printf '%s\n' "$py"; exit 0; fi

log "pip install piper-tts==$PIPER_TTS_VERSION into $venv"
constraints="$(mktemp)"
trap 'rm -f "$constraints"' EXIT
"$py" -m pip freeze --exclude-editable >"$constraints"
PIP_CACHE_DIR="$CACHE/pip" PIP_DISABLE_PIP_VERSION_CHECK=1 \
  "$py" -m pip install -q -c "$constraints" "piper-tts==$PIPER_TTS_VERSION" >/dev/null \
  || die "pip install piper-tts==$PIPER_TTS_VERSION failed in $venv (rerun without -q to see why)"
"$py" -c 'import gradio, pydub; from piper import PiperVoice, SynthesisConfig' \
  || die "gradio + piper do not import together in $venv"
"$py" -m pip freeze >"$stamp"
log "$venv ready: $(du -sh "$venv" | cut -f1)"
printf '%s\n' "$py"
