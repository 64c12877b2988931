"""Structure-aware chunking and tags on the bundled handbook."""

from __future__ import annotations

import re

import pytest

from ingest.chunk import MAX_WORDS, chunk_document
from ingest.clean import clean_text
from ingest.embeddings import E5Embeddings
from ingest.sentences import embed_text, sentence_spans, word_count
from ingest.settings import BUNDLED_TAXONOMY
from ingest.tags import Taxonomy

from .conftest import CORPUS

HANDREIKING = CORPUS / "handreiking-samen-werken-aan-inclusiever-onderwijs.txt"


@pytest.fixture(scope="module")
def e5():
    return E5Embeddings()


@pytest.fixture(scope="module")
def handbook(e5):
    clean = clean_text(HANDREIKING.read_text(encoding="utf-8"))
    passages = chunk_document(
        clean,
        doc_id="hr",
        title="Samen werken aan inclusiever onderwijs",
        taxonomy=Taxonomy.load(BUNDLED_TAXONOMY),
        count_tokens=e5.count_tokens,
        max_tokens=e5.max_tokens,
    )
    return clean, passages


def test_offsets_point_at_the_passage_text(handbook):
    clean, passages = handbook
    for p in passages:
        assert clean.text[p.start : p.end] == p.text
    starts = [p.start for p in passages]
    assert starts == sorted(starts), "passages follow the document order"


def test_every_tip_is_one_whole_passage(handbook):
    clean, passages = handbook
    tips_in_text = [m.start() for m in re.finditer(r"(?m)^TIP:", clean.text)]
    tips = [p for p in passages if p.kind == "tip"]
    assert len(tips) == len(tips_in_text) >= 10
    for p in tips:
        assert "TIP:" in p.text[:120]
        assert p.text.count("TIP:") == 1, "one tip per passage"
    analyse = next(p for p in tips if "vervoersstromen" in p.text)
    assert analyse.text.rstrip().endswith("ook voor deze leerlingen?")


def test_practice_examples_are_whole_and_tagged_with_their_region(handbook):
    _, passages = handbook
    examples = [p for p in passages if p.kind == "praktijkvoorbeeld"]
    regions = {r for p in examples for r in p.regions}
    assert {
        "Goeree-Overflakkee",
        "Lelystad",
        "Roosendaal-Moerdijk",
        "Utrecht",
        "'s-Hertogenbosch",
        "Stromenland",
        "Driegang",
        "Koers VO",
        "Oss-Uden-Meierijstad",
    } <= regions
    goeree = next(p for p in examples if "Goeree-Overflakkee" in p.regions)
    assert goeree.text.startswith("“In Goeree-Overflakkee werken gemeente en")
    assert goeree.text.endswith("voorop staan.”")
    # The opening quote of the handbook names no region: it is not a practice example.
    opening = next(p for p in passages if p.text.startswith("“In het OOGO liggen"))
    assert opening.kind == "tekst"


def test_sizes_and_token_budget(handbook, e5):
    _, passages = handbook
    text_passages = [p for p in passages if p.kind == "tekst"]
    sizes = [word_count(p.text) for p in text_passages]
    assert max(sizes) <= MAX_WORDS
    assert sum(120 <= s <= MAX_WORDS for s in sizes) / len(sizes) >= 0.4
    for p in passages:  # e5 reads at most 512 tokens: nothing may be cut off silently
        assert e5.count_tokens(embed_text(p)) <= e5.max_tokens


def test_sections_follow_headings(handbook):
    _, passages = handbook
    transport = [
        p
        for p in passages
        if "vervoersstromen" in p.text or p.text.startswith("Leerlingenvervoer\n")
    ]
    assert transport and all(p.section == "Leerlingenvervoer" for p in transport)
    housing = next(p for p in passages if "Integraal Huisvestingsplan" in p.text)
    assert housing.section == "Inclusieve onderwijshuisvesting"


def test_themes_are_tagged(handbook):
    _, passages = handbook
    tx = Taxonomy.load(BUNDLED_TAXONOMY)
    assert set(tx.theme_keys) >= {
        "leerlingenvervoer",
        "onderwijshuisvesting",
        "jeugdhulp en zorg",
        "overgangen",
        "samenwerking en visie",
        "regulier en speciaal onderwijs",
        "basisondersteuning",
    }
    for key in tx.theme_keys:
        assert any(key in p.themes for p in passages), f"no passage tagged {key}"
    lelystad = next(p for p in passages if "Porteum" in p.text)
    assert "onderwijshuisvesting" in lelystad.themes
    utrecht = next(p for p in passages if "Utrecht" in p.regions and p.kind == "praktijkvoorbeeld")
    assert "jeugdhulp en zorg" in utrecht.themes


def test_passage_ids_are_stable_and_unique(handbook, e5):
    clean, passages = handbook
    again = chunk_document(
        clean,
        doc_id="hr",
        title="Samen werken aan inclusiever onderwijs",
        taxonomy=Taxonomy.load(BUNDLED_TAXONOMY),
        count_tokens=e5.count_tokens,
        max_tokens=e5.max_tokens,
    )
    assert [p.id for p in again] == [p.id for p in passages]
    assert len({p.id for p in passages}) == len(passages)


def test_sentences_are_quotable_on_their_own():
    text = (
        "“In Utrecht voelen onderwijs en gemeente zich samen verantwoordelijk. Dit is vastgelegd.”"
    )
    spans = [text[a:b] for a, b in sentence_spans(text)]
    assert spans == [
        "In Utrecht voelen onderwijs en gemeente zich samen verantwoordelijk.",
        "Dit is vastgelegd.",
    ]
