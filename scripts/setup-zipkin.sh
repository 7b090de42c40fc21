#!/usr/bin/env bash
# Download and verify the pinned Zipkin server jar into the cache; make sure Java >= 17 exists.
# Prints the jar path on stdout.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

java_major() {
  # `java -version` prints e.g. 'openjdk version "17.0.15" 2025-04-15' or '"1.8.0_392"' on stderr.
  local v
  v="$(java -version 2>&1 | sed -n 's/.* version "\([^"]*\)".*/\1/p' | head -n 1)"
  case "$v" in
    1.*) v="${v#1.}" ;;
  esac
  printf '%s\n' "${v%%[.+-]*}"
}

lock zipkin-setup
if ! command -v java >/dev/null 2>&1; then
  apt_install openjdk-17-jre-headless
fi
major="$(java_major)"
if ! [[ "$major" =~ ^[0-9]+$ ]] || [ "$major" -lt 17 ]; then
  die "Zipkin $ZIPKIN_VERSION needs Java >= 17, found: $(java -version 2>&1 | head -n 1) ($(command -v java))"
fi

sha1_of() { sha1sum "$1" | cut -d' ' -f1; }

if [ ! -s "$ZIPKIN_JAR" ]; then
  log "downloading zipkin-server $ZIPKIN_VERSION"
  sha_file="$(mktemp)"
  trap 'rm -f "$sha_file"' EXIT
  download "$ZIPKIN_URL_BASE.sha1" "$sha_file"
  # The .sha1 file is the bare hex digest (sometimes followed by a file name).
  expected="$(tr -d '\r' <"$sha_file" | awk '{print tolower($1); exit}')"
  [[ "$expected" =~ ^[0-9a-f]{40}$ ]] || die "unexpected content in $ZIPKIN_URL_BASE.sha1"
  tmp="$ZIPKIN_JAR.download"
  download "$ZIPKIN_URL_BASE" "$tmp"
  actual="$(sha1_of "$tmp")"
  if [ "$actual" != "$expected" ]; then
    rm -f "$tmp"
    die "sha1 mismatch for zipkin-server $ZIPKIN_VERSION: expected $expected, got $actual"
  fi
  mv -f "$tmp" "$ZIPKIN_JAR"
fi

printf '%s\n' "$ZIPKIN_JAR"
