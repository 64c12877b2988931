"""A large file shows progress while it is embedded, and each file stands alone.

- Progress: within one file the callback is called after every batch of passages, with the
  passages done and the total, the rate and the time left (``ProgressMessage``), and a plain
  ``progress(fraction, message)`` callback keeps working. `inclusie ingest` prints the same.
- Each file stands alone: `inclusie ingest` on three files, killed with SIGKILL once the first
  file is stored, leaves the first file complete and searchable; running it again adds the other
  two and duplicates nothing. A file that breaks in an unexpected way fails alone, with a Dutch
  line naming it; the files around it are stored.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import pytest

from ingest import pipeline
from ingest.pipeline import ProgressMessage, ingest_paths
from ingest.settings import Settings
from ingest.store import open_store

from .conftest import REPO, run_cli
from .docgen import filler, write_notes


def _long_text(path: Path, paragraphs: int, seed: int, topic: str) -> Path:
    body = "\n\n".join(filler(90, seed + i) for i in range(paragraphs))
    path.write_text(f"{topic}\n\n{topic} staat centraal in dit stuk. {body}\n", encoding="utf-8")
    return path


@pytest.mark.slow
def test_progress_within_a_file_counts_passages_with_rate_and_time_left(tmp_path, monkeypatch):
    monkeypatch.setattr(pipeline, "PASSAGES_PER_BATCH", 2)  # many batches from a small file
    folder = tmp_path / "docs"
    folder.mkdir()
    big = _long_text(folder / "groot.txt", 14, 3, "Jaarverslag")
    small = write_notes(folder, 1, seed=4)[0]
    calls: list[tuple[float, str]] = []
    report = ingest_paths(
        [big, small],
        Settings(data_dir=tmp_path / "data"),
        progress=lambda fraction, message: calls.append((fraction, message)),
    )
    assert report.ok
    n_big = {r.path.name: r.chunks for r in report.results}["groot.txt"]
    assert n_big >= 3 * pipeline.PASSAGES_PER_BATCH

    fractions = [f for f, _ in calls]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
    within = [m for _, m in calls if isinstance(m, ProgressMessage) and m.file == "groot.txt"]
    counted = [m for m in within if m.total]
    # after every batch, not only when the file is done
    assert len(counted) >= n_big // pipeline.PASSAGES_PER_BATCH
    assert [m.done for m in counted] == sorted(m.done for m in counted)
    assert counted[-1].done == counted[-1].total == n_big
    assert all(f <= 0.5 for f, m in calls if m in counted)  # the first of two files
    last = counted[-1]
    assert last.rate > 0 and last.eta == 0
    assert str(last).startswith(f"groot.txt: {n_big}/{n_big} passages, ")
    middle = counted[len(counted) // 2]
    assert middle.eta is not None and middle.eta > 0 and "nog ongeveer" in middle


@pytest.mark.slow
def test_cli_shows_passages_rate_and_time_left(tmp_path):
    big = _long_text(tmp_path / "handboek.txt", 20, 5, "Handboek")  # two batches or more
    r = run_cli("ingest", str(big), env={"INCLUSIE_DATA_DIR": str(tmp_path / "data")})
    assert r.returncode == 0, r.stderr
    n = int(re.search(r"handboek\.txt \((\d+) passages\)", r.stdout).group(1))
    shown = re.findall(r"handboek\.txt\s+\d+% .*?(\d+)/(\d+) passages, ([\d.]+)/s, nog ~", r.stderr)
    assert len(shown) >= 2, r.stderr[-2000:]
    assert {int(t) for _, t, _ in shown} == {n}
    assert len({int(d) for d, _, _ in shown}) >= 2  # it moved within the file


# -- each file stands alone -------------------------------------------------------------------
def _inclusie() -> str:
    import shutil

    return shutil.which("inclusie", path=str(Path(sys.executable).parent)) or "inclusie"


@pytest.mark.slow
def test_killed_after_the_first_file_keeps_it_and_reingest_duplicates_nothing(tmp_path):
    data = tmp_path / "data"
    env = {"INCLUSIE_DATA_DIR": str(data)}
    folder = tmp_path / "docs"
    folder.mkdir()
    first = folder / "a-leerlingenvervoer.txt"
    first.write_text(
        "Leerlingenvervoer\n\nDe gemeente Zeewolde regelt het leerlingenvervoer met een "
        f"taxibusje voor twaalf leerlingen. {filler(200, 21)}\n",
        encoding="utf-8",
    )
    second = _long_text(folder / "b-jaarverslag.txt", 30, 22, "Jaarverslag")
    third = _long_text(folder / "c-handboek.txt", 4, 23, "Handboek")

    proc = subprocess.Popen(
        [_inclusie(), "ingest", str(first), str(second), str(third)],
        cwd=REPO,
        env={**os.environ, **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    seen = bytearray()

    def reader():
        while chunk := proc.stderr.read1(4096):  # type: ignore[union-attr]
            seen.extend(chunk)

    t = threading.Thread(target=reader, daemon=True)
    t.start()
    deadline = time.monotonic() + 600
    try:
        # The second file's first embedded batch: the first file was stored before it began.
        while time.monotonic() < deadline and proc.poll() is None:
            if re.search(rb"b-jaarverslag\.txt\s+\d+% .*? \d+/\d+ passages", bytes(seen)):
                proc.send_signal(signal.SIGKILL)
                break
            time.sleep(0.05)
    finally:
        if proc.poll() is None and proc.returncode is None:
            proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        t.join(timeout=10)
    assert proc.returncode == -signal.SIGKILL, seen.decode("utf-8", "replace")[-2000:]

    settings = Settings(data_dir=data)
    states = open_store(settings).doc_states()
    assert states["a-leerlingenvervoer"].complete
    assert "c-handboek" not in states
    assert "b-jaarverslag" not in states or not states["b-jaarverslag"].complete

    # the first file answers a search right away, without another ingest
    r = run_cli("search", "taxibusje leerlingenvervoer Zeewolde", "--json", env=env)
    assert r.returncode == 0, r.stderr
    top = json.loads(r.stdout)["passages"][0]
    assert top["doc_id"] == "a-leerlingenvervoer" and "taxibusje" in top["text"]

    r = run_cli("ingest", str(folder), env=env)
    assert r.returncode == 0, r.stderr
    assert re.search(r"^ongewijzigd\s+a-leerlingenvervoer\.txt", r.stdout, re.M)
    assert re.search(r"^nieuw\s+b-jaarverslag\.txt", r.stdout, re.M)
    assert re.search(r"^nieuw\s+c-handboek\.txt", r.stdout, re.M)

    store = open_store(settings)
    stored = store.all_passages()
    assert len({p.id for p in stored}) == len(stored)
    assert not [k for k, n in Counter((p.doc_id, p.text) for p in stored).items() if n > 1]
    states = store.doc_states()
    assert set(states) == {"a-leerlingenvervoer", "b-jaarverslag", "c-handboek"}
    assert all(s.complete for s in states.values())
    _, sentences = store._collections()
    ids = sentences.get(include=[])["ids"]
    assert len(ids) == len(set(ids))
    assert {i.rsplit(":", 1)[0] for i in ids} == {p.id for p in stored}


@pytest.mark.slow
def test_a_file_that_breaks_unexpectedly_fails_alone(tmp_path, monkeypatch):
    folder = tmp_path / "docs"
    paths = write_notes(folder, 3, seed=8)
    real = pipeline.prepare_document

    def breaks_on_the_second(doc, *args, **kwargs):
        if doc.path.name == paths[1].name:
            raise RuntimeError("kapotte tabel")
        return real(doc, *args, **kwargs)

    monkeypatch.setattr(pipeline, "prepare_document", breaks_on_the_second)
    settings = Settings(data_dir=tmp_path / "data")
    report = ingest_paths([folder], settings)
    status = {r.path.name: r for r in report.results}
    assert status[paths[0].name].status == "added" and status[paths[2].name].status == "added"
    failed = status[paths[1].name]
    assert failed.status == "failed"
    assert failed.message.startswith(f"{paths[1].name}: onverwachte fout")
    assert "kapotte tabel" in failed.message
    assert set(open_store(settings).doc_states()) == {"notitie-0", "notitie-2"}


# -- repeated text is embedded once -------------------------------------------------------------
@pytest.mark.slow
def test_repeated_text_is_embedded_once_with_the_vector_it_would_get(tmp_path):
    import numpy as np

    from ingest.embeddings import Embedder, get_embedder

    real = get_embedder(Settings())

    class Counting(Embedder):
        id, max_tokens, dim = real.id, real.max_tokens, real.dim

        def __init__(self):
            self.texts: list[str] = []

        def embed_documents(self, texts):
            self.texts += texts
            return real.embed_documents(texts)

        def embed_query(self, text):
            return real.embed_query(text)

        def count_tokens(self, text):
            return real.count_tokens(text)

    shared = "Elke school heeft een ondersteuningsplan. Het plan wordt elk jaar herzien."
    folder = tmp_path / "docs"
    folder.mkdir()
    for name, seed in (("plan-2024", 31), ("plan-2025", 32)):
        (folder / f"{name}.txt").write_text(
            f"Ondersteuningsplan\n\n{filler(60, seed)}\n\n{shared}\n", encoding="utf-8"
        )
    counting = Counting()
    settings = Settings(data_dir=tmp_path / "data")
    assert ingest_paths([folder], settings, embedder=counting).ok

    assert len(counting.texts) == len(set(counting.texts))
    store = open_store(settings, real.id)
    stored = store.all_passages()
    vectors = store.sentence_vectors([p.id for p in stored])
    found = [
        s.vector
        for p in stored
        for s in vectors[p.id]
        if p.text[s.start : s.end] == "Het plan wordt elk jaar herzien."
    ]
    assert len(found) == 2  # stored for both documents
    alone = np.asarray(real.embed_documents(["Het plan wordt elk jaar herzien."])[0], np.float32)
    assert np.array_equal(found[0], found[1]) and np.allclose(found[0], alone, atol=1e-6)
