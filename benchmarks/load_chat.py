"""Load test of the web app: N simulated chat users asking questions at the same time.

Run from the repository root:

    .venv/bin/python benchmarks/load_chat.py                     # both setups, 20 users, 60 s
    .venv/bin/python benchmarks/load_chat.py --setup one --users 10 --seconds 120
    .venv/bin/python benchmarks/load_chat.py --setup two         # the team deployment only
    .venv/bin/python benchmarks/load_chat.py --data-dir data     # reuse an existing index
    .venv/bin/python benchmarks/load_chat.py --url http://127.0.0.1:7860/ --pid 12345
    .venv/bin/python benchmarks/load_chat.py --setup one --embed-threads 1

Two setups, run one after the other (``--setup both``, the default):

- ``one``: one ``inclusie serve`` process with the embedded Chroma store in its data dir;
- ``two``: the team deployment of the README: a Chroma server started with
  scripts/chroma-server.sh, the corpus ingested into it once, and two ``inclusie serve``
  processes with the same ``INCLUSIE_CHROMA_URL`` and the same ``INCLUSIE_DATA_DIR`` (shared
  feedback database and BM25 cache). The users are split evenly across the two processes.

Without ``--url`` each setup runs ``inclusie ingest`` (incremental: an up-to-date index is left
alone) in a fresh temporary data dir unless ``--data-dir`` is given, starts its processes on
127.0.0.1 at free ports and stops them at the end. With ``--url`` it only drives a running app.

Each simulated user is its own ``gradio_client.Client`` (its own Gradio session, so its own chat
state on the server) and loops: ask a question from evals/questions.jsonl +
evals/dev_questions.jsonl through the chat's submit event (``/_respond``: message, history, the
four filters and the tab's conversation id, empty here so that the server makes one; the
session state travels with the client's session), pass the returned
history into the next question, and after ``--turns`` questions press "Nieuw gesprek"
(``/new_conversation``). There is no think time: every user asks again as soon as an answer is
complete. Every answered question is stored as a turn of the user's conversation in the server's
conversations.sqlite (as in the browser); for a started setup the script counts the stored turns
at the end, next to the answers it received.

A request counts as an error when the call raises, or when its final result has no assistant
answer. Latency is measured from submit to the final (streamed) result. Each process's RSS is
read from /proc (VmRSS, and VmHWM for the peak) before the warm-up and after the run.

It is a script, not a test: it prints numbers and asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (
    REPO,
    ChromaServer,
    child_env,
    free_port,
    http_up,
    inclusie_exe,
    load_questions,
    pct,
    rss_mb,
    stop_process,
)

from ui.handlers import last_answer

REFUSAL = "De documenten geven geen antwoord"
START_DEADLINE = 180  # seconds for `inclusie serve` to answer GET /
REQUEST_TIMEOUT = 120  # seconds before one chat request counts as an error


# -- processes ---------------------------------------------------------------------------------
def ingest(env: dict) -> None:
    t0 = time.monotonic()
    r = subprocess.run(
        [inclusie_exe(), "ingest"], env=env, capture_output=True, text=True, timeout=900, cwd=REPO
    )
    if r.returncode != 0:
        sys.exit(f"inclusie ingest failed:\n{r.stderr[-2000:]}")
    print(f"  index ready in {time.monotonic() - t0:.1f} s ({r.stdout.strip().splitlines()[-1]})")


def start_serve(env: dict, log_path: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    log = open(log_path, "w", encoding="utf-8")
    proc = subprocess.Popen(
        [inclusie_exe(), "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        cwd=REPO,
    )
    t0 = time.monotonic()
    while not http_up(url):
        if proc.poll() is not None or time.monotonic() - t0 > START_DEADLINE:
            stop_process(proc)
            sys.exit(f"inclusie serve did not start; see {log_path}")
        time.sleep(0.5)
    print(f"  serve up at {url} in {time.monotonic() - t0:.1f} s (pid {proc.pid})")
    return proc, url


# -- users -------------------------------------------------------------------------------------
@dataclass
class Stats:
    latencies: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    refused: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)


def user_loop(
    n: int,
    client,
    questions: list[str],
    deadline: float,
    turns: int,
    stats: Stats,
    start: threading.Barrier,
) -> None:
    rng = random.Random(n)
    history: list = []
    asked = 0
    start.wait()
    while time.monotonic() < deadline:
        q = rng.choice(questions)
        t0 = time.perf_counter()
        try:
            job = client.submit(q, history, [], [], [], [], "", api_name="/_respond")
            history, _sources, _box = job.result(timeout=REQUEST_TIMEOUT)
            dt = time.perf_counter() - t0
            text = last_answer(history)
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
                # "Nieuw gesprek": a new conversation id (the browser makes one; "" here lets
                # the server make it), an empty chat and follow-up history on the server
                client.predict("", api_name="/new_conversation")
            except Exception as e:
                with stats.lock:
                    stats.errors.append(f"user {n}: new conversation: {e}"[:300])
            history = []


def run_load(
    urls: list[str], users: int, seconds: float, turns: int, questions: list[str]
) -> tuple[dict[str, Stats], float]:
    """Users split round-robin over the urls; returns stats per url and the wall time."""
    from gradio_client import Client

    clients = [
        (urls[i % len(urls)], Client(urls[i % len(urls)], verbose=False)) for i in range(users)
    ]
    for url in urls:  # warm-up, not measured: first call of every code path in every process
        c = next(c for u, c in clients if u == url)
        c.predict(questions[0], [], [], [], [], [], "", api_name="/_respond")
        c.predict("", api_name="/new_conversation")
    stats = {url: Stats() for url in urls}
    start = threading.Barrier(users + 1)
    threads = []
    t_start = time.monotonic()
    deadline = t_start + seconds
    for i, (url, c) in enumerate(clients):
        t = threading.Thread(
            target=user_loop,
            args=(i, c, questions, deadline, turns, stats[url], start),
            daemon=True,
        )
        t.start()
        threads.append(t)
    start.wait()
    for t in threads:
        t.join(timeout=seconds + REQUEST_TIMEOUT + 30)
    wall = time.monotonic() - t_start
    for _, c in clients:
        try:
            c.close()
        except Exception:
            pass
    return stats, wall


def stored_turns(data_dir: Path) -> tuple[int, int] | None:
    """(conversations, turns) in the data dir's conversation store, or None without one."""
    import sqlite3

    db = data_dir / "conversations.sqlite"
    if not db.exists():
        return None
    con = sqlite3.connect(db)
    try:
        convs = con.execute("SELECT count(*) FROM conversations").fetchone()[0]
        turns = con.execute("SELECT count(*) FROM turns").fetchone()[0]
    finally:
        con.close()
    return convs, turns


def _fmt_rss(r) -> str:
    return "n/a" if r is None else f"{r[0]:.0f} MB (peak {r[1]:.0f} MB)"


def report(
    name: str,
    args,
    stats: dict[str, Stats],
    wall: float,
    n_questions: int,
    rss: dict[str, tuple],
    stored: tuple[int, int] | None = None,
) -> dict:
    lat = [x for s in stats.values() for x in s.latencies]
    errors = [e for s in stats.values() for e in s.errors]
    refused = sum(s.refused for s in stats.values())
    n_req = len(lat) + len(errors)
    print()
    print(
        f"== {name}: {args.users} users, {args.seconds:g} s requested, {wall:.1f} s wall "
        f"(last answers finish after the deadline), {n_questions} questions, "
        f"{args.turns} per conversation, {os.cpu_count()} cores"
    )
    print(f"requests   {n_req}  (ok {len(lat)}, of which refused {refused})")
    if len(stats) > 1:
        for i, (url, s) in enumerate(stats.items()):
            print(
                f"  process {i + 1} {url}: {len(s.latencies) + len(s.errors)} requests, "
                f"{len(s.errors)} errors, p50 {pct(s.latencies, 50) * 1000:.0f} ms"
            )
    print(f"errors     {len(errors)}")
    for e in errors[:5]:
        print(f"           {e}")
    print(f"throughput {len(lat) / wall:.2f} answers/s")
    if lat:
        print(
            f"latency    p50 {pct(lat, 50) * 1000:.0f} ms   p95 {pct(lat, 95) * 1000:.0f} ms   "
            f"max {max(lat) * 1000:.0f} ms   mean {statistics.fmean(lat) * 1000:.0f} ms"
        )
    for who, (before, after) in rss.items():
        print(f"RSS {who:<24} before {_fmt_rss(before):<24} after {_fmt_rss(after)}")
    if stored is not None:
        # warm-up answers are stored too (one per process)
        print(f"stored     {stored[1]} turns in {stored[0]} conversations")
    return {
        "setup": name,
        "requests": n_req,
        "ok": len(lat),
        "errors": len(errors),
        "refused": refused,
        "wall_s": wall,
        "answers_per_s": len(lat) / wall,
        "p50_ms": pct(lat, 50) * 1000,
        "p95_ms": pct(lat, 95) * 1000,
        "rss_mb": {k: [None if v is None else v[0] for v in pair] for k, pair in rss.items()},
        "stored_turns": None if stored is None else stored[1],
    }


def _threads_env(args) -> dict:
    return {"INCLUSIE_EMBED_THREADS": str(args.embed_threads)} if args.embed_threads else {}


def setup_one(args, questions, tmp: Path) -> dict:
    print("\nSetup one: one `inclusie serve`, embedded Chroma")
    data_dir = args.data_dir.resolve() if args.data_dir else tmp / "data-one"
    env = child_env(data_dir, **_threads_env(args))
    ingest(env)
    proc, url = start_serve(env, tmp / "serve-one.log")
    try:
        before = rss_mb(proc.pid)
        stats, wall = run_load([url], args.users, args.seconds, args.turns, questions)
        after = rss_mb(proc.pid)
    finally:
        stop_process(proc)
    return report(
        "one process",
        args,
        stats,
        wall,
        len(questions),
        {f"serve (pid {proc.pid})": (before, after)},
        stored_turns(data_dir),
    )


def setup_two(args, questions, tmp: Path) -> dict:
    print("\nSetup two: two `inclusie serve` sharing a Chroma server and a data dir")
    data_dir = args.data_dir.resolve() if args.data_dir else tmp / "data-two"
    chroma = ChromaServer(tmp / "chroma-server", tmp / "chroma-server.out").start()
    print(f"  chroma server up at {chroma.url} (pid {chroma.proc.pid})")
    procs: list[subprocess.Popen] = []
    try:
        env = child_env(data_dir, INCLUSIE_CHROMA_URL=chroma.url, **_threads_env(args))
        ingest(env)
        urls = []
        for i in range(2):
            proc, url = start_serve(env, tmp / f"serve-two-{i + 1}.log")
            procs.append(proc)
            urls.append(url)
        pids = {f"serve {i + 1} (pid {p.pid})": p.pid for i, p in enumerate(procs)}
        pids[f"chroma (pid {chroma.proc.pid})"] = chroma.proc.pid
        before = {k: rss_mb(pid) for k, pid in pids.items()}
        stats, wall = run_load(urls, args.users, args.seconds, args.turns, questions)
        after = {k: rss_mb(pid) for k, pid in pids.items()}
    finally:
        for proc in procs:
            stop_process(proc)
        chroma.stop()
    return report(
        "two processes + Chroma server",
        args,
        stats,
        wall,
        len(questions),
        {k: (before[k], after[k]) for k in pids},
        stored_turns(data_dir),
    )


def main() -> None:
    import json

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--users", type=int, default=20, help="simultaneous chat users (20)")
    ap.add_argument("--seconds", type=float, default=60, help="duration of each run (60)")
    ap.add_argument(
        "--turns", type=int, default=4, help="questions per conversation before 'Nieuw gesprek' (4)"
    )
    ap.add_argument(
        "--setup",
        choices=["one", "two", "both"],
        default="both",
        help="one serve process, two sharing a Chroma server, or both (both)",
    )
    ap.add_argument("--url", help="drive a running app instead of starting one")
    ap.add_argument("--pid", type=int, help="with --url: the server's pid, for its RSS")
    ap.add_argument(
        "--data-dir",
        type=Path,
        help="data dir for the started processes (default: a fresh temporary one)",
    )
    ap.add_argument("--json", type=Path, help="also write the figures to this JSON file")
    ap.add_argument(
        "--embed-threads",
        type=int,
        default=0,
        help="INCLUSIE_EMBED_THREADS for the started processes (0: library default)",
    )
    args = ap.parse_args()

    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    questions = load_questions()
    load = os.getloadavg()
    print(f"{os.cpu_count()} CPUs, load average at start {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    results = []
    if args.url:
        before = rss_mb(args.pid)
        stats, wall = run_load([args.url], args.users, args.seconds, args.turns, questions)
        results.append(
            report(
                "running app",
                args,
                stats,
                wall,
                len(questions),
                {f"server (pid {args.pid})": (before, rss_mb(args.pid))},
            )
        )
    else:
        tmp = Path(tempfile.mkdtemp(prefix="inclusie-load-"))
        try:
            if args.setup in ("one", "both"):
                results.append(setup_one(args, questions, tmp))
            if args.setup in ("two", "both"):
                results.append(setup_two(args, questions, tmp))
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    if len(results) > 1:
        print("\n== summary")
        print(
            f"{'setup':<32} {'requests':>8} {'errors':>6} {'answers/s':>9} {'p50 ms':>8} "
            f"{'p95 ms':>8}"
        )
        for r in results:
            print(
                f"{r['setup']:<32} {r['requests']:>8} {r['errors']:>6} {r['answers_per_s']:>9.2f} "
                f"{r['p50_ms']:>8.0f} {r['p95_ms']:>8.0f}"
            )
    if args.json:
        args.json.write_text(json.dumps(results, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
