"""The glossary: English questions reach Dutch terms, Dutch quotes get English glosses, and a
user's own glossary file extends the shipped one."""

from __future__ import annotations

import pytest

from assistant.glossary import Glossary, GlossaryError, Term
from assistant.retrieve import HybridRetriever
from evals.gold import DEV_QUESTIONS, is_relevant, load_questions
from ingest.settings import BUNDLED_GLOSSARY, Settings

from .conftest import run_cli

HARD_DEV_QUESTIONS = DEV_QUESTIONS.with_name("hard_dev_questions.jsonl")


@pytest.fixture(scope="module")
def glossary() -> Glossary:
    return Glossary.load()


# -- the shipped file ------------------------------------------------------------------------------


def test_every_dutch_term_of_the_shipped_glossary_occurs_in_the_ingested_corpus(assistant):
    texts = [p.text for p in assistant.store.all_passages()]  # the cleaned text, as quoted
    glossary = Glossary.load()
    assert len(glossary) >= 100
    missing = [
        (term.nl, form)
        for term in glossary.terms
        for form in term.dutch
        # each form on its own, matched the way key_terms matches it (case, whole words)
        if not Glossary([Term(form, term.en, expansion=term.expansion)]).key_terms(texts)
    ]
    assert not missing, f"not in the corpus as ingested: {missing}"


# -- English questions -> Dutch terms --------------------------------------------------------------


def test_english_phrasings_map_to_dutch_terms(glossary):
    assert glossary.dutch_terms("How do we handle pupil transport for special needs pupils?") == [
        "leerlingenvervoer",
        "extra ondersteuning",
    ]
    # case-insensitive, and the abbreviations askers type
    assert glossary.dutch_terms("Can SEN pupils get a TLV?") == [
        "extra ondersteuning",
        "toelaatbaarheidsverklaringen",
    ]


def test_plural_and_singular_find_the_same_term(glossary):
    for q in ("Who owns the school building?", "Who owns the school buildings?"):
        assert glossary.dutch_terms(q) == ["onderwijshuisvesting"], q


def test_the_longest_phrasing_wins(glossary):
    # "support plan council" is the OPR, not a support plan plus a municipal council
    assert glossary.dutch_terms("Does the support plan council have a say?") == ["OPR"]
    assert glossary.dutch_terms("Who reads the support plan?") == ["ondersteuningsplan"]
    # "new school buildings" is new construction, "school buildings" alone is accommodation
    assert glossary.dutch_terms("Who pays for new school buildings?") == ["nieuwbouw"]


def test_only_whole_words_match(glossary):
    # "sen" (special educational needs) is not in "senate", "transport" not in "transportable"
    assert glossary.dutch_terms("Did the senate discuss transportable classrooms?") == []


def test_dutch_questions_get_no_dutch_terms(glossary):
    q = "Hoe regelen we leerlingenvervoer voor het speciaal onderwijs?"
    assert glossary.dutch_terms(q) == []


# -- Dutch text -> English glosses -----------------------------------------------------------------


def test_key_terms_of_real_corpus_sentences(glossary):
    sentences = [
        "OOGO elke zes weken in een regionaal ambtelijk overleg.",
        "Deze notitie geeft houvast aan gemeenten en samenwerkingsverbanden",
        "anders in het voortgezet speciaal onderwijs terecht",
        "één van de zes levensdomeinen van deze lokale inclusie-agenda",
    ]
    pairs = glossary.key_terms(sentences)
    terms = [nl for nl, _ in pairs]
    # in order of first appearance, as written, the longest form ("voortgezet speciaal
    # onderwijs", "lokale inclusie-agenda") rather than the terms inside it
    assert terms == [
        "OOGO",
        "gemeenten",
        "samenwerkingsverbanden",
        "voortgezet speciaal onderwijs",
        "levensdomeinen",
        "lokale inclusie-agenda",
    ]
    gloss = dict(pairs)
    # an acronym's gloss ends in its Dutch full form
    assert gloss["OOGO"] == "consultation aimed at agreement (op overeenstemming gericht overleg)"
    assert gloss["gemeenten"] == "municipality"
    assert gloss["levensdomeinen"] == "life domains"


def test_key_terms_are_deduplicated_across_sentences(glossary):
    pairs = glossary.key_terms(
        ["De gemeenten betalen het leerlingenvervoer.", "De gemeente overlegt in het OOGO."]
    )
    assert [nl for nl, _ in pairs] == ["gemeenten", "leerlingenvervoer", "OOGO"]


def test_acronyms_match_in_their_own_case_and_words_only_whole(glossary):
    # "oog" is Dutch for eye, OOG an organisation; "inclusiever" is not "inclusie"
    assert glossary.key_terms(["Houd oog voor inclusiever werken."]) == []
    assert [nl for nl, _ in glossary.key_terms(["Het Steunpunt werkt samen met OOG."])] == ["OOG"]
    # a compound is its own word: "onderwijshuisvesting" does not also yield "huisvesting"
    assert [nl for nl, _ in glossary.key_terms(["Over onderwijshuisvesting."])] == [
        "onderwijshuisvesting"
    ]


# -- a user's own glossary -------------------------------------------------------------------------

USER_GLOSSARY = """\
terms:
  - nl: loket
    en: desk (single point of contact)
    en_alt: [joint desk, one-stop shop, single point of contact]
  - nl: leerlingenvervoer
    en: school transport
    en_alt: [pupil transport, kids' rides]
"""


def test_a_user_glossary_extends_and_overrides_the_shipped_one(tmp_path, monkeypatch):
    path = tmp_path / "mijn-termen.yaml"
    path.write_text(USER_GLOSSARY, encoding="utf-8")
    monkeypatch.setenv("INCLUSIE_GLOSSARY_FILE", str(path))
    settings = Settings()
    assert settings.glossary_file == path
    glossary = Glossary.load(settings.glossary_file)
    shipped = Glossary.load()
    assert len(glossary) == len(shipped) + 1  # one new entry, one replaced
    # the new entry, both ways
    assert glossary.dutch_terms("Could we open a one-stop shop for parents?") == [
        "loket",
        "ouders",
    ]
    assert glossary.key_terms(["Eén loket voor ouders."])[0] == (
        "loket",
        "desk (single point of contact)",
    )
    # the replaced entry: the user's gloss and phrasings
    assert dict(glossary.key_terms(["leerlingenvervoer"])) == {
        "leerlingenvervoer": "school transport"
    }
    assert glossary.dutch_terms("Who drives the kids' rides?") == ["leerlingenvervoer"]
    # the rest of the shipped glossary is still there
    assert glossary.dutch_terms("Is there an OPDC?") == ["OPDC"]


def test_the_assistant_searches_with_the_user_glossary(indexed_settings, tmp_path):
    from assistant.answer import Assistant

    path = tmp_path / "mijn-termen.yaml"
    path.write_text(USER_GLOSSARY, encoding="utf-8")
    settings = Settings(data_dir=indexed_settings.data_dir, glossary_file=path)
    a = Assistant(settings)
    r = a.search("Could the municipality and the partnership set up one joint desk?")
    assert "loket" in r.expanded_terms
    assert a.retriever.glossary is a.glossary  # loaded once, shared


@pytest.mark.parametrize(
    "text, expected",
    [
        ("terms:\n  - nl: loket\n    en_alt: [desk]\n", ["regel 2, term 1 ('loket')", "'en'"]),
        (
            "terms:\n  - nl: a\n    en: b\n  - nl: loket\n    en: desk\n    en-alt: [x]\n",
            ["regel 4, term 2 ('loket')", "onbekend veld 'en-alt'"],
        ),
        ("terms:\n  - nl: loket\n    en: desk\n    forms: 7\n", ["'forms'", "lijst"]),
        ("terms:\n  - nl: loket\n    en: [desk, counter]\n", ["'en'", "tekst"]),
        ("- nl: loket\n  en: desk\n", ["'terms'"]),
        ("terms:\n  - nl: loket\n    en: desk\n   en_alt: [x]\n", ["geen geldige YAML", "regel"]),
        (
            "terms:\n  - nl: loket\n    en: desk\n  - nl: Loket\n    en: counter\n",
            ["term 2", "staat er al"],
        ),
    ],
)
def test_a_bad_user_glossary_names_the_file_and_the_entry(tmp_path, text, expected):
    path = tmp_path / "mijn-termen.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(GlossaryError) as err:
        Glossary.load(path)
    message = str(err.value)
    assert str(path) in message
    for part in expected:
        assert part in message, message


def test_a_missing_user_glossary_is_reported(tmp_path):
    with pytest.raises(GlossaryError, match="niet gevonden"):
        Glossary.load(tmp_path / "bestaat-niet.yaml")


def test_the_command_stops_with_a_clear_message_on_a_bad_glossary(tmp_path):
    path = tmp_path / "mijn-termen.yaml"
    path.write_text("terms:\n  - nl: loket\n", encoding="utf-8")
    res = run_cli(
        "search",
        "leerlingenvervoer",
        env={"INCLUSIE_GLOSSARY_FILE": str(path), "INCLUSIE_DATA_DIR": str(tmp_path / "data")},
    )
    assert res.returncode == 2
    assert "mijn-termen.yaml" in res.stderr and "'en' ontbreekt" in res.stderr, res.stderr
    assert "Traceback" not in res.stderr


def test_the_shipped_file_is_the_default():
    assert Settings().glossary_file is None
    assert Glossary.load().terms == Glossary.load(None, BUNDLED_GLOSSARY).terms


# -- retrieval -------------------------------------------------------------------------------------


def _without_glossary(assistant) -> HybridRetriever:
    """A retriever over the same index and model, with the English expansion switched off."""
    return HybridRetriever(
        assistant.settings, store=assistant.store, embedder=assistant.embedder, glossary=Glossary()
    )


def _rank(question, passages) -> int:
    return next((i for i, p in enumerate(passages) if is_relevant(question, p.text)), 99)


def test_an_english_question_that_needs_bm25_ranks_its_answer_higher(assistant):
    # "life domains" -> levensdomeinen, "local inclusion agenda" -> lokale inclusie-agenda: the
    # answering sentence is found by its Dutch words, which the dense side alone ranks lower.
    q = next(q for q in load_questions(HARD_DEV_QUESTIONS) if q.id == "hd004")
    with_glossary = assistant.search(q.question, k=10)
    without = _without_glossary(assistant).search(q.question, k=10)
    assert {"levensdomeinen", "inclusie-agenda"} <= set(with_glossary.expanded_terms)
    assert with_glossary.bm25_weight > without.bm25_weight
    assert _rank(q, with_glossary.passages) < _rank(q, without.passages)


def test_bm25_weight_follows_how_much_of_an_english_question_the_glossary_covers(assistant):
    # every content word maps ("pupil transport" -> leerlingenvervoer): BM25 takes full part
    mapped = assistant.search("How do we approach pupil transport?")
    assert mapped.expanded_terms == ["leerlingenvervoer"]
    assert mapped.bm25_weight == pytest.approx(assistant.retriever.bm25_weight)
    # nothing maps and no word is Dutch: BM25 stays out, as before
    unmapped = assistant.search("Who chaired the debate about the themes at the closing meeting?")
    assert unmapped.expanded_terms == []
    assert unmapped.bm25_weight < 0.25


def test_a_generic_dutch_term_adds_no_bm25_weight(assistant):
    # "gemeente" is in most passages: searching for it would only add noise
    r = assistant.search("What should the municipality keep in mind?")
    assert "gemeente" in assistant.glossary.dutch_terms(r.question)
    assert r.expanded_terms == []


def test_dutch_rankings_are_unchanged_by_the_glossary(assistant):
    plain = _without_glossary(assistant)
    dutch = [q for q in load_questions(DEV_QUESTIONS) if q.lang == "nl"][:12]
    assert dutch
    for q in dutch:
        a, b = assistant.search(q.question, k=10), plain.search(q.question, k=10)
        assert [(p.id, p.score) for p in a.passages] == [(p.id, p.score) for p in b.passages]
        assert (a.bm25_weight, a.expanded_terms) == (b.bm25_weight, [])
