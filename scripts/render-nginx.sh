#!/usr/bin/env bash
# usage: render-nginx.sh OUTDIR
# Render nginx/nginx.conf.template into OUTDIR/nginx.conf (plus the locations snippet it
# includes) and check it with `nginx -t`. Prints the path of the rendered nginx.conf.
# env (defaults): NGINX_LISTEN (127.0.0.1:8080), PROXY_ADDR (127.0.0.1:7861),
#                 NGINX_RUNTIME (OUTDIR), CLIENT_MAX_BODY_SIZE (200m).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

if [ $# -ne 1 ] || [ -z "$1" ]; then die "usage: $(basename "$0") OUTDIR"; fi
out="$(realpath -m "$1")"

export NGINX_LISTEN="${NGINX_LISTEN:-127.0.0.1:8080}"
export PROXY_ADDR="${PROXY_ADDR:-127.0.0.1:7861}"
export NGINX_RUNTIME="${NGINX_RUNTIME:-$out}"
export CLIENT_MAX_BODY_SIZE="${CLIENT_MAX_BODY_SIZE:-200m}"

# The values land unquoted in nginx syntax: refuse anything that could end a directive.
for name in NGINX_LISTEN PROXY_ADDR NGINX_RUNTIME CLIENT_MAX_BODY_SIZE; do
  value="${!name}"
  [[ -n "$value" && "$value" != *[[:space:]\;\{\}\$\"\'\#\\]* ]] \
    || die "$name must be non-empty without spaces, quotes or any of ; { } \$ # \\ (got '$value')"
done
[[ "$NGINX_RUNTIME" == /* ]] || die "NGINX_RUNTIME must be an absolute path (got '$NGINX_RUNTIME')"
[[ "$CLIENT_MAX_BODY_SIZE" =~ ^[0-9]+[kKmMgG]?$ ]] || die "CLIENT_MAX_BODY_SIZE must look like 200m (got '$CLIENT_MAX_BODY_SIZE')"

# Several proxy replicas: PROXY_ADDR=a:1,b:2 becomes `server a:1; server b:2;` in the upstream
# block (the template balances them by client), after each address passed the check above.
if [[ "$PROXY_ADDR" == *,* ]]; then
  IFS=, read -r -a addrs <<<"$PROXY_ADDR"
  for a in "${addrs[@]}"; do [[ "$a" =~ ^[A-Za-z0-9._:-]+$ ]] || die "PROXY_ADDR: bad address '$a'"; done
  PROXY_ADDR="$(printf '%s; server ' "${addrs[@]}")"
  PROXY_ADDR="${PROXY_ADDR%; server }"
  export PROXY_ADDR
fi

command -v envsubst >/dev/null 2>&1 || apt_install gettext-base
nginx_bin="$("$(dirname "$0")/setup-nginx.sh")"

src="$REPO_ROOT/nginx"
mkdir -p "$out" "$NGINX_RUNTIME/tmp"
# Exactly these four: nginx's own $variables must stay as they are.
# shellcheck disable=SC2016
envsubst '${NGINX_LISTEN} ${PROXY_ADDR} ${NGINX_RUNTIME} ${CLIENT_MAX_BODY_SIZE}' \
  <"$src/nginx.conf.template" >"$out/nginx.conf.tmp"
cp "$src/tts-trace-proxy.locations.conf" "$out/tts-trace-proxy.locations.conf"
mv -f "$out/nginx.conf.tmp" "$out/nginx.conf"

if ! check="$("$nginx_bin" -t -q -p "$NGINX_RUNTIME" -e "$NGINX_RUNTIME/error.log" -c "$out/nginx.conf" 2>&1)"; then
  printf '%s\n' "$check" >&2
  die "nginx -t rejected $out/nginx.conf"
fi

printf '%s\n' "$out/nginx.conf"
