"""Theme and region tags from the taxonomy file (corpus/taxonomy.yaml), and what a document's
own text says about itself: its kind, the places it introduces, its practice examples.

>>> from ingest.settings import BUNDLED_TAXONOMY
>>> tx = Taxonomy.load(BUNDLED_TAXONOMY)
>>> tx.themes_for("Maak een analyse van de vervoersstromen van leerlingen.")
['leerlingenvervoer']
>>> tx.regions_for("Bij de bouw van schoolcampus Porteum heeft de gemeente Lelystad ...")
['Lelystad']

The taxonomy is the vocabulary, but an uploaded document is often about a municipality it does
not list. A name the text itself introduces as a place ("gemeente Zeewolde", "regio
Noord-Veluwe", "samenwerkingsverband Driegang") is a region of that document too; after that,
the bare name ("Zeewolde") counts in every passage of the same document:

>>> regions = tx.document_regions("Thuisnabij onderwijs", "De gemeente Zeewolde en Lelystad ...")
>>> regions.introduced, regions.for_passage("In Zeewolde gaan achttien kinderen ...")
(['Zeewolde'], ['Zeewolde'])
>>> infer_doc_kind("Praktijkvoorbeeld: thuisnabij onderwijs in Zeewolde", "")
'praktijkvoorbeelden'
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import yaml

from .sentences import looks_like_heading

# Bump when what the code below derives from a text changes (themes, regions, kinds): the
# fingerprint changes with it, so the next ingest re-tags every document instead of leaving
# documents ingested earlier with the old tags.
TAGGER_VERSION = "2"


@dataclass(frozen=True)
class Theme:
    key: str
    label: str
    pattern: re.Pattern[str]


@dataclass(frozen=True)
class Taxonomy:
    themes: tuple[Theme, ...]
    regions: tuple[tuple[str, re.Pattern[str]], ...]
    fingerprint: str  # hash of the file and TAGGER_VERSION: part of the index fingerprint

    @classmethod
    def load(cls, path: Path) -> Taxonomy:
        """The vocabulary in ``path`` (``Settings.taxonomy_file``); there is no implicit default,
        so a custom file cannot be bypassed by a call site that forgot to pass it."""
        # Keyed on the content, not the path: an edited file must change the fingerprint (and so
        # rebuild the index) in a long-running process too, e.g. the app between two uploads.
        raw = Path(path).read_bytes()
        return _load(raw)

    @property
    def theme_keys(self) -> list[str]:
        return [t.key for t in self.themes]

    def label(self, key: str) -> str:
        return next((t.label for t in self.themes if t.key == key), key)

    def themes_for(self, text: str, section: str = "") -> list[str]:
        """Themes whose patterns occur in the text or in the section heading above it."""
        return [
            t.key
            for t in self.themes
            if t.pattern.search(text) or (section and t.pattern.search(section))
        ]

    def regions_for(self, text: str) -> list[str]:
        return [name for name, pat in self.regions if pat.search(text)]

    def document_regions(self, title: str, text: str) -> DocumentRegions:
        """The regions of one document: the taxonomy's, plus the places its text introduces."""
        known = self.regions_for(f"{title}\n{text}")
        introduced: list[str] = []
        for m in _PLACE.finditer(text):
            name = _place_name(m.group("name"))
            if not name or name in introduced:
                continue
            # A name the taxonomy already knows ("gemeente Nijmegen") keeps the taxonomy's name.
            if self.regions_for(m.group(0)) or self.match_region(name):
                continue
            introduced.append(name)
        patterns = tuple(
            (n, re.compile(r"(?<![\w’'-])" + re.escape(n) + r"(?![\w-])")) for n in introduced
        )
        doc = DocumentRegions(self, patterns)
        doc.title_regions = doc.for_passage(title)
        doc.named = [*known, *introduced]  # an introduced name occurs in the text by definition
        return doc

    def match_theme(self, value: str) -> str | None:
        """Resolve user input ('huisvesting', 'Leerlingenvervoer') to a theme key."""
        v = value.strip().lower()
        for t in self.themes:
            if v in (t.key.lower(), t.label.lower()):
                return t.key
        hits = [t.key for t in self.themes if v and (v in t.key.lower() or v in t.label.lower())]
        return hits[0] if len(hits) == 1 else None

    def match_region(self, value: str) -> str | None:
        v = value.strip().lower()
        for name, pat in self.regions:
            if v == name.lower() or pat.search(value):
                return name
        return None


@dataclass
class DocumentRegions:
    """The region vocabulary of one document: the taxonomy plus the places it introduces.

    ``title_regions`` are the regions its title names: the document is about them, so every
    passage carries them (the "Aanpak" section of a practice example from Zeewolde is from
    Zeewolde too, though it does not repeat the name). ``named`` is every region the document
    names anywhere.
    """

    taxonomy: Taxonomy
    patterns: tuple[tuple[str, re.Pattern[str]], ...]
    title_regions: list[str] = field(default_factory=list)
    named: list[str] = field(default_factory=list)

    @property
    def introduced(self) -> list[str]:
        return [n for n, _ in self.patterns]

    def for_passage(self, text: str) -> list[str]:
        found = self.taxonomy.regions_for(text)
        found += [n for n, pat in self.patterns if pat.search(text) and n not in found]
        return found + [r for r in self.title_regions if r not in found]


# -- places a text introduces -----------------------------------------------------------------
# A capitalised word, also with a prefix ('s-Hertogenbosch) or hyphens (Noord-Veluwe); a name
# may have up to four of them, joined by the lower-case particles of Dutch place names
# ("Bergen op Zoom", "Alphen aan den Rijn").
_WORD = r"(?:['’]s-)?[A-Z][^\W\d_]*(?:-[^\W\d_]+)*"
_NAME = rf"{_WORD}(?:\s+(?:(?:aan|op|den|de|der|ter|ten|bij)\s+){{0,2}}{_WORD}){{0,3}}"
# "gemeente X", "regio X", "samenwerkingsverband (Passend Onderwijs) (PO) X", "SWV (VO) X". Only
# the singular: in "de gemeenten Oss en Uden" the names are a list, not one place.
_PLACE = re.compile(
    r"(?<![\w-])(?:(?i:gemeente|regio|samenwerkingsverband)|SWV)"
    r"(?:\s+(?:(?i:passend\s+onderwijs)|PO|VO|po|vo|(?i:primair|voortgezet)\s+onderwijs))*"
    rf"\s+(?P<name>{_NAME})"
)
# Capitalised words that are no place: sentence words after a place noun in a heading written
# in title case ("Rol Van De Gemeente"), and the generic parts of a partnership's name.
_NOT_A_PLACE = {
    "de", "den", "het", "een", "en", "of", "van", "voor", "met", "als", "in", "op", "bij", "aan",
    "om", "is", "zijn", "heeft", "hebben", "wordt", "worden", "kan", "kunnen", "wil", "willen",
    "die", "dat", "deze", "dit", "zo", "er", "ook", "maar", "wij", "we", "zij", "ze", "hij", "u",
    "onderwijs", "passend", "primair", "voortgezet", "po", "vo", "so", "vso", "jeugd", "zorg",
    "nederland", "samenwerkingsverband", "gemeente", "regio",
}  # fmt: skip


def _place_name(raw: str) -> str:
    """The name without trailing sentence words; empty when nothing in it names a place."""
    words = raw.split()
    while words and words[-1].lower() in _NOT_A_PLACE:
        words.pop()
    if not any(w.lower() not in _NOT_A_PLACE for w in words):
        return ""
    if words[0].lower() not in ("de", "den", "het") and words[0].lower() in _NOT_A_PLACE:
        return ""
    return " ".join(words)


# -- what a document says about itself --------------------------------------------------------
_EXAMPLE_MARK = re.compile(r"praktijkvoorbeeld|voorbeeld uit de praktijk|praktijkverha", re.I)
_EXAMPLES_MARK = re.compile(r"praktijkvoorbeelden|voorbeelden uit de praktijk", re.I)
# Words in a title that say what kind of document it is, in the order they are tried.
_TITLE_KINDS = (
    (_EXAMPLE_MARK, "praktijkvoorbeelden"),
    (re.compile(r"\bstappenplan", re.I), "stappenplan"),
    (re.compile(r"\b(?:handreiking|handleiding|leidraad)", re.I), "handreiking"),
    (re.compile(r"^(?:nieuws|persbericht)\b|\bnieuwsbericht", re.I), "nieuws"),
)
# How a document refers to itself ("Deze handreiking is bedoeld voor ...").
_SELF = re.compile(
    r"\b(?:deze|dit)\s+(handreiking|handleiding|leidraad|stappenplan|nieuwsbericht|"
    r"persbericht|praktijkvoorbeeld)\b",
    re.I,
)
_SELF_KINDS = {
    "handreiking": "handreiking",
    "handleiding": "handreiking",
    "leidraad": "handreiking",
    "stappenplan": "stappenplan",
    "nieuwsbericht": "nieuws",
    "persbericht": "nieuws",
    "praktijkvoorbeeld": "praktijkvoorbeelden",
}
SELF_REFERENCE_CHARS = 2000  # the opening and closing words, not a mention somewhere inside


def marks_example(heading: str) -> bool:
    """Does a title or heading say that what follows is a practice example?

    >>> marks_example("Praktijkvoorbeeld: de gemeente Zeewolde"), marks_example("Aanpak")
    (True, False)
    """
    return bool(_EXAMPLE_MARK.search(heading))


def marks_examples(heading: str) -> bool:
    """Does it announce several practice examples (a collection, with an introduction)?"""
    return bool(_EXAMPLES_MARK.search(heading))


def infer_doc_kind(title: str, text: str) -> str:
    """The kind of a document without a catalog entry, where its title or its opening says so.

    The title first ("Handreiking ...", "Praktijkvoorbeeld: ...", "Nieuws - 15 december 2021");
    then how the text refers to itself in its opening or closing words ("Dit stappenplan ...",
    "Deze handreiking is bedoeld voor ..."). Otherwise
    ``overig``: a kind is never guessed from the topic.

    >>> infer_doc_kind("Samen naar school", "Deze handreiking is bedoeld voor iedereen ...")
    'handreiking'
    >>> infer_doc_kind("Verslag", "De handreiking noemt vier thema's.")
    'overig'
    """
    first = text.lstrip().split("\n", 1)[0].lstrip("# ") if text.strip() else ""
    # The first line speaks for the document only when it is a title, not a sentence about
    # another document ("De handreiking noemt vier thema's.").
    for line in (title, first if looks_like_heading(first) else ""):
        for pattern, kind in _TITLE_KINDS:
            if line and pattern.search(line):
                return kind
    m = _SELF.search(_ends(text))
    return _SELF_KINDS[m.group(1).lower()] if m else "overig"


def _ends(text: str) -> str:
    """Where a document speaks of itself: its introduction and its closing words."""
    if len(text) <= 2 * SELF_REFERENCE_CHARS:
        return text
    return f"{text[:SELF_REFERENCE_CHARS]}\n\n{text[-SELF_REFERENCE_CHARS:]}"


# Documents about a place that are not practice examples: plans, rules, minutes, reports.
_OTHER_NOUN = (
    r"(?:\w*plan|\w*verordening|notulen|\w*begroting|\w*verslag|rapport\w*|\w*monitor|"
    r"evaluatie|onderzoek|\w*brief|notitie|\w*beleid)"
)
_OTHER_IN_TITLE = re.compile(rf"(?<!\w){_OTHER_NOUN}(?!\w)", re.I)
_OTHER_SELF = re.compile(rf"\b(?:dit|deze)\s+{_OTHER_NOUN}\b", re.I)


def names_another_kind(title: str, text: str) -> bool:
    """Does the title or the opening call the document a plan, rules, minutes or a report?

    Such a document may be about one place ("Ondersteuningsplan SWV Driegang") without being a
    practice example.

    >>> names_another_kind("Ondersteuningsplan 2024-2028", ""), names_another_kind("Zwaluwnest", "")
    (True, False)
    """
    return bool(_OTHER_IN_TITLE.search(title) or _OTHER_SELF.search(_ends(text)))


@lru_cache(maxsize=8)
def _load(raw: bytes) -> Taxonomy:
    data = yaml.safe_load(raw) or {}
    themes = []
    for key, spec in (data.get("themes") or {}).items():
        pats = list(spec.get("patterns", []))
        # Acronyms (all caps in the file) match case-sensitively as whole words, so "OZA" does
        # not fire inside other words; other patterns match case-insensitively at a word start
        # ("huisvesting" finds "huisvestingsplan" but not "onderwijshuisvesting").
        alts = []
        for p in pats:
            if re.fullmatch(r"[A-Z]{2,6}", p):
                alts.append(rf"(?-i:\b{p}\b)")
            else:
                alts.append(rf"\b{p}")
        themes.append(Theme(key, spec.get("label", key), re.compile("|".join(alts), re.I)))
    regions = []
    for name, aliases in (data.get("regions") or {}).items():
        alts = [re.escape(a) for a in (aliases or [name])]
        regions.append((name, re.compile(r"(?<!\w)(?:" + "|".join(alts) + r")(?!\w)", re.I)))
    # The code that applies the vocabulary is part of how the index was built, like the file.
    fingerprint = hashlib.sha256(raw + f"\x00tagger-{TAGGER_VERSION}".encode()).hexdigest()[:12]
    return Taxonomy(tuple(themes), tuple(regions), fingerprint)
