#!/usr/bin/env bash
# The lab demo on a fresh Debian machine (root): installs everything (scripts/setup.sh: Debian
# packages, .venv, .venv-mitmproxy), then runs the kz-2019 scenario end to end and shows the profile.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "$(id -u)" != 0 ]; then
  echo "lab-demo: the lab needs root (network namespaces); run: sudo bash scripts/lab-demo.sh" >&2
  exit 2
fi
bash scripts/setup.sh
exec .venv/bin/pathprobe lab demo "$@"
