#!/usr/bin/env bash
# Make sure nginx (the Debian package) is installed, without leaving the system nginx service
# running on port 80: this project runs its own instances with `-p`/`-c` (see nginx/).
# Prints the nginx binary path on stdout.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

find_nginx() { command -v nginx 2>/dev/null || { [ -x /usr/sbin/nginx ] && echo /usr/sbin/nginx; }; }

if ! bin="$(find_nginx)"; then
  lock nginx-setup
  if ! bin="$(find_nginx)"; then
    # A policy-rc.d that answers 101 stops the package's postinst from starting the service
    # (which would also fail the install if port 80 is taken). Keep an existing policy.
    policy=/usr/sbin/policy-rc.d
    if [ ! -e "$policy" ] && [ "$(id -u)" -eq 0 ]; then
      printf '#!/bin/sh\nexit 101\n' >"$policy"
      chmod 755 "$policy"
      trap 'rm -f "$policy"' EXIT
    fi
    apt_install nginx
    # Not at boot either, and stop it if a policy of the machine's own let it start.
    if [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; then
      systemctl disable --now nginx >/dev/null 2>&1 || true
    else
      if command -v update-rc.d >/dev/null 2>&1; then update-rc.d nginx disable >/dev/null 2>&1 || true; fi
      if [ -x /etc/init.d/nginx ]; then /etc/init.d/nginx stop >/dev/null 2>&1 || true; fi
    fi
    bin="$(find_nginx)" || die "nginx is still missing after apt-get install nginx"
  fi
fi

printf '%s\n' "$bin"
