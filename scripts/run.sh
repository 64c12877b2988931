#!/usr/bin/env bash
# Set up (first time) and run the main job on the bundled corpus.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/inclusie ingest
.venv/bin/inclusie ask "Wat kan de gemeente doen aan leerlingenvervoer?"
