"""The specific things a question asks about, and which of them the documents do not hold.

"What did Zwolle do about pupil transport?" sounds in scope, and the passages about
Roosendaal-Moerdijk's pupil transport are similar enough to be quoted with confidence. The
honest answer starts with "The documents do not mention Zwolle". So the question's named and
specific things are found first:

- names: places, schools, organisations, persons, acronyms (capitalised words that are not
  the first word of a sentence, with name particles: "Jan de Vries", "basisschool De
  Regenboog", "Stichting Quadraam", "WVO");
- years ("2020"), months ("March" / "maart"), percentages ("40%", "procent"), amounts
  ("€ 2 miljoen", "euros", "bedrag") and legal articles ("artikel 17a", "article 2.2").

A question's first word is capitalised anyway, so a name there is only recognised as part of a
longer name ("Stichting Quadraam doet ...") — "Zwolle: wat deed die gemeente?" is missed.

A name or a year counts as held when the whole index contains it (a name that is in the index
but not among the retrieved passages is a retrieval problem, not a missing fact). A month, a
percentage or an amount is a precise fact about the question's subject: it counts as held only
when the retrieved passages contain it, and an amount or share asked for without a value
("how many euros") counts as held when a retrieved sentence has one of that kind.

>>> [s.text for s in find_specifics("What did Zwolle do about pupil transport in March?")]
['Zwolle', 'March']
>>> [(s.kind, s.key) for s in find_specifics("Klopt het dat de kosten met 40% zijn gestegen?")]
[('percent', '40')]
>>> [s.text for s in find_specifics("Did Jan de Vries, the Utrecht alderman, sign it?")]
['Jan de Vries', 'Utrecht']
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from .text import EN_STOP, NL_STOP, analyze, fold, words

MONTHS_NL = (
    "januari",
    "februari",
    "maart",
    "april",
    "mei",
    "juni",
    "juli",
    "augustus",
    "september",
    "oktober",
    "november",
    "december",
)
MONTHS_EN = (
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
)
_MONTH_KEY = {m: nl for ms in (MONTHS_NL, MONTHS_EN) for m, nl in zip(ms, MONTHS_NL)}

# English words that questions capitalise in titles ("the Week of Inclusive Education", "the
# Youth Act") and that are therefore not names; the Dutch index does not contain them.
_TITLE_WORDS = {
    "act",
    "agenda",
    "article",
    "board",
    "care",
    "conference",
    "convention",
    "council",
    "day",
    "disability",
    "dutch",
    "education",
    "eu",
    "guide",
    "guidance",
    "handbook",
    "inclusion",
    "inclusive",
    "inspectorate",
    "learning",
    "mainstream",
    "ministry",
    "more",
    "municipality",
    "national",
    "netherlands",
    "network",
    "partnership",
    "plan",
    "platform",
    "programme",
    "program",
    "region",
    "regional",
    "rights",
    "school",
    "schools",
    "special",
    "step",
    "support",
    "un",
    "week",
    "youth",
}
_PARTICLES = {"de", "van", "der", "den", "het", "ter", "ten", "te", "'t", "op", "la", "du"}
_TOKEN = re.compile(r"(?:['’]s-)?[A-Za-zÀ-ÿ0-9][\w()'’-]*[\w)]|[A-Za-zÀ-ÿ0-9]")
_SENTENCE_START = re.compile(r"(?:^|[.?!:;]\s+|\n)\s*[\"“„‘(]?$")
_YEAR = re.compile(r"\b(19[5-9]\d|20\d\d)\b")
_PERCENT = re.compile(r"(\d+(?:[.,]\d+)?)\s*(%|procent\b|percent\b)", re.I)
_PERCENT_KIND = re.compile(r"\b(procent|percentage|percent|per cent)\b", re.I)
_AMOUNT = re.compile(
    r"(€\s*\d[\d.,]*(?:\s*(?:miljoen|miljard|million|billion|duizend|thousand))?|"
    r"\d[\d.,]*\s*(?:euro|euros|miljoen euro|million euros))",
    re.I,
)
_MONEY_KIND = re.compile(r"\b(euros?|bedrag(?:en)?|amount)\b|€", re.I)
_ARTICLE = re.compile(r"\b(?:artikel|article|art\.)\s*(\d+(?:\.\d+)?[a-z]?)\b", re.I)
_ASKS_MONEY = re.compile(
    r"\b(how much|how many euros?|hoeveel|what (is|was) the (budget|cost|amount))\b", re.I
)


@dataclass(frozen=True)
class Specific:
    """A specific thing the question names: ``text`` as written, its ``kind`` and a ``key``
    that compares equal across form and language (folded words, "maart", "40", "artikel 4")."""

    text: str
    kind: str  # name | year | month | percent | amount | article
    key: str


def _is_capitalised(tok: str) -> bool:
    t = tok[3:] if tok[:3].lower() in ("'s-", "’s-") else tok
    return bool(t) and (t[0].isupper() or (t[0].isdigit() and any(c.isupper() for c in t)))


def _names(question: str, known_words: set[str]) -> list[Specific]:
    toks = [(m.group(0), m.start(), m.end()) for m in _TOKEN.finditer(question)]
    out: list[Specific] = []
    i = 0
    while i < len(toks):
        tok, a, b = toks[i]
        if not _is_capitalised(tok):
            i += 1
            continue
        # A run of capitalised words, with name particles between them ("Jan de Vries").
        j, end = i, b
        while j + 1 < len(toks):
            nxt, na, nb = toks[j + 1]
            if _is_capitalised(nxt) and na - end <= 1:
                j, end = j + 1, nb
                continue
            if (
                nxt.lower() in _PARTICLES
                and j + 2 < len(toks)
                and _is_capitalised(toks[j + 2][0])
                and na - end <= 1
            ):
                j, end = j + 2, toks[j + 2][2]
                continue
            break
        span = question[a:end]
        key_span = span
        first = words(tok)[:1]
        if _SENTENCE_START.search(question[:a]):
            # A sentence's first word is capitalised anyway. Alone it is no name; in a run
            # ("Hoort Goeree-Overflakkee", "Stichting Quadraam") the rest decides whether the
            # documents know it, and a function word in front is not reported.
            if j == i:
                i += 1
                continue
            key_span = question[toks[i + 1][1] : end]
            if first and (first[0] in EN_STOP or first[0] in NL_STOP):
                span = key_span
        parts = [w for w in words(key_span) if w not in _PARTICLES]
        content = [w for w in parts if w not in EN_STOP and w not in NL_STOP and w != "i"]
        unknown_title = [w for w in content if w not in _TITLE_WORDS and w not in known_words]
        if content and unknown_title:
            span = span.strip(" ,.;:?!()\"'“”")
            out.append(Specific(span, "name", " ".join(words(key_span))))
        i = j + 1
    return out


def find_specifics(question: str, known_words: Iterable[str] = ()) -> list[Specific]:
    """The question's names, years, months, percentages, amounts and articles, in order.

    ``known_words`` are words that are not names even when capitalised (the glossary's
    English phrasings, for instance).
    """
    known = set(known_words)
    found: list[tuple[int, Specific]] = []
    taken: list[tuple[int, int]] = []

    def add(a: int, b: int, spec: Specific) -> None:
        if not any(a < y and x < b for x, y in taken):
            taken.append((a, b))
            found.append((a, spec))

    for m in _ARTICLE.finditer(question):
        add(m.start(), m.end(), Specific(m.group(0), "article", f"artikel {m.group(1).lower()}"))
    for m in _PERCENT.finditer(question):
        add(m.start(), m.end(), Specific(m.group(0), "percent", m.group(1).replace(",", ".")))
    for m in _AMOUNT.finditer(question):
        value = re.sub(r"[^\d]", "", m.group(0))
        add(m.start(), m.end(), Specific(m.group(0), "amount", value))
    for m in _YEAR.finditer(question):
        add(m.start(), m.end(), Specific(m.group(0), "year", m.group(0)))
    for m in re.finditer(r"\b[A-Za-z]+\b", question):
        key = _MONTH_KEY.get(m.group(0).lower())
        # "may"/"mei" are too often ordinary words to count unless capitalised as a month.
        if key and (key != "mei" or m.group(0)[0].isupper()):
            add(m.start(), m.end(), Specific(m.group(0), "month", key))
    if not any(s.kind == "percent" for _, s in found):
        kind = _PERCENT_KIND.search(question)
        if kind:
            add(kind.start(), kind.end(), Specific(kind.group(0), "percent", ""))
    if not any(s.kind == "amount" for _, s in found) and _ASKS_MONEY.search(question):
        kind = _MONEY_KIND.search(question)
        if kind:
            add(kind.start(), kind.end(), Specific(kind.group(0), "amount", ""))
    for spec in _names(question, known):
        a = question.find(spec.text)
        if spec.key and not any(s.key == spec.key for _, s in found):
            add(a, a + len(spec.text), spec)
    found.sort(key=lambda t: t[0])
    return [s for _, s in found]


class IndexFacts:
    """What the whole index holds: folded passage texts and words for the lookups above, and
    how many passages hold each Dutch word stem (for ``idf``).

    Built once per index revision.
    """

    def __init__(self, texts: Iterable[str]):
        raw = list(texts)
        self.texts = [folded(t) for t in raw]
        self.vocabulary = {w for t in self.texts for w in t.split()}
        self.vocabulary |= {p for w in list(self.vocabulary) for p in re.split(r"[-/]", w) if p}
        self.passages = len(raw)
        self.stem_df: Counter[str] = Counter(s for t in raw for s in set(analyze(t)))

    def idf(self, stem: str) -> float:
        """How rare a stem is in the index (BM25's idf): "porteum" high, "gemeent" low."""
        df = self.stem_df.get(stem, 0)
        return math.log(1 + (self.passages - df + 0.5) / (df + 0.5))

    def knows_word(self, word: str) -> bool:
        """A word of the index, or a part of a compound of at least five letters ("campus" in
        "schoolcampus")."""
        if word in self.vocabulary:
            return True
        return len(word) >= 5 and any(
            v.endswith(word) or v.startswith(word) for v in self.vocabulary if len(v) > len(word)
        )

    def knows_name(self, keys: list[str]) -> bool:
        """The name as a phrase, or (for a name of several words) each of its words."""
        if any(f" {k} " in f" {t} " for k in keys for t in self.texts):
            return True
        key = re.sub(r"(?:'s|s')$", "", keys[0])  # "utrecht's"
        content = [w for w in re.split(r"[\s/-]+", key) if w and w not in _PARTICLES]
        content = [w for w in content if w not in EN_STOP and w not in NL_STOP]
        if len(content) == 1:
            return content[0] in self.vocabulary or ("-" in key and self.knows_word(content[0]))
        return bool(content) and all(self.knows_word(w) for w in content)


def _has(texts: list[str], spec: Specific) -> bool:
    """Does any of the folded texts hold the year, month, article, share or amount?"""
    if spec.kind in ("year", "month"):
        return any(re.search(rf"\b{re.escape(spec.key)}\b", t) for t in texts)
    if spec.kind == "article":
        num = re.escape(spec.key.split()[-1])
        return any(re.search(rf"\b(?:artikel|art\.?)\s*{num}\b", t) for t in texts)
    if spec.kind == "percent":
        if not spec.key:
            return any(re.search(r"\d\s*(%|procent)", t) for t in texts)
        num = re.escape(spec.key.replace(".", ","))
        return any(re.search(rf"\b{num}\s*(%|procent)", t) for t in texts)
    if spec.kind == "amount":
        if not spec.key:
            return any(re.search(r"€|\beuro\b|,-|\bmiljoen\b|\bmiljard\b", t) for t in texts)
        return any(spec.key in re.sub(r"[^\d]", "", t) for t in texts if "€" in t or "euro" in t)
    return True


def not_found(
    specifics: list[Specific],
    index: IndexFacts,
    answer_texts: list[str],
    aliases: Callable[[Specific], list[str]] | None = None,
) -> list[str]:
    """The specifics the documents do not hold, as the question wrote them.

    Names, years and articles are looked up in the whole ``index``; months, shares and amounts
    in ``answer_texts`` (the folded texts the answer draws on). ``aliases`` gives other keys a
    name is known by (a region's aliases: "Den Bosch" is "'s-Hertogenbosch").

    >>> index = IndexFacts(["In Lelystad"])
    >>> not_found(find_specifics("What did Zwolle do in Lelystad?"), index, [])
    ['Zwolle']
    """
    out = []
    for s in specifics:
        if s.kind == "name":
            held = index.knows_name([s.key, *(aliases(s) if aliases else [])])
        elif s.kind in ("year", "article"):
            held = _has(index.texts, s)
        else:
            held = _has(answer_texts, s)
        if not held:
            out.append(s.text)
    return list(dict.fromkeys(out))


def folded(text: str) -> str:
    """Text as the lookups compare it: folded words separated by single spaces; digits, "%",
    "€" and "," are kept so amounts and shares can be found."""
    return " ".join(re.findall(r"[a-z0-9]+(?:[-/.,][a-z0-9]+)*|[%€]|,-", fold(text)))
