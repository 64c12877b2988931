"""What questions cost while another process changes the index (BM25 catches up).

Run from the repository root, on an index built by benchmarks/scale.py (--keep):

    .venv/bin/python benchmarks/refresh.py --data-dir /tmp/scale/data-100x
    .venv/bin/python benchmarks/refresh.py --data-dir /tmp/scale/data-100x --code /tmp/old-checkout

One process (this one) opens the index and asks questions from evals/*.jsonl back to back, one
at a time, as a chat user would. After a few seconds a second process (``inclusie ingest``)
adds a small document to the same data dir; a few seconds later another run removes it again
(``--prune``). Every change moves the store's revision, and this process's BM25 side must follow.
The script prints question latency p50/p95/max in three windows: before the first change, in
the 6 s after each change (the window in which the BM25 side is rebuilt), and the whole run.

``--code DIR`` imports the product from another checkout (e.g. an older commit made with
``git worktree add``), to compare two versions on the same index and machine. The second process
is the installed ``inclusie`` either way.

It is a script, not a test: it prints numbers and asserts nothing.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import child_env, inclusie_exe, load_questions, pct

DOC = (
    "Het Zwaluwnestproject\n\nHet Zwaluwnestproject in Kraaiendorp brengt kinderen uit het "
    "speciaal onderwijs terug naar de reguliere basisschool in hun eigen wijk.\n"
)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data-dir", type=Path, required=True, help="an existing index")
    ap.add_argument("--code", type=Path, help="import the product from this checkout instead")
    ap.add_argument("--seconds", type=float, default=30, help="length of the run (30)")
    args = ap.parse_args()
    if args.code:
        sys.path.insert(0, str(args.code.resolve()))
    import assistant.retrieve as retrieve_mod
    from assistant.answer import Assistant
    from ingest.settings import Settings

    print(f"product code from {Path(retrieve_mod.__file__).resolve().parent.parent}")
    settings = Settings(data_dir=args.data_dir.resolve())
    t0 = time.perf_counter()
    a = Assistant(settings)
    a.search("Wat is inclusief onderwijs?")
    print(f"index open and warm in {time.perf_counter() - t0:.1f} s ({a.store.count()} passages)")
    questions = load_questions()
    samples: list[tuple[float, float]] = []  # (start offset, seconds)
    stop = threading.Event()
    start = time.perf_counter()

    def ask_loop() -> None:
        i = 0
        while not stop.is_set():
            q = questions[i % len(questions)]
            i += 1
            t = time.perf_counter()
            a.search(q)
            samples.append((t - start, time.perf_counter() - t))

    asker = threading.Thread(target=ask_loop)
    asker.start()
    changes: list[float] = []
    with tempfile.TemporaryDirectory(prefix="inclusie-refresh-") as tmp:
        extra = Path(tmp) / "extra"
        extra.mkdir()
        env = child_env(settings.data_dir)
        plan = [(args.seconds * 0.2, "add"), (args.seconds * 0.6, "remove")]
        for at, what in plan:
            time.sleep(max(0.0, at - (time.perf_counter() - start)))
            if what == "add":
                (extra / "zwaluwnest-refresh.txt").write_text(DOC, encoding="utf-8")
                cmd = [inclusie_exe(), "ingest", str(extra)]
            else:
                (extra / "zwaluwnest-refresh.txt").unlink()
                cmd = [inclusie_exe(), "ingest", str(extra), "--prune"]
            subprocess.run(cmd, env=env, capture_output=True, check=True, timeout=300)
            changes.append(time.perf_counter() - start)
            print(f"  {what}: written by another process at t={changes[-1]:.1f} s")
        time.sleep(max(0.0, args.seconds - (time.perf_counter() - start)))
    stop.set()
    asker.join()

    def row(name: str, lat: list[float]) -> None:
        lat_ms = [x * 1000 for x in lat]
        print(
            f"{name:<34} {len(lat_ms):>6} {pct(lat_ms, 50):>8.0f} {pct(lat_ms, 95):>8.0f} "
            f"{max(lat_ms, default=float('nan')):>8.0f}"
        )

    print(f"\n{'window':<34} {'asked':>6} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}")
    row("before the first change", [d for s, d in samples if s + d < changes[0] - 0.5])
    row(
        "6 s after each change",
        [d for s, d in samples if any(c <= s + d <= c + 6 for c in changes)],
    )
    row("whole run", [d for _, d in samples])


if __name__ == "__main__":
    main()
