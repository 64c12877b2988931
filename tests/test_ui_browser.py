"""End-to-end: the real web app (`inclusie serve`) driven by a real browser (Debian chromium).

One server per module, over an index built by `inclusie ingest` from a copy of the bundled corpus
plus one document that carries markup (the XSS check). Every test gets a fresh browser page (so a
fresh chat session) and leaves a screenshot in test-artifacts/<test name>.png, also when it fails.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

from .apiserve import start_serve
from .conftest import ARTIFACTS, REPO, copy_corpus, run_cli, stop_process

pytestmark = pytest.mark.slow

playwright_api = pytest.importorskip("playwright.sync_api")

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
ANSWER_TIMEOUT = 60_000  # ms for one chat answer (the server may share 2 cores with other work)
UI_TIMEOUT = 20_000  # ms for ordinary UI reactions

REFUSAL = "De documenten geven geen antwoord"
TRANSPORT_Q = "Wat kan de gemeente doen aan leerlingenvervoer?"
MAIN_TITLE = "Samen werken aan inclusiever onderwijs"
JEUGDHULP_LABEL = "Jeugdhulp en zorg in de ondersteuningsstructuur"

XSS_DOC = """Het Kraanvogelproject in Testdorp

Het Kraanvogelproject in Testdorp brengt leerlingen van de basisschool en het speciaal onderwijs \
samen in één gebouw. De projectleider schreef in haar verslag letterlijk \
<script>window.__xss=1</script> en ook <img src=x onerror="window.__xss=2"> in de tekst over het \
Kraanvogelproject, om te testen of de website veilig blijft.

Het Kraanvogelproject in Testdorp laat zien dat samenwerking tussen gemeente en school werkt \
wanneer ouders vanaf het begin meedoen.
"""

UPLOAD_DOC = """Project Zwaluwnest in Voorbeeldstad

Het project Zwaluwnest in gemeente Voorbeeldstad zorgt dat leerlingen met een lichamelijke \
beperking gewoon naar de basisschool in hun eigen wijk kunnen. De gemeente betaalt de aanpassing \
van het schoolgebouw en het samenwerkingsverband zorgt voor een vaste onderwijsassistent.

Volgens de projectleider van Zwaluwnest werkt het omdat ouders, school en gemeente elke maand \
samen aan tafel zitten.
"""


# -- server -------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """`inclusie serve` on 127.0.0.1 over a fresh index; yields (url, env, data dir)."""
    root = tmp_path_factory.mktemp("ui-browser")
    corpus = copy_corpus(root / "corpus")
    (corpus / "xss-test.txt").write_text(XSS_DOC, encoding="utf-8")
    data = root / "data"
    env = {
        "INCLUSIE_DATA_DIR": str(data),
        "GRADIO_ANALYTICS_ENABLED": "False",
        "PYTHONPATH": str(REPO),  # this checkout's code, also where another one is installed
    }

    r = run_cli("ingest", str(corpus), env=env, timeout=400)
    assert r.returncode == 0, r.stderr[-2000:]

    served = start_serve(env, root / "serve.log")
    try:
        yield served.url + "/", env, data
    finally:
        stop_process(served.proc)


# -- browser ------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian chromium is not installed")
    with playwright_api.sync_playwright() as pw:
        b = pw.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS, timeout=60_000
        )
        try:
            yield b
        finally:
            b.close()


@pytest.fixture
def page(server, browser, request):
    """A fresh page (fresh chat session) on the app; screenshot on the way out, pass or fail."""
    url = server[0]
    context = browser.new_context(viewport={"width": 1400, "height": 1100}, locale="nl-NL")
    context.set_default_timeout(UI_TIMEOUT)
    pg = context.new_page()
    try:
        pg.goto(url, wait_until="domcontentloaded", timeout=60_000)
        pg.wait_for_selector("#vraag textarea", timeout=60_000)
        yield pg
    finally:
        ARTIFACTS.mkdir(exist_ok=True)
        name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name)
        try:
            pg.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True, timeout=15_000)
        except Exception as e:  # a screenshot must never hide the test's own result
            print(f"screenshot failed: {e}")
        context.close()


# -- helpers ------------------------------------------------------------------------------------
_ANSWER_DONE = """([n, refusal]) => {
    const users = document.querySelectorAll('#gesprek [data-testid=user]');
    const bots = document.querySelectorAll('#gesprek [data-testid=bot]');
    if (users.length < n || bots.length < n) return false;
    const t = bots[bots.length - 1].innerText;
    if (!(t.includes('[') || t.includes(refusal))) return false;
    // the sources panel is reset with the new question and filled with the final answer
    return document.querySelector('#bronnen h3') !== null;
}"""


def ask(page, question: str) -> str:
    """Type a question, send it, wait for the final answer; returns the answer's text."""
    n = page.locator("#gesprek [data-testid=user]").count() + 1
    page.fill("#vraag textarea", question)
    page.click("#versturen")
    page.wait_for_function(_ANSWER_DONE, arg=[n, REFUSAL], timeout=ANSWER_TIMEOUT)
    return page.locator("#gesprek [data-testid=bot]").last.inner_text()


def source_cards(page):
    return page.locator("#bronnen div.bron")


def open_tab(page, name: str) -> None:
    page.get_by_role("tab", name=name).click()


# -- tests --------------------------------------------------------------------------------------
def test_answer_cites_sources_with_highlights(page):
    answer = ask(page, TRANSPORT_Q)
    assert "[1]" in answer
    first = page.locator('#bronnen div.bron[data-n="1"]')
    assert first.count() == 1
    assert MAIN_TITLE in first.locator(".bron-kop").inner_text()
    # the quoted sentence is highlighted in its passage, and it is a sentence of the answer
    marks = first.locator(".bron-tekst mark")
    assert marks.count() >= 1
    quoted = marks.first.inner_text().strip()
    assert len(quoted) > 20 and quoted[:40] in answer
    # kind and theme labels are shown and visible
    kind = first.locator(".labels .label").first
    assert kind.is_visible() and kind.inner_text() in ("tekst", "tip", "praktijkvoorbeeld")
    themes = first.locator(".labels .label.thema")
    assert themes.count() >= 1 and themes.first.is_visible()
    assert "Leerlingenvervoer" in themes.all_inner_texts()


def test_english_question_gets_english_frame(page):
    answer = ask(page, "How do we approach pupil transport?")
    assert "quoted in Dutch" in answer
    assert "[1]" in answer
    assert REFUSAL not in answer
    first = page.locator('#bronnen div.bron[data-n="1"]')
    assert first.count() == 1
    assert "Leerlingenvervoer" in first.locator(".label.thema").all_inner_texts()
    # Dutch terms in the quotes show their English on hover, and a "Key terms" line glosses them
    assert "Key terms:" in answer
    glosses = page.locator("#gesprek [data-testid=bot] abbr[title]").evaluate_all(
        "els => els.map(e => [e.innerText.toLowerCase(), e.title])"
    )
    assert ["leerlingenvervoer", "pupil transport"] in glosses, glosses


def test_off_topic_question_is_refused_with_related_passages(page):
    answer = ask(page, "Wat is het recept voor appeltaart?")
    assert REFUSAL in answer
    assert "[1]" not in answer
    panel = page.locator("#bronnen")
    assert "Misschien relevant" in panel.locator("h3").inner_text()
    # related passages are shown without citation numbers
    assert page.locator('#bronnen div.bron[data-n="1"]').count() == 0


def test_theme_filter_restricts_sources(page):
    box = page.locator("#filter-thema input[role=combobox]")
    box.wait_for(state="visible")
    box.click()
    box.type("Jeugdhulp")
    option = page.get_by_role("option", name=JEUGDHULP_LABEL)
    option.wait_for(state="visible")
    page.keyboard.press("Enter")
    # the chosen filter shows as a chip under the question box
    page.wait_for_function(
        """(label) => Array.from(document.querySelectorAll('#filter-chips button.chip'))
                          .some(t => t.innerText.includes(label))""",
        arg=JEUGDHULP_LABEL,
        timeout=UI_TIMEOUT,
    )
    page.keyboard.press("Escape")
    page.locator("#vraag textarea").click()

    answer = ask(page, "Hoe werken gemeente en onderwijs samen?")
    assert REFUSAL not in answer, answer
    cards = source_cards(page)
    assert cards.count() >= 1
    for i in range(cards.count()):
        labels = cards.nth(i).locator(".label.thema").all_inner_texts()
        assert JEUGDHULP_LABEL in labels, (i, labels)


def test_new_conversation_clears_chat_and_sources(page):
    ask(page, TRANSPORT_Q)
    assert source_cards(page).count() >= 1
    page.click("#nieuw-gesprek")
    page.wait_for_function(
        """() => document.querySelectorAll('#gesprek [data-testid=user]').length === 0
                 && document.querySelectorAll('#gesprek [data-testid=bot]').length === 0
                 && document.querySelectorAll('#bronnen div.bron').length === 0""",
        timeout=UI_TIMEOUT,
    )
    assert "Hier verschijnen de passages" in page.locator("#bronnen").inner_text()
    # and the next question starts a new conversation that works
    answer = ask(page, TRANSPORT_Q)
    assert "[1]" in answer
    assert page.locator("#gesprek [data-testid=user]").count() == 1


def _upload(page, path: Path) -> str:
    """Choose a file in the Documenten tab, press Toevoegen, return the upload report text."""
    open_tab(page, "Documenten")
    page.locator("#upload input[type=file]").set_input_files(str(path))
    # the file is sent to the server first; once there, the component lists it with a download
    # link to the server copy, and only then does Toevoegen see it
    page.locator(f'#upload td.filename[aria-label="{path.name}"]').wait_for(timeout=UI_TIMEOUT)
    page.locator(f'#upload a[data-testid=download-link][download="{path.name}"]').wait_for(
        timeout=UI_TIMEOUT
    )
    page.click("#toevoegen")
    page.wait_for_function(
        """() => { const el = document.querySelector('#upload-verslag');
                   return el && /toegevoegd|bijgewerkt|ongewijzigd/.test(el.innerText); }""",
        timeout=120_000,
    )
    return page.locator("#upload-verslag").inner_text()


def test_upload_document_then_ask_about_it(page, tmp_path):
    doc = tmp_path / "zwaluwnest.txt"
    doc.write_text(UPLOAD_DOC, encoding="utf-8")
    report = _upload(page, doc)
    assert re.search(r"zwaluwnest\.txt: toegevoegd, (1 passage|[2-9]\d* passages)\b", report)
    table = page.locator("#documenten-tabel")
    table.get_by_text("Zwaluwnest").first.wait_for(timeout=UI_TIMEOUT)

    open_tab(page, "Vragen")
    answer = ask(page, "Wat doet het project Zwaluwnest in Voorbeeldstad?")
    assert "[1]" in answer, answer
    texts = source_cards(page).all_inner_texts()
    assert any("Zwaluwnest" in t and "Voorbeeldstad" in t for t in texts), texts


def test_upload_shows_progress_survives_a_reload_and_reports_the_tags(page, tmp_path):
    # long enough to be read for a while: many paragraphs about one project in one place
    para = (
        "In de gemeente Merelveen werken de basisschool De Lijster en het samenwerkingsverband "
        "aan thuisnabij onderwijs voor leerlingen met een lichamelijke beperking. Paragraaf {n} "
        "beschrijft hoe de gemeente het leerlingenvervoer en de aanpassing van het gebouw regelt, "
        "en hoe de intern begeleider met de ouders de ondersteuning plant."
    )
    body = "\n\n".join(para.format(n=n) for n in range(1, 121))
    doc = tmp_path / "Praktijkvoorbeeld Merelveen.txt"
    doc.write_text(f"Praktijkvoorbeeld: thuisnabij onderwijs in Merelveen\n\n{body}\n", "utf-8")
    open_tab(page, "Documenten")
    page.locator("#upload input[type=file]").set_input_files(str(doc))
    page.locator(f'#upload a[data-testid=download-link][download="{doc.name}"]').wait_for()
    page.click("#toevoegen")
    # the bar names the (safe) file name; the page stays free meanwhile
    bar = page.locator("#upload-voortgang progress")
    bar.wait_for(timeout=UI_TIMEOUT)
    status = page.locator("#upload-voortgang").inner_text()
    assert "Praktijkvoorbeeld-Merelveen.txt" in status or "zoekindex" in status, status
    assert "U kunt intussen gewoon vragen stellen" in status
    assert page.locator("#toevoegen").is_disabled()

    # a reload while it runs finds the upload again (or its result, if it just finished)
    page.reload(wait_until="domcontentloaded")
    page.wait_for_selector("#vraag textarea", timeout=60_000)
    open_tab(page, "Documenten")
    page.wait_for_function(
        """() => document.querySelector('#upload-voortgang progress') !== null
                 || /Merelveen/.test(document.querySelector('#documenten-tabel')?.innerText)""",
        timeout=UI_TIMEOUT,
    )
    # the finished report replaces the bar: a grammatical count and what the text was tagged as
    page.wait_for_function(
        """() => document.querySelector('#upload-voortgang progress') === null
                 && /Merelveen/.test(document.querySelector('#documenten-tabel')?.innerText)""",
        timeout=300_000,
    )
    report = page.locator("#upload-verslag").inner_text()
    assert re.search(r"Praktijkvoorbeeld-Merelveen\.txt: toegevoegd, [2-9]\d* passages", report)
    assert "herkend als praktijkvoorbeeld" in report and "regio Merelveen" in report, report
    table = page.locator("#documenten-tabel").inner_text()
    assert "Praktijkvoorbeeld: thuisnabij onderwijs in Merelveen" in table
    assert page.locator("#toevoegen").is_enabled()


def test_upload_report_names_the_tags(page, tmp_path):
    doc = tmp_path / "zwaluwnest-verslag.txt"
    doc.write_text(UPLOAD_DOC, encoding="utf-8")
    report = _upload(page, doc)
    line = next(x for x in report.splitlines() if "zwaluwnest-verslag.txt" in x)
    assert re.search(r"toegevoegd, (1 passage|[2-9]\d* passages) — herkend als ", line), line
    assert "praktijkvoorbeeld" in line and "regio Voorbeeldstad" in line, line


def test_briefing_docx_download_is_a4_and_short(page, tmp_path):
    from docx import Document
    from docx.shared import Mm

    open_tab(page, "Gespreksvoorbereiding")
    page.fill("#briefing-school textarea, #briefing-school input", "OBS De Regenboog")
    page.click("#briefing-maken")
    page.wait_for_function(
        """() => /Gespreksvoorbereiding schoolbezoek/.test(
            document.querySelector('#briefing-preview')?.innerText || '')""",
        timeout=ANSWER_TIMEOUT,
    )
    button = page.locator("#briefing-docx")
    page.wait_for_function(
        "() => !document.querySelector('#briefing-docx')?.disabled", timeout=UI_TIMEOUT
    )
    with page.expect_download(timeout=UI_TIMEOUT) as info:
        button.click()
    path = tmp_path / "briefing.docx"
    info.value.save_as(path)
    doc = Document(str(path))
    section = doc.sections[0]
    assert abs(section.page_width - Mm(210)) < Mm(0.1)
    assert abs(section.page_height - Mm(297)) < Mm(0.1)
    words = sum(len(p.text.split()) for p in doc.paragraphs)
    assert 200 < words <= 750, words


def _choose(page, elem_id: str, text: str) -> None:
    """Pick the option of a Gradio dropdown whose label contains ``text``."""
    box = page.locator(f"#{elem_id} input")
    box.click()
    box.fill(text)
    page.get_by_role("option").filter(has_text=text).first.click()


def test_a_document_is_taken_out_after_confirmation(page, tmp_path, server):
    doc = tmp_path / "reigersbos.txt"
    doc.write_text(
        "Het Reigersbosproject\n\nHet Reigersbosproject in Voorbeeldstad laat "
        "leerlingen van het speciaal onderwijs meedoen in de reguliere klas.\n",
        encoding="utf-8",
    )
    assert "reigersbos.txt: toegevoegd" in _upload(page, doc)
    table = page.locator("#documenten-tabel")
    table.get_by_text("Reigersbosproject").first.wait_for(timeout=UI_TIMEOUT)

    _choose(page, "verwijder-document", "reigersbos")
    page.once("dialog", lambda d: d.dismiss())  # "Annuleren": nothing happens
    page.click("#verwijderen")
    page.wait_for_timeout(1500)  # a cancelled removal changes nothing there is to wait for
    assert "Reigersbosproject" in table.inner_text()
    assert "reigersbos" in page.locator("#verwijder-document input").first.input_value()
    assert page.locator("#verwijder-verslag").inner_text().strip() == ""

    # the choice is still there: the next "Verwijderen" asks again and removes it
    page.once("dialog", lambda d: d.accept())
    page.click("#verwijderen")
    page.wait_for_function(
        """() => /uit de index gehaald/.test(
        document.querySelector('#verwijder-verslag')?.innerText || '')""",
        timeout=UI_TIMEOUT,
    )
    assert "Reigersbosproject" not in table.inner_text()
    assert not (server[2] / "uploads" / "reigersbos.txt").exists()

    open_tab(page, "Vragen")
    ask(page, "Wat doet het Reigersbosproject in Voorbeeldstad?")
    assert "Reigersbos" not in page.locator("#bronnen").inner_text()


def test_bad_upload_is_reported_and_index_still_works(page, tmp_path, server):
    bad = tmp_path / "kapot.pdf"
    bad.write_bytes(os.urandom(4096))
    report = _upload(page, bad)
    assert "kapot.pdf" in report and "niet toegevoegd" in report
    reason = report.split("niet toegevoegd", 1)[1].strip(" —-:\n")
    assert len(reason) > 5 and "PDF" in reason, report  # the reason follows the verdict
    assert "kapot.pdf" not in page.locator("#documenten-tabel").inner_text()
    assert not (server[2] / "uploads" / "kapot.pdf").exists()

    open_tab(page, "Vragen")
    answer = ask(page, TRANSPORT_Q)
    assert "[1]" in answer
    assert MAIN_TITLE in page.locator('#bronnen div.bron[data-n="1"]').inner_text()


def test_markup_in_documents_is_shown_as_text(page):
    answer = ask(page, "Wat doet het Kraanvogelproject in Testdorp?")
    assert "[1]" in answer, answer
    panel = page.locator("#bronnen").inner_text()
    assert "Kraanvogelproject" in panel
    assert "<script>window.__xss=1</script>" in panel
    assert 'onerror="window.__xss=2"' in panel
    assert page.evaluate("window.__xss") is None
    # markup typed into the question box is shown as text as well
    ask(page, 'Wie doen mee aan het Kraanvogelproject? <img src=x onerror="window.__xss=3">')
    asked = page.locator("#gesprek [data-testid=user]").last.inner_text()
    assert 'onerror="window.__xss=3"' in asked
    assert page.evaluate("window.__xss") is None
    injected = page.evaluate(
        """() => ({
            scripts: Array.from(document.querySelectorAll('#bronnen script, #gesprek script'))
                          .filter(s => s.textContent.includes('__xss')).length,
            imgs: document.querySelectorAll('#bronnen img[onerror], #gesprek img[onerror]').length,
            anywhere: Array.from(document.querySelectorAll('script'))
                           .filter(s => s.textContent.includes('window.__xss')).length,
        })"""
    )
    assert injected == {"scripts": 0, "imgs": 0, "anywhere": 0}


def test_thumbs_down_and_comment_become_draft_question(page, server, tmp_path):
    question = "Hoe kan jeugdhulp binnen reguliere scholen worden ingezet?"
    ask(page, question)
    # the browser runs in Dutch, so Gradio labels the button "Vind ik niet leuk"
    dislike = re.compile(r"^(Vind ik niet leuk|Dislike)$")
    page.locator("#gesprek").get_by_role("button", name=dislike).last.click()
    melding = page.locator("#feedback-melding")
    page.wait_for_function(
        """() => (document.querySelector('#feedback-melding')?.innerText || '')
                    .includes('opgeslagen als fout antwoord')""",
        timeout=UI_TIMEOUT,
    )

    # the thumb opened the feedback accordion, so the comment box is there to use
    comment = "Het antwoord noemt de buurtteams niet."
    page.locator("#toelichting textarea").fill(comment)
    page.get_by_role("button", name="Toelichting opslaan").click()
    page.wait_for_function(
        """() => (document.querySelector('#feedback-melding')?.innerText || '')
                    .includes('Toelichting opgeslagen')""",
        timeout=UI_TIMEOUT,
    )
    assert "opgeslagen" in melding.inner_text()

    out = tmp_path / "fb.jsonl"
    r = run_cli("feedback", "export", "--out", str(out), env=server[1], timeout=120)
    assert r.returncode == 0, r.stderr
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    mine = [d for d in rows if d["question"] == question]
    assert mine, rows
    assert mine[-1]["draft"] is True
    assert mine[-1]["comment"] == comment
    assert mine[-1]["lang"] == "nl"


def test_evaluation_tab_shows_report_or_hint(page):
    open_tab(page, "Evaluatie")
    report = page.locator("#evaluatie-samenvatting")
    report.wait_for(state="visible")
    text = report.inner_text().strip()
    assert "nog geen evaluatie" in text or "testvragen" in text, text
    assert page.locator("#evaluatie-start").is_visible()
