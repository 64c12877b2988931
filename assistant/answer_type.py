"""Expected answer types: a question that asks for an amount, a count, a date, a person or contact
details is only answered when the evidence holds that kind of fact.

Similarity alone cannot tell "Wat kost leerlingenvervoer in Roosendaal?" from "Wat doet
Roosendaal aan leerlingenvervoer?": both land on the same passage. The first asks for an amount
the documents do not give, so the assistant must say so instead of quoting the passage.

>>> expected_type("Hoeveel leerlingen zitten in De Leerroute?")
'count'
>>> satisfies("count", "passend onderwijs biedt aan 132 leerlingen")
True
>>> satisfies("money", "passend onderwijs biedt aan 132 leerlingen")
False
>>> satisfies("person", "onder leiding van Jack Biskop"), satisfies("person", "Passend Onderwijs")
(True, False)
"""

from __future__ import annotations

import re

# Only explicit requests for a fact type count: "wanneer" also means "in which case" and
# "voor wie" asks for an audience, so neither demands a date or a name. Order matters: the first
# matching type wins ("hoeveel kost" is money, not a count).
_QUESTION_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    (
        "phone",
        re.compile(r"\b(telefoonnummer|telefonisch bereikbaar|phone number|telephone)\b", re.I),
    ),
    ("email", re.compile(r"\b(e-?mailadres|mailadres|e-?mail address)\b", re.I)),
    (
        "address",
        re.compile(
            r"\b(postadres|bezoekadres|adres van|(postal |street |visiting )?"
            r"address of|postal address|visiting address)\b",
            re.I,
        ),
    ),
    (
        "article",
        re.compile(
            r"\b(wetsartikel|welk artikel|in welk artikel|welke wetsbepaling|"
            r"which article|what article|article of the|legal provision|"
            r"(artikel|article|art\.)\s*\d+\w*)",
            re.I,
        ),
    ),
    (
        "money",
        re.compile(
            r"\b(hoeveel (geld|euro|kost\w*|bedraagt|bedroeg|subsidie|budget)|wat kost\w*|"
            r"wat (is|was|zijn|waren) (het|de) (totale |jaarlijkse |exacte )?"
            r"(budget|kosten|bedrag|bouwkosten|subsidie)\w*|"
            r"hoe hoog (is|was|zijn|waren) (het|de) \w*(budget|kosten|bedrag|subsidie)|"
            r"welk budget|hoeveel budget|(what|which) budget|"
            r"how much (money|funding|does|did|will|would|is|was|do)|"
            r"what (is|was|are|were) the (total |annual |exact |yearly )?"
            r"(budget|cost|costs|amount|price|construction cost)|what does .{1,60} cost)\b",
            re.I,
        ),
    ),
    (
        "duration",
        re.compile(
            r"\b(hoe lang|(gemiddelde|hoeveel) reistijd|how long|average travel time)\b", re.I
        ),
    ),
    (
        "count",
        re.compile(
            r"\b(hoeveel|how many|what number of|welk percentage|what percentage|what share|"
            r"wat (is|was|zijn|waren) (het|de) (\w+ )?(gemiddelde|percentage|aantal|"
            r"\w*percentage)|what (is|was) the (\w+ )?(average|percentage|number|rate))\b",
            re.I,
        ),
    ),
    (
        "date",
        re.compile(
            r"\b(in welk jaar|welke datum|op welke dag|sinds wanneer|wanneer (vond|was|werd|begon|"
            r"start\w*|eindig\w*)|which year|what year|what date|since when|"
            r"when (was|were|did|will|does) .{1,60} (held|take place|start|begin|end|published|"
            r"founded|set up|opened))\b",
            re.I,
        ),
    ),
    (
        "person",
        re.compile(
            r"\b(naam van|welke wethouder|wie (is|was|zijn|waren) (de|het) (wethouder|directeur|"
            r"voorzitter|contactpersoon|bestuurder)|name of|who (is|was|are|were) the (alderman|"
            r"director|chair|chairman|contact person|head))\b",
            re.I,
        ),
    ),
]

_NUMBER_WORDS = (
    r"twee|drie|vier|vijf|zes|zeven|acht|negen|tien|elf|twaalf|dertien|veertien|"
    r"twintig|dertig|veertig|vijftig|honderd|duizend|helft"
)
_MONTHS = (
    r"januari|februari|maart|april|mei|juni|juli|augustus|september|oktober|november|"
    r"december"
)

_EVIDENCE_PATTERNS: dict[str, re.Pattern[str]] = {
    "phone": re.compile(r"\b0\d{1,3}[- ]?\d{6,8}\b|\+31"),
    "email": re.compile(r"[\w.-]+@[\w-]+\.\w+"),
    "address": re.compile(r"\b\d{4}\s?[A-Z]{2}\b|\b(postbus|straat|laan|weg|plein)\s*\d", re.I),
    "article": re.compile(r"\bart(ikel|\.)\s*\d", re.I),
    "money": re.compile(r"(€|\beuro\b|\bmiljoen\b|\bmiljard\b|\d[\d.]*,-)", re.I),
    "duration": re.compile(
        rf"\b(\d+|{_NUMBER_WORDS})\s*(minuten|minuut|uur|uren|dagen|weken|maanden|jaar|jaren)\b",
        re.I,
    ),
    "count": re.compile(rf"(\b\d+\b|\b({_NUMBER_WORDS})\b)", re.I),
    "date": re.compile(rf"(\b(19|20)\d\d\b|\b({_MONTHS})\b|\b\d{{1,2}}[-/]\d{{1,2}}\b)", re.I),
    # Two capitalised words in a row (a name), possibly with an affix ("Dolf van Veen").
    "person": re.compile(r"\b([A-Z][a-zé]+) (?:(?:van|de|der|den|ter|ten)\s)*([A-Z][a-zé]+)"),
}

# Capitalised words that start organisation names and titles, not people's names.
_NOT_NAMES = {
    "samen",
    "naar",
    "week",
    "platform",
    "passend",
    "onderwijs",
    "inclusief",
    "inclusiever",
    "inclusieve",
    "steunpunt",
    "landelijke",
    "conferentie",
    "ministerie",
    "directie",
    "jeugd",
    "leernetwerk",
    "netwerk",
    "sectorraad",
    "programma",
    "beleidsregel",
    "stichting",
    "het",
    "de",
    "een",
    "swv",
    "koers",
    "wenkend",
    "perspectief",
    "deelnemersraad",
    "jongeren",
    "handicap",
    "wmo",
    "participatiewet",
    "jeugdwet",
    "integraal",
    "huisvestingsplan",
    "goeree",
    "overflakkee",
    "in",
    "bij",
    "binnen",
    "vanuit",
    "op",
    "tijdens",
    "daarna",
    "vervolgens",
    "kansengelijkheid",
    "onderwijsondersteuning",
    "samenleving",
    "nederland",
    "utrecht",
    "lelystad",
    "leerroute",
    "porteum",
    "stromenland",
    "driegang",
    "nijmegen",
    "zorg",
    "jeugdhulp",
}


def expected_type(question: str) -> str | None:
    """The kind of fact a question asks for, or None for open questions."""
    for name, pat in _QUESTION_PATTERNS:
        if pat.search(question):
            return name
    return None


def satisfies(kind: str | None, text: str) -> bool:
    """Does the text contain a fact of the expected kind?"""
    if kind is None:
        return True
    if kind == "person":
        return any(
            a.lower() not in _NOT_NAMES and b.lower() not in _NOT_NAMES
            for a, b in _EVIDENCE_PATTERNS["person"].findall(text)
        )
    return bool(_EVIDENCE_PATTERNS[kind].search(text))
