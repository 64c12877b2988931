"""Foundation benchmark: ingest, re-ingest, search/ask latency and memory on this machine.

Run from the repository root:

    .venv/bin/python benchmarks/bench_foundation.py [--json figures.json]

What it measures (all on the bundled corpus, in a fresh temporary data dir, embedded Chroma):

- cold ingest: ``ingest_paths`` in a fresh Python subprocess, so the wall time includes
  interpreter start, imports and loading the e5 model; passages and passages/second;
- re-ingest of the unchanged corpus: once through the ``inclusie ingest`` command (what a user
  waits for, including process start) and once in-process (the incremental check itself);
- ``Assistant.search`` and ``Assistant.ask`` latency over 100 questions (evals/questions.jsonl,
  then evals/dev_questions.jsonl), after one warm-up call each;
- peak RSS of this process (which ran search/ask, and nothing else heavy) and of the cold-ingest
  subprocess, both from ``resource.getrusage``.

It is a script, not a test: it prints numbers and compares them with the targets, it asserts
nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

QUESTION_FILES = [REPO / "evals" / "questions.jsonl", REPO / "evals" / "dev_questions.jsonl"]
N_QUESTIONS = 100
CHILD_TIMEOUT = 900  # seconds; a cold ingest on 2 cores takes well under a minute

TARGET_REINGEST_S = 2.0
TARGET_ASK_P50_MS = 100.0


def _maxrss_mb(who: int = resource.RUSAGE_SELF) -> float:
    # Linux reports ru_maxrss in kilobytes (macOS in bytes).
    kb = resource.getrusage(who).ru_maxrss
    return kb / 1024 / (1024 if sys.platform == "darwin" else 1)


def _child_env(data_dir: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("INCLUSIE_")}
    env.update({"INCLUSIE_DATA_DIR": str(data_dir), "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(REPO)})
    return env


# -- child: the cold ingest ----------------------------------------------------------------------
def child_ingest(data_dir: str) -> None:
    """Runs in the subprocess: ingest the bundled corpus, report figures as one JSON line."""
    t0 = time.perf_counter()
    from ingest.pipeline import ingest_paths
    from ingest.settings import Settings

    settings = Settings(data_dir=Path(data_dir), chroma_url=None)
    t1 = time.perf_counter()
    report = ingest_paths([settings.corpus_dir], settings)
    t2 = time.perf_counter()
    print(
        json.dumps(
            {
                "ok": report.ok,
                "summary": report.summary(),
                "documents": len(report.results),
                "passages_written": report.chunks_written,
                "passages_total": report.total_passages,
                "import_s": t1 - t0,
                "ingest_s": t2 - t1,
                "peak_rss_mb": _maxrss_mb(),
            }
        )
    )


def run_child(args: list[str], env: dict) -> tuple[float, subprocess.CompletedProcess]:
    t0 = time.perf_counter()
    proc = subprocess.run(
        args, capture_output=True, text=True, env=env, timeout=CHILD_TIMEOUT, cwd=REPO
    )
    return time.perf_counter() - t0, proc


# -- the measurements ----------------------------------------------------------------------------
def bench_cold_ingest(data_dir: Path) -> dict:
    wall, proc = run_child(
        [sys.executable, __file__, "--child-ingest", str(data_dir)], _child_env(data_dir)
    )
    if proc.returncode != 0:
        sys.exit(f"cold ingest failed (exit {proc.returncode}):\n{proc.stderr[-3000:]}")
    child = json.loads(proc.stdout.strip().splitlines()[-1])
    if not child["ok"]:
        sys.exit(f"cold ingest reported failures: {child['summary']}")
    return {
        "wall_s": wall,
        "ingest_call_s": child["ingest_s"],
        "import_s": child["import_s"],
        "documents": child["documents"],
        "passages": child["passages_total"],
        "passages_per_s": child["passages_total"] / wall,
        "peak_rss_mb": child["peak_rss_mb"],
    }


def bench_reingest(data_dir: Path, expected_passages: int) -> dict:
    exe = shutil.which("inclusie", path=str(Path(sys.executable).parent))
    if exe is None:
        sys.exit("the `inclusie` command is not installed next to this Python")
    wall_cli, proc = run_child([exe, "ingest"], _child_env(data_dir))
    if proc.returncode != 0 or "0 toegevoegd, 0 bijgewerkt" not in proc.stdout:
        sys.exit(
            f"re-ingest via CLI did not skip everything:\n{proc.stdout}\n{proc.stderr[-2000:]}"
        )

    from ingest.pipeline import ingest_paths
    from ingest.settings import Settings

    settings = Settings(data_dir=data_dir, chroma_url=None)
    t0 = time.perf_counter()
    report = ingest_paths([settings.corpus_dir], settings)
    wall_api = time.perf_counter() - t0
    if report.chunks_written or report.total_passages != expected_passages:
        sys.exit(f"in-process re-ingest wrote passages: {report.summary()}")
    return {"cli_wall_s": wall_cli, "api_wall_s": wall_api, "skipped": report.count("skipped")}


def load_questions(n: int) -> list[str]:
    out: list[str] = []
    for path in QUESTION_FILES:
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                out.append(json.loads(line)["question"])
            if len(out) == n:
                return out
    return out


def _percentiles(samples: list[float]) -> dict:
    import numpy as np

    ms = np.asarray(samples) * 1000
    return {
        "p50_ms": float(np.percentile(ms, 50)),
        "p95_ms": float(np.percentile(ms, 95)),
        "mean_ms": float(ms.mean()),
        "max_ms": float(ms.max()),
        "n": int(len(ms)),
    }


def bench_latency(data_dir: Path, questions: list[str]) -> dict:
    from assistant.answer import Assistant
    from ingest.settings import Settings

    assistant = Assistant(Settings(data_dir=data_dir, chroma_url=None))
    t0 = time.perf_counter()
    assistant.search(questions[0])  # warm-up: model load, BM25 index build
    warmup_search = time.perf_counter() - t0
    t0 = time.perf_counter()
    assistant.ask(questions[0])
    warmup_ask = time.perf_counter() - t0

    search_t, ask_t = [], []
    stages: dict[str, list[float]] = {}
    refused = 0
    for q in questions:
        t0 = time.perf_counter()
        r = assistant.search(q)
        search_t.append(time.perf_counter() - t0)
        for stage, secs in r.timings.items():
            stages.setdefault(stage, []).append(secs)
    for q in questions:
        t0 = time.perf_counter()
        ans = assistant.ask(q)
        ask_t.append(time.perf_counter() - t0)
        refused += ans.refused
    return {
        "warmup_search_s": warmup_search,
        "warmup_ask_s": warmup_ask,
        "search": _percentiles(search_t),
        "ask": _percentiles(ask_t),
        "refused": refused,
        # Where search time goes (Retrieval.timings): spikes in "embed" mean CPU contention.
        "search_stages_p50_ms": {k: _percentiles(v)["p50_ms"] for k, v in stages.items()},
        "search_stages_p95_ms": {k: _percentiles(v)["p95_ms"] for k, v in stages.items()},
    }


# -- report --------------------------------------------------------------------------------------
def _verdict(value: float, target: float) -> str:
    return (
        f"OK (target <= {target:g})" if value <= target else f"OVER TARGET (target <= {target:g})"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--json", type=Path, help="Also write the figures to this JSON file.")
    ap.add_argument("--keep", action="store_true", help="Keep the temporary data dir.")
    ap.add_argument("--child-ingest", metavar="DATA_DIR", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child_ingest:
        child_ingest(args.child_ingest)
        return

    tmp = Path(tempfile.mkdtemp(prefix="inclusie-bench-"))
    data_dir = tmp / "data"
    try:
        print(
            f"Machine: {platform.machine()}, {os.cpu_count()} CPUs, Python "
            f"{platform.python_version()}; data dir {data_dir}"
        )
        load = os.getloadavg()
        print(f"Load average at start (1/5/15 min): {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
        print()

        print(
            "1. Cold ingest of the bundled corpus (fresh subprocess: start + imports + model "
            "load + ingest)"
        )
        cold = bench_cold_ingest(data_dir)
        print(f"   wall time            {cold['wall_s']:8.2f} s")
        print(
            f"   of which ingest call {cold['ingest_call_s']:8.2f} s  "
            f"(imports {cold['import_s']:.2f} s)"
        )
        print(f"   documents            {cold['documents']:8d}")
        print(f"   passages             {cold['passages']:8d}")
        print(f"   throughput           {cold['passages_per_s']:8.2f} passages/s (on wall time)")
        print(f"   peak RSS (child)     {cold['peak_rss_mb']:8.1f} MB")
        print()

        print("2. Re-ingest of the unchanged corpus")
        re = bench_reingest(data_dir, cold["passages"])
        print(
            f"   `inclusie ingest`    {re['cli_wall_s']:8.2f} s  (new process)  "
            f"{_verdict(re['cli_wall_s'], TARGET_REINGEST_S)}"
        )
        print(
            f"   ingest_paths()       {re['api_wall_s']:8.3f} s  (in-process)   "
            f"{_verdict(re['api_wall_s'], TARGET_REINGEST_S)}"
        )
        print(f"   documents skipped    {re['skipped']:8d}")
        print()

        questions = load_questions(N_QUESTIONS)
        print(f"3. Latency over {len(questions)} questions (Python API, warm, one warm-up call)")
        lat = bench_latency(data_dir, questions)
        print(f"   warm-up: search {lat['warmup_search_s']:.2f} s, ask {lat['warmup_ask_s']:.3f} s")
        for name in ("search", "ask"):
            s = lat[name]
            print(
                f"   {name:<6} p50 {s['p50_ms']:7.1f} ms   p95 {s['p95_ms']:7.1f} ms   "
                f"mean {s['mean_ms']:7.1f} ms   max {s['max_ms']:7.1f} ms"
            )
        print(
            "   search stages p50/p95 ms: "
            + ", ".join(
                f"{k} {lat['search_stages_p50_ms'][k]:.1f}/{lat['search_stages_p95_ms'][k]:.1f}"
                for k in lat["search_stages_p50_ms"]
                if k != "total"
            )
        )
        print(
            f"   ask p50 {_verdict(lat['ask']['p50_ms'], TARGET_ASK_P50_MS)}; "
            f"refused {lat['refused']} of {len(questions)}"
        )
        rss_self = _maxrss_mb()
        print(f"   peak RSS (this process, search/ask) {rss_self:.1f} MB")
        load_end = os.getloadavg()
        print(
            f"   load average at end (1/5/15 min): {load_end[0]:.2f} {load_end[1]:.2f} "
            f"{load_end[2]:.2f}  (above ~{os.cpu_count()} other work competed for the CPUs)"
        )
        print()

        rows = [
            ("cold ingest wall (incl. model load)", f"{cold['wall_s']:.2f} s", ""),
            ("cold ingest passages", f"{cold['passages']}", ""),
            ("cold ingest throughput", f"{cold['passages_per_s']:.2f} passages/s", ""),
            (
                "re-ingest, `inclusie ingest`",
                f"{re['cli_wall_s']:.2f} s",
                f"<= {TARGET_REINGEST_S:g} s",
            ),
            ("re-ingest, in-process", f"{re['api_wall_s']:.3f} s", f"<= {TARGET_REINGEST_S:g} s"),
            (
                "search p50 / p95",
                f"{lat['search']['p50_ms']:.1f} / {lat['search']['p95_ms']:.1f} ms",
                "",
            ),
            (
                "ask p50 / p95",
                f"{lat['ask']['p50_ms']:.1f} / {lat['ask']['p95_ms']:.1f} ms",
                f"p50 <= {TARGET_ASK_P50_MS:g} ms",
            ),
            ("peak RSS, search/ask process", f"{rss_self:.1f} MB", ""),
            ("peak RSS, cold-ingest process", f"{cold['peak_rss_mb']:.1f} MB", ""),
        ]
        w0 = max(len(r[0]) for r in rows)
        w1 = max(len(r[1]) for r in rows)
        print("Summary")
        print(f"  {'measure':<{w0}}  {'value':<{w1}}  target")
        print(f"  {'-' * w0}  {'-' * w1}  ------")
        for a, b, c in rows:
            print(f"  {a:<{w0}}  {b:<{w1}}  {c}")

        if args.json:
            figures = {
                "machine": {
                    "cpus": os.cpu_count(),
                    "python": platform.python_version(),
                    "loadavg_start": load,
                    "loadavg_end": load_end,
                },
                "cold_ingest": cold,
                "reingest": re,
                "latency": lat,
                "peak_rss_mb": {
                    "search_ask_process": rss_self,
                    "cold_ingest_process": cold["peak_rss_mb"],
                },
                "targets": {"reingest_s": TARGET_REINGEST_S, "ask_p50_ms": TARGET_ASK_P50_MS},
                "questions": len(questions),
            }
            args.json.parent.mkdir(parents=True, exist_ok=True)
            args.json.write_text(json.dumps(figures, indent=2), encoding="utf-8")
            print(f"\nFigures written to {args.json}")
    finally:
        if args.keep:
            print(f"Data dir kept: {data_dir}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
