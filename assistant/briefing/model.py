"""The records of a briefing, its limits and wording, and its errors.

A ``Briefing`` has one ``ThemeSection`` per theme, each with four lists of ``Bullet``s:
kernpunten, tips, praktijkvoorbeelden and gespreksvragen. A bullet's ``text`` is always an exact
slice ``passage.text[start:end]`` of the passage it cites; frames around it (a region label, a
question after a quoted point) and a model's shorter ``wording`` are kept apart from it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date as Date
from typing import Literal

from ingest.errors import InclusieError, InputError
from ingest.passage import Passage

# The four themes of the OOGO development agenda in the handbook "Samen werken aan inclusiever
# onderwijs": the default when the user names none.
DEFAULT_THEMES: tuple[str, ...] = (
    "leerlingenvervoer",
    "onderwijshuisvesting",
    "jeugdhulp en zorg",
    "overgangen",
)

SEARCH_K = 12  # passages per theme and kind; the shipped corpus has fewer than that


@dataclass(frozen=True)
class Length:
    """How much a briefing holds per theme: ``SHORT`` (the default) or ``DETAILED``."""

    name: str
    kernpunten: int
    min_kernpunten: int  # a thin theme may take a sentence that leans on the one before it
    tips: int
    examples: int  # examples of other regions; the visited region's own always come
    questions: int
    region_examples: int  # in "Uit uw regio": the visited region's examples under other themes
    bullet_chars: int  # a bullet of two sentences stays readable on a printed page
    tip_chars: int
    question_chars: int  # a quoted point with a question after it


# Short: the four default themes fit on about two A4 pages (at most ~750 words in Word).
SHORT = Length("kort", 2, 2, 1, 1, 1, 2, 240, 220, 260)
# Detailed ("uitgebreid"): the long form, for whoever prepares the visit in depth.
DETAILED = Length("uitgebreid", 3, 3, 2, 2, 2, 4, 420, 260, 1000)

BulletKind = Literal["kernpunt", "tip", "praktijkvoorbeeld", "vraag"]

REGION_SECTION = "Uit uw regio"

SUBSECTIONS: tuple[tuple[str, str], ...] = (
    ("kernpunten", "Kernpunten uit de documenten"),
    ("tips", "Tips uit de handreikingen"),
    ("praktijkvoorbeelden", "Praktijkvoorbeelden"),
    ("gespreksvragen", "Gespreksvragen"),
)

MONTHS = (
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


class BriefingError(InclusieError):
    """Base class; the message is Dutch and meant for the user (e.g. the index is empty)."""

    exit_code = 2


class BriefingInputError(BriefingError, InputError):
    """Bad input: empty school name, unknown theme, unsupported file type."""


class BriefingExportError(BriefingError, OSError):
    """The briefing could not be written (folder missing or not writable); no file is left."""

    exit_code = 1


@dataclass
class Bullet:
    """One cited line of the briefing.

    ``text`` is the evidence: exactly ``passage.text[start:end]`` of the cited passage (source
    ``n`` in the briefing's source list). ``lead`` and ``trail`` are frames that are not part of
    the quote (a region label, a question around a quoted point). ``wording`` is empty on the
    extractive path; a generated rephrasing goes there, and ``support`` says how it was checked.
    """

    kind: BulletKind
    text: str
    passage_id: str
    start: int
    end: int
    n: int = 0  # set when the source list is numbered
    lead: str = ""
    trail: str = ""
    wording: str = ""
    support: str = "verbatim"  # verbatim | checked (a rephrasing that passed the support check)
    score: float = 0.0

    @property
    def plain(self) -> str:
        """The line as read, without formatting and without the citation marker."""
        if self.wording:
            return f"{self.lead}: {self.wording}" if self.lead else self.wording
        if self.trail:
            return f"„{self.text}” {self.trail}"
        return f"{self.lead}: {self.text}" if self.lead else self.text


@dataclass
class ThemeSection:
    theme: str  # taxonomy key
    label: str
    kernpunten: list[Bullet] = field(default_factory=list)
    tips: list[Bullet] = field(default_factory=list)
    praktijkvoorbeelden: list[Bullet] = field(default_factory=list)
    gespreksvragen: list[Bullet] = field(default_factory=list)
    notes: dict[str, str] = field(default_factory=dict)  # subsection -> uncited remark

    def bullets(self) -> Iterator[Bullet]:
        for key, _ in SUBSECTIONS:
            yield from getattr(self, key)


@dataclass
class Briefing:
    school: str
    region: str | None  # as entered (or found in the school name)
    region_key: str | None  # the taxonomy region it matched, if any
    themes: list[str]
    notes: str
    date: Date
    sections: list[ThemeSection]
    aanleiding: list[str]  # uncited paragraphs: built from the inputs, the notes verbatim
    sources: list[Passage]  # numbered 1..n in order of first citation
    default_themes: bool = False
    # The visited region's practice examples that no theme section shows (see ``build``).
    eigen_regio: list[Bullet] = field(default_factory=list)
    length: Length = SHORT
    phrased_by: str = ""  # the language model that reworded bullets, if any
    notice: str = ""  # for the user, not the document: why no model wording was used

    def bullets(self) -> Iterator[Bullet]:
        """Every bullet in the order of the document ("Uit uw regio" comes before the themes)."""
        yield from self.eigen_regio
        for s in self.sections:
            yield from s.bullets()

    def source(self, n: int) -> Passage:
        return self.sources[n - 1]

    @property
    def documents(self) -> int:
        return len({p.doc_id for p in self.sources})


def format_date(d: Date) -> str:
    return f"{d.day} {MONTHS[d.month - 1]} {d.year}"
