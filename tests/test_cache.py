"""The persisted BM25 cache: used at start, never trusted when damaged, and kept consistent with
writes made by other processes (embedded store and a shared Chroma server).

The cache lives in <data_dir>/cache/bm25/<collection>/<revision hash>/; "rebuilt" is observed as a
call of ``Store.all_passages`` (the only way to build the index), "loaded" as no such call.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import time
from pathlib import Path

import numpy as np
import pytest

from assistant.retrieve import HybridRetriever, LexicalIndex
from ingest.embeddings import get_embedder
from ingest.pipeline import ingest_paths
from ingest.settings import Settings
from ingest.store import open_store

from .conftest import CORPUS, run_cli

DOCS = [
    "stappenplan-inclusief-onderwijs-2025-2027.txt",
    "nieuws-week-van-inclusief-onderwijs-2023.txt",
]
QUESTIONS = [
    "Wanneer moeten alle scholen voldoen aan de norm voor basisondersteuning?",
    "Wat gebeurde er in de Week van Inclusief Onderwijs?",
    "How do schools and municipalities work together?",
]
NEW_DOC = (
    "Het Zwaluwnestproject\n\nHet Zwaluwnestproject in Kraaiendorp brengt kinderen uit het "
    "speciaal onderwijs terug naar de reguliere basisschool in hun eigen wijk. De gemeente "
    "Kraaiendorp betaalt het vervoer en elke school krijgt een extra onderwijsassistent.\n"
)
NEW_QUESTION = "Wat doet het Zwaluwnestproject in Kraaiendorp?"
SEE_DEADLINE = 30.0  # seconds for a long-lived retriever to see another process's write


def counting_retriever(settings: Settings, store=None) -> tuple[HybridRetriever, list[int]]:
    """A retriever whose store counts ``all_passages`` calls (each one is a BM25 rebuild)."""
    store = store or open_store(settings)
    calls: list[int] = []
    real = store.all_passages

    def all_passages():
        calls.append(1)
        return real()

    store.all_passages = all_passages
    return HybridRetriever(settings, store=store, embedder=get_embedder(settings)), calls


def ranking(r: HybridRetriever) -> list[list[tuple[str, float]]]:
    return [
        [(p.id, round(float(p.score), 9)) for p in r.search(q, k=5).passages] for q in QUESTIONS
    ]


def cache_folder(r: HybridRetriever) -> Path:
    folders = [f for f in r.cache_dir.iterdir() if not f.name.startswith(".tmp-")]
    assert len(folders) == 1, folders  # one revision, earlier ones cleaned up
    return folders[0]


def assert_valid_cache(r: HybridRetriever) -> None:
    folder = cache_folder(r)
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    assert {"passages.jsonl", "terms.json"} <= set(manifest["files"])
    assert any(n.startswith("bm25/") for n in manifest["files"])
    loaded = LexicalIndex.load(folder, r._revision)
    assert loaded is not None
    assert [p.id for p in loaded.passages] == [p.id for p in r.store.all_passages()]


@pytest.fixture(scope="module")
def small_index(tmp_path_factory) -> Settings:
    docs = tmp_path_factory.mktemp("docs")
    for name in DOCS:
        shutil.copy(CORPUS / name, docs / name)
    settings = Settings(data_dir=tmp_path_factory.mktemp("cache") / "data")
    assert ingest_paths([docs], settings).ok
    return settings


@pytest.fixture(scope="module")
def reference(small_index):
    """Rankings and BM25 of a retriever that built its index from the store (no cache)."""
    shutil.rmtree(small_index.data_dir / "cache", ignore_errors=True)
    r, calls = counting_retriever(small_index)
    got = ranking(r)
    assert len(calls) == 1
    return got, r.lexical()


def test_a_new_retriever_loads_the_cache_instead_of_rebuilding(small_index, reference):
    want, built = reference
    r, calls = counting_retriever(small_index)
    assert ranking(r) == want
    assert calls == []  # loaded from the cache
    lex = r.lexical()
    assert lex.passages == built.passages
    assert lex.vocab == built.vocab and lex.surface == built.surface
    for q in QUESTIONS:
        assert np.array_equal(lex.scores(q), built.scores(q))
    assert_valid_cache(r)


def _flip(path: Path, at: float = 0.5) -> None:
    data = bytearray(path.read_bytes())
    i = int(len(data) * at)
    data[i] ^= 0x5A
    path.write_bytes(bytes(data))


def _flip_matrix(folder: Path) -> None:
    biggest = max((folder / "bm25").glob("*.npy"), key=lambda f: f.stat().st_size)
    _flip(biggest, 0.9)  # inside the data, past the .npy header


def _edit_passage(folder: Path) -> None:
    # Still valid JSON, only the text changed: a silent corruption only the digest can catch.
    f = folder / "passages.jsonl"
    lines = f.read_text(encoding="utf-8").splitlines()
    rec = json.loads(lines[0])
    rec["text"] = rec["text"].replace("e", "a", 3)
    lines[0] = json.dumps(rec, ensure_ascii=False)
    f.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def _dead_pid() -> int:
    proc = subprocess.Popen(["true"])
    proc.wait()
    return proc.pid


def _crashed_save(folder: Path) -> Path:
    """A save that died after writing some files: only a .tmp folder, no final folder."""
    tmp = folder.parent / f".tmp-{_dead_pid()}-deadbeef"
    shutil.copytree(folder / "bm25", tmp / "bm25")
    shutil.rmtree(folder)
    return tmp


DAMAGE = {
    "bm25 matrix bytes flipped": _flip_matrix,
    "passage text changed": _edit_passage,
    "passages.jsonl cut in half": lambda f: _truncate(f / "passages.jsonl"),
    "terms.json missing": lambda f: (f / "terms.json").unlink(),
    "manifest missing (half-written)": lambda f: (f / "manifest.json").unlink(),
    "manifest cut in half": lambda f: _truncate(f / "manifest.json"),
    "manifest lists no files": lambda f: (f / "manifest.json").write_text(
        json.dumps({**json.loads((f / "manifest.json").read_text()), "files": {}})
    ),
    "only a .tmp folder of a dead save": _crashed_save,
}


@pytest.mark.parametrize("damage", list(DAMAGE))
def test_a_damaged_cache_is_rebuilt_not_trusted(small_index, reference, damage):
    want, built = reference
    warm, calls = counting_retriever(small_index)
    warm.lexical()  # make sure a valid cache is there
    folder = cache_folder(warm)
    leftover = DAMAGE[damage](folder)

    r, calls = counting_retriever(small_index)
    assert ranking(r) == want
    assert len(calls) == 1, "the damaged cache was trusted instead of rebuilt"
    assert r.lexical().passages == built.passages
    assert_valid_cache(r)
    if isinstance(leftover, Path):
        assert not leftover.exists(), "the .tmp folder of a dead process was left behind"

    again, calls = counting_retriever(small_index)
    assert ranking(again) == want and calls == []  # the repaired cache is used again


def test_a_tmp_folder_of_a_live_save_is_left_alone(small_index, reference):
    r, _ = counting_retriever(small_index)
    r.lexical()
    live = r.cache_dir / ".tmp-1-cafebabe"  # pid 1 is alive: a save in progress elsewhere
    live.mkdir()
    try:
        shutil.rmtree(cache_folder(r))
        r2, calls = counting_retriever(small_index)
        r2.lexical()
        assert len(calls) == 1 and live.exists()
    finally:
        shutil.rmtree(live, ignore_errors=True)


def _wait_until_found(r: HybridRetriever, doc_id: str) -> float:
    """Ask until the new document ranks first and BM25 knows it; returns the seconds it took.

    The dense side reads the store directly and may see it first; BM25 follows the revision
    within ``REVISION_TTL``.
    """
    t0 = time.monotonic()
    while time.monotonic() - t0 < SEE_DEADLINE:
        if r.search(NEW_QUESTION, k=3).passages[0].doc_id == doc_id and doc_id in {
            p.doc_id for p in r.lexical().passages
        }:
            return time.monotonic() - t0
        time.sleep(0.25)
    pytest.fail(f"{doc_id} not found within {SEE_DEADLINE}s")


@pytest.mark.slow
def test_ingest_by_another_process_reaches_a_running_retriever(tmp_path):
    """`inclusie ingest` next to a running app (same data dir, embedded store): the app's BM25
    is rebuilt once, and the app can read the new passages (before the fix in
    Store._reload_local, fetching them failed with "Error finding id" until a restart)."""
    docs = tmp_path / "docs"
    docs.mkdir()
    shutil.copy(CORPUS / DOCS[0], docs / DOCS[0])
    settings = Settings(data_dir=tmp_path / "data")
    assert ingest_paths([docs], settings).ok
    r, calls = counting_retriever(settings)
    assert r.search(NEW_QUESTION, k=3).passages[0].doc_id != "zwaluwnest"
    assert len(calls) == 1

    new = tmp_path / "new"
    new.mkdir()
    (new / "zwaluwnest.txt").write_text(NEW_DOC, encoding="utf-8")
    res = run_cli("ingest", str(new), env={"INCLUSIE_DATA_DIR": str(settings.data_dir)})
    assert res.returncode == 0, res.stderr
    assert "1 toegevoegd" in res.stdout

    _wait_until_found(r, "zwaluwnest")
    for q in QUESTIONS:  # all three signals work on the new state
        assert r.search(q, k=5).passages
    lex = r.lexical()
    assert "zwaluwnest" in {p.doc_id for p in lex.passages}
    assert lex.coverage(NEW_QUESTION) == 1.0  # BM25 knows the new words
    assert len(calls) == 2  # one rebuild for the change, not one per request
    time.sleep(r.REVISION_TTL + 0.5)
    r.search(NEW_QUESTION)
    assert len(calls) == 2
    assert_valid_cache(r)


@pytest.mark.slow
def test_questions_go_on_while_bm25_is_rebuilt_after_another_process_wrote(tmp_path):
    """After another process changed the index, the rebuild runs beside the questions: they are
    answered from the previous BM25 index meanwhile, and never with a passage that is gone."""
    import threading

    docs = tmp_path / "docs"
    docs.mkdir()
    for name in DOCS:
        shutil.copy(CORPUS / name, docs / name)
    settings = Settings(data_dir=tmp_path / "data")
    assert ingest_paths([docs], settings).ok
    gone_doc = DOCS[1].removesuffix(".txt")
    question = QUESTIONS[1]  # about the Week van Inclusief Onderwijs: the news item answers it

    r, calls = counting_retriever(settings)
    assert gone_doc in {p.doc_id for p in r.search(question, k=5).passages}
    gate = threading.Event()
    build = r.store.all_passages

    def slow_build():  # hold the rebuild until the test lets it go
        assert gate.wait(60), "the rebuild was never let go"
        return build()

    r.store.all_passages = slow_build

    # Another process removes the news item and adds a new document.
    (docs / DOCS[1]).unlink()
    (docs / "zwaluwnest.txt").write_text(NEW_DOC, encoding="utf-8")
    res = run_cli("ingest", str(docs), "--prune", env={"INCLUSIE_DATA_DIR": str(settings.data_dir)})
    assert res.returncode == 0, res.stderr
    time.sleep(r.REVISION_TTL + 0.5)

    answered: list = []
    asker = threading.Thread(
        target=lambda: answered.extend([r.search(question, k=5), r.search(NEW_QUESTION, k=3)])
    )
    asker.start()
    asker.join(30)
    try:
        assert not asker.is_alive(), "questions waited for the BM25 rebuild"
        assert not gate.is_set() and len(calls) == 1  # the rebuild was still being held
        assert all(p.doc_id != gone_doc for res in answered for p in res.passages), (
            "a passage of the removed document was returned from the old BM25 index"
        )
        assert answered[1].passages[0].doc_id == "zwaluwnest"  # the dense side is already current
    finally:
        gate.set()

    _wait_until_found(r, "zwaluwnest")
    assert len(calls) == 2  # one rebuild for the change
    assert r.lexical().coverage(NEW_QUESTION) == 1.0
    assert gone_doc not in {p.doc_id for p in r.lexical().passages}
    assert_valid_cache(r)


@pytest.mark.slow
def test_two_apps_sharing_a_chroma_server_stay_consistent(tmp_path):
    """Two Assistants (two `inclusie serve` processes in a team) with one server and different
    data dirs: a document added through one is found by the other without a restart."""
    from assistant.answer import Assistant

    from .test_chroma_server import ChromaServer

    docs = tmp_path / "docs"
    docs.mkdir()
    shutil.copy(CORPUS / DOCS[0], docs / DOCS[0])
    server = ChromaServer(tmp_path / "server-store", tmp_path / "chroma.log").start()
    try:
        sa = Settings(data_dir=tmp_path / "a", chroma_url=server.url, chroma_timeout=10)
        sb = Settings(data_dir=tmp_path / "b", chroma_url=server.url, chroma_timeout=10)
        a = Assistant(sa)
        assert ingest_paths([docs], sa, store=a.store, embedder=a.embedder).ok
        rb, calls = counting_retriever(sb)
        b = Assistant(sb, retriever=rb)
        assert b.search(NEW_QUESTION, k=3).passages[0].doc_id != "zwaluwnest"
        assert len(calls) == 1

        new = tmp_path / "new"
        new.mkdir()
        (new / "zwaluwnest.txt").write_text(NEW_DOC, encoding="utf-8")
        report = ingest_paths([new], sa, store=a.store, embedder=a.embedder)  # e.g. an upload
        assert report.count("added") == 1
        a.retriever.refresh()  # what the upload handler does

        _wait_until_found(b.retriever, "zwaluwnest")
        ans = b.ask(NEW_QUESTION)
        assert not ans.refused and ans.citations[0].doc_id == "zwaluwnest"
        assert a.ask(NEW_QUESTION).citations[0].doc_id == "zwaluwnest"
        assert len(calls) == 2
        # each data dir has its own cache of the same (server) revision
        assert_valid_cache(b.retriever)
        assert_valid_cache(a.retriever)
        assert cache_folder(a.retriever).name == cache_folder(b.retriever).name
        assert not (sa.data_dir / "chroma").exists() and not (sb.data_dir / "chroma").exists()
    finally:
        server.stop()
