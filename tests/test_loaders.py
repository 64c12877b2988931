"""Every supported format comes in with its structure: pages, headings, tips, lists and tables.

One folder of generated documents (PDF, DOCX, Markdown, text, a nested file, hidden files and
catalog.yaml files) is ingested once into a fresh index; the tests read that index back.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ingest.clean import clean_pages
from ingest.loaders import load_file
from ingest.pipeline import ingest_paths
from ingest.settings import Settings
from ingest.store import open_store

from .conftest import run_cli
from .docgen import filler, write_docx, write_pdf

TIP = (
    "TIP: Maak samen met de gemeente een analyse van de vervoersstromen van leerlingen in de regio."
)
CROSS_START = "Het samenwerkingsverband en de gemeente bespreken de reistijd van leerlingen."
CROSS_END_P2 = "Daarom zoeken zij samen naar"  # the sentence breaks off at the bottom of page 2 ...
CROSS_END_P3 = "oplossingen die passen bij de thuissituatie van elk kind."  # ... and ends on page 3
PAGE3_START = "Nieuwbouw biedt kansen voor een schoolgebouw waar iedereen welkom is."

PDF_PAGES = [
    [("h", "Samen naar school"), ("p", filler(90, 1))],
    [
        ("h", "Leerlingenvervoer"),
        ("p", TIP),
        ("p", f"{CROSS_START} {filler(70, 2)} {CROSS_END_P2}"),
    ],
    [("p", CROSS_END_P3), ("h", "Huisvesting"), ("p", f"{PAGE3_START} {filler(90, 3)}")],
]

LIST_ITEMS = [
    "Vervoer per taxibusje naar de Kolibrieschool",
    "Begeleiding tijdens de rit",
    "Een vaste chauffeur per route",
]
TABLE = [
    ["Partij", "Taak"],
    ["Gemeente", "regelt het zwembadvervoer van de Kolibrieschool"],
    ["Samenwerkingsverband", "betaalt de ambulante begeleiding"],
]
DOCX_BLOCKS = [
    ("h1", "Samen naar school"),
    ("p", filler(80, 11)),
    ("h2", "Leerlingenvervoer"),
    ("p", filler(70, 12)),
    ("list", LIST_ITEMS),
    ("h2", "Afspraken in de regio"),
    ("p", filler(70, 13)),
    ("table", TABLE),
]

MD = (
    f"# Passend onderwijs in de wijk\n\n{filler(80, 21)}\n\n## Overstap naar het vo\n\n"
    f"De overstap naar het voortgezet onderwijs vraagt een warme overdracht. {filler(80, 22)}\n"
)
TXT = (
    f"Thuiszitters\n\n{filler(80, 31)}\n\nTerug naar school\n\n"
    f"Elke thuiszitter krijgt binnen zes weken een plan. {filler(80, 32)}\n"
)

PDF_TITLE = "Handreiking vervoer en huisvesting"
NESTED_TITLE = "Nieuws uit de regio Noord"


@pytest.fixture(scope="module")
def docs(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("docs")
    write_pdf(root / "handreiking-vervoer.pdf", PDF_PAGES)
    write_docx(root / "samen-naar-school.docx", DOCX_BLOCKS)
    (root / "wijk.md").write_text(MD, encoding="utf-8")
    (root / "thuiszitters.txt").write_text(TXT, encoding="utf-8")
    (root / "catalog.yaml").write_text(
        f"handreiking-vervoer.pdf:\n  title: {PDF_TITLE}\n  kind: handreiking\n", encoding="utf-8"
    )
    nested = root / "regio" / "noord"
    nested.mkdir(parents=True)
    (nested / "genest.txt").write_text(
        f"Regionieuws\n\nIn de regio Noord start een leernetwerk. {filler(60, 41)}\n",
        encoding="utf-8",
    )
    (nested / "catalog.yaml").write_text(
        f"genest.txt:\n  title: {NESTED_TITLE}\n  kind: nieuws\n", encoding="utf-8"
    )
    (root / ".concept").mkdir()
    (root / ".concept" / "geheim.txt").write_text(
        "Concepttekst die niet in de index hoort.\n", encoding="utf-8"
    )
    (root / ".verborgen.txt").write_text(
        "Verborgen tekst die niet in de index hoort.\n", encoding="utf-8"
    )
    return root


@pytest.fixture(scope="module")
def ingested(docs, tmp_path_factory):
    settings = Settings(data_dir=tmp_path_factory.mktemp("data"))
    report = ingest_paths([docs], settings)
    assert report.ok, [r.message for r in report.results if r.status == "failed"]
    passages = open_store(settings).all_passages()
    return settings, report, passages


def _of(passages, doc_id):
    out = [p for p in passages if p.doc_id == doc_id]
    assert out, f"no passages for {doc_id}"
    return out


def _containing(passages, snippet):
    hits = [p for p in passages if snippet in p.text]
    assert len(hits) == 1, f"{snippet!r} found in {len(hits)} passages"
    return hits[0]


# -- PDF ------------------------------------------------------------------------------------
def test_pdf_passages_cite_the_page_they_start_on(ingested):
    _, _, passages = ingested
    pdf = _of(passages, "handreiking-vervoer")
    assert _containing(pdf, "Samen naar school").page == 1
    tip = _containing(pdf, TIP)
    assert (tip.page, tip.page_end) == (2, 2)
    assert tip.location.startswith("p. 2")
    page3 = _containing(pdf, PAGE3_START)
    assert (page3.page, page3.page_end) == (3, 3)
    assert CROSS_START not in page3.text and TIP not in page3.text


def test_pdf_paragraph_across_a_page_break_is_one_passage_citing_both_pages(ingested):
    _, _, passages = ingested
    cross = _containing(_of(passages, "handreiking-vervoer"), CROSS_START)
    assert f"{CROSS_END_P2} {CROSS_END_P3}" in cross.text  # rejoined, no page break inside
    assert (cross.page, cross.page_end) == (2, 3)
    assert cross.location.startswith("p. 2-3")


def test_pdf_headings_and_tips_survive_extraction(ingested):
    _, _, passages = ingested
    pdf = _of(passages, "handreiking-vervoer")
    tip = _containing(pdf, TIP)
    assert tip.kind == "tip"
    assert tip.section == "Leerlingenvervoer"
    assert _containing(pdf, PAGE3_START).section == "Huisvesting"
    assert _containing(pdf, CROSS_START).section == "Leerlingenvervoer"
    assert all(p.title == PDF_TITLE and p.doc_kind == "handreiking" for p in pdf)


def test_pdf_passages_are_exact_slices_of_the_cleaned_text(ingested, docs):
    _, _, passages = ingested
    doc = load_file(docs / "handreiking-vervoer.pdf")
    clean = clean_pages([(pg.number, pg.text) for pg in doc.pages])
    pdf = _of(passages, "handreiking-vervoer")
    for p in pdf:
        assert clean.text[p.start : p.end] == p.text
        assert (clean.page_at(p.start), clean.page_at(p.end - 1)) == (p.page, p.page_end)
    # no text of the document is lost between passages
    for blocks in PDF_PAGES:
        for _, text in blocks:
            assert any(" ".join(text.split()[:8]) in p.text for p in pdf), text[:40]


# -- DOCX -----------------------------------------------------------------------------------
def test_docx_sections_follow_the_headings(ingested):
    _, _, passages = ingested
    docx_passages = _of(passages, "samen-naar-school")
    assert _containing(docx_passages, filler(80, 11)[:60]).section == "Samen naar school"
    lst = _containing(docx_passages, LIST_ITEMS[0])
    assert lst.section == "Leerlingenvervoer"
    assert "\n\n".join(f"- {item}" for item in LIST_ITEMS) in lst.text  # items in order, as items
    table = _containing(docx_passages, "zwembadvervoer")
    assert table.section == "Afspraken in de regio"
    assert all(p.page is None for p in docx_passages)


def test_docx_table_rows_stay_together_and_are_searchable(ingested):
    from assistant.retrieve import HybridRetriever

    settings, _, passages = ingested
    table = _containing(_of(passages, "samen-naar-school"), "zwembadvervoer")
    for row in TABLE:
        assert " | ".join(row) in table.text
    retriever = HybridRetriever(settings)
    for question, snippet in [
        ("Wie regelt het zwembadvervoer van de Kolibrieschool?", "zwembadvervoer"),
        ("Wie betaalt de ambulante begeleiding?", "ambulante begeleiding"),
    ]:
        top = retriever.search(question, k=3).passages
        assert top and snippet in top[0].text, (question, [p.text[:60] for p in top])


# -- Markdown and text ----------------------------------------------------------------------
def test_markdown_headings_give_sections_and_title(ingested):
    _, _, passages = ingested
    md = _of(passages, "wijk")
    assert {p.section for p in md} == {"Passend onderwijs in de wijk", "Overstap naar het vo"}
    assert _containing(md, "warme overdracht").section == "Overstap naar het vo"
    assert all(p.title == "Passend onderwijs in de wijk" and p.page is None for p in md)


def test_text_file_heading_lines_give_sections(ingested):
    _, _, passages = ingested
    txt = _of(passages, "thuiszitters")
    assert _containing(txt, "binnen zes weken").section == "Terug naar school"
    assert _containing(txt, filler(80, 31)[:60]).section == "Thuiszitters"


# -- folders --------------------------------------------------------------------------------
def test_folder_ingest_is_recursive_and_skips_hidden_files(ingested):
    _, report, passages = ingested
    assert {p.doc_id for p in passages} == {
        "handreiking-vervoer",
        "samen-naar-school",
        "wijk",
        "thuiszitters",
        "genest",
    }
    assert _containing(passages, "In de regio Noord start een leernetwerk").doc_id == "genest"
    assert not any("hoort" in p.text for p in passages)
    seen = {r.path.name for r in report.results}
    assert "geheim.txt" not in seen and ".verborgen.txt" not in seen
    assert "catalog.yaml" not in seen  # metadata, not a document


@pytest.mark.slow
def test_status_shows_catalog_title_and_kind(ingested):
    settings, _, _ = ingested
    r = run_cli("status", "--json", env={"INCLUSIE_DATA_DIR": str(settings.data_dir)})
    assert r.returncode == 0, r.stderr
    docs = {d["doc_id"]: d for d in json.loads(r.stdout)["docs"]}
    assert (docs["handreiking-vervoer"]["title"], docs["handreiking-vervoer"]["kind"]) == (
        PDF_TITLE,
        "handreiking",
    )
    # the catalog next to a nested file applies to it
    assert (docs["genest"]["title"], docs["genest"]["kind"]) == (NESTED_TITLE, "nieuws")
    # without a catalog entry: title from the first heading, kind "overig"
    assert (docs["wijk"]["title"], docs["wijk"]["kind"]) == (
        "Passend onderwijs in de wijk",
        "overig",
    )
    assert all(d["complete"] for d in docs.values())


def test_damaged_files_are_refused_in_dutch_with_the_library_reason_in_the_log(tmp_path, caplog):
    import logging

    from ingest.errors import IngestError

    pdf = tmp_path / "kapot.pdf"
    pdf.write_bytes(b"%PDF-1.4\n" + bytes(range(256)) * 8)
    docx = tmp_path / "kapot.docx"
    docx.write_bytes(b"PK\x03\x04 geen echt Word-bestand")
    expected = {
        pdf: "kapot.pdf: PDF kan niet worden gelezen: het bestand is beschadigd of geen echte PDF",
        docx: "kapot.docx: DOCX kan niet worden gelezen: het bestand is beschadigd of geen "
        "Word-document",
    }
    for path, message in expected.items():
        with caplog.at_level(logging.INFO, logger="ingest.loaders"):
            with pytest.raises(IngestError) as err:
                load_file(path)
        assert str(err.value) == message
        # the library's own (English) reason is kept for whoever reads the log
        logged = [r.getMessage() for r in caplog.records if r.name == "ingest.loaders"]
        assert any(path.name in m and len(m) > len(path.name) + 10 for m in logged), logged
        caplog.clear()
