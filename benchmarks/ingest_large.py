"""Large-library ingest: a 300-page PDF, a 200,000-word single-block text and 40 mixed files.

Run from the repository root:

    .venv/bin/python benchmarks/ingest_large.py                         # before (main) and after
    .venv/bin/python benchmarks/ingest_large.py --scale 0.1             # a tenth of every case
    .venv/bin/python benchmarks/ingest_large.py --before-ref none       # only this checkout
    .venv/bin/python benchmarks/ingest_large.py --cases pdf,mixed --threads 1

The documents are built from the bundled corpus text, with place names numbered and one numbered
sentence per paragraph (``scale.make_variant``), so passages differ from copy to copy:

- ``pdf``: one PDF of 300 pages (about 300 words each, generated with fpdf2 as the tests do);
- ``block``: one .txt of 200,000 words without a single line break (a Word export without blank
  lines, the case that froze ingest before the chunking became linear);
- ``mixed``: 40 files, ten each of .txt, .md, .pdf and .docx, one to three corpus documents each.

Each case is ingested into a fresh data dir in its own subprocess, once with this checkout's code
("after") and once with the code of ``--before-ref`` (default ``main``, exported with
``git archive``; "before"). A case is stopped after ``--timeout`` seconds (10 minutes) and
reported as stopped. Each case runs ``--repeat`` times (2) and the fastest run is kept. Printed
per case and code: wall time (process start to report), passages,
passages/s, peak RSS (the child's ``ru_maxrss``), with the load average beside it: the machine
may be shared, and the e5 engine slows down sharply when other work competes for the cores.

It is a script, not a test: it prints a table and asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(1, str(Path(__file__).resolve().parent.parent))

from _common import REPO, child_env
from scale import CORPUS, _region_pattern, make_variant

CASES = ("pdf", "block", "mixed")


# -- documents ---------------------------------------------------------------------------------
def _paragraphs(copies: int | None = None) -> Iterator[str]:
    """Paragraphs of variants 1, 2, ... of the bundled documents, in order (endless by default)."""
    regions = _region_pattern()
    n = 0
    while copies is None or n < copies:
        n += 1
        for src in sorted(CORPUS.glob("*.txt")):
            text = make_variant(src.read_text(encoding="utf-8"), n, regions)
            yield from (p.strip() for p in re.split(r"\n\s*\n", text) if p.strip())


def build_pdf(path: Path, pages: int) -> None:
    from tests.docgen import write_pdf

    paras = _paragraphs()
    out: list[list[tuple[str, str]]] = []
    for _ in range(pages):
        blocks: list[tuple[str, str]] = []
        words = 0
        while words < 280:
            p = next(paras).replace("\n", " ")
            p = p.encode("latin-1", "replace").decode("latin-1")  # fpdf2's core fonts
            style = "h" if len(p.split()) <= 8 and not p.endswith(".") else "p"
            blocks.append((style, p))
            words += len(p.split())
        out.append(blocks)
    write_pdf(path, out)


def build_block(path: Path, words: int) -> None:
    text: list[str] = []
    n = 0
    for p in _paragraphs():
        text.append(p.replace("\n", " "))
        n += len(p.split())
        if n >= words:
            break
    path.write_text(" ".join(text), encoding="utf-8")


def build_mixed(folder: Path, files: int) -> None:
    from tests.docgen import write_docx

    docs = sorted(CORPUS.glob("*.txt"))
    regions = _region_pattern()
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(files):
        kind = ("txt", "md", "pdf", "docx")[i % 4]
        parts = [
            make_variant(docs[(i + k) % len(docs)].read_text(encoding="utf-8"), i + 1, regions)
            for k in range(1 + i % 3)
        ]
        text = "\n\n".join(parts)
        paras = [p.strip() for p in re.split(r"\n\s*\n", text) if p.strip()]
        path = folder / f"document-{i:02d}.{kind}"
        if kind == "txt":
            path.write_text(text, encoding="utf-8")
        elif kind == "md":
            path.write_text(
                "\n\n".join(
                    f"## {p}" if len(p.split()) <= 8 and not p.endswith(".") else p for p in paras
                ),
                encoding="utf-8",
            )
        elif kind == "docx":
            write_docx(
                path,
                [("h2" if len(p.split()) <= 8 and not p.endswith(".") else "p", p) for p in paras],
            )
        else:
            from tests.docgen import write_pdf

            pages: list[list[tuple[str, str]]] = [[]]
            words = 0
            for p in paras:
                p = p.replace("\n", " ").encode("latin-1", "replace").decode("latin-1")
                if words > 280:
                    pages.append([])
                    words = 0
                pages[-1].append(("h" if len(p.split()) <= 8 and not p.endswith(".") else "p", p))
                words += len(p.split())
            write_pdf(path, pages)


def build(work: Path, scale: float) -> dict[str, Path]:
    docs = work / f"docs-{scale:g}"
    marker = docs / ".complete"
    paths = {
        "pdf": docs / "pdf" / "handboek-300.pdf",
        "block": docs / "block" / "export-een-blok.txt",
        "mixed": docs / "mixed",
    }
    if not marker.exists():
        shutil.rmtree(docs, ignore_errors=True)
        for p in paths.values():
            (p.parent if p.suffix else p).mkdir(parents=True, exist_ok=True)
        build_pdf(paths["pdf"], max(1, round(300 * scale)))
        build_block(paths["block"], max(1000, round(200_000 * scale)))
        build_mixed(paths["mixed"], max(4, round(40 * scale)))
        marker.write_text("ok")
    return {k: (v.parent if v.suffix else v) for k, v in paths.items()}


# -- one measured run --------------------------------------------------------------------------
CHILD = """
import json, resource, sys, time
from pathlib import Path
from ingest.pipeline import ingest_paths
from ingest.settings import Settings
report = ingest_paths([Path(sys.argv[1])], Settings(data_dir=Path(sys.argv[2]), chroma_url=None))
print(json.dumps({"ok": report.ok, "passages": report.chunks_written,
                  "failed": [r.message for r in report.results if r.status == "failed"]}))
"""


def run_case(folder: Path, code: Path, threads: int, timeout: float) -> dict:
    data = Path(tempfile.mkdtemp(prefix="ingest-large-"))
    env = child_env(data, INCLUSIE_EMBED_THREADS=str(threads))
    env["PYTHONPATH"] = str(code)
    load = os.getloadavg()[0]
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(folder), str(data)],
        cwd=code,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    stopped = False
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
        stopped = True
    wall = time.perf_counter() - t0
    rss = resource_peak(proc)
    shutil.rmtree(data, ignore_errors=True)
    res: dict = {"wall_s": wall, "stopped": stopped, "load": (load + os.getloadavg()[0]) / 2}
    res["peak_rss_mb"] = rss
    if not stopped:
        try:
            res.update(json.loads(out.strip().splitlines()[-1]))
        except (ValueError, IndexError):
            res["error"] = err.strip().splitlines()[-1:] or ["?"]
    if res.get("passages"):
        res["passages_per_s"] = res["passages"] / wall
    return res


_RSS: dict[int, float] = {}


def resource_peak(proc: subprocess.Popen) -> float | None:
    return _RSS.get(proc.pid)


def _install_rss_hook() -> None:
    """Record each child's peak RSS (ru_maxrss of the reaped child) by pid."""
    real = os.waitpid

    def waitpid(pid: int, options: int):  # Popen reaps through os.waitpid: use wait4 instead
        if pid > 0:
            rpid, status, usage = os.wait4(pid, options)
            if rpid:
                _RSS[rpid] = usage.ru_maxrss / 1024
            return rpid, status
        return real(pid, options)

    os.waitpid = waitpid  # type: ignore[assignment]


def export_ref(ref: str, dest: Path) -> Path:
    dest.mkdir(parents=True, exist_ok=True)
    archive = subprocess.run(
        ["git", "-C", str(REPO), "archive", ref], check=True, capture_output=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(dest)], input=archive, check=True)
    return dest


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "ingest-large")
    ap.add_argument("--scale", type=float, default=1.0, help="fraction of every case (1: full)")
    ap.add_argument("--cases", default=",".join(CASES))
    ap.add_argument("--before-ref", default="main", help="git ref of the 'before' code; none: skip")
    ap.add_argument("--threads", type=int, default=0, help="INCLUSIE_EMBED_THREADS (0: all cores)")
    ap.add_argument("--timeout", type=float, default=600, help="seconds per case and code")
    ap.add_argument(
        "--repeat", type=int, default=2, help="runs per case and code; the fastest is kept"
    )
    ap.add_argument("--json", type=Path, help="also write the figures here")
    args = ap.parse_args()

    _install_rss_hook()
    args.work.mkdir(parents=True, exist_ok=True)
    folders = build(args.work, args.scale)
    codes = [("after", REPO)]
    if args.before_ref != "none":
        codes.insert(0, ("before", export_ref(args.before_ref, args.work / "before-code")))
    print(
        f"cores {os.cpu_count()}, INCLUSIE_EMBED_THREADS={args.threads}, scale {args.scale:g}, "
        f"before = {args.before_ref}, stop after {args.timeout:.0f} s",
        flush=True,
    )
    rows = []
    for case in args.cases.split(","):
        for label, code in codes:
            runs = [run_case(folders[case], code, args.threads, args.timeout)]
            while len(runs) < args.repeat and not runs[-1]["stopped"]:
                runs.append(run_case(folders[case], code, args.threads, args.timeout))
            r = min(runs, key=lambda x: (x["stopped"], x["wall_s"]))
            r.update(case=case, code=label, runs=len(runs))
            rows.append(r)
            if r["stopped"]:
                fig = f"stopped after {r['wall_s']:.0f} s (limit {args.timeout:.0f} s)"
            elif r.get("error"):
                fig = f"error: {r['error']}"
            else:
                fig = (
                    f"{r['wall_s']:7.1f} s  {r['passages']:5d} passages  "
                    f"{r.get('passages_per_s', 0):5.2f} passages/s"
                )
            rss = f"{r['peak_rss_mb']:.0f} MB" if r["peak_rss_mb"] else "?"
            print(f"{case:<6} {label:<6} {fig}  peak RSS {rss}  load {r['load']:.1f}", flush=True)
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
