"""Talking points for a school visit: content quality, citations, exports, CLI and the UI handler.

All briefings are built from the bundled corpus with the real e5 model and Chroma index.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest
from docx import Document

from assistant.briefing import (
    DEFAULT_THEMES,
    SUBSECTIONS,
    BriefingExportError,
    BriefingInputError,
    lexical_support,
    rephrase,
    resolve_themes,
    source_line,
    to_docx,
    to_markdown,
    verify_briefing,
    where,
    write_markdown,
)
from assistant.text import words
from ingest.tags import Taxonomy

from .conftest import REPO, run_cli

NOTES = "Wethoudersbezoek; school wil meer leerlingen uit het sbo opvangen."
DAY = date(2025, 3, 12)


@pytest.fixture(scope="module")
def tx(indexed_settings):
    return Taxonomy.load(indexed_settings.taxonomy_file)


@pytest.fixture(scope="module")
def passages(assistant):
    return assistant.store.all_passages()


@pytest.fixture(scope="module")
def default_briefing(assistant):
    return assistant.briefing("OBS De Regenboog", today=DAY)


@pytest.fixture(scope="module")
def detailed_briefing(assistant):
    return assistant.briefing("OBS De Regenboog", today=DAY, detailed=True)


@pytest.fixture(scope="module")
def regenboog(assistant):
    return assistant.briefing(
        "OBS De Regenboog",
        region="Roosendaal",
        themes=["leerlingenvervoer", "onderwijshuisvesting"],
        notes=NOTES,
        today=DAY,
    )


@pytest.fixture(scope="module")
def all_themes(assistant, tx):
    return assistant.briefing("SBO De Wegwijzer", themes=tx.theme_keys, today=DAY)


@pytest.fixture(scope="module")
def env(indexed_settings):
    return {"INCLUSIE_DATA_DIR": str(indexed_settings.data_dir)}


def _briefings(request):
    return [request.getfixturevalue(n) for n in ("default_briefing", "regenboog", "all_themes")]


# -- content quality ------------------------------------------------------------------------
def test_default_themes_have_cited_points_and_practice_examples(default_briefing, passages):
    assert default_briefing.themes == list(DEFAULT_THEMES)
    for sec in default_briefing.sections:
        assert len(sec.kernpunten) >= 2, sec.theme  # the short form; "uitgebreid" has three
        assert len(sec.kernpunten) <= 3
        has_example = any(p.kind == "praktijkvoorbeeld" and sec.theme in p.themes for p in passages)
        if has_example:
            assert sec.praktijkvoorbeelden, sec.theme
        assert sec.gespreksvragen, sec.theme


def test_every_bullet_is_a_verbatim_slice_of_a_listed_source(request, assistant):
    for b in _briefings(request):
        assert verify_briefing(b) == []
        bullets = list(b.bullets())
        assert bullets
        stored = {p.id: p for p in assistant.store.get_passages([p.id for p in b.sources])}
        for x in bullets:
            assert 1 <= x.n <= len(b.sources), "zero uncited bullets"
            src = b.source(x.n)
            assert src.id == x.passage_id and src.id in stored
            assert stored[src.id].text[x.start : x.end] == x.text
            assert re.fullmatch(
                rf"\[{x.n}\] {re.escape(src.title)} — .+ \({src.kind}\)", source_line(x.n, src)
            ), "the source list: title, page/section"
        # numbering is global: one [n] per passage, in order of first citation
        firsts = list(dict.fromkeys(x.n for x in bullets))
        assert firsts == list(range(1, len(b.sources) + 1))
        assert len({p.id for p in b.sources}) == len(b.sources)


@pytest.mark.slow
def test_no_bullet_repeats_another(request):
    for b in _briefings(request):
        texts = [" ".join(words(x.text)) for x in b.bullets()]
        assert len(texts) == len(set(texts))
        spans: dict[str, list[tuple[int, int]]] = {}
        for x in b.bullets():
            for s, e in spans.get(x.passage_id, []):
                assert x.end <= s or x.start >= e, f"overlap: {x.text[:60]}"
            spans.setdefault(x.passage_id, []).append((x.start, x.end))


def test_each_subsection_draws_on_its_kind_of_passage(all_themes):
    for sec in all_themes.sections:
        for x in sec.kernpunten:
            assert all_themes.source(x.n).kind == "tekst"
        for x in sec.tips:
            assert all_themes.source(x.n).kind == "tip"
            assert not x.text.upper().startswith("TIP")
            assert len(re.findall(r"[.!?](?:\s|$)", x.text)) <= 2
        for x in sec.praktijkvoorbeelden:
            src = all_themes.source(x.n)
            assert src.kind == "praktijkvoorbeeld" and sec.theme in src.themes
            assert x.lead and x.lead.split(" / ")[0] in src.regions
            assert x.lead not in x.text or x.text.count(x.lead) < 2  # the label is a frame
        for x in sec.gespreksvragen:
            assert x.text.rstrip().endswith("?") or x.trail.endswith("?")


def test_tips_hold_advice_and_kernpunten_stay_on_the_theme(request, tx):
    """A finding in a TIP block is no tip, and an off-theme sentence is no kernpunt: the same
    sentence reading as the quoted answers (assistant.question)."""
    from assistant.question import fits

    patterns = {t.key: t.pattern for t in tx.themes}
    for b in _briefings(request):
        for sec in b.sections:
            for x in sec.tips:
                assert fits("howto", x.text), x.text
            for x in sec.kernpunten:
                src = b.source(x.n)
                assert patterns[sec.theme].search(x.text) or patterns[sec.theme].search(
                    src.section
                ), x.text


def test_handbook_questions_become_visit_questions(regenboog, assistant):
    # the short form asks one of the handbook's own questions; "uitgebreid" asks two
    transport = regenboog.sections[0]
    assert [x.trail for x in transport.gespreksvragen] == [""]
    assert transport.gespreksvragen[0].text.endswith("?")
    long = assistant.briefing(
        "OBS De Regenboog",
        region="Roosendaal",
        themes=["leerlingenvervoer", "onderwijshuisvesting"],
        detailed=True,
    )
    real = [x.text for x in long.sections[0].gespreksvragen if not x.trail]
    assert "Naar welke scholen gaan deze leerlingen?" in real and len(real) == 2
    assert (
        transport.tips[0].text == "Maak een analyse van de huidige vervoersstromen van leerlingen."
    )
    # a question frame stays outside the quote: the quote is the passage's own sentence
    for x in transport.gespreksvragen:
        assert "?" not in x.text or x.text.endswith("?")


def test_visited_region_example_comes_first(regenboog):
    assert regenboog.region_key == "Roosendaal-Moerdijk"
    for sec in regenboog.sections:
        first = sec.praktijkvoorbeelden[0]
        assert first.lead == "Roosendaal-Moerdijk"
        assert "Roosendaal-Moerdijk" in regenboog.source(first.n).regions


def test_region_is_found_in_the_school_name(assistant):
    b = assistant.briefing("OBS De Regenboog, Roosendaal", themes=["huisvesting"])
    assert b.region_key == "Roosendaal-Moerdijk"
    assert b.sections[0].praktijkvoorbeelden[0].lead == "Roosendaal-Moerdijk"


def test_every_region_with_an_example_gets_it_listed_first(assistant, passages, tx):
    pairs = {
        (r, t)
        for p in passages
        if p.kind == "praktijkvoorbeeld"
        for r in p.regions
        for t in p.themes
        if t in DEFAULT_THEMES
    }
    assert len(pairs) >= 5
    for region, theme in sorted(pairs):
        b = assistant.briefing("Basisschool Het Anker", region=region, themes=[theme])
        first = b.sections[0].praktijkvoorbeelden[0]
        assert region in b.source(first.n).regions, (region, theme)
        assert "praktijkvoorbeelden" not in b.sections[0].notes


def test_region_without_an_example_is_mentioned(assistant):
    b = assistant.briefing("OBS De Regenboog", region="Roosendaal", themes=["jeugdhulp en zorg"])
    note = b.sections[0].notes["praktijkvoorbeelden"]
    assert "Roosendaal-Moerdijk" in note and "geen praktijkvoorbeeld" in note
    assert b.sections[0].praktijkvoorbeelden  # other regions' examples are still listed
    unknown = assistant.briefing("OBS Het Palet", region="Breda", themes=["leerlingenvervoer"])
    assert unknown.region_key is None
    note = unknown.sections[0].notes["praktijkvoorbeelden"]
    assert "Breda komt in de documenten niet voor" in note


def test_aanleiding_quotes_the_notes_as_the_authors_own_words(regenboog):
    assert NOTES in regenboog.aanleiding
    assert regenboog.aanleiding[0].startswith("Voorbereiding op het bezoek aan OBS De Regenboog")
    assert regenboog.aanleiding[-1] == (
        f"Samengesteld op 12 maart 2025 uit {regenboog.documents} "
        f"{'document' if regenboog.documents == 1 else 'documenten'}; elke bewering verwijst met "
        "[n] naar de bronnenlijst."
    )


# -- bad input --------------------------------------------------------------------------------
def test_unknown_theme_lists_the_valid_ones(assistant, tx):
    with pytest.raises(BriefingInputError) as e:
        assistant.briefing("OBS De Regenboog", themes=["leerlingenvervoer", "zwemles"])
    msg = str(e.value)
    assert "Onbekend thema 'zwemles'" in msg
    for t in tx.themes:
        assert t.key in msg
    assert resolve_themes(tx, ["huisvesting", "Leerlingenvervoer", "huisvesting"]) == [
        "onderwijshuisvesting",
        "leerlingenvervoer",
    ]


@pytest.mark.parametrize("school", ["", "   ", None])
def test_empty_school_name_is_refused(assistant, school):
    with pytest.raises(BriefingInputError, match="Vul de naam van de school in"):
        assistant.briefing(school)


# -- exports ----------------------------------------------------------------------------------
def test_markdown_has_headings_cited_bullets_and_sources(regenboog):
    md = to_markdown(regenboog)
    lines = md.splitlines()
    assert lines[0] == "# Gespreksvoorbereiding schoolbezoek: OBS De Regenboog"
    for heading in (
        "## Aanleiding",
        "## 1. Leerlingenvervoer",
        "## 2. Inclusieve onderwijshuisvesting",
        "## Bronnen",
    ):
        assert heading in lines
    for _, title in SUBSECTIONS:
        assert lines.count(f"### {title}") == 2
    assert f"> {NOTES}" in lines
    body, _, sources = md.partition("\n## Bronnen\n")
    bullet_lines = [ln for ln in body.splitlines() if ln.startswith("- ")]
    assert len(bullet_lines) == len(list(regenboog.bullets()))
    for ln in bullet_lines:
        assert re.search(r" \[\d+\]$", ln), ln
    assert "- **Roosendaal-Moerdijk:** " in body
    for n, p in enumerate(regenboog.sources, 1):
        assert f"- {source_line(n, p)}" in sources and p.location in sources


def test_markdown_escapes_document_and_user_text(assistant):
    b = assistant.briefing(
        "<img src=x onerror=alert(1)> School",
        themes=["overgangen"],
        notes="*vet* <script>alert(2)</script> [klik](javascript:x)",
    )
    preview = to_markdown(b, html_escape=True)
    assert "<img" not in preview and "<script>" not in preview
    assert "&lt;script&gt;" in preview and r"\*vet\*" in preview and r"\](" in preview
    md = to_markdown(b)
    assert "<script>" not in md and r"\<script\>" in md


def test_docx_reads_back_with_headings_bullets_and_sources(regenboog, tmp_path):
    path = to_docx(regenboog, tmp_path / "briefing.docx")
    doc = Document(str(path))
    assert doc.core_properties.title == "Gespreksvoorbereiding schoolbezoek: OBS De Regenboog"
    paras = doc.paragraphs
    h1 = [p.text for p in paras if p.style.name == "Heading 1"]
    h2 = [p.text for p in paras if p.style.name == "Heading 2"]
    assert h1 == [
        "Aanleiding",
        "1. Leerlingenvervoer",
        "2. Inclusieve onderwijshuisvesting",
        "Bronnen",
    ]
    assert h2 == [title for _, title in SUBSECTIONS] * 2
    bullets = [p.text for p in paras if p.style.name == "List Bullet"]
    expected = list(regenboog.bullets())
    assert len(bullets) == len(expected)
    for text, x in zip(bullets, expected):
        assert text.endswith(f"[{x.n}]") and x.text in text
    assert bullets[
        len(regenboog.sections[0].kernpunten) + len(regenboog.sections[0].tips)
    ].startswith("Roosendaal-Moerdijk: ")
    start = [p.text for p in paras].index("Bronnen")
    # grouped by document: its title once, then "[n]<tab>place (kind)" per source in it
    sources = [p.text for p in paras[start + 1 :] if p.text.startswith("[")]
    assert len(sources) == len(regenboog.sources)
    for n, (line, p) in enumerate(zip(sources, regenboog.sources), 1):
        assert line == f"[{n}]\t{where(p)} ({p.kind})"
    titles = [p.text for p in paras[start + 1 :] if not p.text.startswith("[")]
    assert titles == list(dict.fromkeys(p.title for p in regenboog.sources))
    assert any(p.text == NOTES for p in paras)


def test_unwritable_output_path_leaves_no_file(regenboog, tmp_path):
    a_file = tmp_path / "notities.txt"
    a_file.write_text("x")
    for target in (a_file / "briefing.docx", Path("/proc/bestaat-niet/briefing.docx")):
        with pytest.raises(BriefingExportError, match="Kan .* niet schrijven"):
            to_docx(regenboog, target)
        assert not target.exists()
    # the target is a folder: the document is written to a temporary file first, the rename
    # fails, and the temporary file is removed again
    folder = tmp_path / "map.md"
    folder.mkdir()
    with pytest.raises(BriefingExportError, match="dat is een map"):
        write_markdown(regenboog, folder)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["map.md", "notities.txt"]
    assert list(folder.iterdir()) == []


def test_export_replaces_an_earlier_file(regenboog, tmp_path):
    path = tmp_path / "briefing.md"
    path.write_text("oud")
    write_markdown(regenboog, path)
    assert path.read_text(encoding="utf-8") == to_markdown(regenboog)
    assert [p.name for p in tmp_path.iterdir()] == ["briefing.md"]


# -- the hook for generated wording -------------------------------------------------------------
def test_rephrased_bullets_keep_their_citation_and_unsupported_wording_is_rejected(regenboog):
    def rewrite(x, passage):
        if x.kind == "tip":
            return "Volgens de handreiking: " + x.text
        if x.kind == "kernpunt":
            return "De gemeente betaalt alle nieuwbouw en elk vervoer voortaan zelf."
        return ""

    new, rejected = rephrase(regenboog, rewrite, lexical_support)
    assert verify_briefing(new) == []
    old_bullets, new_bullets = list(regenboog.bullets()), list(new.bullets())
    for old, x in zip(old_bullets, new_bullets):
        assert (x.n, x.passage_id, x.start, x.end, x.text) == (
            old.n,
            old.passage_id,
            old.start,
            old.end,
            old.text,
        )
        if x.kind == "tip":
            assert x.wording.startswith("Volgens de handreiking:") and x.support == "checked"
        else:
            assert x.wording == "" and x.support == "verbatim"
    n_kern = sum(len(s.kernpunten) for s in regenboog.sections)
    assert len(rejected) == n_kern
    assert "- Volgens de handreiking: Maak een analyse" in to_markdown(new)
    # wording that skipped the check is reported
    x = new.sections[0].kernpunten[0]
    x.wording = "Iets anders."
    assert any("zonder controle" in p for p in verify_briefing(new))


# -- CLI ----------------------------------------------------------------------------------------
def test_cli_writes_a_docx(env, tmp_path):
    out = tmp_path / "x.docx"
    res = run_cli(
        "talking-points",
        "--school",
        "OBS De Regenboog",
        "--region",
        "Roosendaal",
        "--theme",
        "leerlingenvervoer",
        "--theme",
        "huisvesting",
        "--notes",
        NOTES,
        "--out",
        str(out),
        env=env,
    )
    assert res.returncode == 0, res.stderr
    assert "Briefing geschreven naar" in res.stdout
    doc = Document(str(out))
    h1 = [p.text for p in doc.paragraphs if p.style.name == "Heading 1"]
    assert h1 == [
        "Aanleiding",
        "1. Leerlingenvervoer",
        "2. Inclusieve onderwijshuisvesting",
        "Bronnen",
    ]
    examples = [
        p.text
        for p in doc.paragraphs
        if p.style.name == "List Bullet"
        and re.match(r"^[A-Z][\w' /-]+: ", p.text)
        and "Roosendaal" in p.text
    ]
    assert examples and examples[0].startswith("Roosendaal-Moerdijk: ")


def test_cli_prints_markdown_without_out(env):
    res = run_cli(
        "talking-points", "--school", "OBS De Regenboog", "--theme", "overgangen", env=env
    )
    assert res.returncode == 0, res.stderr
    assert res.stdout.startswith("# Gespreksvoorbereiding schoolbezoek: OBS De Regenboog")
    assert "## 1. Overgangen" in res.stdout and "## Bronnen" in res.stdout


def test_cli_bad_input(env, tmp_path, tx):
    res = run_cli("talking-points", "--school", "OBS De Regenboog", "--theme", "zwemles", env=env)
    assert res.returncode == 2
    assert "Onbekend thema 'zwemles'" in res.stderr
    assert all(t.key in res.stderr for t in tx.themes)

    res = run_cli("talking-points", "--school", "  ", env=env)
    assert res.returncode == 2 and "Vul de naam van de school in" in res.stderr

    res = run_cli("talking-points", "--school", "X", "--out", str(tmp_path / "x.pdf"), env=env)
    assert res.returncode == 2 and ".md of .docx" in res.stderr

    a_file = tmp_path / "bestand"
    a_file.write_text("x")
    out = a_file / "x.docx"
    res = run_cli("talking-points", "--school", "X", "--out", str(out), env=env)
    assert res.returncode != 0 and "niet schrijven" in res.stderr
    assert not out.exists() and sorted(p.name for p in tmp_path.iterdir()) == ["bestand"]


def test_cli_help_lists_talking_points():
    res = run_cli("--help")
    assert "talking-points" in res.stdout
    res = run_cli("talking-points", "--help")
    assert res.returncode == 0 and "--school" in res.stdout and "--theme" in res.stdout


# -- UI handler ---------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def ui_ctx(indexed_settings, assistant, tmp_path_factory):
    from ui.handlers import AppContext

    # Downloads and feedback go to a private data dir; the index is the shared one.
    settings = indexed_settings.model_copy(update={"data_dir": tmp_path_factory.mktemp("ui")})
    return AppContext.create(settings, assistant, check_examples=False)


def test_ui_handler_returns_a_preview_and_two_files(ui_ctx):
    from ui.handlers import briefings_dir, make_briefing

    preview, md, docx = make_briefing(
        ui_ctx,
        "OBS De Regenboog <b>",
        "Roosendaal",
        ["leerlingenvervoer", "onderwijshuisvesting"],
        NOTES,
    )
    assert preview.startswith("# Gespreksvoorbereiding schoolbezoek: OBS De Regenboog &lt;b&gt;")
    assert "<b>" not in preview and "**Roosendaal-Moerdijk:**" in preview
    assert Path(md).is_file() and Path(docx).is_file()
    assert Path(md).parent == Path(docx).parent
    assert Path(md).parent.parent == briefings_dir(ui_ctx.settings)
    assert Path(md).read_text(encoding="utf-8").startswith("# Gespreksvoorbereiding")
    assert [p.text for p in Document(docx).paragraphs if p.style.name == "Heading 1"][
        1
    ] == "1. Leerlingenvervoer"
    # a second request gets its own folder
    _, md2, _ = make_briefing(ui_ctx, "OBS De Regenboog", "", ["overgangen"], "")
    assert Path(md2).parent != Path(md).parent


def test_ui_handler_bad_input(ui_ctx):
    from ui.handlers import make_briefing

    msg, md, docx = make_briefing(ui_ctx, "", None, ["leerlingenvervoer"], "")
    assert "Vul de naam van de school in" in msg and md is None and docx is None
    msg, md, docx = make_briefing(ui_ctx, "OBS De Regenboog", None, [], "")
    assert "Kies minstens één thema" in msg and md is None


# -- length and page ---------------------------------------------------------------------------
def _docx_words(path: Path) -> int:
    doc = Document(str(path))
    return sum(len(p.text.split()) for p in doc.paragraphs)


def test_docx_is_a4_and_short_by_default(default_briefing, detailed_briefing, tmp_path):
    from docx.shared import Mm

    short = to_docx(default_briefing, tmp_path / "kort.docx")
    long = to_docx(detailed_briefing, tmp_path / "uitgebreid.docx")
    for path in (short, long):
        section = Document(str(path)).sections[0]
        # A4 in EMU (Word stores twips, so within a tenth of a millimetre), not US Letter
        assert abs(section.page_width - Mm(210)) < Mm(0.1)
        assert abs(section.page_height - Mm(297)) < Mm(0.1)
        assert Mm(15) <= section.left_margin <= Mm(25) and Mm(15) <= section.top_margin
    # the four default themes in about two pages; "uitgebreid" is the long form
    assert _docx_words(short) <= 750
    assert _docx_words(long) > _docx_words(short) + 200
    assert sum(1 for _ in detailed_briefing.bullets()) > sum(1 for _ in default_briefing.bullets())
    assert not verify_briefing(detailed_briefing)


def test_uit_uw_regio_shows_the_regions_examples_under_other_themes(assistant, passages, tmp_path):
    own = [
        p for p in passages if p.kind == "praktijkvoorbeeld" and "Goeree-Overflakkee" in p.regions
    ]
    # the region's example is about none of the four default themes
    assert own and not any(t in DEFAULT_THEMES for p in own for t in p.themes)
    b = assistant.briefing("OBS De Regenboog", region="Goeree-Overflakkee", today=DAY)
    assert b.eigen_regio and not verify_briefing(b)
    assert all("Goeree-Overflakkee" in b.source(x.n).regions for x in b.eigen_regio)
    md = to_markdown(b)
    assert "## Uit uw regio: Goeree-Overflakkee" in md
    assert md.index("Uit uw regio") < md.index("## 1. Leerlingenvervoer")
    doc = Document(str(to_docx(b, tmp_path / "regio.docx")))
    h1 = [p.text for p in doc.paragraphs if p.style.name == "Heading 1"]
    assert h1[1] == "Uit uw regio: Goeree-Overflakkee"
    bullets = [p.text for p in doc.paragraphs if p.style.name == "List Bullet"]
    assert "werken gemeente en samenwerkingsverband" in bullets[0]
    from ui.api import briefing_json

    # the API's JSON carries the section too, its bullets numbered first
    assert [x["n"] for x in briefing_json(b)["eigen_regio"]] == [1]
    # a region whose examples the theme sections already show gets no extra section
    regio = assistant.briefing("OBS De Regenboog", region="Roosendaal", today=DAY)
    assert not regio.eigen_regio and "Uit uw regio" not in to_markdown(regio)


def test_cli_uitgebreid_writes_the_long_form(env, tmp_path):
    env = {**env, "PYTHONPATH": str(REPO)}  # this checkout's code, wherever it is installed from
    short, long = tmp_path / "kort.docx", tmp_path / "lang.docx"
    args = ["talking-points", "--school", "OBS De Regenboog"]
    assert run_cli(*args, "--out", str(short), env=env).returncode == 0
    res = run_cli(*args, "--uitgebreid", "--out", str(long), env=env)
    assert res.returncode == 0, res.stderr
    assert _docx_words(long) > _docx_words(short) + 200
