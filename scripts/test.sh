#!/usr/bin/env bash
# Set up (first time) and run the whole test suite, offline.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh "st,test"
.venv/bin/python -m pytest "$@"
