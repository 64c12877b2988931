"""Everything the assistant says in its own words, per language: one place to read and edit.

Answers are framed in the question's language (Dutch or English) around Dutch quotes; the
messages for refusals, empty indexes, a failed language model and support marks live here, so a
new wording, or a new language, is a change to this module only.

>>> TEXTS["en"]["refusal"]
'The documents do not answer this question.'
>>> why("timeout", "nl")
'reageerde niet op tijd'
"""

from __future__ import annotations

from ingest.passage import Passage

DOC_NOUN = {
    "nl": {
        "handreiking": "de handreiking",
        "nieuws": "het nieuwsbericht",
        "stappenplan": "het stappenplan",
        "praktijkvoorbeelden": "de praktijkvoorbeelden",
        "overig": "het document",
    },
    "en": {
        "handreiking": "the handbook",
        "nieuws": "the news item",
        "stappenplan": "the plan",
        "praktijkvoorbeelden": "the practice examples",
        "overig": "the document",
    },
}

TEXTS = {
    "nl": {
        "refusal": "De documenten geven geen antwoord op deze vraag.",
        "refusal_hint": "Misschien relevant (geen antwoord, wel het dichtstbij):",
        "empty": "Er zijn nog geen documenten in de index. Voer eerst `inclusie ingest` uit.",
        "filtered": "Met deze filters zijn er geen passages gevonden.",
        "fallback": (
            "Het taalmodel {why}; hieronder het antwoord met citaten uit de documenten zelf."
        ),
        "why_unreachable": "is niet bereikbaar",
        "why_timeout": "reageerde niet op tijd",
        "why_http_error": "gaf een foutmelding",
        "why_bad_response": "gaf een onbruikbaar antwoord",
        "why_empty": "gaf een leeg antwoord",
        "why_no_citations": "verwees niet naar de bronnen",
        "why_unsupported": "schreef vooral zinnen die de bronnen niet dragen",
        "why_not_installed": "kan niet worden gebruikt (pakket langchain-openai ontbreekt)",
        "removed": "Verwijzingen naar niet-bestaande bronnen zijn weggelaten: {markers}.",
        "weak": "zwak onderbouwd",
        "unsupported": "niet onderbouwd",
        "not_found": "De documenten noemen {items} niet.",
        "refusal_not_found": "Ze noemen {items} niet.",
        "in_english": "In het Engels",
        "key_terms": "Kernbegrippen: {terms}.",
        "no_english": "Geen Engelse weergave: het taalmodel {why}.",
        "nearest": "Wat er het dichtst bij komt:",
        "unanswered": "Op de vraag „{part}” geven de documenten geen antwoord.",
        "filtered_by": "Gezocht binnen de filters: {filters}.",
        "and": "en",
        "filter_themes": "thema",
        "filter_kinds": "soort",
        "filter_regions": "regio",
        "filter_docs": "document",
    },
    "en": {
        "refusal": "The documents do not answer this question.",
        "refusal_hint": "Possibly relevant (not an answer, but the closest passages):",
        "empty": "The index is empty. Run `inclusie ingest` first.",
        "filtered": "No passages match these filters.",
        "fallback": "The language model {why}; below is the answer quoted from the documents.",
        "why_unreachable": "could not be reached",
        "why_timeout": "did not answer in time",
        "why_http_error": "returned an error",
        "why_bad_response": "returned an unusable answer",
        "why_empty": "returned an empty answer",
        "why_no_citations": "did not cite the sources",
        "why_unsupported": "wrote mostly sentences the sources do not support",
        "why_not_installed": "cannot be used (package langchain-openai is missing)",
        "removed": "Citations of sources that do not exist were left out: {markers}.",
        "weak": "weakly supported",
        "unsupported": "not supported",
        "not_found": "The documents do not mention {items}.",
        "refusal_not_found": "They do not mention {items}.",
        "in_english": "In English",
        "key_terms": "Key terms: {terms}.",
        "no_english": "No English renderings: the language model {why}.",
        "nearest": "The closest they come:",
        "unanswered": 'The documents do not answer "{part}".',
        "filtered_by": "Searched within the filters: {filters}.",
        "and": "and",
        "filter_themes": "theme",
        "filter_kinds": "kind",
        "filter_regions": "region",
        "filter_docs": "document",
    },
}


def frame(p: Passage, lang: str) -> str:
    """Lead-in for the sentences quoted from one passage, in the question's language."""
    noun = DOC_NOUN[lang].get(p.doc_kind, DOC_NOUN[lang]["overig"])
    where = p.location
    if lang == "en":
        src = f'{noun} "{p.title}"' + (f" ({where})" if where else "")
        if p.kind == "tip":
            return f"A tip from {src}, quoted in Dutch:"
        if p.kind == "praktijkvoorbeeld":
            region = " and ".join(p.regions) if p.regions else "a region"
            return f"A practice example from {region}, in {src}, quoted in Dutch:"
        return f"According to {src}, quoted in Dutch:"
    src = f"{noun} „{p.title}”" + (f" ({where})" if where else "")
    if p.kind == "tip":
        return f"Tip uit {src}:"
    if p.kind == "praktijkvoorbeeld":
        region = " en ".join(p.regions) if p.regions else "een regio"
        return f"Praktijkvoorbeeld uit {region}, in {src}:"
    return f"Volgens {src}:"


def why(reason: str, lang: str) -> str:
    """Why the language model could not be used (``LLMUnavailable.reason``), as a phrase."""
    return TEXTS[lang].get(f"why_{reason}", TEXTS[lang]["why_bad_response"])


def join(items: list[str], lang: str) -> str:
    """ "A, B en C" / "A, B and C"."""
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + f" {TEXTS[lang]['and']} " + items[-1]


def filters_line(filters: dict, lang: str) -> str:
    """Which filters an answer was searched within, or "" without filters."""
    parts = [
        f"{TEXTS[lang]['filter_' + key]} {', '.join(values)}"
        for key, values in filters.items()
        if values
    ]
    return TEXTS[lang]["filtered_by"].format(filters="; ".join(parts)) if parts else ""
