"""Cleaning repairs extraction damage and never drops real content."""

from __future__ import annotations

import re

import pytest

from ingest.clean import clean_pages, clean_text

from .conftest import CORPUS

HANDREIKING = CORPUS / "handreiking-samen-werken-aan-inclusiever-onderwijs.txt"

KNOWN_SENTENCES = [
    # each was hard-wrapped, broken by a blank line or hyphenated in the raw text
    "TIP: Maak een analyse van de huidige vervoersstromen van leerlingen.",
    "TIP: Ga flexibel om met de modelverordening leerlingenvervoer van de VNG.",
    "TIP: Heb aandacht voor publieksvoorlichting die bijdraagt aan een gedeelde visie en die "
    "het belang van een inclusieve samenleving/gemeente en het werken aan inclusiever onderwijs "
    "zichtbaar maakt en stimuleert.",
    "TIP: Ook het samen maken van een business case kan helpen een gedeelde visie te ontwikkelen.",
    "Structurele samenwerking met gemeenten is cruciaal is voor het creéren van de noodzakelijke "
    "randvoorwaarden.",
    "Deze verplichting komt voort uit de ratificatie van het VN-verdrag Handicap.",
    "TIP: Nieuwbouw biedt kansen voor inclusieve onderwijshuisvesting (co-locatie of integratie "
    "van regulier en speciaal onderwijs) en multifunctioneel gebruik van gebouwen (opvang, "
    "zorg/jeugdhulp, jeugd- en buurtvoorzieningen e.d.).",
    "Jeugdhulp/zorg in de ondersteuningsstructuur van het onderwijs",
    "Ook is het van belang om samenwerkingsverbanden en waar nodig scholen te betrekken bij "
    "aanbestedingsprocedures voor jeugdhulp en geintegreerde programma’s (OZA’s), zeker wanneer "
    "de gemeente contracten wil afsluiten met andere/nieuwe zorgaanbieders.",
    "Inspiratie voor inclusieve onderwijshuisvesting is volop te halen bij scholen in binnen- "
    "en buitenland.",
]


@pytest.fixture(scope="module")
def raw() -> str:
    return HANDREIKING.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def cleaned(raw):
    return clean_text(raw)


def test_icon_residue_and_lone_symbols_are_removed(cleaned):
    text = cleaned.text
    for residue in ("H@2)", "S@", "2@y", "\n=\n"):
        assert residue not in text
    assert not re.search(r"^(WY|N) ", text, re.M), "WY / N residue left at a line start"
    assert not re.search(r"\bWY\b", text)
    assert "SWYV" not in text and "|eerlingenvervoer" not in text
    assert sorted(set(cleaned.removed)) == sorted({"H@2)", "S@", "2@y", "WY", "N", "="})


@pytest.mark.parametrize("sentence", KNOWN_SENTENCES)
def test_known_sentences_survive_intact(cleaned, sentence):
    assert sentence in cleaned.text


def test_word_count_changes_only_by_removed_artifacts(raw, cleaned):
    # Every token of the raw text is kept, except the artifacts the cleaner reports; words split
    # over two lines count once after re-joining, and OCR repairs keep the count.
    before = len(raw.split())
    after = len(cleaned.text.split())
    removed = sum(len(a.split()) for a in cleaned.removed)
    assert after == before - removed - cleaned.word_joins
    assert cleaned.word_joins >= 5


def test_every_raw_word_is_still_there(raw, cleaned):
    """Multiset check on letters: nothing but artifacts and join hyphens disappears."""

    def letters(t: str) -> str:
        return re.sub(r"[^a-zà-ÿ0-9]", "", t.lower())

    removed = "".join(letters(a) for a in cleaned.removed)
    a, b = letters(raw), letters(cleaned.text)
    # the OCR repairs swap 'swyv' -> 'swv' and '|' -> 'l'
    assert len(b) == len(a) - len(removed) - raw.count("SWYV") + raw.count("|eer")


def test_paragraphs_are_reflowed(cleaned):
    paragraphs = cleaned.text.split("\n\n")
    tip = next(p for p in paragraphs if p.startswith("TIP: Maak een analyse"))
    assert "\n" not in tip
    assert tip.endswith("ook voor deze leerlingen?")
    # a sentence broken by a blank line in the raw text is one paragraph now
    assert any(
        p.startswith("Nederland wil een inclusieve samenleving zijn.")
        and "samen haar school kunnen gaan." in p
        for p in paragraphs
    )


def test_hyphenation_rules():
    c = clean_text(
        "De ondersteunings-\nstructuur, jeugd-\nen buurtvoorzieningen en het VN-\nverdrag.\n"
    )
    assert c.text == "De ondersteuningsstructuur, jeugd- en buurtvoorzieningen en het VN-verdrag."
    assert c.word_joins == 2


def test_lists_stay_lists():
    c = clean_text(
        "Thema's:\n\n• huisvesting\n• vervoer\n\n- Uiterlijk in 2027 klaar.\n- Daarna meer."
    )
    assert "• huisvesting\n• vervoer" in c.text
    assert "- Uiterlijk in 2027 klaar.\n- Daarna meer." in c.text


def test_page_marks_follow_the_text():
    c = clean_pages(
        [
            (1, "Eerste pagina met een zin die doorloopt op de"),
            (2, "volgende pagina.\n\nNieuwe alinea op pagina twee."),
        ]
    )
    assert c.text.startswith("Eerste pagina met een zin die doorloopt op de volgende pagina.")
    assert c.page_at(0) == 1
    assert c.page_at(c.text.index("volgende")) == 2
    assert c.page_at(c.text.index("Nieuwe alinea")) == 2
