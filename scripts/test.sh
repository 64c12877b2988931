#!/usr/bin/env bash
# Set up (first time) and run the whole test suite, offline: lint, format check, type check,
# then pytest (tests/ and the doctests in the packages). Extra arguments go to pytest, e.g.
#   bash scripts/test.sh -m "not slow"     # the quick loop (under a minute)
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
.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/mypy
.venv/bin/python -m pytest "$@"
