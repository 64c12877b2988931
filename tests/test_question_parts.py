"""Reading a question: its parts, what each asks for, and the specific things it names."""

from __future__ import annotations

import pytest

from assistant.question import asks, fits, leans_back, points_forward, split_parts
from assistant.specifics import IndexFacts, find_specifics, not_found


@pytest.mark.parametrize(
    "question, parts",
    [
        (
            "Who pushed for the new building, and how many pupils go to school there now?",
            ["Who pushed for the new building", "how many pupils go to school there now?"],
        ),
        (
            "Welke rol krijgt het speciaal onderwijs, en vanaf welk jaar verandert dat?",
            ["Welke rol krijgt het speciaal onderwijs", "vanaf welk jaar verandert dat?"],
        ),
        (
            "Is de website alleen voor scholen? En wat staat er voor gemeenten op?",
            ["Is de website alleen voor scholen?", "wat staat er voor gemeenten op?"],
        ),
        # One question with "and" inside a clause stays one part.
        (
            "How do schools and municipalities keep the focus on pupils?",
            ["How do schools and municipalities keep the focus on pupils?"],
        ),
    ],
)
def test_multi_part_questions_are_split(question, parts):
    assert [p.text for p in split_parts(question)] == parts


@pytest.mark.parametrize(
    "question, kind",
    [
        ("Hoeveel gemeenten doen mee?", "count"),
        ("Who chaired the meeting?", "who"),
        ("Wanneer is het plan opgesteld?", "when"),
        ("How should we approach pupil transport?", "howto"),
        ("Waarom is een gedeelde visie belangrijk?", "why"),
        ("What did Lelystad do with its new campus?", "example"),
        ("When we meet the council, what matters most?", None),  # "when" as a condition
    ],
)
def test_what_a_part_asks_for(question, kind):
    assert asks(question) == kind


def test_what_a_sentence_offers():
    assert fits("count", "Op zes basisscholen is extra inzet gerealiseerd.")
    assert not fits("count", "Er is extra inzet gerealiseerd.")
    assert fits("when", "De conferentie vindt plaats op 28 januari 2022 van 9:30 tot 13:00 uur.")
    assert fits("howto", "TIP: Organiseer regelmatig schoolbezoeken voor wethouders.")
    assert fits("who", "Het gesprek stond onder leiding van Jack Biskop.")
    assert leans_back("Zij doet dit door een team beschikbaar te stellen.")
    assert not leans_back("Het Steunpunt stelt een team beschikbaar.")
    assert points_forward("Onderstaande tips stimuleren de samenwerking.")


@pytest.mark.parametrize(
    "question, named",
    [
        ("What did Zwolle do about pupil transport?", ["Zwolle"]),
        ("Wat deed de gemeente Almere aan schoolgebouwen?", ["Almere"]),
        ("Did Jan de Vries sign the plan in March 2024?", ["Jan de Vries", "March", "2024"]),
        ("Doet basisschool De Regenboog mee?", ["De Regenboog"]),
        ("Wat staat er in artikel 17a van de WVO?", ["artikel 17a", "WVO"]),
        ("Zijn de kosten met 40% gestegen?", ["40%"]),
        ("How many euros does the council spend?", ["euros"]),
        # A question's first word and English title words are not names.
        ("How does the Week of Inclusive Education work?", []),
        ("Waarom is dat belangrijk?", []),
    ],
)
def test_the_specific_things_a_question_names(question, named):
    assert [s.text for s in find_specifics(question)] == named


def test_not_found_looks_names_up_in_the_index_and_figures_in_the_answer():
    index = IndexFacts(
        [
            "Bij de bouw van schoolcampus Porteum heeft de gemeente Lelystad zich hard gemaakt.",
            "In 2016 werd het VN-verdrag geratificeerd; de kosten stegen met 12%.",
        ]
    )
    answer = [index.texts[0]]  # the answer quotes only the Lelystad passage
    ask = lambda q: not_found(find_specifics(q), index, answer)
    assert ask("What did Zwolle do?") == ["Zwolle"]
    assert ask("What did Lelystad do at the Porteum campus?") == []  # "campus" in a compound
    assert ask("Was het VN-verdrag in 2016 of in 2014 geratificeerd?") == ["2014"]
    # A share must be in the passages the answer draws on, not just somewhere in the index.
    assert ask("Stegen de kosten in Lelystad met 12%?") == ["12%"]
    assert ask("Wat deden Zwolle, Almere en Lelystad?") == ["Zwolle", "Almere"]
