#!/bin/bash
# Chat latency while a large upload runs (issue 15, point 2): a script, not a test.
#
#   bash benchmarks/load_during_upload.sh [data-dir]
#
# Serves the bundled corpus (ingested into a fresh temporary data dir unless one is given) on a
# free port of 127.0.0.1, runs benchmarks/load_chat.py against it (10 users, 60 s) once on a quiet
# server and once while a 57,000-word text (the corpus ten times, each copy with its own place
# names) is uploaded through POST /api/v1/documents, and prints both results and the upload time.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
DATA=${1:-$(mktemp -d)/data}
WORK=$(mktemp -d)
export INCLUSIE_EMBED_THREADS=${INCLUSIE_EMBED_THREADS:-1}
PORT=$($PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
.venv/bin/inclusie --data-dir "$DATA" ingest >/dev/null
.venv/bin/inclusie --data-dir "$DATA" serve --port "$PORT" >"$WORK/serve.log" 2>&1 &
PID=$!
trap 'kill $PID 2>/dev/null || true' EXIT
for _ in $(seq 1 180); do curl -s -o /dev/null "http://127.0.0.1:$PORT/" && break; sleep 1; done
echo "== quiet server"
$PY benchmarks/load_chat.py --url "http://127.0.0.1:$PORT/" --pid $PID --users 10 --seconds 60 | tail -6
$PY - "$WORK/groot-document.txt" <<'PY'
import re, sys
from pathlib import Path
seeds = sorted(Path("corpus").glob("*.txt"))
places = r"\b(Lelystad|Utrecht|Zwolle|Roosendaal|Moerdijk|Stromenland|Nijmegen|Goeree)\b"
parts = [re.sub(places, lambda m: f"{m.group(1)}{i}", f.read_text(encoding="utf-8"))
         for i in range(10) for f in seeds]
Path(sys.argv[1]).write_text("\n\n".join(parts), encoding="utf-8")
print("upload:", sum(len(p.split()) for p in parts), "words")
PY
echo "== while the upload runs"
START=$(date +%s.%N)
curl -s -o "$WORK/upload.json" -F "files=@$WORK/groot-document.txt" \
  "http://127.0.0.1:$PORT/api/v1/documents" &
UP=$!
sleep 3
$PY benchmarks/load_chat.py --url "http://127.0.0.1:$PORT/" --pid $PID --users 10 --seconds 60 | tail -6
echo "upload still running when the load run ended: $(kill -0 $UP 2>/dev/null && echo yes || echo no)"
wait $UP
echo "upload took $(echo "$(date +%s.%N) - $START" | bc) s: $(head -c 300 "$WORK/upload.json")"
