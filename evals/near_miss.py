"""Near-miss questions: does the answer name what the documents do not hold?

A near-miss question asks about something specific the documents lack ("What did Zwolle do ...",
"... in March?", "How many euros ..."). The gold file lists those things under ``missing``, as the
question wrote them; the assistant lists them in ``Answer.not_found``. The two are written by
different hands and often in different languages (an English question, a Dutch answer frame), so
both are reduced to a canonical key before they are compared:

* names and other words: case-folded, accents and punctuation stripped, leading articles dropped
  (``'s-Hertogenbosch`` -> ``s hertogenbosch``);
* number words are digits (``nine``, ``negen`` -> ``9``);
* months are ``month:N`` in either language (``March``, ``maart`` -> ``month:3``), a year alone is
  ``year:YYYY``;
* legal articles are ``article:N`` (``artikel 4``, ``article 4``, ``art. 4``);
* amounts and percentages are ``money:N`` / ``percent:N`` with a value (``€ 5.000``, ``40%``), and
  the bare kind without one (``euros``, ``in euros``, ``euro per leerling``, ``een bedrag``, ``an
  amount`` -> ``kind:money``; ``procent``, ``%``, ``een percentage`` -> ``kind:percent``); likewise
  ``kind:month``, ``kind:year``, ``kind:date`` and ``kind:number``.

A ``not_found`` entry covers a ``missing`` item when the keys are equal, when the entry is a bare
kind and the item is a value of that kind (``een percentage`` covers ``40%``), or when the entry's
words contain the item's words (``gemeente Zwolle`` covers ``Zwolle``).

>>> [canonical(x) for x in ("March", "maart", "nine", "negen", "9")]
['month:3', 'month:3', '9', '9', '9']
>>> [canonical(x) for x in ("euros", "in euros", "euro per leerling", "€", "een bedrag")]
['kind:money', 'kind:money', 'kind:money', 'kind:money', 'kind:money']
>>> [canonical(x) for x in ("procent", "%", "a percentage", "40%", "veertig procent")]
['kind:percent', 'kind:percent', 'kind:percent', 'percent:40', 'percent:40']
>>> [canonical(x) for x in ("artikel 4", "Article 4", "art. 17a", "artikel 2.2", "€ 5.000")]
['article:4', 'article:4', 'article:17a', 'article:2.2', 'money:5000']
>>> [canonical(x) for x in ("'s-Hertogenbosch", "De Regenboog", "Ieder(in)", "2020", "een jaartal")]
['s hertogenbosch', 'regenboog', 'ieder in', 'year:2020', 'kind:year']
>>> covers("een percentage", "40%"), covers("gemeente Zwolle", "Zwolle"), covers("20%", "40%")
(True, True, False)
"""

from __future__ import annotations

import re
import unicodedata

_UNITS = {
    "nul": 0, "zero": 0, "one": 1, "twee": 2, "two": 2, "drie": 3, "three": 3, "vier": 4,
    "four": 4, "vijf": 5, "five": 5, "zes": 6, "six": 6, "zeven": 7, "seven": 7, "acht": 8,
    "eight": 8, "negen": 9, "nine": 9, "tien": 10, "ten": 10, "elf": 11, "eleven": 11,
    "twaalf": 12, "twelve": 12, "dertien": 13, "thirteen": 13, "veertien": 14, "fourteen": 14,
    "vijftien": 15, "fifteen": 15, "zestien": 16, "sixteen": 16, "zeventien": 17,
    "seventeen": 17, "achttien": 18, "eighteen": 18, "negentien": 19, "nineteen": 19,
}  # fmt: skip
_TENS = {
    "twintig": 20, "twenty": 20, "dertig": 30, "thirty": 30, "veertig": 40, "forty": 40,
    "vijftig": 50, "fifty": 50, "zestig": 60, "sixty": 60, "zeventig": 70, "seventy": 70,
    "tachtig": 80, "eighty": 80, "negentig": 90, "ninety": 90, "honderd": 100, "hundred": 100,
    "duizend": 1000, "thousand": 1000,
}  # fmt: skip
_MULTIPLIERS = {"duizend": 1000, "thousand": 1000, "miljoen": 10**6, "million": 10**6, "mln": 10**6}
_MONTHS = {
    "januari": 1, "january": 1, "februari": 2, "february": 2, "maart": 3, "march": 3, "mrt": 3,
    "april": 4, "mei": 5, "may": 5, "juni": 6, "june": 6, "juli": 7, "july": 7, "augustus": 8,
    "august": 8, "september": 9, "sept": 9, "oktober": 10, "october": 10, "okt": 10,
    "november": 11, "december": 12,
}  # fmt: skip
# Words that name a kind of thing without a value. The composer says "een bedrag" / "an
# amount"; the question says "euros", "in euros", "euro per leerling": all the same kind.
_KIND_WORDS = {
    "money": {"euro", "euros", "eur", "bedrag", "bedragen", "amount", "amounts", "money", "geld"},
    "percent": {"procent", "percent", "percentage", "percentages", "pct"},
    "month": {"maand", "month"},
    "year": {"jaar", "jaartal", "year"},
    "date": {"datum", "date"},
    "number": {"aantal", "number", "getal"},
}  # fmt: skip
# What a bare kind covers: "een datum" is a fair answer to a missing month or year.
_COVERS = {
    "kind:money": {"money"},
    "kind:percent": {"percent"},
    "kind:month": {"month"},
    "kind:year": {"year"},
    "kind:date": {"month", "year"},
    "kind:number": {"num"},
}
_ARTICLE = {"artikel", "article", "art", "artikelen", "articles"}
# Leading words that do not change what is named ("in euros", "de Regenboog", "the Utrecht").
_LEADING = {"de", "het", "een", "the", "a", "an", "in", "op", "on", "of", "van", "sinds", "since"}
_COMPOUND_NL = re.compile(r"^(een|twee|drie|vier|vijf|zes|zeven|acht|negen)en(\w+tig)$")
_TOKEN = re.compile(r"\d+(?:[.,]\d+)*[a-z]?|[a-z]+")


def _fold(text: str) -> str:
    """Lowercase without accents; "één" is kept as the number it is before its accents go."""
    text = re.sub(r"\bé[ée]n\b", " 1 ", text.lower())
    text = text.replace("%", " procent ").replace("€", " euro ")
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _number(tok: str) -> str | None:
    """The digits a token stands for ("negen" -> "9", "vijfentwintig" -> "25"), else None."""
    if tok[0].isdigit():
        if re.fullmatch(r"\d{1,3}(?:[.,]\d{3})+", tok):  # 5.000 / 5,000: thousands separators
            return tok.replace(".", "").replace(",", "")
        return tok.replace(",", ".")
    if tok in _UNITS:
        return str(_UNITS[tok])
    if tok in _TENS:
        return str(_TENS[tok])
    m = _COMPOUND_NL.match(tok)
    if m and m.group(2) in _TENS:
        unit = 1 if m.group(1) == "een" else _UNITS[m.group(1)]
        return str(_TENS[m.group(2)] + unit)
    return None


def _tokens(text: str) -> list[str]:
    """Folded tokens with numbers as digits ("twenty five" -> "25", "2 miljoen" -> "2000000")."""
    out: list[str] = []
    spelled = False  # was the previous token a number word? ("twenty five", not "20 5")
    for tok in _TOKEN.findall(_fold(text)):
        num = _number(tok)
        prev = out[-1] if out else ""
        if tok in _MULTIPLIERS and prev.isdigit():
            out[-1] = str(int(prev) * _MULTIPLIERS[tok])
        elif spelled and tok in _UNITS and int(prev) in range(20, 100, 10) and _UNITS[tok] < 10:
            out[-1] = str(int(prev) + _UNITS[tok])
        else:
            out.append(num if num is not None else tok)
        spelled = num is not None and not tok[0].isdigit()
    return out


def canonical(item: str) -> str:
    """The key under which a missing item and a not_found entry are compared (see the module)."""
    toks = _tokens(item)
    while toks and toks[0] in _LEADING:
        toks = toks[1:]
    nums = [t for t in toks if t[0].isdigit()]
    words = [t for t in toks if not t[0].isdigit()]
    for i, t in enumerate(toks[:-1]):
        if t in _ARTICLE and toks[i + 1][0].isdigit():
            return f"article:{toks[i + 1]}"
    kinds = {k for k, ws in _KIND_WORDS.items() if ws & set(words)}
    if "percent" in kinds:
        return f"percent:{nums[0]}" if nums else "kind:percent"
    if "money" in kinds:
        return f"money:{nums[0]}" if nums else "kind:money"
    months = [_MONTHS[w] for w in words if w in _MONTHS]
    if months and all(w in _MONTHS or w in _LEADING for w in words):
        return f"month:{months[0]}"  # "15 maart", "March 2023": the month is what was asked
    years = [n for n in nums if re.fullmatch(r"(19|20)\d\d", n)]
    if years and all(w in _LEADING or w in _KIND_WORDS["year"] for w in words):
        return f"year:{years[0]}"
    if (
        not nums
        and len(kinds) == 1
        and all(w in _LEADING or w in _KIND_WORDS[next(iter(kinds))] for w in words)
    ):
        return f"kind:{next(iter(kinds))}"
    if len(nums) == 1 and not words:
        return nums[0]  # a bare count: "9", "nine", "negen"
    return " ".join(toks)


def _family(key: str) -> str:
    """What kind of value a key holds: "percent:40" -> "percent", a bare number -> "num"."""
    if ":" in key:
        return key.split(":", 1)[0]
    return "num" if key[:1].isdigit() and " " not in key else ""


def covers(found: str, missing: str) -> bool:
    """Does the not_found entry ``found`` name the missing item ``missing``?"""
    f, m = canonical(found), canonical(missing)
    if not m:
        return False
    if f == m:
        return True
    if f in _COVERS:
        return _family(m) in _COVERS[f]
    if ":" in f or ":" in m:
        return False
    return f" {m} " in f" {f} "


def near_miss_handled(missing: list[str], not_found: list[str], refused: bool) -> bool:
    """A near-miss question is handled when it is refused, or when the answer's not_found names
    every missing item."""
    return refused or all(any(covers(f, m) for f in not_found) for m in missing)
