#!/usr/bin/env bash
# Set up (first time) and run the whole test suite, offline.
# The browser tests drive Debian's chromium; it is installed here when missing (needs root or sudo).
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v chromium >/dev/null 2>&1; then
  SUDO=""
  if [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null 2>&1; then SUDO="sudo"; fi
  echo "chromium ontbreekt: installeren via apt ..." >&2
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
fi
bash scripts/setup.sh "st,test"
.venv/bin/python -m pytest "$@"
