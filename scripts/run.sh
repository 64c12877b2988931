#!/usr/bin/env bash
# Set up (first time) and start the web chat on the bundled corpus: http://127.0.0.1:7860
# (the first start reads the bundled documents into the index; later starts reuse it).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/inclusie serve "$@"
