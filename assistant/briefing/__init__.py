"""Talking points for a school visit: a cited briefing per theme, as Markdown or Word.

Before an alderman or a partnership's advisor visits a school they want one or two pages: what
the handbooks say about the themes that matter for this school (kernpunten), the handbooks' TIP
blocks (tips), what named regions did (praktijkvoorbeelden, the visited region's own first) and
questions to ask (gespreksvragen) — every bullet traceable to a passage.

The package is split by job: ``model`` (records, limits, errors), ``select`` (which sentences),
``build`` (input checks, assembly, verification), ``phrase`` (shorter wording by a language
model, kept only where the support check accepts it) and ``export`` (Markdown, DOCX, atomic
writes).

>>> b = build_briefing(assistant.retriever, assistant.taxonomy, "OBS De Regenboog",
...                    region="Roosendaal", themes=["leerlingenvervoer"])   # doctest: +SKIP
>>> b.sections[0].praktijkvoorbeelden[0].lead                              # doctest: +SKIP
'Roosendaal-Moerdijk'
"""

from __future__ import annotations

from .build import (
    build_briefing,
    check_school,
    resolve_region,
    resolve_themes,
    theme_choices_text,
    verify_briefing,
)
from .export import (
    check_writable,
    source_line,
    subtitle_line,
    title_line,
    to_docx,
    to_markdown,
    where,
    write_markdown,
)
from .model import (
    DEFAULT_THEMES,
    SUBSECTIONS,
    Briefing,
    BriefingError,
    BriefingExportError,
    BriefingInputError,
    Bullet,
    ThemeSection,
    format_date,
)
from .phrase import Phraser, lexical_support, phrasing_line, rephrase

__all__ = [
    "DEFAULT_THEMES",
    "SUBSECTIONS",
    "Briefing",
    "BriefingError",
    "BriefingExportError",
    "BriefingInputError",
    "Bullet",
    "Phraser",
    "ThemeSection",
    "build_briefing",
    "check_school",
    "check_writable",
    "format_date",
    "lexical_support",
    "phrasing_line",
    "rephrase",
    "resolve_region",
    "resolve_themes",
    "source_line",
    "subtitle_line",
    "theme_choices_text",
    "title_line",
    "to_docx",
    "to_markdown",
    "verify_briefing",
    "where",
    "write_markdown",
]
