"""What a question asks: its parts, and the kind of answer each part wants.

An adviser's question often asks two things at once ("Who pushed for the extra investment, and
how many pupils now get their education there?"). The composer answers each part with its own
sentences, so a part that the documents answer is not crowded out by the other one, and a part
they do not answer can be named as such.

Each part also says what kind of sentence answers it: ``who`` wants people, organisations or
bodies; ``when`` a date, month or year; ``count`` a number; ``money`` / ``percent`` an amount or
a share; ``howto`` advice (a TIP, an imperative, "het is belangrijk dat ..."); ``why`` a reason;
``example`` what a named region did.

>>> [p.text for p in split_parts("Wie is verantwoordelijk, en welk belang staat centraal?")]
['Wie is verantwoordelijk', 'welk belang staat centraal?']
>>> [p.asks for p in split_parts("Who chaired it, and how many people took part?")]
['who', 'count']
>>> asks("How should we approach pupil transport?"), asks("Waarom is dat zo?")
('howto', 'why')
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .answer_type import expected_type, satisfies

# A new question clause after "and"/"en" (or ";"): an optional preposition, then a question
# word or an auxiliary verb that starts a yes/no question.
_EN_Q = (
    r"who|whom|whose|what|which|when|where|why|how|is|are|was|were|do|does|did|can|could|"
    r"should|will|would|has|have"
)
_NL_Q = (
    r"wie|wat|welke|welk|wanneer|waar|waarom|hoe|hoeveel|is|zijn|was|waren|heeft|hebben|"
    r"doet|doen|deed|kan|kunnen|moet|moeten|wordt|worden|krijgt|krijgen|blijft|gaat|wil"
)
_PREP = (
    r"to|in|on|at|from|for|with|across|until|since|by|of|during|under|"
    r"tot|in|op|aan|van|voor|met|vanaf|sinds|bij|om|over|onder|uit|naar"
)
_SPLIT = re.compile(
    rf"(?:,\s*|\s+|;\s*)(?:and|en|but|maar)\s+(?=(?:(?:{_PREP})\s+)?(?:{_EN_Q}|{_NL_Q})\b)|;\s+",
    re.I,
)
_QMARK = re.compile(r"\?\s+(?=\S)")

_KINDS: list[tuple[str, re.Pattern[str]]] = [
    (
        # A way to reach someone or to see/read more: an e-mail address, phone number, web
        # address or link answers it.
        "contact",
        re.compile(
            r"\b(contact opnemen|contact (met|with)|in contact|get in touch|neem contact|"
            r"(how|where) (can|do|could) (i|we) (contact|reach|e-?mail|watch|find)|"
            r"(hoe|waar) (kan|kunnen) (ik|we|je) .{0,40}(bereiken|mailen|terugkijken|terugzien|"
            r"aanmelden|vinden)|terugkijken|watch (it |the \w+ )?(back|again)|rewatch|"
            r"sign up|aanmelden)\b",
            re.I,
        ),
    ),
    (
        "when",
        re.compile(
            r"(^\W*when (was|were|did|does|do|will|is|are|has|have|can|should)\b|"
            r"\b(until when|since when)\b|"
            r"\b(what year|which year|what month|which months?|during which|since when|"
            r"until when|what time|what date|wanneer|welk jaar|welke maand|sinds wanneer|"
            r"vanaf wanneer|tot wanneer|hoe laat|welke datum|in welke periode|vanaf welk jaar)\b)",
            re.I,
        ),
    ),
    (
        "count",
        re.compile(
            r"\b(how many|what number|hoeveel|welk aantal|how often|hoe vaak|to how many|"
            r"across how many|with how many)\b",
            re.I,
        ),
    ),
    (
        "who",
        re.compile(
            r"\b(who|whom|whose|with whom|which (organisations?|organizations?|bodies|body|"
            r"partners?|people|persons?|parties|group|groups|city)|wie|met wie|bij wie|"
            r"welke (organisaties?|partijen|partners?|mensen|personen|instanties|"
            r"gemeenten|regio'?s|stad))\b",
            re.I,
        ),
    ),
    (
        "why",
        re.compile(
            r"\b(why|what triggered|what made|what was the reason|for what reason|waarom|"
            r"wat was de aanleiding|aanleiding|waardoor|what prompted)\b",
            re.I,
        ),
    ),
    (
        "example",
        re.compile(
            r"\b(what did|what has .{1,40} (been doing|done)|how did|what does .{1,40} do|"
            r"wat deed|wat doet|wat heeft .{1,40} gedaan|hoe (deed|pakte|ging|gaat|regelt|"
            r"zorgt|werkt)|how (does|do) .{1,40} (handle|deal|work|organise|organize))\b",
            re.I,
        ),
    ),
    (
        "howto",
        re.compile(
            r"\b(how (should|can|could|do) (we|i|you|councils|municipalities|schools)|"
            r"what should|what can (we|the|a|our)|how to|what do we need|"
            r"hoe (kunnen|moeten|kan|pakken|krijgen|voorkomen|zorgen) (we|je|wij|ik|de|een)|"
            r"wat (kunnen|moeten|kan|moet) (we|je|de|een|wij)|waar (moeten|kunnen) we|"
            r"tips?\b|advies|advice|recommend)",
            re.I,
        ),
    ),
]


@dataclass(frozen=True)
class Part:
    """One thing a question asks: its words (a slice of the question) and the answer kind."""

    text: str
    asks: str | None
    start: int
    end: int


def asks(text: str) -> str | None:
    """The kind of answer a question (part) wants, or None when it is open."""
    kind = expected_type(text)
    if kind in ("money", "date", "article", "person", "phone", "email", "address"):
        return {"date": "when", "person": "who"}.get(kind, kind)
    if kind == "count" and re.search(r"\b(percent|percentage|procent|%|share|aandeel)", text, re.I):
        return "percent"
    for name, pattern in _KINDS:
        if pattern.search(text):
            return name
    return "count" if kind == "count" else None


def split_parts(question: str) -> list[Part]:
    """The question's parts, in order; a plain question is one part.

    Splits at a second question mark ("... bedoeld? En wat ...?") and at "and"/"en" followed
    by a new question clause ("..., and how many ..."). Statements before the first question
    (context such as "Koers VO denkt mee over schoolgebouwen.") stay with the first part.
    """
    q = question.strip()
    cuts = [0]
    for m in _QMARK.finditer(q):
        cuts.append(m.end())
    bounds = [(a, b) for a, b in zip(cuts, [*cuts[1:], len(q)])]
    spans: list[tuple[int, int]] = []
    for a, b in bounds:
        pos = a
        for m in _SPLIT.finditer(q, a, b):
            if m.start() - pos >= 12:  # not a fragment such as "en wie"
                spans.append((pos, m.start()))
                pos = m.end()
        spans.append((pos, b))
    parts = []
    for a, b in spans:
        text = q[a:b].strip()
        lead = re.match(r"^(?:and|en|but|maar|or|of)\s+", text, re.I)
        if lead:
            text = text[lead.end() :]
            a += lead.end()
        if len(text.split()) >= 2:
            parts.append(Part(text, asks(text), a, b))
    if len(parts) <= 1:
        return [Part(q, asks(q), 0, len(q))]
    return parts


# -- what a sentence offers ---------------------------------------------------------------------
_NUMBER = re.compile(
    r"\b\d+\b|\b(twee|drie|vier|vijf|zes|zeven|acht|negen|tien|elf|twaalf|dertien|veertien|"
    r"vijftien|twintig|dertig|veertig|vijftig|honderd|duizend|helft|eerste|tweede|derde)\b",
    re.I,
)
_WHEN = re.compile(
    r"\b(19|20)\d\d\b|\b(januari|februari|maart|april|mei|juni|juli|augustus|september|oktober|"
    r"november|december|voorjaar|najaar|zomer|winter)\b|\b\d{1,2}[:.]\d{2}\b|\b\d{1,2}[-/]\d{1,2}\b",
    re.I,
)
# People, organisations and bodies: what a "who" question is answered with.
_ACTOR = re.compile(
    r"\b(gemeenten?|wethouders?|samenwerkingsverband(en)?|schoolbestu(ur|ren)|besturen|ouders|"
    r"leraren|leerkrachten|schoolleiders?|jeugdhulpaanbieders?|kernpartners?|partners?|"
    r"organisaties?|ministerie|inspectie|deelnemersraad|ambtenaren|raadsleden|"
    r"beleidsmedewerkers|vertegenwoordigers|bestuurders|directeur|voorzitter|steunpunt|"
    r"netwerk|platform)\b|\b[A-Z]{2,6}\b|\b[A-Z][a-zé]+ (?:(?:van|de|der|den)\s)*[A-Z][a-zé]+",
)
# Advice: an imperative first word, or "het is belangrijk dat", "verdient aanbeveling", "moet".
_ADVICE = re.compile(
    r"^(?:TIP:\s*)?(maak|organiseer|zorg|betrek|ga|wees|heb|denk|investeer|benut|houd|stel|kijk|"
    r"start|begin|leg|deel|zet|breng|neem|geef|zoek|werk|gebruik|bespreek|regel|creëer|creeer|"
    r"versterk|agendeer|ontwikkel|hanteer|verken|richt|laat|vraag|verbind|onderzoek|zoek|"
    r"bundel|formuleer|plan|spreek|koppel|bouw|breid)\b|"
    r"\b(is het (van )?(groot )?belang|is (van )?(groot )?belang|is het belangrijk|"
    r"is belangrijk|verdient (het )?aanbeveling|raden .{0,20}aan|moeten|moet|dienen|dient|"
    r"kunnen .{0,40} helpen|is nodig|zijn nodig)\b",
    re.I,
)
_REASON = re.compile(
    r"\b(omdat|doordat|want|vanwege|daardoor|zodat|aanleiding|reden|leidt tot|leiden tot|"
    r"voorkomt|voorkomen|draagt bij|dragen bij|om .{1,60} te)\b",
    re.I,
)
_MONEY = re.compile(r"€|\beuro\b|\bmiljoen\b|\bmiljard\b|\d[\d.]*,-", re.I)
_PERCENT = re.compile(r"%|\bprocent\b", re.I)

# A first word that points back at the sentence before ("Zij doet dit ...", "Deze middelen").
_LEANS = {
    "dit",
    "deze",
    "dat",
    "die",
    "zij",
    "ze",
    "hij",
    "hun",
    "zo",
    "daarnaast",
    "daarmee",
    "daarbij",
    "daardoor",
    "daarom",
    "hierbij",
    "hiermee",
    "hierdoor",
    "hiervoor",
    "daarvoor",
    "bovendien",
    "tevens",
    "vervolgens",
    "toch",
    "ook",
    "maar",
    "en",
    "dus",
}
_FORWARD = re.compile(
    r"\b(onderstaande|hieronder|hierna|als volgt|de volgende|het volgende|volgende tips)\b", re.I
)


def leans_back(text: str) -> bool:
    """Does the sentence open by pointing back at the one before it?"""
    first = re.match(r"\W*(?:TIP:\s*)?(\w+)", text)
    return first is not None and first.group(1).lower() in _LEANS


def points_forward(text: str) -> bool:
    """Does the sentence announce what follows ("Onderstaande tips ...") instead of saying it?"""
    return bool(_FORWARD.search(text))


_CONTACT = re.compile(
    r"[\w.-]+@[\w-]+\.\w+|\bwww\.|https?://|\blink\b|\bwebsite\b|\b0\d{1,3}[- ]?\d{6,8}\b", re.I
)


def fits(kind: str | None, text: str, passage_kind: str = "tekst") -> bool:
    """Does the sentence hold the kind of answer asked for?

    >>> fits("count", "Zo hebben de vijf gemeenten nu één brochure.")
    True
    >>> fits("howto", "Maak een analyse van de huidige vervoersstromen.")
    True
    >>> fits("who", "het is een mooie dag")
    False
    """
    if kind is None:
        return False
    if kind == "count":
        return bool(_NUMBER.search(text))
    if kind == "when":
        return bool(_WHEN.search(text))
    if kind == "who":
        return bool(_ACTOR.search(text))
    if kind == "howto":
        return passage_kind == "tip" or bool(_ADVICE.search(text))
    if kind == "why":
        return bool(_REASON.search(text))
    if kind == "example":
        return passage_kind == "praktijkvoorbeeld"
    if kind == "money":
        return bool(_MONEY.search(text))
    if kind == "percent":
        return bool(_PERCENT.search(text))
    if kind == "contact":
        return bool(_CONTACT.search(text))
    if kind in ("email", "phone", "address", "article"):
        return satisfies(kind, text)
    return False
