"""The document view: a cited passage in its document, with the quoted sentences highlighted.

``GET /document/{doc_id}?passage=<id>&mark=<a>-<b>`` (the "Open document" link of a source
card) shows the document's cleaned text, which is what ingest stored: its passages in order.
For a PDF it shows the text of one page (the page of the first quoted sentence, or ``page=``)
and a link that opens the PDF itself at that page. The page scrolls to the passage (``#citaat``
or ``#passage``); the marks are offsets into the passage text, as in the source card.

Only documents in the index are shown, never a file by path; all document text is escaped; with
``INCLUSIE_AUTH`` the page needs the web app's login (Gradio's cookie), as the chat does.

>>> blocks = [Block("Eerste stuk.", []), Block("Een zin. Het citaat.", [(9, 20)], True)]
>>> "<mark id=\\"citaat\\">Het citaat.</mark>" in document_html("d", "Titel", blocks)
True
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from ingest.passage import Passage

from .render import KIND_LABELS, esc, marked_html, pdf_page_link

# A rendered page runs no script and loads nothing but its own inline style.
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; "
    "frame-ancestors 'self'; base-uri 'none'; form-action 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}

PAGE_CSS = """
body { font-family: system-ui, "Segoe UI", Helvetica, Arial, sans-serif; margin: 0;
       color: #1f2937; background: #f6f7f9; line-height: 1.5; }
header { background: #fff; border-bottom: 1px solid #d9dde3; padding: 12px 20px; }
header h1 { font-size: 1.25rem; margin: 0 0 4px; overflow-wrap: normal; word-break: normal;
            hyphens: manual; }
header p { margin: 2px 0; color: #4b5563; font-size: 0.92rem; }
nav a, header a { margin-right: 14px; }
main { max-width: 46rem; margin: 16px auto 40vh; background: #fff; border: 1px solid #e3e6ea;
       border-radius: 8px; padding: 8px 0; }
.stuk { white-space: pre-wrap; padding: 6px 18px; margin: 0 0 8px;
        border-left: 4px solid transparent; }
.stuk.gekozen { background: #fffbea; border-left-color: #e0a800; }
/* land the quote a little below the top, with the lines before it in view */
#citaat, #passage { scroll-margin-top: 30vh; }
mark { background: #ffe680; color: inherit; padding: 0 1px; }
.kop { display: block; font-weight: 650; font-size: 1.05rem; margin: 2px 0 4px; }
.kop-1 { font-size: 1.2rem; }
.melding { background: #fff; border: 1px solid #e3e6ea; border-radius: 8px; padding: 14px; }
"""


@dataclass
class Block:
    """A piece of the document as shown: text, marks (offsets into it), the cited passage?"""

    text: str
    marks: list[tuple[int, int]] = field(default_factory=list)
    cited: bool = False


def parse_marks(values: list[str], length: int) -> list[tuple[int, int]]:
    """``["12-40", ...]`` as offsets within ``0..length``; anything else is ignored.

    >>> parse_marks(["3-9", "x", "8-5", "2-999"], 20)
    [(3, 9), (2, 20)]
    """
    out = []
    for v in values[:50]:
        a, sep, b = v.partition("-")
        if not (sep and a.isdigit() and b.isdigit()):
            continue
        lo, hi = int(a), min(int(b), length)
        if lo < hi:
            out.append((lo, hi))
    return out


def page_segments(p: Passage) -> list[tuple[int, int, int | None]]:
    """(start, end, page) of each piece of a passage's text that lies on one PDF page."""
    marks = [(0, p.page)] + [(off, pg) for off, pg in p.page_marks if 0 < off < len(p.text)]
    marks.sort(key=lambda m: m[0])
    ends = [off for off, _ in marks[1:]] + [len(p.text)]
    return [(off, end, pg) for (off, pg), end in zip(marks, ends) if end > off]


def document_blocks(
    passages: list[Passage], cited: Passage | None, marks: list[tuple[int, int]], page: int | None
) -> list[Block]:
    """The text to show, in order: every passage, or for a PDF the pieces on ``page``."""
    blocks = []
    for p in passages:
        is_cited = cited is not None and p.id == cited.id
        if page is None:
            blocks.append(Block(p.text, marks if is_cited else [], is_cited))
            continue
        for a, b, pg in page_segments(p):
            if pg != page:
                continue
            local = [
                (max(x, a) - a, min(y, b) - a) for x, y in marks if is_cited and x < b and y > a
            ]
            blocks.append(Block(p.text[a:b], local, is_cited))
    return blocks


def document_html(
    doc_id: str,
    title: str,
    blocks: list[Block],
    *,
    where: str = "",
    kind: str = "",
    page: int | None = None,
    pages: int | None = None,
    pdf_link: str = "",
    nav: list[tuple[str, str]] | None = None,
) -> str:
    """The whole page (escaped): title, where the passage is, the text, the cited part marked."""
    body = []
    first_cited, first_mark = True, True
    for b in blocks:
        attrs = ' class="stuk"'
        if b.cited:
            attrs = ' class="stuk gekozen"' + (' id="passage"' if first_cited else "")
            first_cited = False
        mark_id = "citaat" if b.marks and first_mark else ""
        first_mark = first_mark and not mark_id
        body.append(f"<div{attrs}>{marked_html(b.text, b.marks, mark_id=mark_id)}</div>")
    if not body:
        body.append('<p class="melding">Op deze pagina staat geen tekst uit het document.</p>')
    facts = []
    if kind:
        facts.append(esc(kind))
    if page is not None:
        facts.append(f"pagina {page}" + (f" van {pages}" if pages else ""))
    if where:
        facts.append(f"geciteerd: {esc(where)}")
    links = "".join(f'<a href="{esc(href)}">{esc(text)}</a>' for text, href in nav or [])
    return (
        '<!doctype html><html lang="nl"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{esc(title)} — Inclusie-assistent</title><style>{PAGE_CSS}</style></head>"
        f"<body><header><h1>{esc(title)}</h1><p>{' · '.join(facts)}</p>"
        f"{pdf_link}<nav>{links}</nav></header>"
        f'<main data-doc="{esc(doc_id)}">{"".join(body)}</main></body></html>'
    )


def message_html(title: str, text: str) -> str:
    return (
        '<!doctype html><html lang="nl"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{esc(title)}</title><style>{PAGE_CSS}</style></head><body><main>"
        f'<p class="melding"><strong>{esc(title)}</strong><br>{esc(text)}<br>'
        '<a href="../">Naar de Inclusie-assistent</a></p></main></body></html>'
    )


class WebLogin:
    """Whether a request carries the web app's login, checked the way Gradio checks it.

    ``app`` is the mounted Gradio app (``ui.app.build_server`` sets it once mounted); its login
    cookie names and tokens are its own, so the check asks it rather than copying them.
    """

    def __init__(self) -> None:
        self.app: Any = None

    async def __call__(self, request: Request) -> bool:
        app = self.app
        if app is None:
            return False
        dependency = getattr(app, "auth_dependency", None)
        if getattr(app, "auth", None) is None and dependency is None:
            return True  # no login configured: the web app is open too
        if dependency is not None:
            user = dependency(request)
            if inspect.isawaitable(user):
                user = await user
            return user is not None
        cookie_id = app.cookie_id
        token = request.cookies.get(f"access-token-{cookie_id}") or request.cookies.get(
            f"access-token-unsecure-{cookie_id}"
        )
        return app.tokens.get(token) is not None


def document_router(
    passages_of: Callable[[str], list[Passage]],
    logged_in: Callable[[Request], Awaitable[bool]],
) -> APIRouter:
    """``GET /document/{doc_id}``: see the module docstring."""
    router = APIRouter()

    def page(html: str, status: int = 200) -> HTMLResponse:
        return HTMLResponse(html, status_code=status, headers=SECURITY_HEADERS)

    @router.get("/document/{doc_id}", include_in_schema=False)
    async def document(
        request: Request,
        doc_id: str,
        passage: str = "",
        mark: list[str] = Query(default_factory=list),
        page_nr: int | None = Query(None, alias="page", ge=1, le=100_000),
    ) -> HTMLResponse:
        if not await logged_in(request):
            return page(
                message_html(
                    "Log eerst in",
                    "Dit document is alleen te zien na inloggen op de Inclusie-assistent.",
                ),
                401,
            )
        from fastapi.concurrency import run_in_threadpool

        passages = await run_in_threadpool(passages_of, doc_id)
        if not passages:
            return page(
                message_html(
                    "Document niet gevonden",
                    "Dit document staat niet (meer) in de index. Misschien is het verwijderd.",
                ),
                404,
            )
        cited = next((p for p in passages if p.id == passage), None)
        marks = parse_marks(mark, len(cited.text)) if cited else []
        first = cited or passages[0]
        is_pdf = any(p.page is not None for p in passages)
        title = first.title or doc_id
        kind = KIND_LABELS.get(cited.kind, cited.kind) if cited else ""
        if not is_pdf:
            blocks = document_blocks(passages, cited, marks, None)
            html = document_html(
                doc_id, title, blocks, where=cited.location if cited else "", kind=kind
            )
            return page(html)
        pages = max((p.page_end or p.page or 1) for p in passages)
        shown = page_nr or first.page_at(min(marks)[0] if marks else 0) or 1
        shown = min(shown, pages)
        blocks = document_blocks(passages, cited, marks, shown)

        def at(n: int) -> str:
            query = [("passage", passage)] if cited else []
            query += [("mark", f"{a}-{b}") for a, b in marks] + [("page", str(n))]
            return f"{quote(doc_id, safe='')}?{urlencode(query)}"

        nav = []
        if shown > 1:
            nav.append((f"← pagina {shown - 1}", at(shown - 1)))
        if shown < pages:
            nav.append((f"pagina {shown + 1} →", at(shown + 1)))
        html = document_html(
            doc_id,
            title,
            blocks,
            where=cited.location if cited else "",
            kind=kind,
            page=shown,
            pages=pages,
            pdf_link=pdf_page_link(first.source, shown),
            nav=nav,
        )
        return page(html)

    return router
