"""Load test of the web app: N simulated chat users asking questions at the same time.

Run from the repository root:

    /work/venv/bin/python benchmarks/load_chat.py                     # 10 users, 60 s
    /work/venv/bin/python benchmarks/load_chat.py --users 20 --seconds 120
    /work/venv/bin/python benchmarks/load_chat.py --data-dir data     # reuse an existing index
    /work/venv/bin/python benchmarks/load_chat.py --url http://127.0.0.1:7860/ --pid 12345

Without ``--url`` it runs ``inclusie ingest`` (incremental: an up-to-date index is left alone)
and starts ``inclusie serve`` on 127.0.0.1 at a free port, in a fresh temporary data dir unless
``--data-dir`` is given, and stops the server at the end.

Each simulated user is its own ``gradio_client.Client`` (its own Gradio session, so its own chat
state on the server) and loops: ask a question from evals/questions.jsonl +
evals/dev_questions.jsonl through the chat's submit event (``/_respond``: message, history and
the four filters; the session state travels with the client's session), pass the returned
history into the next question, and after ``--turns`` questions press "Nieuw gesprek"
(``/lambda``). There is no think time: every user asks again as soon as an answer is complete.

A request counts as an error when the call raises, or when its final result has no assistant
answer. Latency is measured from submit to the final (streamed) result. The server's RSS is read
from /proc (VmRSS, and VmHWM for the peak) before the warm-up and after the run.

It is a script, not a test: it prints numbers and asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
QUESTION_FILES = [REPO / "evals" / "questions.jsonl", REPO / "evals" / "dev_questions.jsonl"]
REFUSAL = "De documenten geven geen antwoord"
START_DEADLINE = 180  # seconds for `inclusie serve` to answer GET /
REQUEST_TIMEOUT = 120  # seconds before one chat request counts as an error


# -- server ------------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _exe() -> str:
    return shutil.which("inclusie", path=str(Path(sys.executable).parent)) or "inclusie"


def _up(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=5) as r:
            return r.status == 200
    except Exception:
        return False


def start_server(data_dir: Path, log_path: Path) -> tuple[subprocess.Popen, str]:
    env = {**os.environ, "INCLUSIE_DATA_DIR": str(data_dir), "GRADIO_ANALYTICS_ENABLED": "False"}
    t0 = time.monotonic()
    r = subprocess.run([_exe(), "ingest"], env=env, capture_output=True, text=True, timeout=900,
                       cwd=REPO)
    if r.returncode != 0:
        sys.exit(f"inclusie ingest failed:\n{r.stderr[-2000:]}")
    print(f"index ready in {time.monotonic() - t0:.1f} s ({r.stdout.strip().splitlines()[-1]})")
    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    log = open(log_path, "w", encoding="utf-8")
    proc = subprocess.Popen([_exe(), "serve", "--host", "127.0.0.1", "--port", str(port)],
                            env=env, stdout=log, stderr=subprocess.STDOUT, cwd=REPO)
    t0 = time.monotonic()
    while not _up(url):
        if proc.poll() is not None or time.monotonic() - t0 > START_DEADLINE:
            stop_server(proc)
            sys.exit(f"inclusie serve did not start; see {log_path}")
        time.sleep(0.5)
    print(f"server up at {url} in {time.monotonic() - t0:.1f} s (pid {proc.pid})")
    return proc, url


def stop_server(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


def rss_mb(pid: int | None) -> tuple[float, float] | None:
    """(VmRSS, VmHWM) of a process in MB, from /proc; None when unknown."""
    if pid is None:
        return None
    try:
        fields = dict(line.split(":", 1) for line in
                      Path(f"/proc/{pid}/status").read_text().splitlines() if ":" in line)
        return (int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024)
    except (OSError, KeyError, ValueError):
        return None


# -- users -------------------------------------------------------------------------------------
def load_questions() -> list[str]:
    qs = []
    for f in QUESTION_FILES:
        for line in f.read_text(encoding="utf-8").splitlines():
            if line.strip():
                qs.append(json.loads(line)["question"])
    return qs


@dataclass
class Stats:
    latencies: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    refused: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)


def _answer_text(history) -> str:
    if not history or history[-1].get("role") != "assistant":
        return ""
    content = history[-1].get("content")
    if isinstance(content, list):
        return "".join(c.get("text", "") for c in content if isinstance(c, dict))
    return str(content or "")


def user_loop(n: int, client, questions: list[str], deadline: float, turns: int,
              stats: Stats, start: threading.Barrier) -> None:
    rng = random.Random(n)
    history: list = []
    asked = 0
    start.wait()
    while time.monotonic() < deadline:
        q = rng.choice(questions)
        t0 = time.perf_counter()
        try:
            job = client.submit(q, history, [], [], [], [], api_name="/_respond")
            history, _sources, _box = job.result(timeout=REQUEST_TIMEOUT)
            dt = time.perf_counter() - t0
            text = _answer_text(history)
            with stats.lock:
                if not text:
                    stats.errors.append(f"user {n}: empty answer to {q!r}")
                else:
                    stats.latencies.append(dt)
                    stats.refused += REFUSAL in text
        except Exception as e:  # count it and go on, like a user who asks again
            with stats.lock:
                stats.errors.append(f"user {n}: {type(e).__name__}: {e}"[:300])
            history = []
        asked += 1
        if asked % turns == 0:
            try:
                client.predict(api_name="/lambda")  # "Nieuw gesprek": also resets server state
            except Exception as e:
                with stats.lock:
                    stats.errors.append(f"user {n}: new conversation: {e}"[:300])
            history = []


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    s = sorted(values)
    k = (len(s) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (k - lo)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--users", type=int, default=10, help="simultaneous chat users (10)")
    ap.add_argument("--seconds", type=float, default=60, help="duration of the run (60)")
    ap.add_argument("--turns", type=int, default=4,
                    help="questions per conversation before 'Nieuw gesprek' (4)")
    ap.add_argument("--url", help="use a running app instead of starting one")
    ap.add_argument("--pid", type=int, help="with --url: the server's pid, for its RSS")
    ap.add_argument("--data-dir", type=Path,
                    help="data dir for the started server (default: a fresh temporary one)")
    args = ap.parse_args()

    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    from gradio_client import Client

    questions = load_questions()
    proc, tmp = None, None
    if args.url:
        url, pid = args.url, args.pid
    else:
        if args.data_dir:
            data_dir = args.data_dir.resolve()
        else:
            tmp = tempfile.mkdtemp(prefix="inclusie-load-")
            data_dir = Path(tmp) / "data"
        log = (Path(tmp) if tmp else Path(tempfile.gettempdir())) / f"load-serve-{os.getpid()}.log"
        proc, url = start_server(data_dir, log)
        pid = proc.pid
    try:
        rss_before = rss_mb(pid)
        clients = [Client(url, verbose=False) for _ in range(args.users)]
        # warm-up, not measured: first call of every code path
        clients[0].predict(questions[0], [], [], [], [], [], api_name="/_respond")
        clients[0].predict(api_name="/lambda")

        stats = Stats()
        start = threading.Barrier(args.users + 1)
        threads = []
        t_start = time.monotonic()
        deadline = t_start + args.seconds
        for i, c in enumerate(clients):
            t = threading.Thread(target=user_loop,
                                 args=(i, c, questions, deadline, args.turns, stats, start),
                                 daemon=True)
            t.start()
            threads.append(t)
        start.wait()
        for t in threads:
            t.join(timeout=args.seconds + REQUEST_TIMEOUT + 30)
        wall = time.monotonic() - t_start
        rss_after = rss_mb(pid)
        for c in clients:
            try:
                c.close()
            except Exception:
                pass
    finally:
        if proc is not None:
            stop_server(proc)
        if tmp:
            shutil.rmtree(tmp, ignore_errors=True)

    lat = stats.latencies
    n_req = len(lat) + len(stats.errors)
    print()
    print(f"users {args.users}, {args.seconds:g} s requested, {wall:.1f} s wall "
          f"(last answers finish after the deadline), {len(questions)} questions, "
          f"{args.turns} per conversation, {os.cpu_count()} cores")
    print(f"requests   {n_req}  (ok {len(lat)}, of which refused {stats.refused})")
    print(f"errors     {len(stats.errors)}")
    for e in stats.errors[:5]:
        print(f"           {e}")
    print(f"throughput {len(lat) / wall:.2f} answers/s")
    if lat:
        print(f"latency    p50 {pct(lat, 50) * 1000:.0f} ms   p95 {pct(lat, 95) * 1000:.0f} ms   "
              f"max {max(lat) * 1000:.0f} ms   mean {statistics.fmean(lat) * 1000:.0f} ms")

    def fmt(r):
        return "n/a (give --pid)" if r is None else f"{r[0]:.0f} MB (peak so far {r[1]:.0f} MB)"

    print(f"server RSS before {fmt(rss_before)}")
    print(f"server RSS after  {fmt(rss_after)}")


if __name__ == "__main__":
    main()
