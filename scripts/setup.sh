#!/usr/bin/env bash
# Create .venv and install the project. Usage: scripts/setup.sh [extras], e.g. "st,test".
# torch is pinned to the CPU build that lies on this machine's disk (pulled in only by the
# sentence-transformers extra); installing it first keeps pip from fetching a multi-GB CUDA build.
set -euo pipefail
cd "$(dirname "$0")/.."
extras="${1:-}"
PY="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --upgrade pip
if [[ "$extras" == *st* ]]; then
  .venv/bin/pip install --quiet "torch==2.13.0"
fi
if [ -n "$extras" ]; then
  .venv/bin/pip install --quiet -e ".[${extras}]"
else
  .venv/bin/pip install --quiet -e .
fi
