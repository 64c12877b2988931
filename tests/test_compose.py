"""Answers that answer: each part of a question, honest near-misses, readable quotes.

Real index of the bundled corpus, real e5; the questions are written for these tests (not taken
from the eval sets).
"""

from __future__ import annotations

import pytest

from assistant.answer import verify
from assistant.compose import QUOTES_V1_COMPOSER, QuoteComposer
from assistant.question import leans_back
from assistant.retrieve import Filters
from ingest.sentences import sentence_spans


def test_each_part_of_a_two_part_question_gets_its_own_quote(assistant):
    ans = assistant.ask(
        "Wie maakte zich bij de bouw van campus Porteum hard voor extra investeringen, "
        "en hoeveel leerlingen krijgen nu regulier onderwijs via De Leerroute?"
    )
    assert not ans.refused and verify(ans) == []
    assert "gemeente Lelystad zich uiteindelijk hard gemaakt" in ans.text  # who
    assert "132 leerlingen" in ans.text  # how many


def test_the_first_release_answers_only_one_part(assistant):
    """The same question through quotes-v1 (the baseline the eval keeps beside it)."""
    q = (
        "Wie maakte zich bij de bouw van campus Porteum hard voor extra investeringen, "
        "en hoeveel leerlingen krijgen nu regulier onderwijs via De Leerroute?"
    )
    v1 = QuoteComposer(assistant.store, assistant.calibration, QUOTES_V1_COMPOSER)
    ans = v1.answer(q, assistant.search(q))
    assert not ans.refused
    assert not ("hard gemaakt" in ans.text and "132 leerlingen" in ans.text)


@pytest.mark.parametrize(
    "question, lang",
    [
        ("What did Zwolle do to keep its pupil transport costs down?", "en"),
        ("Wat deed Zwolle om de kosten van het leerlingenvervoer te beperken?", "nl"),
    ],
)
def test_a_place_the_documents_do_not_name_is_said_first(assistant, question, lang):
    ans = assistant.ask(question)
    assert ans.not_found == ["Zwolle"]
    first = ans.text.splitlines()[0]
    expected = {
        "en": "The documents do not mention Zwolle.",
        "nl": "De documenten noemen Zwolle niet.",
    }
    assert first == expected[lang]
    assert ans.to_json()["not_found"] == ["Zwolle"]
    if not ans.refused:  # what follows is what the documents do say, cited
        assert "Zwolle" not in " ".join(s.text for s in ans.sentences) and verify(ans) == []


def test_a_figure_the_passages_do_not_give_is_named(assistant):
    ans = assistant.ask(
        "Zijn de kosten van het leerlingenvervoer in Roosendaal-Moerdijk met 35% gestegen?"
    )
    assert ans.refused or ans.not_found == ["35%"]
    assert "35%" in ans.text


def test_answerable_questions_name_nothing_as_missing(assistant):
    for q in (
        "Wat deed Lelystad bij de bouw van schoolcampus Porteum?",
        "How does 's-Hertogenbosch bring youth care into primary schools?",
        "Met hoeveel gemeenten werkt samenwerkingsverband Driegang samen?",
        "What did the 2023 Week of Inclusive Education closing meeting discuss?",
    ):
        ans = assistant.ask(q)
        assert ans.not_found == [], (q, ans.not_found)


def test_a_sentence_that_leans_back_is_quoted_with_the_one_before(assistant):
    checked = 0
    for q in (
        "Hoe stelt het Steunpunt een ondersteuningsteam beschikbaar?",
        "Hoe ondersteunt het Steunpunt de Samen naar school-initiatieven?",
    ):
        ans = assistant.ask(q)
        quoted = {(s.passage_id, s.start) for s in ans.sentences}
        for s in ans.sentences:
            if not leans_back(s.text):
                continue
            p = ans.citations[s.n - 1]
            spans = sentence_spans(p.text)
            i = next(i for i, (a, _) in enumerate(spans) if a == s.start)
            assert i > 0 and (p.id, spans[i - 1][0]) in quoted, s.text
            checked += 1
    assert checked  # the questions do draw on sentences such as "Zij doet dit door ..."


def test_with_filters_the_answer_says_which_and_answers_from_them(assistant):
    ans = assistant.ask(
        "Wat kan de gemeente doen aan leerlingenvervoer?",
        filters=Filters(themes=["leerlingenvervoer"], kinds=["tip"]),
    )
    assert not ans.refused  # the filtered passages (tips) do answer it
    assert all(p.kind == "tip" for p in ans.citations)
    assert "Gezocht binnen de filters: thema leerlingenvervoer; soort tip." in ans.text
