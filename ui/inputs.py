"""What users pass in — a question, filters, an earlier conversation — checked in one place.

The CLI and the HTTP API accept the same filters (theme, kind, region, document) and refuse the
same mistakes with the same Dutch message; a ``FieldError`` also names the field, which the API
puts in front of its ``detail`` ("filters.themes: Onbekend thema 'sport'. ...").

>>> from ingest.settings import BUNDLED_TAXONOMY
>>> tx = Taxonomy.load(BUNDLED_TAXONOMY)
>>> resolve_filters(tx, themes=["huisvesting"], regions=["Den Bosch"]).as_dict()["themes"]
['onderwijshuisvesting']
>>> try:
...     resolve_filters(tx, kinds=["roman"], field="filters")
... except FieldError as e:
...     print(e.field, "|", e)
filters.kinds | Onbekende soort 'roman'. Kies uit: tekst, tip, praktijkvoorbeeld.
>>> user_questions([("user", "Wat is het OOGO?"), ("assistant", "Het OOGO ..."), ("user", "")], 100)
['Wat is het OOGO?']
"""

from __future__ import annotations

from collections.abc import Iterable

from assistant.retrieve import Filters
from ingest.errors import InputError
from ingest.passage import KINDS
from ingest.tags import Taxonomy

MAX_HISTORY = 10  # earlier questions used for follow-up rewriting; older ones do not matter


class FieldError(InputError):
    """Bad input in a named field (``field`` as the API names it, e.g. ``filters.themes``)."""

    def __init__(self, field: str, message: str):
        self.field = field
        super().__init__(message)


def _join(prefix: str, name: str) -> str:
    return f"{prefix}.{name}" if prefix else name


def resolve_filters(
    tx: Taxonomy,
    themes: Iterable[str] = (),
    kinds: Iterable[str] = (),
    regions: Iterable[str] = (),
    doc_ids: Iterable[str] = (),
    *,
    known_docs: set[str] | None = None,
    field: str = "",
    names: tuple[str, str, str, str] = ("themes", "kinds", "regions", "doc_ids"),
) -> Filters:
    """Filters in the taxonomy's own names ('huisvesting' -> 'onderwijshuisvesting').

    ``known_docs``: when given, document ids are checked against it too. ``field`` and ``names``
    say how the caller calls these inputs (``filters.themes`` in JSON, ``theme`` in a query).
    """
    out_themes: list[str] = []
    for t in themes:
        key = tx.match_theme(t)
        if key is None:
            raise FieldError(
                _join(field, names[0]),
                f"Onbekend thema '{t}'. Kies uit: {', '.join(tx.theme_keys)}.",
            )
        out_themes.append(key)
    out_kinds = list(kinds)
    for k in out_kinds:
        if k not in KINDS:
            raise FieldError(
                _join(field, names[1]), f"Onbekende soort '{k}'. Kies uit: {', '.join(KINDS)}."
            )
    out_regions: list[str] = []
    for r in regions:
        name = tx.match_region(r)
        if name is None:
            known = ", ".join(n for n, _ in tx.regions)
            raise FieldError(
                _join(field, names[2]), f"Onbekende regio '{r}'. Bekende regio's: {known}."
            )
        out_regions.append(name)
    out_docs = list(doc_ids)
    if known_docs is not None:
        for d in out_docs:
            if d not in known_docs:
                raise FieldError(
                    _join(field, names[3]),
                    f"Onbekend document '{d}'. De document-id's staan in GET /api/v1/documents "
                    "(of `inclusie status`).",
                )
    return Filters(themes=out_themes, kinds=out_kinds, regions=out_regions, doc_ids=out_docs)


def check_question(question: str | None, max_chars: int, field: str = "question") -> str:
    """The question without surrounding space; empty or longer than ``max_chars`` is refused."""
    q = (question or "").strip()
    if not q:
        raise FieldError(field, "Stel een vraag: het veld is leeg.")
    if len(q) > max_chars:
        raise FieldError(
            field,
            f"De vraag is te lang ({len(q)} tekens; hoogstens {max_chars}). Stel een kortere "
            "vraag; een heel document kunt u toevoegen met POST /api/v1/documents.",
        )
    return q


def user_questions(messages: Iterable[tuple[str, str]], max_chars: int) -> list[str]:
    """The earlier questions of a conversation, for follow-up rewriting.

    Only the user's messages count (the assistant's replies are long and quote documents); an
    empty one or one over the question limit is left out rather than refused, since a chat
    front-end keeps sending whatever is in its history.
    """
    out = [c.strip() for role, c in messages if role == "user" and c and c.strip()]
    return [q for q in out if len(q) <= max_chars][-MAX_HISTORY:]
