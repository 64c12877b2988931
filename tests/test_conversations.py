"""Kept conversations without a browser: the store, the handlers the web app wires to it and
the downloads. The browser side is in test_ui_conversations.py; logins in test_users.py."""

from __future__ import annotations

import pytest

from assistant.records import Answer, CitedSentence
from ingest.passage import Passage
from ui.conversations import ConversationStore
from ui.handlers import (
    AppContext,
    Session,
    conversation_choices,
    conversation_title,
    delete_conversation,
    export_conversation,
    make_filters,
    new_conversation,
    open_conversation,
    record_like,
    rename_conversation,
    respond,
)

HOUSING_Q = "Wat doet de gemeente aan huisvesting?"
FOLLOW_UP = "en in Lelystad?"
REWRITTEN = "Gezocht op: Wat doet de gemeente aan huisvesting in Lelystad?"
ANA_ID, BRAM_ID = "a" * 32, "b" * 32


@pytest.fixture(scope="module")
def ctx(indexed_settings, assistant, tmp_path_factory):
    """The shared index, with conversations and feedback in a private data dir."""
    from ui.feedback import FeedbackStore

    private = tmp_path_factory.mktemp("conv")
    settings = indexed_settings.model_copy(update={})
    c = AppContext.create(settings, assistant, check_examples=False)
    c.feedback = FeedbackStore(private / "feedback.sqlite")
    c.conversations = ConversationStore(private / "conversations.sqlite")
    # downloads too: the index dir is shared by the whole session
    c.settings = settings.model_copy(update={"data_dir": private})
    return c


def ask(ctx, session: Session, question: str, history: list | None = None):
    """One chat message through the handler; returns (history, final sources html)."""
    steps = list(respond(ctx, question, history or [], session, make_filters(ctx, [], [], [], [])))
    history, _, html = steps[-1]
    return history, html


# -- the store on its own -----------------------------------------------------------------------
def _answer(question: str) -> Answer:
    p = Passage.create(
        doc_id="gids",
        title="Gids <voor> scholen",
        text="Het OOGO is het overleg tussen gemeente en samenwerkingsverband.",
        section="Overleg",
        start=120,
        end=184,
        kind="tip",
        themes=["samenwerking"],
        regions=["flevoland"],
    )
    s = CitedSentence(p.text, 1, p.id, 0, len(p.text), score=0.8, citations=[1])
    return Answer(
        question,
        "nl",
        False,
        f"- {p.text} [1]",
        sentences=[s],
        citations=[p],
        rewritten="Wat is het OOGO in Flevoland?",
        key_terms=[("overleg", "consultation")],
        timings={"total": 0.2},
    )


def test_a_stored_answer_comes_back_whole(tmp_path):
    store = ConversationStore(tmp_path / "c.sqlite")
    a = _answer("Wat is het OOGO?")
    row = store.add_turn("ana", ANA_ID, "Wat is het OOGO?", a)
    (turn,) = store.turns("ana", ANA_ID)
    assert turn.row == row and turn.question == "Wat is het OOGO?"
    back = turn.answer
    assert back.citations == a.citations and back.sentences == a.sentences
    assert back.rewritten == a.rewritten and back.key_terms == [("overleg", "consultation")]
    assert back.text == a.text and back.refused is False


def test_the_store_keeps_users_apart_and_lists_newest_first(tmp_path):
    store = ConversationStore(tmp_path / "c.sqlite")
    store.add_turn("ana", ANA_ID, "Eerste   vraag\nvan ana", _answer("x"))
    store.add_turn("ana", "c" * 32, "Tweede vraag van ana", _answer("y"))
    store.add_turn("bram", BRAM_ID, "Vraag van bram", _answer("z"))
    # a second turn keeps the title of the first question and moves the conversation up
    store.add_turn("ana", ANA_ID, "Vervolgvraag", _answer("w"))
    mine = store.recent("ana")
    assert [(c.id, c.title, c.turns) for c in mine] == [
        (ANA_ID, "Eerste vraag van ana", 2),
        ("c" * 32, "Tweede vraag van ana", 1),
    ]
    assert [c.id for c in store.recent("bram")] == [BRAM_ID]
    assert store.recent("") == []  # the local user is nobody's login
    # another user's id reaches nothing: no turns, no rename, no delete
    assert store.turns("bram", ANA_ID) == [] and store.get("bram", ANA_ID) is None
    assert not store.rename("bram", ANA_ID, "van bram")
    assert not store.delete("bram", ANA_ID)
    assert len(store.turns("ana", ANA_ID)) == 2
    # a second store on the same file (another serve process) sees the same
    other = ConversationStore(tmp_path / "c.sqlite")
    assert store.rename("ana", ANA_ID, "  OOGO   en zo ")
    assert other.get("ana", ANA_ID).title == "OOGO en zo"
    assert other.delete("ana", ANA_ID)
    assert store.turns("ana", ANA_ID) == [] and [c.id for c in store.recent("ana")] == ["c" * 32]


def test_a_long_first_question_makes_a_short_title(tmp_path):
    store = ConversationStore(tmp_path / "c.sqlite")
    q = "Hoe kunnen gemeente, samenwerkingsverband en scholen " * 4
    store.add_turn("ana", ANA_ID, q, _answer(q))
    title = store.recent("ana")[0].title
    assert title.endswith("…") and len(title) <= 80 and q.startswith(title[:-1])


# -- the store through the handlers -------------------------------------------------------------
def test_a_conversation_is_restored_as_it_was_and_follow_ups_still_work(ctx):
    sess = Session("1" * 32, "ana")
    h1, html1 = ask(ctx, sess, HOUSING_Q)
    assert 'data-n="1"' in html1

    # a reload: a new session object from nothing but the user and the tab's id
    history, restored, html = open_conversation(ctx, "ana", "1" * 32)
    assert history == h1
    assert html == html1
    assert [t.question for t in restored.turns] == [HOUSING_Q]
    assert restored.turns[0].message_index == 1
    assert conversation_title(ctx, restored) == HOUSING_Q

    # the restored conversation rewrites a follow-up from its stored question
    _, html2 = ask(ctx, restored, FOLLOW_UP, history)
    assert REWRITTEN in html2
    again, _, html3 = open_conversation(ctx, "ana", "1" * 32)
    assert len(again) == 4 and REWRITTEN in html3


def test_new_conversation_starts_over(ctx):
    sess = Session("2" * 32, "ana")
    h, _ = ask(ctx, sess, HOUSING_Q)
    history, fresh, html, box = new_conversation(ctx, "ana", "3" * 32)
    assert history == [] and box == "" and "Hier verschijnen de passages" in html
    assert fresh.id == "3" * 32 and fresh.turns == []
    _, html_new = ask(ctx, fresh, FOLLOW_UP)
    # searched as typed: the housing question of the old conversation is not used
    assert "Gezocht op" not in html_new
    assert not fresh.turns[0].answer.rewritten
    # the old conversation is kept, the new one is stored with its first question
    titles = [label for label, _ in conversation_choices(ctx, "ana")]
    assert any(t.startswith(FOLLOW_UP) for t in titles)
    assert any(t.startswith(HOUSING_Q) for t in titles)


def test_one_user_never_sees_another_users_conversations(ctx):
    ana = Session(ANA_ID, "ana")
    ask(ctx, ana, "Welke tips zijn er over leerlingenvervoer?")
    assert any(i == ANA_ID for _, i in conversation_choices(ctx, "ana"))

    # bram's tab somehow holds ana's id: he sees an empty conversation, not hers
    history, bram, html = open_conversation(ctx, "bram", ANA_ID)
    assert history == [] and bram.turns == [] and "Hier verschijnen" in html
    assert all(i != ANA_ID for _, i in conversation_choices(ctx, "bram"))
    assert "niets verwijderd" in delete_conversation(ctx, bram)
    assert "Stel eerst een vraag" in rename_conversation(ctx, bram, "van bram")

    # his question under that id is his own conversation; hers is unchanged
    ask(ctx, bram, "Wat is het OOGO?")
    assert [t.question for t in open_conversation(ctx, "bram", ANA_ID)[1].turns] == [
        "Wat is het OOGO?"
    ]
    ana_turns = open_conversation(ctx, "ana", ANA_ID)[1].turns
    assert [t.question for t in ana_turns] == ["Welke tips zijn er over leerlingenvervoer?"]
    assert conversation_title(ctx, Session(ANA_ID, "ana")).startswith("Welke tips")
    # and the local user (no login) is nobody's login
    assert all(i != ANA_ID for _, i in conversation_choices(ctx, ""))


def test_rename_and_delete(ctx):
    sess = Session("4" * 32, "cor")
    assert "Stel eerst een vraag" in rename_conversation(ctx, sess, "Vervoer")
    ask(ctx, sess, "Wat kan de gemeente doen aan leerlingenvervoer?")
    assert "Typ eerst een naam" in rename_conversation(ctx, sess, "   ")
    assert "opgeslagen" in rename_conversation(ctx, sess, "  <b>Vervoer</b>   & zo  ")
    assert conversation_choices(ctx, "cor")[0][0].startswith("<b>Vervoer</b> & zo — ")
    assert "verwijderd" in delete_conversation(ctx, sess)
    assert conversation_choices(ctx, "cor") == []
    assert open_conversation(ctx, "cor", "4" * 32)[0] == []


def test_a_thumb_after_a_reload_updates_the_same_feedback_row(ctx):
    sess = Session("5" * 32, "ana")
    ask(ctx, sess, "Hoe werken gemeente en samenwerkingsverband samen in het OOGO?")
    assert "fout antwoord" in record_like(ctx, sess, 1, False)
    rows = len(ctx.feedback.rows())
    _, restored, _ = open_conversation(ctx, "ana", "5" * 32)
    assert "goed antwoord" in record_like(ctx, restored, 1, True)
    assert len(ctx.feedback.rows()) == rows
    assert ctx.feedback.rows()[-1]["rating"] == 1
    assert ctx.feedback.rows()[-1]["session"] == "5" * 32


def test_a_tampered_id_is_not_used(ctx):
    s = Session("../../etc/passwd", "ana")
    assert s.id != "../../etc/passwd" and len(s.id) == 32


# -- downloads ----------------------------------------------------------------------------------
def test_download_as_markdown_and_a4_docx_with_sources(ctx):
    from docx import Document

    sess = Session("6" * 32, "ana")
    assert export_conversation(ctx, sess, "md") is None  # nothing asked yet
    history, _ = ask(ctx, sess, HOUSING_Q)
    ask(ctx, sess, FOLLOW_UP, history)
    rename_conversation(ctx, sess, "Huisvesting *Lelystad*")
    cited = sess.turns[0].answer.citations[0]
    quote = next(s.text for s in sess.turns[0].answer.sentences if s.quoted)

    md_path = export_conversation(ctx, sess, "md")
    assert md_path and md_path.endswith("gesprek-Huisvesting-Lelystad.md")
    md = open(md_path, encoding="utf-8").read()
    assert md.startswith("# Huisvesting \\*Lelystad\\*\n")  # markup of the title stays text
    assert f"## 1. {HOUSING_Q}" in md and f"## 2. {FOLLOW_UP}" in md
    assert REWRITTEN in md
    assert " ".join(quote.split())[:60] in md
    assert "**Bronnen**" in md and f"[1] {cited.title}" in md
    assert " ".join(cited.text.split("\n")[0].split())[:60] in md  # the passage itself

    docx_path = export_conversation(ctx, sess, "docx")
    assert docx_path and docx_path.endswith(".docx")
    doc = Document(docx_path)
    section = doc.sections[0]
    # A4 (Word keeps twentieths of a point: 210 mm comes back as 210.01 mm)
    assert (round(section.page_width.mm), round(section.page_height.mm)) == (210, 297)
    text = "\n".join(p.text for p in doc.paragraphs)
    assert "Huisvesting *Lelystad*" in text
    assert " ".join(quote.split())[:60] in " ".join(text.split())
    assert f"[1] {cited.title}" in text and "Gezocht op:" in text
