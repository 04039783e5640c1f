#!/usr/bin/env bash
# The test command (README): the whole suite, lab tests included when run as root.
set -euo pipefail
cd "$(dirname "$0")/.."
exec .venv/bin/python -m pytest -q "$@"
