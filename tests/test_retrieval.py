"""Hybrid retrieval on the bundled corpus: both languages, filters, no near-duplicates."""

from __future__ import annotations

import shutil

import pytest

from assistant.retrieve import Filters, HybridRetriever, LexicalIndex, dedupe
from ingest.pipeline import ingest_paths
from ingest.settings import Settings

from .conftest import CORPUS


def test_dutch_and_english_questions_find_pupil_transport(assistant):
    for q in (
        "Wat kan de gemeente doen aan leerlingenvervoer?",
        "How do we approach pupil transport?",
    ):
        r = assistant.search(q, k=5)
        assert r.passages, q
        assert "leerlingenvervoer" in r.passages[0].themes, (q, r.passages[0].text[:80])


def test_bm25_sees_no_english_words_of_its_own_and_all_dutch_ones(assistant):
    # English words reach BM25 only through the glossary (tests/test_glossary.py)
    lex = assistant.retriever.lexical()
    assert lex.coverage("How do we approach pupil transport?") == 0.0
    assert lex.coverage("Wat doet de gemeente aan leerlingenvervoer?") == 1.0
    # a name is shared by both languages, so BM25 may contribute through it
    assert 0 < lex.coverage("What did Lelystad do about school buildings?") < 1


def test_hybrid_beats_plain_bm25_on_english(assistant):
    q = "Which tips does the handbook give about housing pupils close to home?"
    hybrid = assistant.search(q, k=5)
    assert any("onderwijshuisvesting" in p.themes for p in hybrid.passages[:3])


@pytest.mark.parametrize(
    "filters, check",
    [
        (Filters(themes=["jeugdhulp en zorg"]), lambda p: "jeugdhulp en zorg" in p.themes),
        (Filters(kinds=["tip"]), lambda p: p.kind == "tip"),
        (Filters(regions=["Lelystad"]), lambda p: "Lelystad" in p.regions),
        (
            Filters(doc_ids=["stappenplan-inclusief-onderwijs-2025-2027"]),
            lambda p: p.doc_id == "stappenplan-inclusief-onderwijs-2025-2027",
        ),
        (
            Filters(themes=["onderwijshuisvesting"], kinds=["praktijkvoorbeeld"]),
            lambda p: "onderwijshuisvesting" in p.themes and p.kind == "praktijkvoorbeeld",
        ),
    ],
)
def test_filters_restrict_every_mode(assistant, filters, check):
    for mode in ("hybrid", "dense", "bm25"):
        r = assistant.search(
            "Hoe werken gemeente en onderwijs samen aan inclusie?", k=10, filters=filters, mode=mode
        )
        assert r.passages, (mode, filters)
        assert all(check(p) for p in r.passages), (mode, [p.id for p in r.passages])


def test_region_filter_puts_the_region_first(assistant):
    r = assistant.search(
        "Wat deed men aan huisvesting?", k=3, filters=Filters(regions=["Lelystad"])
    )
    assert "Porteum" in r.passages[0].text


@pytest.mark.slow
def test_no_near_duplicates_when_a_document_is_ingested_twice(tmp_path):
    docs = tmp_path / "docs"
    docs.mkdir()
    src = CORPUS / "stappenplan-inclusief-onderwijs-2025-2027.txt"
    shutil.copy(src, docs / "stappenplan.txt")
    shutil.copy(src, docs / "stappenplan-kopie.txt")  # same text, other document
    settings = Settings(data_dir=tmp_path / "data")
    assert ingest_paths([docs], settings).ok
    r = HybridRetriever(settings).search(
        "Wanneer moeten alle scholen voldoen aan de norm voor basisondersteuning?", k=6
    )
    texts = [p.text for p in r.passages]
    assert len(texts) == len(set(texts)), "the copy must not show up next to the original"
    assert sum("Uiterlijk in 2027" in t for t in texts) == 1


def test_dedupe_keeps_the_better_ranked_passage(assistant):
    ps = assistant.search("leerlingenvervoer", k=3).passages
    twin = ps[0].model_copy(update={"id": "twin"})
    assert [p.id for p in dedupe([ps[0], twin, ps[1]])] == [ps[0].id, ps[1].id]


def test_lexical_index_handles_an_empty_store():
    lex = LexicalIndex([])
    assert lex.scores("leerlingenvervoer").size == 0
    assert lex.coverage("leerlingenvervoer") == 0.0
