"""The web app's HTML pieces without a browser: citation links, headings, chips, the document
view's text, the Dutch eval summary."""

from __future__ import annotations

from urllib.parse import urlencode

from assistant.records import Answer, CitedSentence
from ingest.passage import Passage
from ingest.settings import BUNDLED_TAXONOMY
from ingest.tags import Taxonomy
from ui.document_view import document_blocks, document_html, page_segments, parse_marks
from ui.eval_view import summary_lines, tables_markdown
from ui.render import answer_key, answer_markdown, filter_chips, marked_html, render_sources

TAXONOMY = Taxonomy.load(BUNDLED_TAXONOMY)


def _passage(text: str, doc: str = "plan", start: int = 0, **kw) -> Passage:
    return Passage.create(
        doc_id=doc, title="Plan", text=text, start=start, end=start + len(text), **kw
    )


def _answer(text: str, citations: list[Passage], sentences=()) -> Answer:
    return Answer(
        question="Wat staat er in het plan?",
        lang="nl",
        refused=False,
        text=text,
        citations=citations,
        sentences=list(sentences),
    )


def test_each_citation_links_to_its_own_card():
    p1, p2 = _passage("Eerste zin."), _passage("Tweede zin.", start=20)
    ans = _answer("- Eerste zin. [1]\n- Tweede zin. [2]\n- Een haakje [7] uit de tekst.", [p1, p2])
    md = answer_markdown(ans)
    key = answer_key(ans)
    assert f'<a class="cite" href="#bron-{key}-1"' in md and f'href="#bron-{key}-2"' in md
    assert "[7]" in md and "#bron-" + key + "-7" not in md  # no source 7: stays text
    html = render_sources(ans, TAXONOMY)
    assert f'id="bron-{key}-1"' in html and f'id="bron-{key}-2"' in html
    assert f'data-answer="{key}"' in html
    other = _answer("- Iets anders. [1]", [p1])
    assert answer_key(other) != key


def test_cards_link_to_the_document_view_with_the_quote():
    p = _passage("# Aanleiding\nDe gemeente <b>betaalt</b>. Daarna niets.", doc="plan a")
    ans = _answer(
        "- De gemeente betaalt. [1]",
        [p],
        [CitedSentence("De gemeente <b>betaalt</b>.", 1, p.id, 13, 40)],
    )
    html = render_sources(ans, TAXONOMY)
    query = urlencode({"passage": p.id, "mark": "13-40"}).replace("&", "&amp;")
    assert f'href="document/plan%20a?{query}#citaat"' in html
    assert '<span class="kop kop-1">Aanleiding</span>' in html and "# Aanleiding" not in html
    assert "<mark>De gemeente &lt;b&gt;betaalt&lt;/b&gt;.</mark>" in html


def test_marks_across_a_heading_and_overlapping_spans():
    text = "# Kop\nZin een. Zin twee."
    out = marked_html(text, [(6, 14), (10, 24), (2, 4)])
    assert out == '<span class="kop kop-1"><mark>Ko</mark>p</span><mark>Zin een. Zin twee.</mark>'
    assert marked_html("a #niet-kop\n#ook niet", []) == "a #niet-kop\n#ook niet"


def test_filter_chips_name_each_filter_and_escape_values():
    html = filter_chips(
        TAXONOMY,
        {"themes": ["leerlingenvervoer"], "regions": ['<Oss "x">'], "docs": ["d1"]},
        {"d1": "Plan <1>"},
    )
    assert "Thema: Leerlingenvervoer" in html
    assert 'data-value="&lt;Oss &quot;x&quot;&gt;"' in html and "Regio: &lt;Oss" in html
    assert "Document: Plan &lt;1&gt;" in html
    assert filter_chips(TAXONOMY, {"themes": [], "kinds": None}) == ""


def test_document_view_shows_a_pdf_page_with_the_quote_marked():
    p1 = _passage("Pagina een tekst. Pagina twee begint hier.", page=1, page_end=2,
                  page_marks=[(18, 2)])  # fmt: skip
    p2 = _passage("Nog meer op twee.", start=50, page=2, page_end=2)
    assert page_segments(p1) == [(0, 18, 1), (18, 42, 2)]
    blocks = document_blocks([p1, p2], p1, [(18, 42)], 2)
    assert [b.text for b in blocks] == ["Pagina twee begint hier.", "Nog meer op twee."]
    assert blocks[0].marks == [(0, 24)] and blocks[0].cited and not blocks[1].cited
    html = document_html("d", "Titel <x>", blocks, page=2, pages=2)
    assert '<mark id="citaat">Pagina twee begint hier.</mark>' in html
    assert "Titel &lt;x&gt;" in html and "pagina 2 van 2" in html
    assert parse_marks(["0-5", "9-3", "a-b", "4-400"], 10) == [(0, 5), (4, 10)]


def test_dutch_summary_counts_questions_and_tables_explain_every_figure():
    rows = [
        {"answerable": True, "relevant": [False, False, True], "refused": False,
         "parts_answered": [True, True], "citation_valid": True},
        {"answerable": True, "relevant": [False] * 10, "refused": False,
         "parts_answered": [True, False], "citation_valid": False},
        {"answerable": False, "relevant": [], "refused": False, "near_miss_handled": True,
         "citation_valid": True},
        {"answerable": False, "relevant": [], "refused": False, "near_miss_handled": False,
         "citation_valid": True},
    ]  # fmt: skip
    lines = summary_lines({"n": 4}, rows, {"p50_ms": 250.0, "p95_ms": 1800.0})
    assert lines == [
        "Bij 1 van de 2 testvragen stond het juiste fragment bij de eerste vijf gevonden passages.",
        "1 van de 2 antwoorden bevatten het gevraagde zelf, letterlijk uit de documenten.",
        "Geen van deze vragen kreeg ten onrechte “staat niet in de documenten”.",
        "Van de 2 vragen waarop de documenten geen antwoord hebben, zei de assistent dat bij 1 "
        "(of noemde hij wat ontbrak).",
        "In 1 antwoord wees een bronverwijzing [n] naar een bron waarin het geciteerde niet staat.",
        "Een antwoord kostte meestal 0,2 seconde; 95 van de 100 waren binnen 1,8 seconden klaar.",
    ]
    config = {
        "retrieval": {"hit@5": 0.5, "hit@1": 0.25, "mrr@10": 0.4},
        "answers": {"answer_recall": 0.75, "citation_validity": 1.0},
        "refusal": {"recall": None, "false_refusal_rate": 0.0},
        "latency": {"p50_ms": 100.0, "p95_ms": 300.0},
    }
    report = {"shipped": "hybrid", "sets": {"gold": {"configs": {"hybrid": config}}}}
    md = tables_markdown(report)
    assert "### Testvragen" in md
    assert "| Juiste fragment bij de eerste vijf | 50% |" in md
    assert "| Terecht geen antwoord | – |" in md
    for label in ("Juiste fragment bij de eerste vijf", "Plaatsscore (MRR)", "Antwoordtijd"):
        assert f"- **{label}" in md
