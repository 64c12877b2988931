"""End-to-end: kept conversations, two logins and fresh state, in a real browser.

One `inclusie serve` on 127.0.0.1 with two logins (INCLUSIE_AUTH=ana:...,bram:...) over an index
of the bundled corpus. Each test opens its own browser contexts (a context is one person's
browser: its own cookies and tabs) and leaves a screenshot per page in test-artifacts/.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from .apiserve import start_serve
from .conftest import ARTIFACTS, copy_corpus, run_cli, stop_process
from .test_ui_browser import (
    ANSWER_TIMEOUT,
    TRANSPORT_Q,
    UI_TIMEOUT,
    UPLOAD_DOC,
    _choose,
    _upload,
    ask,
    browser,  # noqa: F401  (the module's chromium, a fixture)
    open_tab,
    source_cards,
)

pytestmark = pytest.mark.slow

USERS = {"ana": "ana-wachtwoord-1", "bram": "bram-wachtwoord-2"}
HOUSING_Q = "Wat doet de gemeente aan huisvesting?"
FOLLOW_UP = "en in Lelystad?"
CLEAR_BUTTON = re.compile(r"^(Gesprek wissen|Clear)$")  # the chatbot's own trash icon


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """`inclusie serve` on 127.0.0.1 with two logins; yields (url, env, data dir)."""
    root = tmp_path_factory.mktemp("ui-conversations")
    corpus = copy_corpus(root / "corpus")
    data = root / "data"
    env = {
        "INCLUSIE_DATA_DIR": str(data),
        "GRADIO_ANALYTICS_ENABLED": "False",
        "INCLUSIE_AUTH": ",".join(f"{u}:{p}" for u, p in USERS.items()),
    }
    r = run_cli("ingest", str(corpus), env=env, timeout=900)  # 2 shared cores
    assert r.returncode == 0, r.stderr[-2000:]

    served = start_serve(env, root / "serve.log")
    try:
        yield served.url + "/", env, data
    finally:
        stop_process(served.proc)


@pytest.fixture
def people(server, browser, request):  # noqa: F811
    """``open_page(user)``: a logged-in browser (context) of ``user`` with the app open in a
    tab; ``open_page(user, context)`` opens another tab of that browser."""
    url = server[0]
    contexts: dict = {}
    opened = []
    pages = []

    def open_page(user: str, fresh_browser: bool = False):
        if user not in contexts or fresh_browser:
            ctx = browser.new_context(viewport={"width": 1400, "height": 1100}, locale="nl-NL")
            ctx.set_default_timeout(UI_TIMEOUT)
            r = ctx.request.post(url + "login", form={"username": user, "password": USERS[user]})
            assert r.ok, r.text()
            contexts[user] = ctx
            opened.append(ctx)
        pg = contexts[user].new_page()
        pages.append(pg)
        pg.goto(url, wait_until="domcontentloaded", timeout=60_000)
        pg.wait_for_selector("#vraag textarea", timeout=60_000)
        return pg

    try:
        yield open_page
    finally:
        ARTIFACTS.mkdir(exist_ok=True)
        name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name)
        for i, pg in enumerate(pages):
            try:
                pg.screenshot(path=str(ARTIFACTS / f"{name}-{i}.png"), full_page=True)
            except Exception as e:  # a screenshot must never hide the test's own result
                print(f"screenshot failed: {e}")
        for ctx in opened:
            ctx.close()


# -- helpers ------------------------------------------------------------------------------------
def chat_messages(page) -> tuple[list[str], list[str]]:
    """(questions, answers) as the chat shows them."""
    return (
        page.locator("#gesprek [data-testid=user]").all_inner_texts(),
        page.locator("#gesprek [data-testid=bot]").all_inner_texts(),
    )


def wait_chat_count(page, n: int) -> None:
    page.wait_for_function(
        """(n) => document.querySelectorAll('#gesprek [data-testid=user]').length === n
                 && document.querySelectorAll('#gesprek [data-testid=bot]').length === n""",
        arg=n,
        timeout=UI_TIMEOUT,
    )


def past_conversations(page) -> list[str]:
    """The titles listed under "Eerdere gesprekken" (opened if closed)."""
    box = page.locator("#eerdere-gesprekken")
    if not box.locator("#gesprekken").is_visible():
        box.locator("> button.label-wrap").click()
    page.locator("#gesprekken").wait_for(state="visible")
    return page.locator("#gesprekken label").all_inner_texts()


def wait_listed(page, text: str) -> None:
    """Wait until "Eerdere gesprekken" counts a conversation whose title contains ``text``."""
    page.wait_for_function(
        """(t) => Array.from(document.querySelectorAll('#gesprekken label'))
                       .some(l => l.innerText.includes(t))
                  || /Eerdere gesprekken \\(\\d+\\)/.test(
                       document.querySelector('#eerdere-gesprekken')?.innerText || '')""",
        arg=text,
        timeout=UI_TIMEOUT,
    )


def dropdown_options(page, elem_id: str, text: str) -> list[str]:
    """The options of a Gradio dropdown that contain ``text`` (typed into its box)."""
    box = page.locator(f"#{elem_id} input").first
    box.click()
    box.fill(text)
    options = page.get_by_role("option").filter(has_text=text)
    try:
        options.first.wait_for(state="visible", timeout=5_000)
    except Exception:
        pass
    found = options.all_inner_texts()
    box.fill("")
    page.keyboard.press("Escape")
    return found


# -- fresh state --------------------------------------------------------------------------------
def test_a_new_page_shows_an_upload_made_elsewhere_and_cancel_keeps_the_choice(
    people, tmp_path, server
):
    ana = people("ana")
    doc = tmp_path / "zwaluwnest.txt"
    doc.write_text(UPLOAD_DOC, encoding="utf-8")
    assert "zwaluwnest.txt: toegevoegd" in _upload(ana, doc)

    # another person's browser, opened after the upload: every list has the new document
    bram = people("bram")
    open_tab(bram, "Documenten")
    bram.locator("#documenten-tabel").get_by_text("Zwaluwnest").first.wait_for()
    assert dropdown_options(bram, "verwijder-document", "zwaluwnest")
    open_tab(bram, "Vragen")  # the filters sit under the question box, always in view
    assert any("Zwaluwnest" in o for o in dropdown_options(bram, "filter-document", "Zwaluw"))

    # "Annuleren" in the confirmation leaves the choice; the next "Verwijderen" removes it
    open_tab(bram, "Documenten")
    _choose(bram, "verwijder-document", "zwaluwnest")
    bram.once("dialog", lambda d: d.dismiss())
    bram.click("#verwijderen")
    bram.wait_for_timeout(1500)  # a cancelled removal sends nothing back to wait for
    assert "zwaluwnest" in bram.locator("#verwijder-document input").first.input_value()
    assert "verwijderd" not in bram.locator("#verwijder-verslag").inner_text()
    bram.once("dialog", lambda d: d.accept())
    bram.click("#verwijderen")
    bram.wait_for_function(
        """() => /uit de index gehaald/.test(
        document.querySelector('#verwijder-verslag')?.innerText || '')""",
        timeout=UI_TIMEOUT,
    )
    assert not (server[2] / "uploads" / "zwaluwnest.txt").exists()

    # and ana's page, reloaded, no longer lists it
    ana.reload(wait_until="domcontentloaded")
    ana.wait_for_selector("#vraag textarea", timeout=60_000)
    open_tab(ana, "Documenten")
    table = ana.locator("#documenten-tabel")
    table.get_by_text("Samen werken").first.wait_for()
    assert "Zwaluwnest" not in table.inner_text()
    assert not dropdown_options(ana, "verwijder-document", "zwaluwnest")


# -- kept conversations -------------------------------------------------------------------------
def test_reload_keeps_the_conversation_other_tabs_and_users_have_their_own(people):
    ana = people("ana")
    first_answer = ask(ana, TRANSPORT_Q)
    assert "[1]" in first_answer
    wait_listed(ana, TRANSPORT_Q[:30])

    ana.reload(wait_until="domcontentloaded")
    ana.wait_for_selector("#vraag textarea", timeout=60_000)
    wait_chat_count(ana, 1)
    questions, answers = chat_messages(ana)
    assert questions == [TRANSPORT_Q]
    assert answers[0].strip()[:80] == first_answer.strip()[:80]
    ana.locator('#bronnen div.bron[data-n="1"]').wait_for()
    assert any(t.startswith(TRANSPORT_Q) for t in past_conversations(ana))

    # a second tab of the same browser starts empty, with the same list
    tab2 = people("ana")
    wait_listed(tab2, TRANSPORT_Q[:30])
    assert chat_messages(tab2) == ([], [])
    assert any(t.startswith(TRANSPORT_Q) for t in past_conversations(tab2))
    ask(tab2, "Wat is het OOGO?")
    # ... and keeps its own conversation: reloading the first tab still shows the first one
    ana.reload(wait_until="domcontentloaded")
    wait_chat_count(ana, 1)
    assert chat_messages(ana)[0] == [TRANSPORT_Q]

    # a conversation from the list opens in the tab
    titles = past_conversations(tab2)
    assert any(t.startswith("Wat is het OOGO?") for t in titles), titles
    tab2.locator("#gesprekken label").filter(has_text=TRANSPORT_Q[:30]).click()
    # the tab already shows one question (its own): wait for the opened one to replace it
    tab2.wait_for_function(
        """(q) => { const u = document.querySelector('#gesprek [data-testid=user]');
                    return u !== null && u.innerText.includes(q); }""",
        arg=TRANSPORT_Q[:30],
        timeout=UI_TIMEOUT,
    )
    wait_chat_count(tab2, 1)
    assert chat_messages(tab2)[0] == [TRANSPORT_Q]

    # another login sees none of it
    bram = people("bram")
    bram.wait_for_timeout(1500)  # the load hook has run when the list has its label
    assert chat_messages(bram) == ([], [])
    assert past_conversations(bram) == []
    assert "Eerdere gesprekken (" not in bram.locator("#eerdere-gesprekken").inner_text()


def test_the_trash_icon_starts_a_new_conversation_like_nieuw_gesprek(people):
    ana = people("ana", fresh_browser=True)
    ask(ana, HOUSING_Q)
    ask(ana, FOLLOW_UP)
    # a follow-up is searched as a whole question ...
    assert "Gezocht op:" in ana.locator("#bronnen").inner_text()
    assert "Lelystad" in ana.locator("#bronnen .herschreven").inner_text()

    ana.locator("#gesprek").get_by_role("button", name=CLEAR_BUTTON).click()
    ana.wait_for_function(
        """() => document.querySelectorAll('#gesprek [data-testid=user]').length === 0
                 && document.querySelectorAll('#bronnen div.bron').length === 0""",
        timeout=UI_TIMEOUT,
    )
    assert "Hier verschijnen de passages" in ana.locator("#bronnen").inner_text()
    # ... but after the trash icon nothing of the old conversation rewrites the next question
    ask(ana, FOLLOW_UP)
    assert "Gezocht op" not in ana.locator("#bronnen").inner_text()

    # the reloaded tab shows the new conversation; the old one is in the list
    ana.reload(wait_until="domcontentloaded")
    wait_chat_count(ana, 1)
    assert chat_messages(ana)[0] == [FOLLOW_UP]
    titles = past_conversations(ana)
    assert any(t.startswith(HOUSING_Q) for t in titles), titles


def test_rename_download_and_delete_a_conversation(people):
    ana = people("ana", fresh_browser=True)
    ask(ana, TRANSPORT_Q)
    wait_listed(ana, TRANSPORT_Q[:30])
    past_conversations(ana)

    name = ana.locator("#gesprek-naam textarea, #gesprek-naam input").first
    name.fill("Vervoer <b>Lelystad</b>")
    ana.click("#gesprek-hernoemen")
    ana.wait_for_function(
        """() => (document.querySelector('#gesprek-melding')?.innerText || '')
                    .includes('opgeslagen')""",
        timeout=UI_TIMEOUT,
    )
    ana.locator("#gesprekken label").filter(has_text="Vervoer <b>Lelystad</b>").wait_for()

    with ana.expect_download(timeout=ANSWER_TIMEOUT) as dl:
        ana.click("#gesprek-md")
    md = Path(dl.value.path()).read_text(encoding="utf-8")
    assert dl.value.suggested_filename.endswith(".md")
    assert md.startswith("# Vervoer \\<b\\>Lelystad\\</b\\>")
    assert f"## 1. {TRANSPORT_Q}" in md and "**Bronnen**" in md
    with ana.expect_download(timeout=ANSWER_TIMEOUT) as dl:
        ana.click("#gesprek-docx")
    assert dl.value.suggested_filename.endswith(".docx")
    from docx import Document

    doc = Document(dl.value.path())
    page = doc.sections[0]
    assert (round(page.page_width.mm), round(page.page_height.mm)) == (210, 297)  # A4
    assert TRANSPORT_Q in "\n".join(p.text for p in doc.paragraphs)

    ana.once("dialog", lambda d: d.accept())
    ana.click("#gesprek-verwijderen")
    ana.wait_for_function(
        """() => (document.querySelector('#gesprek-melding')?.innerText || '')
                    .includes('Het gesprek is verwijderd')""",
        timeout=UI_TIMEOUT,
    )
    wait_chat_count(ana, 0)
    assert not any("Vervoer" in t for t in past_conversations(ana))
    ana.reload(wait_until="domcontentloaded")
    ana.wait_for_selector("#vraag textarea", timeout=60_000)
    ana.wait_for_timeout(1500)
    assert chat_messages(ana) == ([], [])
    assert source_cards(ana).count() == 0
