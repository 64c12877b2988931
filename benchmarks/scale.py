"""Scale benchmark: the bundled corpus at 1x, 10x and 100x — ingest, disk, start-up, latency.

Run from the repository root:

    .venv/bin/python benchmarks/scale.py                       # 1x, 10x, 100x (~30 min, 2 cores)
    .venv/bin/python benchmarks/scale.py --scales 1,10 --json scale.json
    .venv/bin/python benchmarks/scale.py --work /tmp/scale --keep          # keep corpora + indexes
    .venv/bin/python benchmarks/scale.py --work /tmp/scale --reuse         # measure a kept index again

Corpora. ``Nx`` is the bundled corpus/*.txt plus N-1 variants of every document, with distinct
file names (``<name>--v007.txt``) and catalog entries (title "... (variant 7)"). A variant is
lightly changed so its passages are distinct records: region and municipality names from the
taxonomy get a number ("Lelystad 7"), and every paragraph of running text gets one numbered
sentence appended (inside a closing quote mark). Headings are left alone, so the structure
(sections, TIP blocks, quotes) stays that of the original; a variant has about 8% more passages
(longer paragraphs split sooner). The variants stay near-duplicates of each other: retrieval's
de-duplication folds them together, as it would real copies.

Per scale, each measurement runs in a fresh subprocess (so memory and start-up are per scale):

- ingest: ``ingest_paths`` into a fresh data dir (embedded Chroma), wall time from process start,
  passages and sentences written, passages/s; per-file progress goes to ``<work>/ingest-Nx.log``;
- disk: bytes under the data dir (Chroma, and the BM25 cache separately);
- start-up: a new process until its first ``Assistant.search`` returns, once with no BM25 cache
  (the BM25 index is built from ``store.all_passages()`` and saved) and once with the cache the
  first run left behind;
- latency: ``Assistant.search`` and ``Assistant.ask`` p50/p95 over 50 questions from
  evals/*.jsonl after one warm-up call each, with where search time goes (Retrieval.timings),
  plus the cost of the pieces that grow with the corpus: reading all passages from Chroma,
  building the BM25 index, loading it from the cache, and one BM25 scoring pass.

A 100x ingest takes about 25 minutes on 2 idle cores (hours when other work competes for them;
the e5 engine's threads slow down sharply under contention). It is incremental and crash-safe like
every ingest: stop it and run the script again with the same ``--work`` and it continues where it
stopped (the figures are then summed over the runs). ``--reuse`` takes the ingest figures of an
earlier complete run.

It is a script, not a test: it prints a table and a short analysis and asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(1, str(Path(__file__).resolve().parent.parent))

from _common import REPO, child_env, du_bytes, load_questions, percentiles_ms

CORPUS = REPO / "corpus"
N_QUESTIONS = 50
START_QUESTION = "Wat kan de gemeente doen aan leerlingenvervoer?"


# -- corpora -------------------------------------------------------------------------------------
def _region_pattern() -> re.Pattern[str]:
    import yaml

    tax = yaml.safe_load((CORPUS / "taxonomy.yaml").read_text(encoding="utf-8"))
    names = set()
    for name, aliases in (tax.get("regions") or {}).items():
        names.add(name)
        names.update(a for a in aliases or [] if isinstance(a, str) and not re.search(r"\d", a))
    names |= {"Lelystad", "Utrecht", "Amsterdam", "Rotterdam", "Den Haag", "Almere"}
    alts = sorted((re.escape(n) for n in names if len(n) > 2), key=len, reverse=True)
    return re.compile(r"(?<![\w-])(" + "|".join(alts) + r")(?![\w-])")


def make_variant(text: str, n: int, regions: re.Pattern[str]) -> str:
    """Copy ``n`` of a document: numbered place names, one numbered sentence per paragraph."""
    text = regions.sub(lambda m: f"{m.group(1)} {n}", text)
    out = []
    for k, para in enumerate(re.split(r"(\n\s*\n)", text)):
        body = para.rstrip()
        if len(body.split()) >= 8 and body.endswith((".", "!", "?", "”", '"')):
            # Inside a closing quote mark, so a quoted practice example stays one quote.
            close = body[-1] if body.endswith(("”", '"')) else ""
            body = body[: len(body) - len(close)]
            para = (
                f"{body} Deze alinea staat in variant {n} als nummer {k // 2 + 1}.{close}"
                + para[len(body) + len(close) :]
            )
        out.append(para)
    return "".join(out)


def build_corpus(dest: Path, scale: int) -> tuple[int, int]:
    """Write the Nx corpus to dest (skipped when complete); returns (files, bytes)."""
    import yaml

    originals = sorted(CORPUS.glob("*.txt"))
    marker = dest / ".complete"
    if not marker.exists():
        shutil.rmtree(dest, ignore_errors=True)
        dest.mkdir(parents=True)
        catalog = yaml.safe_load((CORPUS / "catalog.yaml").read_text(encoding="utf-8")) or {}
        regions = _region_pattern()
        out_catalog = {}
        for src in originals:
            text = src.read_text(encoding="utf-8")
            entry = catalog.get(src.name) or {}
            shutil.copy(src, dest / src.name)
            out_catalog[src.name] = entry
            for n in range(1, scale):
                name = f"{src.stem}--v{n:03d}.txt"
                (dest / name).write_text(make_variant(text, n, regions), encoding="utf-8")
                out_catalog[name] = {
                    **entry,
                    "title": f"{entry.get('title', src.stem)} (variant {n})",
                }
        (dest / "catalog.yaml").write_text(
            yaml.safe_dump(out_catalog, allow_unicode=True), encoding="utf-8"
        )
        marker.write_text("ok")
    files = sorted(dest.glob("*.txt"))
    return len(files), sum(f.stat().st_size for f in files)


# -- children ------------------------------------------------------------------------------------
def _maxrss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child_ingest(corpus: str, data: str) -> None:
    t0 = time.perf_counter()
    from ingest.pipeline import ingest_paths
    from ingest.settings import Settings

    settings = Settings(data_dir=Path(data), chroma_url=None)
    t1 = time.perf_counter()
    state = {"name": None, "t": t1, "n": 0}

    def progress(frac: float, name: str) -> None:
        if name != state["name"]:
            now = time.perf_counter()
            if state["name"] is not None:
                print(
                    f"{now - t1:9.1f} s  {state['n']:5d}  {frac * 100:5.1f}%  {state['name']}",
                    file=sys.stderr,
                    flush=True,
                )
            state.update(name=name, t=now, n=state["n"] + 1)

    report = ingest_paths([Path(corpus)], settings, progress=progress)
    t2 = time.perf_counter()
    from ingest.store import open_store

    store = open_store(settings)
    _, sentences = store._collections()
    print(
        json.dumps(
            {
                "ok": report.ok,
                "summary": report.summary(),
                "files": len(report.results),
                "written_files": report.count("added") + report.count("updated"),
                "passages_written": report.chunks_written,
                "passages": report.total_passages,
                "sentences": sentences.count(),
                "import_s": t1 - t0,
                "ingest_s": t2 - t1,
                "peak_rss_mb": _maxrss_mb(),
            }
        )
    )


def child_start(data: str) -> None:
    """A new process until its first search returns (the parent adds interpreter start)."""
    t0 = time.perf_counter()
    from assistant.answer import Assistant
    from ingest.settings import Settings

    t1 = time.perf_counter()
    a = Assistant(Settings(data_dir=Path(data), chroma_url=None))
    a.store.count()  # open Chroma, so the BM25 step below is timed on its own
    t2 = time.perf_counter()
    a.retriever.lexical()  # the BM25 index: loaded from the cache, or built from the store
    t3 = time.perf_counter()
    r = a.search(START_QUESTION)  # loads the e5 model
    t4 = time.perf_counter()
    print(
        json.dumps(
            {
                "import_s": t1 - t0,
                "open_store_s": t2 - t1,
                "bm25_ready_s": t3 - t2,
                "first_search_s": t4 - t1,
                "timings": r.timings,
                "peak_rss_mb": _maxrss_mb(),
            }
        )
    )


def child_latency(data: str, n: int) -> None:
    from assistant.answer import Assistant
    from assistant.retrieve import LexicalIndex
    from ingest.settings import Settings

    questions = load_questions(n)
    a = Assistant(Settings(data_dir=Path(data), chroma_url=None))
    a.search(questions[0])
    a.ask(questions[0])
    # Time each Chroma call of a search: the "fuse" stage includes fetching the vectors of pool
    # members one side did not return (passage_vectors, sentence_vectors).
    calls: dict[str, float] = {}

    def timed(name, fn):
        def wrapper(*args, **kwargs):
            t0 = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                calls[name] = calls.get(name, 0.0) + time.perf_counter() - t0

        return wrapper

    for name in ("query", "query_sentences", "passage_vectors", "sentence_vectors"):
        setattr(a.store, name, timed(name, getattr(a.store, name)))
    search_t, ask_t, stages, returned, refused = [], [], {}, [], 0
    for q in questions:
        calls.clear()
        t0 = time.perf_counter()
        r = a.search(q)
        search_t.append(time.perf_counter() - t0)
        returned.append(len(r.passages))
        for k, v in {**r.timings, **{f"chroma.{k}": v for k, v in calls.items()}}.items():
            stages.setdefault(k, []).append(v)
    for q in questions:
        t0 = time.perf_counter()
        refused += a.ask(q).refused
        ask_t.append(time.perf_counter() - t0)

    # The pieces that grow with the corpus, one at a time.
    store = a.store
    t0 = time.perf_counter()
    passages = store.all_passages()
    t_all = time.perf_counter() - t0
    t0 = time.perf_counter()
    lex = LexicalIndex(passages)
    t_build = time.perf_counter() - t0
    retr = a.retriever
    folder = next((f for f in retr.cache_dir.iterdir() if not f.name.startswith(".tmp-")), None)
    t0 = time.perf_counter()
    loaded = LexicalIndex.load(folder, retr._revision) if folder else None
    t_load = time.perf_counter() - t0
    t0 = time.perf_counter()
    for q in questions[:20]:
        lex.scores(q)
    t_score = (time.perf_counter() - t0) / 20
    t0 = time.perf_counter()
    states = store.doc_states()
    t_states = time.perf_counter() - t0
    print(
        json.dumps(
            {
                "search": percentiles_ms(search_t),
                "ask": percentiles_ms(ask_t),
                "stages_p50_ms": {k: percentiles_ms(v)["p50_ms"] for k, v in stages.items()},
                "stages_p95_ms": {k: percentiles_ms(v)["p95_ms"] for k, v in stages.items()},
                "returned_mean": sum(returned) / len(returned),
                "refused": refused,
                "questions": len(questions),
                "all_passages_s": t_all,
                "bm25_build_s": t_build,
                "bm25_cache_load_s": t_load if loaded is not None else None,
                "bm25_score_ms": t_score * 1000,
                "doc_states_s": t_states,
                "documents": len(states),
                "peak_rss_mb": _maxrss_mb(),
            }
        )
    )


# -- parent --------------------------------------------------------------------------------------
def _run(args: list[str], env: dict, log: Path | None = None, timeout: float | None = None):
    t0 = time.perf_counter()
    with open(log, "a", encoding="utf-8") if log else open(os.devnull, "w") as err:
        proc = subprocess.run(
            [sys.executable, __file__, *args],
            env=env,
            cwd=REPO,
            text=True,
            stdout=subprocess.PIPE,
            stderr=err,
            timeout=timeout,
        )
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        sys.exit(f"{args[0]} failed (exit {proc.returncode}); see {log or 'stderr'}")
    return wall, json.loads(proc.stdout.strip().splitlines()[-1])


def measure(scale: int, work: Path, n_questions: int, reuse: bool) -> dict:
    corpus, data = work / f"corpus-{scale}x", work / f"data-{scale}x"
    log = work / f"ingest-{scale}x.log"
    t0 = time.perf_counter()
    files, size = build_corpus(corpus, scale)
    print(
        f"[{scale}x] corpus: {files} files, {size / 1e6:.1f} MB text "
        f"(built in {time.perf_counter() - t0:.1f} s)",
        flush=True,
    )
    record = work / f"ingest-{scale}x.json"
    env = child_env(data)
    runs = json.loads(record.read_text()) if record.exists() else []
    if not (reuse and runs and runs[-1].get("complete")):
        print(f"[{scale}x] ingest ... (progress in {log})", flush=True)
        wall, r = _run(["--child-ingest", str(corpus), str(data)], env, log)
        r.update(
            wall_s=wall,
            complete=r["ok"] and r["written_files"] + (r["files"] - r["written_files"]) == files,
        )
        runs.append(r)
        record.write_text(json.dumps(runs, indent=1))
    # Over resumed runs: the work is the sum; each run paid one process start.
    last = runs[-1]
    ingest = {
        "runs": len(runs),
        "wall_s": sum(r["wall_s"] for r in runs),
        "ingest_s": sum(r["ingest_s"] for r in runs),
        "passages_written": sum(r["passages_written"] for r in runs),
        "passages": last["passages"],
        "sentences": last["sentences"],
        "peak_rss_mb": max(r["peak_rss_mb"] for r in runs),
        "summary": last["summary"],
    }
    ingest["passages_per_s"] = ingest["passages_written"] / ingest["ingest_s"]
    print(
        f"[{scale}x] ingest: {ingest['passages']} passages, {ingest['sentences']} sentences, "
        f"{ingest['wall_s']:.0f} s wall, {ingest['passages_per_s']:.2f} passages/s",
        flush=True,
    )

    cache = data / "cache" / "bm25"
    shutil.rmtree(cache, ignore_errors=True)
    wall_nc, start_nc = _run(["--child-start", str(data)], env, work / f"start-{scale}x.log")
    cache_bytes = du_bytes(cache)
    wall_c, start_c = _run(["--child-start", str(data)], env, work / f"start-{scale}x.log")
    print(
        f"[{scale}x] start-up to first search: {wall_nc:.1f} s without BM25 cache, "
        f"{wall_c:.1f} s with",
        flush=True,
    )
    disk = {"total": du_bytes(data), "chroma": du_bytes(data / "chroma"), "bm25_cache": cache_bytes}

    _, lat = _run(
        ["--child-latency", str(data), str(n_questions)], env, work / f"latency-{scale}x.log"
    )
    print(
        f"[{scale}x] search p50 {lat['search']['p50_ms']:.0f} ms, ask p50 "
        f"{lat['ask']['p50_ms']:.0f} ms",
        flush=True,
    )
    return {
        "scale": scale,
        "files": files,
        "text_bytes": size,
        "ingest": ingest,
        "disk": disk,
        "startup": {
            "no_cache_s": wall_nc,
            "cache_s": wall_c,
            "no_cache": start_nc,
            "cache": start_c,
        },
        "latency": lat,
    }


def _mb(b: float) -> str:
    return f"{b / 1e6:.1f} MB"


def print_table(results: list[dict]) -> None:
    rows = [
        ("documents", lambda r: f"{r['files']}"),
        (
            "passages / sentences",
            lambda r: f"{r['ingest']['passages']} / {r['ingest']['sentences']}",
        ),
        ("ingest wall", lambda r: f"{r['ingest']['wall_s']:.0f} s"),
        ("ingest throughput", lambda r: f"{r['ingest']['passages_per_s']:.2f} p/s"),
        ("ingest peak RSS", lambda r: f"{r['ingest']['peak_rss_mb']:.0f} MB"),
        ("disk: data dir", lambda r: _mb(r["disk"]["total"])),
        ("disk: of which Chroma", lambda r: _mb(r["disk"]["chroma"])),
        ("disk: BM25 cache", lambda r: _mb(r["disk"]["bm25_cache"])),
        ("start-up, no BM25 cache", lambda r: f"{r['startup']['no_cache_s']:.1f} s"),
        ("start-up, BM25 cache", lambda r: f"{r['startup']['cache_s']:.1f} s"),
        ("  of which open Chroma", lambda r: f"{r['startup']['cache']['open_store_s']:.2f} s"),
        (
            "  of which BM25 (build/load)",
            lambda r: (
                f"{r['startup']['no_cache']['bm25_ready_s']:.2f}/"
                f"{r['startup']['cache']['bm25_ready_s']:.2f} s"
            ),
        ),
        (
            "search p50 / p95",
            lambda r: (
                f"{r['latency']['search']['p50_ms']:.0f} / "
                f"{r['latency']['search']['p95_ms']:.0f} ms"
            ),
        ),
        (
            "ask p50 / p95",
            lambda r: (
                f"{r['latency']['ask']['p50_ms']:.0f} / {r['latency']['ask']['p95_ms']:.0f} ms"
            ),
        ),
        ("  search: embed p50", lambda r: f"{r['latency']['stages_p50_ms']['embed']:.0f} ms"),
        (
            "  search: dense+sentences p50",
            lambda r: f"{r['latency']['stages_p50_ms']['dense']:.0f} ms",
        ),
        ("  search: BM25+fusion p50", lambda r: f"{r['latency']['stages_p50_ms']['fuse']:.0f} ms"),
        (
            "    of which Chroma vector gets",
            lambda r: "{:.0f} ms".format(
                r["latency"]["stages_p50_ms"].get("chroma.passage_vectors", 0)
                + r["latency"]["stages_p50_ms"].get("chroma.sentence_vectors", 0)
            ),
        ),
        ("  BM25 scoring pass", lambda r: f"{r['latency']['bm25_score_ms']:.2f} ms"),
        ("all_passages() read", lambda r: f"{r['latency']['all_passages_s']:.2f} s"),
        (
            "BM25 build / cache load",
            lambda r: (
                f"{r['latency']['bm25_build_s']:.2f} / "
                + (
                    f"{r['latency']['bm25_cache_load_s']:.2f} s"
                    if r["latency"]["bm25_cache_load_s"] is not None
                    else "n/a"
                )
            ),
        ),
        ("doc_states() (ingest check)", lambda r: f"{r['latency']['doc_states_s']:.2f} s"),
        ("search/ask peak RSS", lambda r: f"{r['latency']['peak_rss_mb']:.0f} MB"),
        ("passages returned (mean)", lambda r: f"{r['latency']['returned_mean']:.1f}"),
    ]
    w0 = max(len(name) for name, _ in rows)
    cols = [f"{r['scale']}x" for r in results]
    cells = [[fn(r) for r in results] for _, fn in rows]
    w = max(12, *(len(c) for row in cells for c in row))
    print(f"{'':<{w0}}  " + "  ".join(f"{c:>{w}}" for c in cols))
    for (name, _), row in zip(rows, cells):
        print(f"{name:<{w0}}  " + "  ".join(f"{c:>{w}}" for c in row))


def print_analysis(results: list[dict]) -> None:
    """Growth factors from the smallest to the largest scale, and the first limit."""
    if len(results) < 2:
        return
    a, b = results[0], results[-1]
    f = b["ingest"]["passages"] / a["ingest"]["passages"]

    def g(get) -> str:
        x, y = get(a), get(b)
        return f"x{y / x:.1f}" if x else "n/a"

    print()
    print(f"Growth {a['scale']}x -> {b['scale']}x (passages x{f:.0f}):")
    print(
        f"  ingest time {g(lambda r: r['ingest']['ingest_s'])}, throughput "
        f"{a['ingest']['passages_per_s']:.2f} -> {b['ingest']['passages_per_s']:.2f} passages/s; "
        f"disk {g(lambda r: r['disk']['total'])}"
    )
    print(
        f"  search p50 {g(lambda r: r['latency']['search']['p50_ms'])}: embed "
        f"{g(lambda r: r['latency']['stages_p50_ms']['embed'])}, dense+sentences "
        f"{g(lambda r: r['latency']['stages_p50_ms']['dense'])}, BM25+fusion "
        f"{g(lambda r: r['latency']['stages_p50_ms']['fuse'])}"
    )
    print(
        f"  ask p50 {g(lambda r: r['latency']['ask']['p50_ms'])}; BM25 scoring pass "
        f"{g(lambda r: r['latency']['bm25_score_ms'])}"
    )
    print(
        f"  start-up without BM25 cache {g(lambda r: r['startup']['no_cache_s'])} "
        f"(all_passages read {g(lambda r: r['latency']['all_passages_s'])}, BM25 build "
        f"{g(lambda r: r['latency']['bm25_build_s'])}); with cache "
        f"{g(lambda r: r['startup']['cache_s'])}"
    )
    lat = b["latency"]["stages_p50_ms"]
    gets = lat.get("chroma.passage_vectors", 0) + lat.get("chroma.sentence_vectors", 0)
    parts = {
        "embedding the question": lat["embed"],
        "the Chroma nearest-neighbour queries (passages + sentences)": lat["dense"],
        "fetching vectors of pool members from Chroma": gets,
        "BM25 scoring, fusion and de-duplication": max(0.0, lat["fuse"] - gets),
    }
    name, ms = max(parts.items(), key=lambda kv: kv[1])
    print(
        f"  at {b['scale']}x the largest share of search is {name}: {ms:.0f} ms of "
        f"{b['latency']['search']['p50_ms']:.0f} ms p50 ("
        + ", ".join(f"{k} {v:.0f}" for k, v in parts.items())
        + " ms)."
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--scales", default="1,10,100", help="comma-separated copies (1,10,100)")
    ap.add_argument("--questions", type=int, default=N_QUESTIONS, help="questions for latency (50)")
    ap.add_argument("--work", type=Path, help="folder for corpora and data dirs (default: temp)")
    ap.add_argument("--keep", action="store_true", help="keep the work folder")
    ap.add_argument(
        "--reuse",
        action="store_true",
        help="take ingest figures from an earlier complete run in --work",
    )
    ap.add_argument("--json", type=Path, help="also write the raw figures to this JSON file")
    ap.add_argument("--child-ingest", nargs=2, help=argparse.SUPPRESS)
    ap.add_argument("--child-start", help=argparse.SUPPRESS)
    ap.add_argument("--child-latency", nargs=2, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child_ingest:
        return child_ingest(*args.child_ingest)
    if args.child_start:
        return child_start(args.child_start)
    if args.child_latency:
        return child_latency(args.child_latency[0], int(args.child_latency[1]))

    scales = [int(s) for s in args.scales.split(",")]
    work = args.work or Path(tempfile.mkdtemp(prefix="inclusie-scale-"))
    work.mkdir(parents=True, exist_ok=True)
    load = os.getloadavg()
    print(
        f"Machine: {platform.machine()}, {os.cpu_count()} CPUs, Python "
        f"{platform.python_version()}; load {load[0]:.2f}; work folder {work}",
        flush=True,
    )
    results = []
    try:
        for s in scales:
            results.append(measure(s, work, args.questions, args.reuse))
            if args.json:  # partial figures survive an interrupted run
                args.json.write_text(json.dumps(results, indent=1), encoding="utf-8")
    finally:
        if not (args.keep or args.work):
            shutil.rmtree(work, ignore_errors=True)
    print()
    print_table(results)
    print_analysis(results)
    load = os.getloadavg()
    print(
        f"\nload average at end {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} "
        f"(above {os.cpu_count()}: other work competed for the CPUs)"
    )
    if args.json:
        print(f"Figures written to {args.json}")


if __name__ == "__main__":
    main()
