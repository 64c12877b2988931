"""The glossary: Dutch corpus terms with their English equivalents (corpus/glossary.yaml).

The documents are Dutch and many questions are English. The glossary bridges the two in both
directions:

* ``dutch_terms``: the Dutch terms an English question is about, found through the English
  phrasings of each entry (``en``, ``en_alt``), so BM25 can search the Dutch text for them;
* ``key_terms``: the glossary terms in Dutch text (quoted sentences) with their English gloss,
  for a "Key terms" line under an English answer.

The shipped file is extended by the user's own file (``INCLUSIE_GLOSSARY_FILE``): an entry with
the same Dutch term replaces the shipped one, other entries are added.

>>> g = Glossary.load()
>>> g.dutch_terms("How do we arrange pupil transport for special needs pupils?")
['leerlingenvervoer', 'extra ondersteuning']
>>> g.key_terms(["Het OOGO gaat over leerlingenvervoer."])  # doctest: +NORMALIZE_WHITESPACE
[('OOGO', 'consultation aimed at agreement (op overeenstemming gericht overleg)'),
 ('leerlingenvervoer', 'pupil transport')]
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path

import yaml

from ingest.errors import InputError
from ingest.settings import BUNDLED_GLOSSARY

from .text import detect_language, fold, words

FIELDS = ("nl", "forms", "en", "en_alt", "expansion")


class GlossaryError(InputError):
    """A glossary file that cannot be used; the message names the file, the entry and the field."""


@dataclass(frozen=True)
class Term:
    """One glossary entry (the fields of corpus/glossary.yaml)."""

    nl: str
    en: str
    forms: tuple[str, ...] = ()
    en_alt: tuple[str, ...] = ()
    expansion: str | None = None

    @property
    def dutch(self) -> tuple[str, ...]:
        """Every Dutch form of the term: ``nl`` first, then ``forms``."""
        return (self.nl, *self.forms)

    @property
    def gloss(self) -> str:
        """The English gloss shown to readers; an acronym's gloss ends in its Dutch full form.

        >>> Term("IKC", "integrated child centre", expansion="integraal kindcentrum").gloss
        'integrated child centre (integraal kindcentrum)'
        """
        if not self.expansion:
            return self.en
        # The en of an acronym may carry its own note in brackets; one bracket is enough.
        return f"{_strip_brackets(self.en)} ({self.expansion})"


@dataclass(frozen=True)
class Match:
    """An English phrasing of glossary terms found in a question.

    ``start``/``end`` are character offsets in ``fold(question)`` (the folded question, as
    ``assistant.text`` analyses it), so the retriever can tell which question words the Dutch
    terms stand for.
    """

    phrase: str  # the glossary phrasing that matched, e.g. "special needs pupils"
    start: int
    end: int
    terms: tuple[Term, ...]  # usually one; "primary education" is both PO and primair onderwijs


class Glossary:
    """Dutch terms with English equivalents; build once (``Glossary.load``) and share."""

    def __init__(self, terms: Iterable[Term] = ()):
        self.terms = tuple(terms)
        self._phrases = _phrase_index(self.terms)
        self._longest = max((len(p) for p in self._phrases), default=0)
        self._dutch, self._dutch_groups = _dutch_pattern(self.terms)

    @classmethod
    def load(cls, user_file: Path | None = None, shipped: Path = BUNDLED_GLOSSARY) -> Glossary:
        """The shipped glossary, extended (and overridden per Dutch term) by ``user_file``.

        Raises ``GlossaryError`` naming the file, the entry and the field when a file is unusable.
        """
        raw_user = _read(user_file) if user_file is not None else None
        return _load(_read(shipped), str(shipped), raw_user, str(user_file))

    def __len__(self) -> int:
        return len(self.terms)

    @cached_property
    def english_words(self) -> frozenset[str]:
        """Every word of the English phrasings ("Youth Care", "UN convention"): a question may
        capitalise them, but they are not the names of places or people."""
        return frozenset(
            w for t in self.terms for phrase in (t.en, *t.en_alt) for w in words(phrase)
        )

    # -- English questions -> Dutch terms ---------------------------------------------------------
    def matches(self, question: str) -> list[Match]:
        """The English phrasings of glossary terms in an English question, in question order.

        Whole words, case-insensitive, simple plurals folded ("school buildings" finds "school
        building"); where phrasings overlap the longest wins ("support plan council" is the
        OPR, not "support plan" and "council"). A Dutch question has none: its own words
        already reach the Dutch text.

        >>> [(m.phrase, m.terms[0].nl) for m in Glossary.load().matches("Are SEN pupils moved?")]
        [('sen', 'extra ondersteuning')]
        """
        if not self._phrases or detect_language(question) != "en":
            return []
        folded = fold(question)
        tokens = _en_tokens(folded)
        keys = [t for t, _, _ in tokens]
        found = []
        for i in range(len(keys)):
            for n in range(min(self._longest, len(keys) - i), 0, -1):
                hit = self._phrases.get(tuple(keys[i : i + n]))
                if hit:
                    found.append((i, i + n, hit))
        taken: set[int] = set()
        chosen = []
        for i, j, (phrase, terms) in sorted(found, key=lambda f: (f[0] - f[1], f[0])):
            if taken.isdisjoint(range(i, j)):
                taken.update(range(i, j))
                chosen.append(Match(phrase, tokens[i][1], tokens[j - 1][2], terms))
        return sorted(chosen, key=lambda m: m.start)

    def dutch_terms(self, question: str) -> list[str]:
        """The Dutch corpus terms an English question asks about (none for a Dutch question).

        >>> g = Glossary.load()
        >>> g.dutch_terms("Who maintains the school buildings?")
        ['onderwijshuisvesting']
        >>> g.dutch_terms("Who pays for new school buildings?")  # the longest phrasing wins
        ['nieuwbouw']
        >>> g.dutch_terms("Wie betaalt nieuwe schoolgebouwen?")
        []
        """
        out: list[str] = []
        for m in self.matches(question):
            out.extend(t.nl for t in m.terms if t.nl not in out)
        return out

    # -- Dutch text -> English glosses ------------------------------------------------------------
    def key_terms(self, texts: list[str]) -> list[tuple[str, str]]:
        """(Dutch term as it appears, English gloss) for the glossary terms in Dutch texts.

        In order of first appearance, one pair per entry. A term matches as a whole word through
        ``nl`` or any of its ``forms``; acronyms only in their own case ("PO", not "po" in
        other words), other terms in any case; the longest form wins ("voortgezet speciaal
        onderwijs" rather than "speciaal onderwijs").

        >>> Glossary.load().key_terms(["Reguliere scholen en het vso delen een gebouw."])
        [('Reguliere scholen', 'mainstream education'), ('vso', 'special secondary education \
(voortgezet speciaal onderwijs)')]
        """
        if self._dutch is None:
            return []
        out: list[tuple[str, str]] = []
        seen: set[int] = set()
        for text in texts:
            for m in self._dutch.finditer(text):
                assert m.lastgroup is not None  # every alternative is a named group
                index = self._dutch_groups[m.lastgroup]
                if index not in seen:
                    seen.add(index)
                    out.append((m.group(), self.terms[index].gloss))
        return out


# -- matching helpers ------------------------------------------------------------------------------

_EN_TOKEN = re.compile(r"[a-z0-9]+")
# "children's centre" and "childrens centre" are one phrasing; the possessive is blanked out with
# spaces of the same length, so offsets stay those of the folded question.
_POSSESSIVE = re.compile(r"['’]s\b")


def _singular(word: str) -> str:
    """A plural folded to its singular, by rule: enough for glossary phrasings, no stemmer.

    A stemmer would also join "provider" and "provided", or "new" and "news"; questions use the
    plural and singular of the same phrasings, which this covers.

    >>> [_singular(w) for w in ("buildings", "disabilities", "churches", "needs", "bus", "class")]
    ['building', 'disability', 'church', 'need', 'bus', 'class']
    """
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 4 and word.endswith(("sses", "shes", "ches", "xes")):
        return word[:-2]
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def _en_tokens(folded: str) -> list[tuple[str, int, int]]:
    """(singular word, start, end) of a folded English text; hyphens and slashes split words
    ("co-location" == "co location")."""
    blanked = _POSSESSIVE.sub(lambda m: " " * len(m.group()), folded)
    return [(_singular(m.group()), m.start(), m.end()) for m in _EN_TOKEN.finditer(blanked)]


def _strip_brackets(text: str) -> str:
    return re.sub(r"\s*\([^)]*\)", "", text).strip()


def _phrase_index(terms: Sequence[Term]) -> dict[tuple[str, ...], tuple[str, tuple[Term, ...]]]:
    """English phrasing (as singular tokens) -> (the phrasing, the terms it stands for).

    A phrasing an entry lists itself (``en`` as written, ``en_alt``) belongs to every entry that
    lists it ("primary education" is both PO and primair onderwijs). ``en`` without its note in
    brackets ("youth care" from "youth care (services)") is used only when no entry lists that
    phrasing itself, so a note-less reading never pulls in a second, narrower term.
    """
    listed: dict[tuple[str, ...], list] = {}
    derived: dict[tuple[str, ...], list] = {}
    for term in terms:
        for phrase, index in [(term.en, listed), *((a, listed) for a in term.en_alt)] + [
            (_strip_brackets(term.en), derived)
        ]:
            key = tuple(t for t, _, _ in _en_tokens(fold(phrase)))
            if not key:
                continue
            entry = index.setdefault(key, [fold(phrase).strip(), []])
            if term not in entry[1]:
                entry[1].append(term)
    out = {k: (p, tuple(ts)) for k, (p, ts) in derived.items() if k not in listed}
    out.update({k: (p, tuple(ts)) for k, (p, ts) in listed.items()})
    return out


def _is_acronym(form: str, term: Term) -> bool:
    """Matched in its own case: capitals in a row (OOGO, VN-verdrag, Jeugd-GGz), or the short
    forms of an entry with an expansion (Wmo, vso, po)."""
    return bool(re.search(r"[A-Z]{2}", form)) or (bool(term.expansion) and len(form) <= 6)


def _dutch_pattern(terms: Sequence[Term]) -> tuple[re.Pattern[str] | None, dict[str, int]]:
    """One regex over every Dutch form, longest first; its named groups map to entries."""
    forms = sorted(
        ((form, i) for i, term in enumerate(terms) for form in dict.fromkeys(term.dutch)),
        key=lambda f: -len(f[0]),
    )
    groups: dict[str, int] = {}
    alts = []
    for n, (form, i) in enumerate(forms):
        body = r"\s+".join(re.escape(part) for part in form.split())
        if _is_acronym(form, terms[i]):
            body = f"(?-i:{body})"
        groups[f"g{n}"] = i
        alts.append(f"(?P<g{n}>{body})")
    if not alts:
        return None, groups
    return re.compile(r"(?<!\w)(?:" + "|".join(alts) + r")(?!\w)", re.I), groups


# -- loading and checking files --------------------------------------------------------------------


def _read(path: Path) -> bytes:
    try:
        return Path(path).read_bytes()
    except FileNotFoundError:
        raise GlossaryError(f"Woordenlijst {path}: bestand niet gevonden.") from None
    except OSError as e:
        raise GlossaryError(f"Woordenlijst {path}: kan niet gelezen worden ({e}).") from None


# Keyed on the contents: an edited file is read again, an unchanged one is not parsed twice.
@lru_cache(maxsize=8)
def _load(shipped: bytes, shipped_name: str, user: bytes | None, user_name: str) -> Glossary:
    terms = {fold(t.nl): t for t in _parse(shipped, shipped_name)}
    if user is not None:
        # Same Dutch term: the user's entry replaces the shipped one, in its place.
        terms.update({fold(t.nl): t for t in _parse(user, user_name)})
    return Glossary(terms.values())


def _parse(raw: bytes, name: str) -> list[Term]:
    """The entries of one glossary file, or a ``GlossaryError`` naming the line and the field."""
    where = f"Woordenlijst {name}"
    try:
        text = raw.decode("utf-8")
        data = yaml.safe_load(text)
        root = yaml.compose(text)
    except UnicodeDecodeError:
        raise GlossaryError(f"{where}: geen UTF-8-tekst.") from None
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        line = f" (regel {mark.line + 1})" if mark is not None else ""
        raise GlossaryError(f"{where}: geen geldige YAML{line}.") from None
    if not isinstance(data, dict) or not isinstance(data.get("terms"), list):
        raise GlossaryError(
            f"{where}: verwacht bovenaan een lijst 'terms' met termen "
            "(zie corpus/glossary.yaml voor de vorm)."
        )
    lines = _item_lines(root)
    terms: list[Term] = []
    seen: dict[str, int] = {}
    for i, item in enumerate(data["terms"]):
        label = f"term {i + 1}"
        if i < len(lines):
            label = f"regel {lines[i]}, {label}"
        if isinstance(item, dict) and isinstance(item.get("nl"), str):
            label += f" ({item['nl']!r})"
        term = _term(item, f"{where}, {label}")
        key = fold(term.nl)
        if key in seen:
            raise GlossaryError(
                f"{where}, {label}: de Nederlandse term {term.nl!r} staat er al (term "
                f"{seen[key] + 1}); zet alles over één term in één item."
            )
        seen[key] = i
        terms.append(term)
    return terms


def _item_lines(root) -> list[int]:
    """Line numbers (1-based) of the items of the top-level ``terms`` list."""
    if not isinstance(root, yaml.MappingNode):
        return []
    for key, value in root.value:
        if getattr(key, "value", None) == "terms" and isinstance(value, yaml.SequenceNode):
            return [item.start_mark.line + 1 for item in value.value]
    return []


def _term(item: object, where: str) -> Term:
    if not isinstance(item, dict):
        raise GlossaryError(f"{where}: verwacht velden als 'nl:' en 'en:', niet {item!r}.")
    unknown = [k for k in item if k not in FIELDS]
    if unknown:
        raise GlossaryError(
            f"{where}: onbekend veld {unknown[0]!r} (mogelijke velden: {', '.join(FIELDS)})."
        )

    def text(field: str, required: bool) -> str | None:
        value = item.get(field)
        if value is None and not required:
            return None
        if not isinstance(value, str) or not value.strip():
            what = "ontbreekt" if value is None else "moet tekst zijn"
            raise GlossaryError(f"{where}: veld '{field}' {what}.")
        return value.strip()

    def texts(field: str) -> tuple[str, ...]:
        value = item.get(field)
        if value is None:
            return ()
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            raise GlossaryError(f"{where}: veld '{field}' moet een lijst met tekst zijn.")
        return tuple(v.strip() for v in value)

    nl, en = text("nl", True), text("en", True)
    assert nl is not None and en is not None  # required fields are present or raised
    return Term(nl, en, texts("forms"), texts("en_alt"), text("expansion", False))
