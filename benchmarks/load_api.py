"""Load test of the HTTP API next to the web app's path, in one run against one server.

Run from the repository root:

    .venv/bin/python benchmarks/load_api.py                      # 20 clients, 60 s per path
    .venv/bin/python benchmarks/load_api.py --users 10 --seconds 30
    .venv/bin/python benchmarks/load_api.py --data-dir data      # reuse an existing index
    .venv/bin/python benchmarks/load_api.py --json figures.json

One ``inclusie serve`` process on 127.0.0.1 (embedded Chroma; ``inclusie ingest`` first, in a
fresh temporary data dir unless ``--data-dir`` is given) serves both paths, one after the other:

- ``api``: N clients, each an ``httpx.Client`` with its own API token (made with
  ``ui.tokens.TokenStore`` in the server's data dir, as ``inclusie token create`` does), loop
  ``POST /api/v1/ask`` with the question and the conversation so far; after ``--turns``
  questions they start a new conversation (an empty ``conversation``).
- ``web``: the same N clients as ``benchmarks/load_chat.py`` drives them: one
  ``gradio_client.Client`` each, the chat's ``/_respond`` event with history, "Nieuw gesprek"
  (``/new_conversation``) after ``--turns`` questions.

Questions come from evals/questions.jsonl + evals/dev_questions.jsonl; nobody waits between
questions. A request is an error when it raises, returns a status other than 200 or has no
answer. Latency runs from sending the request to the complete answer. Besides requests/s and
p50/p95 the script prints the server's CPU time per answer (from /proc), the fairest cost figure
on a machine where the load generator shares the cores with the server.

The per-token rate limit is off by default (``--rate-per-minute 0``): it is a policy, not a cost,
and with it on the figure would measure the limit. It is a script, not a test: it prints
numbers and asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import shutil
import statistics
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import child_env, load_questions, pct, rss_mb, stop_process
from load_chat import REQUEST_TIMEOUT, ingest, run_load, start_serve

TICKS = os.sysconf("SC_CLK_TCK")


@dataclass
class Stats:
    latencies: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    refused: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (from /proc/<pid>/stat)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def own_cpu_seconds() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


# -- the API path ------------------------------------------------------------------------------
def api_user(
    n: int,
    url: str,
    token: str,
    questions: list[str],
    deadline: float,
    turns: int,
    stats: Stats,
    start: threading.Barrier,
) -> None:
    import httpx

    rng = random.Random(n)
    conversation: list[dict] = []
    client = httpx.Client(
        base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=REQUEST_TIMEOUT
    )
    start.wait()
    try:
        while time.monotonic() < deadline:
            q = rng.choice(questions)
            t0 = time.perf_counter()
            try:
                res = client.post("/api/v1/ask", json={"question": q, "conversation": conversation})
                dt = time.perf_counter() - t0
                data = res.json() if res.status_code == 200 else None
                with stats.lock:
                    if data is None or not data.get("answer"):
                        stats.errors.append(f"user {n}: HTTP {res.status_code}: {res.text[:200]}")
                    else:
                        stats.latencies.append(dt)
                        stats.refused += bool(data["refused"])
                conversation.append({"role": "user", "content": q})
                if data:
                    conversation.append({"role": "assistant", "content": data["answer"]})
            except Exception as e:  # count it and go on, like a tool that retries
                with stats.lock:
                    stats.errors.append(f"user {n}: {type(e).__name__}: {e}"[:300])
            if len(conversation) >= 2 * turns:
                conversation = []
    finally:
        client.close()


def run_api(
    url: str, tokens: list[str], seconds: float, turns: int, questions: list[str]
) -> tuple[Stats, float]:
    import httpx

    warm = httpx.post(
        url + "/api/v1/ask",
        json={"question": questions[0]},
        headers={"Authorization": f"Bearer {tokens[0]}"},
        timeout=REQUEST_TIMEOUT,
    )
    warm.raise_for_status()
    stats = Stats()
    start = threading.Barrier(len(tokens) + 1)
    t_start = time.monotonic()
    deadline = t_start + seconds
    threads = [
        threading.Thread(
            target=api_user,
            args=(i, url, tok, questions, deadline, turns, stats, start),
            daemon=True,
        )
        for i, tok in enumerate(tokens)
    ]
    for t in threads:
        t.start()
    start.wait()
    for t in threads:
        t.join(timeout=seconds + REQUEST_TIMEOUT + 30)
    return stats, time.monotonic() - t_start


# -- report ------------------------------------------------------------------------------------
def figures(name: str, lat: list[float], errors: list[str], refused: int, wall: float, cpu: dict):
    ok = len(lat)
    return {
        "path": name,
        "requests": ok + len(errors),
        "ok": ok,
        "errors": len(errors),
        "refused": refused,
        "wall_s": wall,
        "answers_per_s": ok / wall,
        "p50_ms": pct(lat, 50) * 1000,
        "p95_ms": pct(lat, 95) * 1000,
        "mean_ms": statistics.fmean(lat) * 1000 if lat else float("nan"),
        "server_cpu_ms_per_answer": cpu["server"] / ok * 1000 if ok else float("nan"),
        "client_cpu_ms_per_answer": cpu["client"] / ok * 1000 if ok else float("nan"),
        "error_samples": errors[:5],
    }


def main() -> None:
    import json

    from ui.tokens import TokenStore

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--users", type=int, default=20, help="simultaneous clients per path (20)")
    ap.add_argument("--seconds", type=float, default=60, help="duration per path (60)")
    ap.add_argument("--turns", type=int, default=4, help="questions per conversation (4)")
    ap.add_argument("--data-dir", type=Path, help="data dir (default: a fresh temporary one)")
    ap.add_argument(
        "--embed-threads",
        type=int,
        default=1,
        help="INCLUSIE_EMBED_THREADS for the server (1: no OpenMP spinning on a shared machine)",
    )
    ap.add_argument(
        "--rate-per-minute",
        type=int,
        default=0,
        help="INCLUSIE_API_RATE_PER_MINUTE for the server (0: off, see the module docstring)",
    )
    ap.add_argument("--json", type=Path, help="also write the figures to this JSON file")
    args = ap.parse_args()

    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    questions = load_questions()
    load = os.getloadavg()
    print(f"{os.cpu_count()} CPUs, load average at start {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    tmp = Path(tempfile.mkdtemp(prefix="inclusie-load-api-"))
    proc = None
    try:
        data_dir = args.data_dir.resolve() if args.data_dir else tmp / "data"
        env = child_env(
            data_dir,
            INCLUSIE_EMBED_THREADS=str(args.embed_threads),
            INCLUSIE_API_RATE_PER_MINUTE=str(args.rate_per_minute),
        )
        ingest(env)
        store = TokenStore(data_dir / "api-tokens.sqlite")
        run_id = f"{os.getpid()}-{int(time.time())}"
        names = [f"load-{run_id}-{i}" for i in range(args.users)]
        tokens = [store.create(name, "read") for name in names]
        proc, url = start_serve(env, tmp / "serve.log")
        url = url.rstrip("/")
        rss_before = rss_mb(proc.pid)
        results = []
        for name in ("api", "web"):
            la = os.getloadavg()[0]
            print(f"\n{name}: {args.users} clients for {args.seconds:g} s (load {la:.2f}) ...")
            cpu0, own0 = cpu_seconds(proc.pid), own_cpu_seconds()
            if name == "api":
                stats, wall = run_api(url, tokens, args.seconds, args.turns, questions)
                lat, errors, refused = stats.latencies, stats.errors, stats.refused
            else:
                by_url, wall = run_load(
                    [url + "/"], args.users, args.seconds, args.turns, questions
                )
                (s,) = by_url.values()
                lat, errors, refused = s.latencies, s.errors, s.refused
            cpu = {"server": cpu_seconds(proc.pid) - cpu0, "client": own_cpu_seconds() - own0}
            results.append(figures(name, lat, errors, refused, wall, cpu))
        rss_after = rss_mb(proc.pid)
        for name in names:  # leave a reused data dir as it was
            store.revoke(name)
    finally:
        if proc is not None:
            stop_process(proc)
        shutil.rmtree(tmp, ignore_errors=True)

    print(
        f"\n== {args.users} clients per path, {args.seconds:g} s each, {args.turns} questions per "
        f"conversation, {len(questions)} questions, {os.cpu_count()} cores, "
        f"INCLUSIE_EMBED_THREADS={args.embed_threads}"
    )
    head = (
        f"{'path':<6} {'requests':>8} {'errors':>6} {'answers/s':>9} {'p50 ms':>8} "
        f"{'p95 ms':>8} {'server CPU ms/answer':>21} {'load-generator CPU ms/answer':>29}"
    )
    print(head)
    for r in results:
        print(
            f"{r['path']:<6} {r['requests']:>8} {r['errors']:>6} {r['answers_per_s']:>9.2f} "
            f"{r['p50_ms']:>8.0f} {r['p95_ms']:>8.0f} {r['server_cpu_ms_per_answer']:>21.0f} "
            f"{r['client_cpu_ms_per_answer']:>29.0f}"
        )
    api, web = results
    if web["answers_per_s"]:
        print(f"API / web throughput: {api['answers_per_s'] / web['answers_per_s']:.2f}x")
    for r in results:
        for e in r["error_samples"]:
            print(f"  {r['path']} error: {e}")
    if rss_before and rss_after:
        print(
            f"server RSS {rss_before[0]:.0f} MB before, {rss_after[0]:.0f} MB after "
            f"(peak {rss_after[1]:.0f} MB)"
        )
    if args.json:
        args.json.write_text(json.dumps(results, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
