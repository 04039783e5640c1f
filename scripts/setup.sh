#!/usr/bin/env bash
# Sets up everything pathprobe needs on a fresh Debian 12 machine (root): Debian packages for the lab
# and the real-component tests, the project venv (.venv) and mitmproxy's own venv (.venv-mitmproxy).
# Idempotent; safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(
  tor obfs4proxy dnsdist unbound openvpn wireguard-go wireguard-tools shadowsocks-libev microsocks tinyproxy
  iptables nftables iproute2 postgresql chromium firefox-esr gettext
)

if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  missing=()
  for p in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if [ "${#missing[@]}" -gt 0 ]; then
    # Never let a package start its daemon with a default configuration.
    if [ ! -x /usr/sbin/policy-rc.d ]; then
      printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
      chmod +x /usr/sbin/policy-rc.d
    fi
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
fi

PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
.venv/bin/pip install -q --upgrade pip >/dev/null
.venv/bin/pip install -q -e '.[test]'

if [ ! -x .venv-mitmproxy/bin/mitmdump ]; then
  "$PY" -m venv .venv-mitmproxy
  .venv-mitmproxy/bin/pip install -q 'mitmproxy==11.0.2'
fi
echo "setup done: .venv (pathprobe) and .venv-mitmproxy (mitmdump)"
