"""Extractive cited answers: verbatim quotes, [n] on every sentence, frames, refusals."""

from __future__ import annotations

import re

import pytest

from assistant.answer import Answer, verify
from assistant.answer_type import expected_type, satisfies
from assistant.retrieve import Filters
from assistant.text import detect_language


def _quote_lines(ans: Answer) -> list[str]:
    return [ln for ln in ans.text.splitlines() if ln.startswith("- ")]


@pytest.mark.parametrize(
    "question, lang",
    [
        ("Wat kan de gemeente doen aan leerlingenvervoer?", "nl"),
        ("How do we approach pupil transport?", "en"),
    ],
)
def test_pupil_transport_answer_is_cited_and_verbatim(assistant, question, lang):
    ans = assistant.ask(question)
    assert not ans.refused
    assert ans.lang == lang
    assert ans.citations and any("leerlingenvervoer" in p.themes for p in ans.citations)
    lines = _quote_lines(ans)
    assert lines, ans.text
    for line in lines:  # every statement ends with its citation marker
        assert re.search(r" \[\d+\]$", line), line
    for s in ans.sentences:  # and is a verbatim slice of the passage it cites
        cited = ans.citations[s.n - 1]
        assert cited.text[s.start : s.end] == s.text
    assert verify(ans) == []


def test_frame_follows_the_question_language(assistant):
    nl = assistant.ask("Welke tips geeft de handreiking over onderwijshuisvesting?")
    en = assistant.ask("Which tips does the handbook give about school buildings?")

    def frames(text: str) -> list[str]:  # the lines that introduce a passage's quotes
        return [ln for ln in text.splitlines() if ln.endswith(":") and not ln.startswith("- ")]

    frames_nl, frames_en = frames(nl.text), frames(en.text)
    assert frames_nl and all(
        re.match(r"^(Volgens|Tip uit|Praktijkvoorbeeld uit)", f) for f in frames_nl
    )
    assert frames_en and all(
        re.match(r"^(According to|A tip from|A practice example from)", f) for f in frames_en
    )
    assert all("quoted in Dutch" in f for f in frames_en)
    assert "Samen werken aan inclusiever onderwijs" in nl.text
    # English askers get the Dutch terms of the quotes glossed; Dutch askers do not.
    assert en.key_terms and "Key terms: " in en.text and not nl.key_terms
    assert all(term in " ".join(s.text for s in en.sentences) for term, _ in en.key_terms)


def test_practice_example_question_cites_the_region(assistant):
    ans = assistant.ask("What did Lelystad do about school buildings?")
    assert not ans.refused
    assert "Lelystad" in ans.citations[0].regions
    assert ans.citations[0].kind == "praktijkvoorbeeld"
    assert "Porteum" in ans.text


@pytest.mark.parametrize(
    "question",
    [
        "Wat is het recept voor appeltaart?",
        "Who won the football world cup in 2022?",
        "Hoe reset ik mijn wachtwoord van Outlook?",
        "Wat is het telefoonnummer van samenwerkingsverband Driegang?",
        "Hoeveel geld geeft de gemeente Roosendaal uit aan leerlingenvervoer?",
    ],
)
def test_questions_the_documents_do_not_answer_are_refused(assistant, question):
    ans = assistant.ask(question)
    assert ans.refused, ans.text
    assert not ans.citations and not ans.sentences
    lang = detect_language(question)
    expected = (
        "De documenten geven geen antwoord" if lang == "nl" else "The documents do not answer"
    )
    assert ans.text.startswith(expected)
    assert ans.related, "the nearest passages are offered as 'misschien relevant'"
    hint = "Misschien relevant" if lang == "nl" else "Possibly relevant"
    assert hint in ans.text


def test_json_contract(assistant):
    data = assistant.ask("Wat kan de gemeente doen aan leerlingenvervoer?").to_json()
    assert {"question", "answer", "refused", "citations"} <= set(data)
    assert data["refused"] is False
    for n, c in enumerate(data["citations"], 1):
        assert c["n"] == n
        assert {
            "n",
            "doc_id",
            "title",
            "page",
            "section",
            "kind",
            "themes",
            "text",
            "score",
        } <= set(c)


def test_filters_apply_to_answers(assistant):
    ans = assistant.ask(
        "Wat kan de gemeente doen aan jeugdhulp op school?", filters=Filters(kinds=["tip"])
    )
    assert ans.citations and all(p.kind == "tip" for p in ans.citations)


def test_verify_catches_broken_citations(assistant):
    ans = assistant.ask("Wat kan de gemeente doen aan leerlingenvervoer?")
    broken = Answer(
        ans.question,
        ans.lang,
        False,
        ans.text + " Verzonnen zin. [9]",
        sentences=ans.sentences,
        citations=ans.citations,
    )
    assert any("[9]" in p for p in verify(broken))
    s = ans.sentences[0]
    tampered = Answer(
        ans.question,
        ans.lang,
        False,
        ans.text,
        sentences=[type(s)(s.text + " extra", s.n, s.passage_id, s.start, s.end, s.score)],
        citations=ans.citations,
    )
    assert any("letterlijk" in p for p in verify(tampered))


def test_expected_answer_types():
    assert expected_type("Hoeveel gemeenten werken samen in Driegang?") == "count"
    assert expected_type("What was the total construction cost of Porteum?") == "money"
    assert expected_type("Voor wie is de handreiking bedoeld?") is None  # audience, not a name
    assert expected_type("Wanneer is een overgang risicovol?") is None  # 'wanneer' = 'when/if'
    assert satisfies("count", "werkt met zes gemeenten samen")
    assert not satisfies("money", "met zes gemeenten")
    assert satisfies("person", "onder leiding van Jack Biskop (SWV PO Roosendaal-Moerdijk)")
    assert not satisfies("person", "het platform Naar Inclusiever Onderwijs")


def test_language_detection():
    assert detect_language("How do we approach pupil transport?") == "en"
    assert detect_language("Wat kan de gemeente doen aan leerlingenvervoer?") == "nl"
    assert detect_language("leerlingenvervoer tips?") == "nl"
