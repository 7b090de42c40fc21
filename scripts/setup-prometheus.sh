#!/usr/bin/env bash
# Make sure Prometheus and promtool (the Debian `prometheus` package) are installed, without
# leaving the system Prometheus service running: the tests run their own instances with
# --config.file / --storage.tsdb.path, and alerts/ is checked with `promtool test rules`.
# Prints the prometheus binary path on stdout (promtool is next to it).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

find_prometheus() { command -v prometheus 2>/dev/null || { [ -x /usr/bin/prometheus ] && echo /usr/bin/prometheus; }; }
have_all() { find_prometheus >/dev/null && { command -v promtool >/dev/null 2>&1 || [ -x /usr/bin/promtool ]; }; }

if ! have_all; then
  lock prometheus-setup
  if ! have_all; then
    # As for nginx: a policy-rc.d answering 101 keeps the package's postinst from starting the
    # service (port 9090 may be taken, and nothing here wants it). Keep an existing policy.
    policy=/usr/sbin/policy-rc.d
    if [ ! -e "$policy" ] && [ "$(id -u)" -eq 0 ]; then
      printf '#!/bin/sh\nexit 101\n' >"$policy"
      chmod 755 "$policy"
      trap 'rm -f "$policy"' EXIT
    fi
    apt_install prometheus
    if [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; then
      systemctl disable --now prometheus >/dev/null 2>&1 || true
    else
      if command -v update-rc.d >/dev/null 2>&1; then update-rc.d prometheus disable >/dev/null 2>&1 || true; fi
      if [ -x /etc/init.d/prometheus ]; then /etc/init.d/prometheus stop >/dev/null 2>&1 || true; fi
    fi
    have_all || die "prometheus/promtool still missing after apt-get install prometheus"
  fi
fi

find_prometheus
