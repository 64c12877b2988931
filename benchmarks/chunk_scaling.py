"""Scaling benchmark: sentence splitting, chunking and cleaning of one long text block (issue 15).

Run from the repository root:

    .venv/bin/python benchmarks/chunk_scaling.py                          # ~10 min on 2 busy cores
    .venv/bin/python benchmarks/chunk_scaling.py --base 2000 --scales 1,2,4
    .venv/bin/python benchmarks/chunk_scaling.py --no-before              # the current code only

A PDF whose extracted text has few paragraph breaks, or a Word export without blank lines, is one
long block. Sentence splitting used to cost the square of a block's length, so a 3.6 MB block kept
ingest (and with it every other upload, behind the ingest lock) busy for more than ten minutes.

What it times, for 1x, 2x, 4x and 8x a block of ``--base`` words (4,000 by default), each case in
a fresh process:

- ``sentence_spans`` of the block, and ``chunk_document`` of the cleaned block (bundled taxonomy,
  the e5 token counter, as ingest chunks), for two blocks given as one line: "ordinary" (the words
  of the bundled corpus in order, repeated, sentences and all) and "no full stop" (the same with
  every '.', '!' and '?' removed);
- ``clean_text`` of a hard-wrapped block (70-character lines, no blank lines), from 40,000 words
  up, where joining the lines of a paragraph used to copy the paragraph for every line;
- what pysbd costs per call by input size: how ``ingest.sentences.SEGMENT_CAP`` was chosen.

"before" is the code of commit 96e23df, the last one before linear chunking, read with
``git archive`` into a temporary folder and imported as a package of its own (clearly labelled in
the tables; skipped when git or the commit is not available). A "before" case is stopped after
``--before-timeout`` seconds (60 by default); the larger sizes of that case are then skipped.
Each table also gives the growth factor from one size to the next: about 2 per doubling is
linear, about 4 is quadratic.

It is a script, not a test: it prints figures and asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tarfile
import tempfile
import textwrap
import time
from io import BytesIO
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

BEFORE_COMMIT = "96e23df"
KINDS = ("no full stop", "ordinary")


# -- the texts -----------------------------------------------------------------------------------
def corpus_words() -> list[str]:
    from ingest.clean import clean_text
    from ingest.settings import BUNDLED_CORPUS

    words: list[str] = []
    for path in sorted(BUNDLED_CORPUS.glob("*.txt")):
        words += clean_text(path.read_text(encoding="utf-8")).text.split()
    return words


def block(kind: str, n_words: int) -> str:
    words = corpus_words()
    text = " ".join(words[i % len(words)] for i in range(n_words))
    if kind == "no full stop":
        text = re.sub(r"[.!?]", "", text)
    elif kind == "wrapped":
        text = "\n".join(textwrap.wrap(text, 70, break_long_words=False))
    return text


# -- one case, in a child process ----------------------------------------------------------------
def run_case(case: dict) -> dict:
    """Time one function on one text; the package is the current ``ingest`` or the "before" copy."""
    if case["impl"] == "before":
        sys.path.insert(0, case["before_path"])
        pkg = "ingest_before"
    else:
        pkg = "ingest"
    clean_mod = __import__(f"{pkg}.clean", fromlist=["clean_text"])
    text = block(case["kind"], case["words"])
    if case["what"] == "sentence_spans":
        spans = __import__(f"{pkg}.sentences", fromlist=["sentence_spans"]).sentence_spans
        t0 = time.perf_counter()
        n = len(spans(text))
        return {"seconds": time.perf_counter() - t0, "count": n, "chars": len(text)}
    if case["what"] == "clean_text":
        t0 = time.perf_counter()
        clean_mod.clean_text(text)
        return {"seconds": time.perf_counter() - t0, "count": 0, "chars": len(text)}
    from ingest.embeddings import E5Embeddings
    from ingest.settings import BUNDLED_TAXONOMY

    chunk_document = __import__(f"{pkg}.chunk", fromlist=["chunk_document"]).chunk_document
    taxonomy = __import__(f"{pkg}.tags", fromlist=["Taxonomy"]).Taxonomy.load(BUNDLED_TAXONOMY)
    e5 = E5Embeddings()
    e5.count_tokens("opwarmen")  # load the engine before the clock starts
    clean = clean_mod.clean_text(text)
    t0 = time.perf_counter()
    passages = chunk_document(
        clean,
        doc_id="blok",
        title="Eén lang blok",
        taxonomy=taxonomy,
        count_tokens=e5.count_tokens,
        max_tokens=e5.max_tokens,
    )
    return {"seconds": time.perf_counter() - t0, "count": len(passages), "chars": len(text)}


def measure(case: dict, timeout: float) -> dict | None:
    """Run a case in a fresh process; None when it was stopped at ``timeout`` seconds."""
    env = {**os.environ, "PYTHONPATH": str(REPO), "HF_HUB_OFFLINE": "1"}
    try:
        out = subprocess.run(
            [sys.executable, __file__, "--case", json.dumps(case)],
            capture_output=True,
            text=True,
            timeout=timeout,
            env=env,
            cwd=REPO,
        )
    except subprocess.TimeoutExpired:
        return None
    if out.returncode != 0:
        sys.exit(f"case {case} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def before_package(work: Path) -> Path | None:
    """The "before" code as package ``ingest_before`` under ``work``; None without git."""
    try:
        tar = subprocess.run(
            ["git", "archive", BEFORE_COMMIT, "ingest"], cwd=REPO, capture_output=True, check=True
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        return None
    with tarfile.open(fileobj=BytesIO(tar)) as tf:
        try:
            tf.extractall(work, filter="data")
        except TypeError:  # Python before 3.11.4 has no extraction filters
            tf.extractall(work)
    (work / "ingest").rename(work / "ingest_before")
    return work


# -- tables --------------------------------------------------------------------------------------
def fmt(result: dict | None, stopped: str) -> str:
    if result is None:
        return stopped
    return f"{result['seconds']:.2f} s"


def growth(prev: dict | None, cur: dict | None) -> str:
    if not prev or not cur or prev["seconds"] <= 0:
        return ""
    return f"x{cur['seconds'] / prev['seconds']:.1f}"


def table(what: str, kinds: tuple[str, ...], base: int, scales: list[int], args, before) -> None:
    unit = "passages" if what == "chunk_document" else "sentences"
    if what == "clean_text":
        unit = ""
    print(f"\n{what}, one block" + (" (hard-wrapped lines)" if what == "clean_text" else ""))
    print(
        f"{'text':<13} {'words':>7} {'chars':>9}  {'before':>16} {'growth':>6}"
        f"  {'after':>9} {'growth':>6}  {unit}"
    )
    for kind in kinds:
        prev_b = prev_a = None
        skip_before = before is None
        for s in scales:
            n = base * s
            case = {"what": what, "kind": kind, "words": n}
            if skip_before:
                b, b_text = None, ("(not available)" if before is None else "(skipped)")
            else:
                b = measure(
                    {**case, "impl": "before", "before_path": str(before)}, args.before_timeout
                )
                b_text = fmt(b, f"> {args.before_timeout:.0f} s stopped")
                skip_before = b is None
            a = measure({**case, "impl": "after"}, args.after_timeout)
            a_text = fmt(a, f"> {args.after_timeout:.0f} s stopped")
            chars = a["chars"] if a else (b["chars"] if b else 0)
            count = a["count"] if a and unit else ""
            print(
                f"{kind:<13} {n:>7} {chars:>9}  {b_text:>16} {growth(prev_b, b):>6}"
                f"  {a_text:>9} {growth(prev_a, a):>6}  {count}",
                flush=True,
            )
            prev_b, prev_a = b, a


def pysbd_cost() -> None:
    """Time of pysbd per call and per character for inputs of a given size (the cap's basis)."""
    from ingest.sentences import SEGMENT_CAP, _segment

    print(f"\npysbd by input size (the current SEGMENT_CAP is {SEGMENT_CAP} characters)")
    print(f"{'text':<13} {'input chars':>11} {'calls':>6} {'ms/call':>8} {'k chars/s':>10}")
    for kind in KINDS:
        text = block(kind, 6000)
        for size in (250, 500, 1000, 2000, 4000):
            pieces, i = [], 0
            while i < len(text):  # cut at word gaps, as the pre-splitter does
                j = text.rfind(" ", i, i + size) if i + size < len(text) else len(text)
                j = j if j > i else min(len(text), i + size)
                pieces.append(text[i:j])
                i = j
            t0 = time.perf_counter()
            for piece in pieces:
                _segment(piece)
            dt = time.perf_counter() - t0
            print(
                f"{kind:<13} {size:>11} {len(pieces):>6} {dt / len(pieces) * 1000:>8.1f}"
                f" {len(text) / dt / 1000:>10.1f}",
                flush=True,
            )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--base", type=int, default=4000, help="words in the 1x block")
    ap.add_argument("--scales", default="1,2,4,8")
    ap.add_argument("--clean-base", type=int, default=40_000, help="words in the 1x clean block")
    ap.add_argument("--before-timeout", type=float, default=60)
    ap.add_argument("--after-timeout", type=float, default=900)
    ap.add_argument("--no-before", action="store_true", help="time the current code only")
    ap.add_argument("--case", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.case:
        print(json.dumps(run_case(json.loads(args.case))))
        return

    scales = [int(s) for s in args.scales.split(",")]
    print(f"Python {sys.version.split()[0]}, {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}")
    with tempfile.TemporaryDirectory(prefix="chunk-scaling-") as tmp:
        before = None if args.no_before else before_package(Path(tmp))
        if before is None and not args.no_before:
            print(f"(no 'before' figures: git archive {BEFORE_COMMIT} is not available here)")
        table("sentence_spans", KINDS, args.base, scales, args, before)
        table("chunk_document", KINDS, args.base, scales, args, before)
        table("clean_text", ("wrapped",), args.clean_base, scales, args, before)
    pysbd_cost()


if __name__ == "__main__":
    main()
