#!/usr/bin/env bash
# usage: setup-chromium.sh
# Debian's chromium (for the headless-browser e2e tests, driven by playwright-core over CDP).
# Installs it with apt-get when missing. Prints the browser's path on stdout.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

bin="${CHROMIUM_PATH:-/usr/bin/chromium}"
if [ ! -x "$bin" ]; then
  lock "chromium-setup"
  if [ ! -x "$bin" ]; then
    apt_install chromium
  fi
fi
[ -x "$bin" ] || die "$bin missing after apt-get install chromium"
"$bin" --version >/dev/null 2>&1 || die "$bin does not run: $("$bin" --version 2>&1 | tail -n 3)"
printf '%s\n' "$bin"
