"""Assembling a briefing: check the input, choose the bullets, number the sources, verify.

>>> resolve_themes(Taxonomy.load(BUNDLED_TAXONOMY), ["huisvesting"])
['onderwijshuisvesting']
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date as Date

from assistant.quotes import Quote
from assistant.retrieve import HybridRetriever
from ingest.settings import BUNDLED_TAXONOMY  # noqa: F401 - used by the doctest
from ingest.tags import Taxonomy

from .model import (
    DEFAULT_THEMES,
    DETAILED,
    SHORT,
    Briefing,
    BriefingError,
    BriefingInputError,
    ThemeSection,
    format_date,
)
from .phrase import Phraser
from .select import Selector, norm


def theme_choices_text(tx: Taxonomy) -> str:
    return "; ".join(
        t.key if t.label.lower() == t.key.lower() else f"{t.key} („{t.label}”)" for t in tx.themes
    )


def resolve_themes(tx: Taxonomy, themes: list[str] | None) -> list[str]:
    """Theme keys for user input ('huisvesting' -> 'onderwijshuisvesting'); none -> defaults."""
    if not themes:
        return [t for t in DEFAULT_THEMES if t in tx.theme_keys] or tx.theme_keys[:4]
    out: list[str] = []
    for raw in themes:
        key = tx.match_theme(raw or "")
        if key is None:
            raise BriefingInputError(f"Onbekend thema '{raw}'. Kies uit: {theme_choices_text(tx)}.")
        if key not in out:
            out.append(key)
    return out


def check_school(school: str | None) -> str:
    school = " ".join((school or "").split())
    if not school:
        raise BriefingInputError(
            "Vul de naam van de school in (bijvoorbeeld: OBS De Regenboog, Roosendaal)."
        )
    if len(school) > 200:
        raise BriefingInputError("De naam van de school is te lang (hoogstens 200 tekens).")
    return school


def resolve_region(
    tx: Taxonomy, region: str | None, school: str, known: Iterable[str] = ()
) -> tuple[str | None, str | None]:
    """(region as entered, the region it is in the documents). Without --region the school name
    is searched. ``known``: regions documents introduced themselves (an uploaded report about
    "gemeente Zeewolde"), matched by name after the taxonomy's.

    >>> resolve_region(Taxonomy.load(BUNDLED_TAXONOMY), "zeewolde", "", known=["Zeewolde"])
    ('zeewolde', 'Zeewolde')
    """
    region = " ".join((region or "").split()) or None
    if region:
        key = tx.match_region(region)
        if key is None:
            key = next((k for k in known if k.lower() == region.lower()), None)
        return region, key
    found = tx.regions_for(school)
    if not found:
        found = [k for k in known if re.search(rf"(?<!\w){re.escape(k)}(?!\w)", school)]
    return (found[0], found[0]) if found else (None, None)


def build_briefing(
    retriever: HybridRetriever,
    taxonomy: Taxonomy,
    school: str,
    region: str | None = None,
    themes: list[str] | None = None,
    notes: str = "",
    today: Date | None = None,
    phraser: Phraser | None = None,
    detailed: bool = False,
) -> Briefing:
    """Assemble a cited briefing for a school visit from the indexed documents.

    ``themes`` takes keys or labels ('huisvesting'); without themes the four OOGO themes are used.
    Raises ``BriefingInputError`` (Dutch message) for an empty school name or an unknown theme.
    With a ``phraser`` (a language model and the support check), bullets get shorter wording
    where the support check accepts it; otherwise, and whenever the model fails, the briefing is
    the extractive one, with ``notice`` saying why. The briefing is short (about two A4 pages
    for four themes) unless ``detailed``. With a region, its own practice examples that no
    theme section shows come under "Uit uw regio", whatever their theme.

    >>> b = build_briefing(assistant.retriever, assistant.taxonomy, "OBS De Regenboog",
    ...                    region="Roosendaal", themes=["leerlingenvervoer"])   # doctest: +SKIP
    """
    tx = taxonomy
    school = check_school(school)
    keys = resolve_themes(tx, themes)
    if retriever.store.count() == 0:
        raise BriefingError(
            "Er zijn nog geen documenten in de index. Voer eerst `inclusie ingest` uit."
        )
    known = sorted({r for st in retriever.store.doc_states().values() for r in st.regions})
    region, region_key = resolve_region(tx, region, school, known)
    length = DETAILED if detailed else SHORT
    builder = Selector(retriever, tx, region_key, length)
    sections: list[ThemeSection] = []
    pending: list[tuple[ThemeSection, list[Quote], bool]] = []
    for key in keys:
        sec = ThemeSection(key, tx.label(key))
        text_cands = builder.candidates(key, "tekst")
        sec.kernpunten = builder.kernpunten(text_cands)
        tip_cands = builder.candidates(key, "tip")
        sec.tips = builder.tips(tip_cands)
        ex_cands = builder.candidates(key, "praktijkvoorbeeld")
        sec.praktijkvoorbeelden = builder.examples(ex_cands)
        pending.append(
            (
                sec,
                sorted([*tip_cands, *text_cands, *ex_cands], key=lambda s: -s.score),
                bool(ex_cands),
            )
        )
        sections.append(sec)
    # Questions last, for all themes: a sentence that makes a later theme's point or example
    # readable should not be spent on an earlier theme's question.
    for sec, cands, has_examples in pending:
        sec.gespreksvragen = builder.questions(cands)
        _section_notes(sec, region, region_key, has_examples=has_examples)
    shown = {b.passage_id for sec in sections for b in sec.bullets()}
    eigen_regio = builder.region_examples(shown)

    numbers: dict[str, int] = {}  # one source list for the whole briefing, by first citation
    for b in [*eigen_regio, *(x for sec in sections for x in sec.bullets())]:
        if b.passage_id not in numbers:
            numbers[b.passage_id] = len(numbers) + 1
        b.n = numbers[b.passage_id]
    found = {p.id: p for p in retriever.store.get_passages(list(numbers))}
    sources = [found[pid] for pid in numbers]
    today = today or Date.today()
    briefing = Briefing(
        school,
        region,
        region_key,
        keys,
        (notes or "").strip(),
        today,
        sections,
        [],
        sources,
        default_themes=not themes,
        eigen_regio=eigen_regio,
        length=length,
    )
    briefing.aanleiding = _aanleiding(briefing, tx)
    if phraser is not None:
        briefing = phraser.phrase(briefing)
    return briefing


def _section_notes(
    sec: ThemeSection, region: str | None, region_key: str | None, has_examples: bool
) -> None:
    if not sec.kernpunten:
        sec.notes["kernpunten"] = "De documenten zeggen over dit thema niets dat hier past."
    if not sec.tips:
        sec.notes["tips"] = "De handreikingen geven voor dit thema geen tips."
    if not has_examples:
        sec.notes["praktijkvoorbeelden"] = (
            "De documenten bevatten voor dit thema geen praktijkvoorbeelden."
        )
    elif region and not any(
        region_key and region_key in b.lead.split(" / ") for b in sec.praktijkvoorbeelden
    ):
        name = region_key or region
        sec.notes["praktijkvoorbeelden"] = (
            f"Voor dit thema geen praktijkvoorbeeld uit {name}; wel uit andere regio's."
            if region_key
            else f"De regio {name} komt in de documenten niet voor; hieronder voorbeelden uit "
            "andere regio's."
        )
    if not sec.gespreksvragen:
        sec.notes["gespreksvragen"] = "Voor dit thema zijn er geen vragen uit de documenten."


def _join(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " en " + items[-1]


def _aanleiding(b: Briefing, tx: Taxonomy) -> list[str]:
    where = ""
    if b.region:
        where = f" in de regio {b.region}"
        if b.region_key and b.region_key.lower() != b.region.lower():
            where += f" (in de documenten: {b.region_key})"
    labels = [tx.label(t).lower() for t in b.themes]
    which = (
        "de vier thema's van de OOGO-ontwikkelagenda"
        if b.default_themes
        else ("het thema " if len(labels) == 1 else "de thema's ") + _join(labels)
    )
    paras = [
        f"Voorbereiding op het bezoek aan {b.school}{where}. Deze briefing behandelt "
        f"{which}: per thema wat de documenten zeggen, tips uit de handreikingen, "
        "praktijkvoorbeelden uit regio's en vragen voor het gesprek."
    ]
    if b.notes:
        paras.append(b.notes)  # rendered as the user's own notes, not as a cited claim
    paras.append(
        f"Samengesteld op {format_date(b.date)} uit {b.documents} "
        f"{'document' if b.documents == 1 else 'documenten'}; elke bewering verwijst "
        "met [n] naar de bronnenlijst."
    )
    return paras


def verify_briefing(b: Briefing) -> list[str]:
    """Problems with a briefing's citations; empty when every bullet checks out.

    Every bullet cites a source in the list, its ``text`` is the exact slice of that passage, no
    two bullets repeat or overlap, and generated wording is only present when it was checked.
    """
    problems: list[str] = []
    seen: set[str] = set()
    spans: dict[str, list[tuple[int, int]]] = {}
    for x in b.bullets():
        if not 1 <= x.n <= len(b.sources):
            problems.append(f"[{x.n}] verwijst naar geen bron: {x.text[:60]}")
            continue
        p = b.source(x.n)
        if p.id != x.passage_id or p.text[x.start : x.end] != x.text:
            problems.append(f"tekst staat niet letterlijk in bron [{x.n}]: {x.text[:60]}")
        if x.wording and x.support != "checked":
            problems.append(f"herschreven zonder controle: {x.wording[:60]}")
        key = norm(x.text)
        if key in seen:
            problems.append(f"dubbel: {x.text[:60]}")
        seen.add(key)
        if any(x.start < e and s < x.end for s, e in spans.get(x.passage_id, [])):
            problems.append(f"overlapt met een ander punt: {x.text[:60]}")
        spans.setdefault(x.passage_id, []).append((x.start, x.end))
    return problems
