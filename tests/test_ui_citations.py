"""End-to-end: citations that lead somewhere, visible filters, all-Dutch, phone, the eval tab.

The real web app (`inclusie serve`) in Debian chromium with an en-US locale (so Gradio's own
words would be English if the app did not make them Dutch), over an index of the bundled corpus
plus a Markdown document with headings and a two-page PDF in the uploads folder. A small eval
(`inclusie eval --questions`) is run into the data dir before the server starts, so the
Evaluatie tab shows a real report. A second, tiny server with a web login checks that the
document view is guarded like the chat. Every browser test leaves a screenshot in
test-artifacts/<test name>.png; the phone test also keeps one phone screen (the answer's end
with the sources under it) in its tmp dir and a copy in /tmp/shots/.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest

from .apiserve import start_serve
from .conftest import ARTIFACTS, REPO, copy_corpus, run_cli, stop_process
from .docgen import filler, write_pdf

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
SHOTS = Path("/tmp/shots")  # a copy of the phone screenshot, to look at after a run

REFUSAL = "De documenten geven geen antwoord"
TRANSPORT_Q = "Wat kan de gemeente doen aan leerlingenvervoer?"
MAIN_TITLE = "Samen werken aan inclusiever onderwijs"

MD_DOC = """# Ooievaarsplan Testveen

# Aanleiding

De gemeente Testveen wil dat elk kind uit de wijk Ooievaarsnest naar de eigen basisschool kan. \
Daarom begint de gemeente Testveen in 2026 met het Ooievaarsplan.

# Aanpak

Het Ooievaarsplan zet een vaste onderwijsassistent in op elke basisschool in Testveen. De \
school en het samenwerkingsverband maken daarvoor samen een rooster.
"""
PDF_PAGE1_HEADING = "Kwartiermaker Testveen"
PDF_QUOTE = "Het Reigerhuis in Testveen wordt een inclusief schoolgebouw"

# The strings an en-US browser showed before (issue 12): none may remain anywhere users look.
ENGLISH = [
    "Drop File Here",
    "Click to Upload",
    "Clear",
    "Copy message",
    "Copy conversation",
    "Like",
    "Dislike",
    "Download",
]
_ENGLISH_RE = re.compile("|".join(rf"\b{re.escape(s)}\b" for s in ENGLISH), re.IGNORECASE)

# Questions for the small eval: three answerable ones from the gold set, one the documents do
# not answer. The tab's summary must count them.
EVAL_IDS = ("g001", "g002", "g003", "g069")


# -- servers ------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """`inclusie serve` (no login) over the corpus, a Markdown plan and a PDF, with a report."""
    root = tmp_path_factory.mktemp("citations")
    corpus = copy_corpus(root / "corpus")
    (corpus / "ooievaarsplan.md").write_text(MD_DOC, encoding="utf-8")
    data = root / "data"
    uploads = data / "uploads"
    uploads.mkdir(parents=True)
    pdf = write_pdf(
        uploads / "reigerhuis.pdf",
        [
            [("h", PDF_PAGE1_HEADING), ("p", filler(80, 11))],
            [
                ("h", "Huisvesting"),
                (
                    "p",
                    f"{PDF_QUOTE} met ruimte voor onderwijs, zorg en opvang onder één dak. "
                    + filler(40, 12),
                ),
            ],
        ],
    )
    env = {
        "INCLUSIE_DATA_DIR": str(data),
        "PYTHONPATH": str(REPO),  # this checkout's code, also where another one is installed
        "INCLUSIE_EMBED_THREADS": os.environ.get("INCLUSIE_EMBED_THREADS", "1"),
        "GRADIO_ANALYTICS_ENABLED": "False",
    }
    r = run_cli("ingest", str(corpus), str(uploads), env=env, timeout=600)
    assert r.returncode == 0, r.stderr[-2000:]

    gold = [json.loads(line) for line in (REPO / "evals" / "questions.jsonl").open("rb")]
    questions = root / "proefvragen.jsonl"
    questions.write_text(
        "".join(json.dumps(q, ensure_ascii=False) + "\n" for q in gold if q["id"] in EVAL_IDS),
        encoding="utf-8",
    )
    r = run_cli(
        "eval", "--questions", str(questions), "--out", str(data / "eval-report"), env=env,
        timeout=600,
    )  # fmt: skip
    assert r.returncode == 0, r.stderr[-2000:]

    served = start_serve(env, root / "serve.log")
    try:
        yield {"url": served.url + "/", "data": data, "pdf": pdf}
    finally:
        stop_process(served.proc)


@pytest.fixture(scope="module")
def login_server(tmp_path_factory):
    """`inclusie serve` with a web login, over one PDF in the uploads folder."""
    root = tmp_path_factory.mktemp("citations-login")
    data = root / "data"
    uploads = data / "uploads"
    uploads.mkdir(parents=True)
    pdf = write_pdf(
        uploads / "vervoersplan.pdf",
        [
            [("h", "Vervoersplan Testgemeente"), ("p", filler(60, 21))],
            [("h", "Leerlingenvervoer"), ("p", f"{PDF_QUOTE}. " + filler(30, 22))],
        ],
    )
    env = {
        "INCLUSIE_DATA_DIR": str(data),
        "PYTHONPATH": str(REPO),  # this checkout's code, also where another one is installed
        "INCLUSIE_AUTH": "ana:geheim",
        "INCLUSIE_EMBED_THREADS": os.environ.get("INCLUSIE_EMBED_THREADS", "1"),
        "GRADIO_ANALYTICS_ENABLED": "False",
    }
    r = run_cli("ingest", str(uploads), env=env, timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    served = start_serve(env, root / "serve.log")
    try:
        yield {"url": served.url, "pdf": pdf}
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


def _open(browser, server, request, **context_args):
    context = browser.new_context(locale="en-US", **context_args)
    context.set_default_timeout(UI_TIMEOUT)
    pg = context.new_page()
    pg.goto(server["url"], wait_until="domcontentloaded", timeout=60_000)
    pg.wait_for_selector("#vraag textarea", timeout=60_000)
    return context, pg


def _screenshot(pg, request, suffix: str = "") -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name) + suffix
    try:
        pg.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True, timeout=15_000)
    except Exception as e:  # a screenshot must never hide the test's own result
        print(f"screenshot failed: {e}")


@pytest.fixture
def page(server, browser, request):
    """A fresh desktop page in an en-US browser; screenshot on the way out, pass or fail."""
    context, pg = _open(browser, server, request, viewport={"width": 1400, "height": 1000})
    try:
        yield pg
    finally:
        _screenshot(pg, request)
        context.close()


@pytest.fixture
def phone(server, browser, request):
    """A fresh page at 390×844, touch, as on a phone."""
    context, pg = _open(
        browser,
        server,
        request,
        viewport={"width": 390, "height": 844},
        is_mobile=True,
        has_touch=True,
    )
    try:
        yield pg
    finally:
        _screenshot(pg, request)
        context.close()


# -- helpers ------------------------------------------------------------------------------------
_ANSWER_DONE = """([n, refusal]) => {
    const users = document.querySelectorAll('#gesprek [data-testid=user]');
    const bots = document.querySelectorAll('#gesprek [data-testid=bot]');
    if (users.length < n || bots.length < n) return false;
    const t = bots[bots.length - 1].innerText;
    if (!(t.includes('[') || t.includes(refusal))) return false;
    return document.querySelector('#bronnen h3') !== null;
}"""


def ask(pg, question: str) -> str:
    """Type a question, send it, wait for the final answer; returns the answer's text."""
    n = pg.locator("#gesprek [data-testid=user]").count() + 1
    pg.fill("#vraag textarea", question)
    pg.click("#versturen")
    pg.wait_for_function(_ANSWER_DONE, arg=[n, REFUSAL], timeout=ANSWER_TIMEOUT)
    return pg.locator("#gesprek [data-testid=bot]").last.inner_text()


def card(pg, n: int):
    return pg.locator(f'#bronnen div.bron[data-n="{n}"]')


def in_view(locator) -> bool:
    """Whether the element's box lies inside the viewport (of its page)."""
    return locator.evaluate(
        """(el) => { const r = el.getBoundingClientRect();
                     return r.height > 0 && r.top >= 0 && r.top < innerHeight; }"""
    )


def choose(pg, elem_id: str, text: str) -> None:
    """Pick the option of a Gradio dropdown whose label contains ``text``."""
    box = pg.locator(f"#{elem_id} input[role=combobox]")
    box.click()
    box.fill(text)
    pg.get_by_role("option").filter(has_text=text).first.click()
    pg.keyboard.press("Escape")


def open_document(pg, n: int):
    """Click "Open document" on source card ``n``; returns the document view's page."""
    with pg.context.expect_page() as info:
        card(pg, n).locator("a.open-doc").click()
    doc = info.value
    doc.wait_for_load_state("load")
    return doc


# -- 3. clickable citations ---------------------------------------------------------------------
def test_clicking_a_citation_highlights_its_card(page):
    ask(page, TRANSPORT_Q)
    assert card(page, 2).count() == 1, "premise: the answer cites at least two passages"
    link = page.locator("#gesprek [data-testid=bot] a.cite", has_text="[2]").first
    link.click()
    page.wait_for_function(
        """() => document.querySelector('#bronnen div.bron.gekozen')?.dataset.n === '2'""",
        timeout=UI_TIMEOUT,
    )
    assert page.locator("#bronnen div.bron.gekozen").count() == 1
    assert in_view(card(page, 2).locator(".bron-kop"))
    # and [1] moves the highlight to card 1
    page.locator("#gesprek [data-testid=bot] a.cite", has_text="[1]").first.click()
    page.wait_for_function(
        """() => document.querySelector('#bronnen div.bron.gekozen')?.dataset.n === '1'""",
        timeout=UI_TIMEOUT,
    )
    assert page.locator("#bronnen div.bron.gekozen").count() == 1


def test_citation_of_an_earlier_answer_shows_that_answers_sources(page):
    ask(page, TRANSPORT_Q)
    first_key = page.locator("#bronnen details.bronnen").get_attribute("data-answer")
    ask(page, "Hoe kan jeugdhulp binnen reguliere scholen worden ingezet?")
    assert page.locator("#bronnen details.bronnen").get_attribute("data-answer") != first_key
    page.locator("#gesprek [data-testid=bot]").first.locator("a.cite", has_text="[1]").first.click()
    page.wait_for_function(
        """(key) => document.querySelector('#bronnen details.bronnen')?.dataset.answer === key
                 && document.querySelector('#bronnen div.bron.gekozen')?.dataset.n === '1'""",
        arg=first_key,
        timeout=UI_TIMEOUT,
    )
    assert MAIN_TITLE in card(page, 1).inner_text()


def test_open_document_shows_the_highlighted_quote(page):
    answer = ask(page, TRANSPORT_Q)
    quoted = card(page, 1).locator(".bron-tekst mark").first.inner_text().strip()
    assert len(quoted) > 20 and quoted[:40] in answer
    doc = open_document(page, 1)
    try:
        assert "/document/handreiking-samen-werken-aan-inclusiever-onderwijs?" in doc.url
        mark = doc.locator("#citaat")
        assert mark.inner_text().strip() == quoted
        assert in_view(mark), "the view opens scrolled to the quote"
        assert doc.locator("h1").inner_text() == MAIN_TITLE
        # the whole document, not just the passage: many passages, the cited one marked
        assert doc.locator("main .stuk").count() > 5
        assert doc.locator("main .stuk.gekozen mark").count() >= 1
        ARTIFACTS.mkdir(exist_ok=True)
        doc.screenshot(path=str(ARTIFACTS / "document_view_quote.png"))
    finally:
        doc.close()


def test_markdown_headings_show_as_headings(page):
    answer = ask(page, "Wat doet het Ooievaarsplan in Testveen?")
    assert REFUSAL not in answer, answer
    cards = page.locator("#bronnen div.bron", has_text="Ooievaarsplan")
    assert cards.count() >= 1
    first = cards.first
    headings = first.locator(".bron-tekst .kop").all_inner_texts()
    assert set(headings) & {"Aanleiding", "Aanpak"}, headings
    assert "# " not in first.locator(".bron-tekst").inner_text()
    n = int(first.get_attribute("data-n"))
    doc = open_document(page, n)
    try:
        kops = doc.locator("main .kop").all_inner_texts()
        assert {"Aanleiding", "Aanpak"} <= set(kops), kops
        assert "# Aanpak" not in doc.locator("main").inner_text()
    finally:
        doc.close()


def test_pdf_document_view_shows_the_page_and_opens_the_pdf(page, server):
    answer = ask(page, "Wat wordt het Reigerhuis in Testveen?")
    assert REFUSAL not in answer, answer
    pdf_card = page.locator("#bronnen div.bron", has_text="Reigerhuis").first
    n = int(pdf_card.get_attribute("data-n"))
    doc = open_document(page, n)
    try:
        assert "pagina 2 van 2" in doc.locator("header").inner_text()
        text = doc.locator("main").inner_text()
        assert PDF_QUOTE in text
        assert PDF_PAGE1_HEADING not in text, "only the page of the quote is shown"
        assert PDF_QUOTE in doc.locator("#citaat").inner_text()
        link = doc.get_by_role("link", name="Open de PDF op pagina 2")
        href = link.get_attribute("href")
        assert href.endswith("#page=2")
        res = doc.request.get(server["url"].rstrip("/") + href.split("#")[0])
        assert res.status == 200 and res.body().startswith(b"%PDF")
        doc.get_by_role("link", name="← pagina 1").click()
        doc.wait_for_load_state("load")
        assert PDF_PAGE1_HEADING in doc.locator("main").inner_text()
    finally:
        doc.close()


def test_document_view_needs_the_web_login(login_server):
    url = login_server["url"]
    with httpx.Client(base_url=url, timeout=20) as anonymous:
        docs = anonymous.get("/document/vervoersplan")
        assert docs.status_code == 401
        assert "Log eerst in" in docs.text and "Reigerhuis" not in docs.text
        # the PDF behind "Open de PDF op pagina n" needs the login as well
        pdf_url = "/gradio_api/file=" + quote(str(login_server["pdf"]))
        assert anonymous.get(pdf_url).status_code in (401, 403)
    with httpx.Client(base_url=url, timeout=20, follow_redirects=True) as client:
        client.post("/login", data={"username": "ana", "password": "geheim"})
        page2 = client.get("/document/vervoersplan", params={"page": 2})
        assert page2.status_code == 200, page2.text[:300]
        assert PDF_QUOTE in page2.text
        pdf = client.get(pdf_url)
        assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
        assert "script-src" not in page2.headers["content-security-policy"]  # no script runs
        # only documents of the index, never a file by its path
        for bad in ("onbekend", quote("../../../etc/passwd", safe=""), "..%2F..%2Fetc%2Fpasswd"):
            res = client.get(f"/document/{bad}")
            assert res.status_code == 404, (bad, res.status_code)
            assert "root:" not in res.text


# -- 4. visible filters -------------------------------------------------------------------------
def test_filter_chips_appear_and_remove_themselves(page):
    assert page.locator("#filter-thema").is_visible(), "the filters are in view, not folded away"
    box = page.locator("#filter-thema").bounding_box()
    question = page.locator("#vraag").bounding_box()
    assert 0 <= box["y"] - (question["y"] + question["height"]) < 120, "next to the question"
    choose(page, "filter-thema", "Jeugdhulp")
    choose(page, "filter-soort", "tip")
    chips = page.locator("#filter-chips button.chip")
    chips.nth(1).wait_for()
    assert chips.all_inner_texts() == [
        "Thema: Jeugdhulp en zorg in de ondersteuningsstructuur ✕",
        "Soort: tip ✕",
    ]
    answer = ask(page, "Wat kan de gemeente doen aan jeugdhulp?")
    assert "Gezocht binnen de filters" in answer and "tip" in answer.split("filters")[-1]

    page.locator("#filter-chips button.chip", has_text="Soort: tip").click()
    page.wait_for_function(
        "() => document.querySelectorAll('#filter-chips button.chip').length === 1",
        timeout=UI_TIMEOUT,
    )
    assert chips.all_inner_texts() == ["Thema: Jeugdhulp en zorg in de ondersteuningsstructuur ✕"]
    # the filter is really gone, not just its chip: the next answer searched without it
    answer = ask(page, "Wat kan de gemeente doen aan jeugdhulp?")
    searched = answer.split("Gezocht binnen de filters")[-1]
    assert "jeugdhulp" in searched.lower() and "soort" not in searched.lower(), answer

    chips.first.click()
    page.wait_for_function(
        "() => document.querySelectorAll('#filter-chips button.chip').length === 0",
        timeout=UI_TIMEOUT,
    )
    assert "Gezocht binnen de filters" not in ask(page, "Wat kan de gemeente doen aan jeugdhulp?")


# -- 6. phone -------------------------------------------------------------------------------------
_WORDS_SPLIT = """(sel) => {
    // every word of every matching element must sit on one line: a word broken over two
    // lines has more than one client rect
    const broken = [];
    for (const el of document.querySelectorAll(sel)) {
        if (!el.offsetParent) continue;
        const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
        while (walker.nextNode()) {
            const node = walker.currentNode, text = node.textContent;
            const re = /[^\\s]+/g; let m;
            while ((m = re.exec(text))) {
                const range = document.createRange();
                range.setStart(node, m.index); range.setEnd(node, m.index + m[0].length);
                const lines = new Set([...range.getClientRects()].map((r) => Math.round(r.top)));
                if (lines.size > 1) broken.push(m[0]);
            }
        }
    }
    return broken;
}"""


def test_phone_sources_directly_under_the_answer(phone, request, tmp_path):
    ask(phone, TRANSPORT_Q)
    chat = phone.locator("#gesprek").bounding_box()
    sources = phone.locator("#bronnen").bounding_box()
    question = phone.locator("#vraag").bounding_box()
    assert 0 <= sources["y"] - (chat["y"] + chat["height"]) < 60, (chat, sources)
    assert question["y"] > sources["y"], "the question box comes after the sources"
    assert card(phone, 1).is_visible()
    # a phone screen at the end of the answer: the first source card follows it
    phone.locator("#gesprek [data-testid=bot]").last.scroll_into_view_if_needed()
    shot = tmp_path / "telefoon-bronnen.png"
    phone.screenshot(path=str(shot))
    SHOTS.mkdir(exist_ok=True)
    shutil.copy(shot, SHOTS / shot.name)
    answer_box = phone.locator("#gesprek [data-testid=bot]").last.bounding_box()
    first = card(phone, 1).bounding_box()
    assert first["y"] > answer_box["y"] + answer_box["height"] - 1, (answer_box, first)
    # the sources fold away (and open again) with one tap
    phone.locator("#bronnen summary").tap()
    phone.wait_for_function("() => !document.querySelector('#bronnen details').open")
    assert not card(phone, 1).is_visible()
    phone.locator("#bronnen summary").tap()
    phone.wait_for_function("() => document.querySelector('#bronnen details').open")
    phone.locator("#bronnen summary").scroll_into_view_if_needed()
    _screenshot(phone, request, "_viewport")  # full page, sources right under the answer

    # all four tabs in view, each one tap away; no page wider than the phone
    for name, probe in (
        ("Gespreksvoorbereiding", "#briefing-school"),
        ("Documenten", "#documenten-tabel"),
        ("Evaluatie", "#evaluatie-samenvatting"),
        ("Vragen", "#vraag"),
    ):
        phone.evaluate("() => window.scrollTo(0, 0)")  # the tabs are at the top of the page
        tab = phone.get_by_role("tab", name=name)
        assert tab.is_visible() and in_view(tab), name
        tab.tap()
        phone.locator(probe).wait_for(state="visible")
        width = phone.evaluate("() => document.documentElement.scrollWidth")
        assert width <= 390, (name, width)
        broken = phone.evaluate(_WORDS_SPLIT, "h1, h2, h3, h4, .kop, button[role=tab], th")
        assert broken == [], (name, broken)
        if name == "Documenten":
            # the table scrolls inside itself
            assert phone.locator("#documenten-tabel").evaluate(
                """(el) => [...el.querySelectorAll('*')].some((e) =>
                       e.scrollWidth > e.clientWidth + 2
                       && ['auto', 'scroll'].includes(getComputedStyle(e).overflowX))"""
            )
    assert phone.locator("button", has_text="More tabs").count() == 0


# -- 5. all Dutch ---------------------------------------------------------------------------------
_SEEN = """() => {
    const out = [];
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    while (walker.nextNode()) {
        const el = walker.currentNode.parentElement;
        if (el && el.getClientRects().length) out.push(walker.currentNode.textContent);
    }
    for (const el of document.querySelectorAll('[aria-label], [title], [placeholder], [alt]')) {
        if (!el.getClientRects().length) continue;
        for (const a of ['aria-label', 'title', 'placeholder', 'alt']) {
            if (el.getAttribute(a)) out.push(el.getAttribute(a));
        }
    }
    return out;
}"""


def test_no_english_gradio_strings_in_an_en_us_browser(page, tmp_path):
    assert page.evaluate("navigator.language") == "en-US"
    ask(page, TRANSPORT_Q)
    page.locator("#gesprek [data-testid=bot]").last.hover()  # shows the message's buttons
    seen: dict[str, list[str]] = {}
    seen["Vragen"] = page.evaluate(_SEEN)
    labels = page.locator("#gesprek button[aria-label]").evaluate_all(
        "els => els.map(e => e.getAttribute('aria-label'))"
    )
    assert "Bericht kopiëren" in labels and "Vind ik niet leuk" in labels, labels

    page.get_by_role("tab", name="Documenten").click()
    seen["Documenten (leeg)"] = page.evaluate(_SEEN)
    assert "Sleep bestanden hierheen" in page.locator("#upload").inner_text()
    chosen = tmp_path / "keuze.txt"
    chosen.write_text("Een gekozen bestand, nog niet toegevoegd.", encoding="utf-8")
    page.locator("#upload input[type=file]").set_input_files(str(chosen))
    page.locator('#upload td.filename[aria-label="keuze.txt"]').wait_for()
    seen["Documenten (bestand gekozen)"] = page.evaluate(_SEEN)

    for tab in ("Gespreksvoorbereiding", "Evaluatie"):
        page.get_by_role("tab", name=tab).click()
        page.wait_for_timeout(300)  # let the tab's content mount before reading it
        seen[tab] = page.evaluate(_SEEN)

    english = {
        tab: sorted({t for t in texts if _ENGLISH_RE.search(t)}) for tab, texts in seen.items()
    }
    assert english == {tab: [] for tab in seen}, english
    assert all(len(texts) > 10 for texts in seen.values()), "premise: the tabs were read"


def test_damaged_pdf_upload_is_reported_in_dutch(page, tmp_path):
    bad = tmp_path / "kapot.pdf"
    bad.write_bytes(b"%PDF-1.4\n" + bytes(range(256)) * 8)
    page.get_by_role("tab", name="Documenten").click()
    page.locator("#upload input[type=file]").set_input_files(str(bad))
    page.locator('#upload a[data-testid=download-link][download="kapot.pdf"]').wait_for()
    page.click("#toevoegen")
    page.wait_for_function(
        "() => /niet toegevoegd/.test(document.querySelector('#upload-verslag')?.innerText || '')",
        timeout=120_000,
    )
    report = page.locator("#upload-verslag").inner_text()
    assert "kapot.pdf: niet toegevoegd — PDF kan niet worden gelezen" in report, report
    # pypdf's own words ("EOF marker not found", "invalid pdf header") stay in the log
    assert not re.search(r"\b(EOF|marker|invalid|header|stream|not found)\b", report, re.I)


# -- 5. the Evaluatie tab -------------------------------------------------------------------------
def test_evaluation_tab_is_written_for_policy_advisers(page, server):
    report = json.loads((server["data"] / "eval-report" / "report.json").read_text("utf-8"))
    rows = report["sets"]["proefvragen"]["per_question"]["hybrid"]
    answerable = [r for r in rows if r["answerable"]]
    top5 = sum(any(r["relevant"][:5]) for r in answerable)
    assert len(answerable) == 3

    page.get_by_role("tab", name="Evaluatie").click()
    summary = page.locator("#evaluatie-samenvatting")
    summary.wait_for(state="visible")
    text = summary.inner_text()
    assert (
        f"Bij {top5} van de {len(answerable)} testvragen stond het juiste fragment bij de "
        "eerste vijf gevonden passages." in text
    ), text
    assert "Van de 1 vraag waarop de documenten geen antwoord hebben" in text, text
    # first the summary, then the chart, then the tables
    chart = page.locator("#evaluatie-grafiek img")
    tables = page.locator("#evaluatie-rapport")
    assert chart.is_visible()
    y = [
        loc.bounding_box()["y"]
        for loc in (summary, page.locator("#evaluatie-grafiek"), tables.locator("table").first)
    ]
    assert y == sorted(y), y
    table_text = tables.inner_text()
    assert "Juiste fragment bij de eerste vijf" in table_text
    assert "Wat de cijfers betekenen" in table_text
    for label in ("Juiste fragment bij de eerste vijf", "Onterecht geen antwoord"):
        assert re.search(rf"{label}: \S", table_text), label  # one line of explanation each
    tab_text = page.locator("#tabbladen").inner_text()
    assert not re.search(r"hit@|MRR@|nDCG|recall|false refusal|shipped", tab_text, re.I)
    assert page.locator("#evaluatie-uploads").is_visible()
