#!/usr/bin/env bash
# The Jaeger v2 binary (an OpenTelemetry Collector distribution with Jaeger's storage and query
# API), built from the Go module proxy, for the OTLP export tests. Prints the binary's path.
#
# Built in a scratch module with `go get -tool` and `go build`, the ordinary way to build a Go
# command at a pinned version; the module cache, the build cache and the binary live under the
# cache directory, outside the clone. Cold: about 7 minutes on 2 cores and 1.3 GB of modules;
# warm: nothing to do. Needs Go >= 1.24 (`go get -tool`).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

version="${JAEGER_VERSION:-v1.76.0}"
[[ "$version" =~ ^v[0-9]+\.[0-9]+\.[0-9]+$ ]] || die "bad Jaeger module version: '$version'"
dir="$CACHE/jaeger-$version"
bin="$dir/jaeger"
if [ -x "$bin" ]; then printf '%s\n' "$bin"; exit 0; fi
lock "jaeger-$version"
if [ -x "$bin" ]; then printf '%s\n' "$bin"; exit 0; fi

command -v go >/dev/null 2>&1 || die "Go is needed to build Jaeger (https://go.dev/dl/; Debian: golang-go >= 1.24)"
export GOMODCACHE="$CACHE/go/mod" GOCACHE="$CACHE/go/build" GOFLAGS=-modcacherw GOTOOLCHAIN=local
scratch="$dir/module"
rm -rf "$scratch"
mkdir -p "$scratch"
started=$(date +%s)
log "building Jaeger $version (cold: ~7 min, ~1.3 GB of Go modules under $CACHE/go)"
( cd "$scratch" && go mod init tts-trace-proxy/jaeger-build >/dev/null 2>&1 \
  && go get -tool "github.com/jaegertracing/jaeger/cmd/jaeger@$version" >&2 \
  && go build -trimpath -o "$bin.tmp" github.com/jaegertracing/jaeger/cmd/jaeger >&2 ) \
  || die "building Jaeger $version failed (see above)"
mv -f "$bin.tmp" "$bin"
log "Jaeger $version built in $(( $(date +%s) - started )) s: $(du -h "$bin" | cut -f1) (Go modules $(du -sh "$GOMODCACHE" | cut -f1))"
printf '%s\n' "$bin"
