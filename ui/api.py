"""The HTTP API beside the web app: ``/api/v1`` (JSON) and ``/v1`` (OpenAI-compatible).

``create_api`` builds the FastAPI app that ``inclusie serve`` runs, with the Gradio web app
mounted into it at ``/`` (``ui.app.build_server``); both call the same ``Assistant``. The schema
is at ``/api/v1/openapi.json`` and readable at ``/api/v1/docs``.

- ``POST /api/v1/ask``: exactly the ``ask --json`` contract (``Answer.to_json``); with
  ``?stream=true`` Server-Sent Events: ``rewritten`` (a follow-up's standalone question),
  ``token`` pieces, then ``replace`` with the final answer (it replaces what was streamed: a
  generated answer may be corrected or replaced by quotes after the support check).
- ``GET /api/v1/search``: the ``search --json`` contract.
- ``POST /api/v1/talking-points``: a briefing as JSON, or ``?format=md|docx``.
- ``GET|POST /api/v1/documents``, ``DELETE /api/v1/documents/{doc_id}``.
- ``GET /api/v1/health``: index reachable, documents, passages, model (no token needed).

Errors are ``application/problem+json`` (``ui.problems``); access is checked by ``ui.access``.
"""

from __future__ import annotations

import itertools
import json
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Literal

from fastapi import APIRouter, Depends, FastAPI, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response, StreamingResponse
from fastapi.routing import APIRoute
from pydantic import BaseModel, ConfigDict, Field
from starlette.datastructures import UploadFile

from assistant.briefing import Briefing, BriefingError, BriefingInputError, where
from assistant.records import Final, Rewritten, StreamEvent, Token
from assistant.retrieve import Filters
from ingest.errors import IndexUnavailable, InputError
from ingest.uploads import UploadResult, safe_filename

from .access import Access
from .handlers import AppContext, remove, upload
from .inputs import FieldError, check_question, resolve_filters, user_questions
from .limits import BodyLimit, RateLimiter, upload_body_limit
from .problems import MEDIA_TYPE, ApiProblem, install, log
from .tokens import TokenStore

PREFIX = "/api/v1"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


# -- request bodies -------------------------------------------------------------------------------
class _Strict(BaseModel):
    # A misspelt field ("filter") is an error naming it, not a silently ignored option.
    model_config = ConfigDict(extra="forbid")


class FilterSpec(_Strict):
    """Narrow the search, like the CLI's --theme, --kind, --region and --doc (any of each)."""

    themes: list[str] = Field(default_factory=list, max_length=20, examples=[["huisvesting"]])
    kinds: list[str] = Field(
        default_factory=list, max_length=3, description="tekst, tip, praktijkvoorbeeld"
    )
    regions: list[str] = Field(default_factory=list, max_length=20, examples=[["Lelystad"]])
    doc_ids: list[str] = Field(
        default_factory=list, max_length=50, description="Ids from GET /api/v1/documents."
    )


class Message(_Strict):
    role: Literal["user", "assistant", "system"]
    content: str


class AskRequest(_Strict):
    question: str = Field(examples=["Wat kan de gemeente doen aan leerlingenvervoer?"])
    filters: FilterSpec | None = None
    conversation: list[Message] = Field(
        default_factory=list,
        max_length=200,
        description="Earlier messages of this conversation, oldest first; the user's questions "
        "among them are used to rewrite a follow-up ('en in Lelystad?') before searching.",
    )
    quotes_only: bool = Field(
        False, description="Quoted answer even with a language model configured (--letterlijk)."
    )


class TalkingPointsRequest(_Strict):
    school: str = Field(examples=["OBS De Regenboog"])
    region: str | None = Field(None, examples=["Roosendaal"])
    themes: list[str] | None = Field(
        None, max_length=20, description="Default: the four OOGO themes."
    )
    notes: str = Field("", max_length=4000, description="The author's own words, not cited.")
    quotes_only: bool = False


# -- shared steps ---------------------------------------------------------------------------------
def field_problem(e: InputError, field: str | None = None) -> ApiProblem:
    """A Dutch input error as a 400 whose detail starts with the field it concerns."""
    name = field or getattr(e, "field", None)
    return ApiProblem(400, f"{name}: {e}" if name else str(e), field=name)


def resolve_request_filters(ctx: AppContext, spec: FilterSpec | None, field: str) -> Filters:
    spec = spec or FilterSpec()
    known = set(ctx.assistant.store.doc_states()) if spec.doc_ids else None
    try:
        return resolve_filters(
            ctx.taxonomy,
            spec.themes,
            spec.kinds,
            spec.regions,
            spec.doc_ids,
            known_docs=known,
            field=field,
        )
    except FieldError as e:
        raise field_problem(e) from None


def earlier_questions(ctx: AppContext, messages: list[tuple[str, str]]) -> list[str]:
    """The conversation's earlier questions, each made standalone like the web app keeps them.

    The chat remembers every turn's rewritten question, so a chain of follow-ups ("en in
    Lelystad?", "en in Zwolle?") keeps its subject. An API client sends the raw questions; the
    rule rewrites them again here (cheap). With a language model the model sees them all at
    once instead, so no extra requests are made.
    """
    qs = user_questions(messages, ctx.settings.max_question_chars)
    if ctx.assistant.llm is not None:
        return qs
    out: list[str] = []
    for q in qs:
        out.append(ctx.assistant.standalone(q, out))
    return out


def answer_text_pieces(text: str) -> list[str]:
    """A finished answer in the pieces it is streamed in: line by line, as the chat shows it."""
    return text.splitlines(keepends=True) or [""]


def _sse(event: str, data: dict) -> str:
    return f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"


def _stream_answer(
    head: list[StreamEvent], events: Iterator[StreamEvent], path: str
) -> Iterator[str]:
    streamed = False
    try:
        for ev in itertools.chain(head, events):
            if isinstance(ev, Rewritten):
                yield _sse("rewritten", {"question": ev.question})
            elif isinstance(ev, Token):
                streamed = True
                yield _sse("token", {"text": ev.text})
            elif isinstance(ev, Final):
                if not streamed:  # a quoted answer arrives whole: send it line by line
                    for piece in answer_text_pieces(ev.answer.text):
                        yield _sse("token", {"text": piece})
                yield _sse("replace", ev.answer.to_json())
    except IndexUnavailable as e:  # the status line is sent: the error travels as an event
        yield _sse("error", ApiProblem(503, str(e)).body(path))
    except Exception:
        log.exception("API-fout tijdens het streamen van %s", path)
        yield _sse("error", ApiProblem(500, "Er ging iets mis in de assistent.").body(path))


def briefing_json(b: Briefing) -> dict:
    """A briefing as JSON: sections -> subsections -> bullets (with their source ``n``)."""
    from assistant.briefing import SUBSECTIONS, phrasing_line

    def bullet(x) -> dict:
        return {
            "n": x.n,
            "kind": x.kind,
            "text": x.text,
            "lead": x.lead,
            "trail": x.trail,
            "wording": x.wording,
            "support": x.support,
            "line": x.plain,
        }

    sections = []
    for sec in b.sections:
        subs = []
        for key, title in SUBSECTIONS:
            subs.append(
                {
                    "key": key,
                    "title": title,
                    "note": sec.notes.get(key, ""),
                    "bullets": [bullet(x) for x in getattr(sec, key)],
                }
            )
        sections.append({"theme": sec.theme, "label": sec.label, "subsections": subs})
    return {
        "school": b.school,
        "region": b.region,
        "region_key": b.region_key,
        "date": b.date.isoformat(),
        "themes": b.themes,
        "default_themes": b.default_themes,
        "aanleiding": b.aanleiding,
        "notes": b.notes,
        "phrased_by": b.phrased_by,
        "phrasing": phrasing_line(b),
        "notice": b.notice,
        "sections": sections,
        # "Uit uw regio": the visited region's examples under other themes (first in the file)
        "eigen_regio": [bullet(x) for x in b.eigen_regio],
        "length": b.length.name,
        "sources": [
            {"n": n, "location": where(p), **p.public_dict()} for n, p in enumerate(b.sources, 1)
        ],
    }


def upload_json(result: UploadResult) -> dict:
    doc_ids = {r.path.name: r.doc_id for r in (result.report.results if result.report else [])}
    return {
        "files": [
            {
                "name": o.name,
                "status": o.status,
                "doc_id": doc_ids.get(o.name, "") if o.status != "refused" else "",
                "passages": o.passages,
                "reason": o.reason,
            }
            for o in result.outcomes
        ],
        "summary": result.report.summary() if result.report else "",
    }


# -- the /api/v1 routes ---------------------------------------------------------------------------
def api_router(ctx: AppContext, access: Access) -> APIRouter:
    s = ctx.settings
    # Dependencies of the route, not parameters: the handlers do not need to know who asked.
    reader = [Depends(access.require("read"))]
    writer = [Depends(access.require("write"))]
    r = APIRouter(prefix=PREFIX)

    @r.post(
        "/ask",
        tags=["vragen"],
        summary="Een vraag beantwoorden, met genummerde bronnen",
        dependencies=reader,
        responses={200: {"content": {"text/event-stream": {}}}},
    )
    def ask(
        body: AskRequest,
        stream: bool = Query(False, description="Server-Sent Events: rewritten, token, replace."),
    ) -> Response:
        try:
            question = check_question(body.question, s.max_question_chars)
        except FieldError as e:
            raise field_problem(e) from None
        filters = resolve_request_filters(ctx, body.filters, "filters")
        history = earlier_questions(ctx, [(m.role, m.content) for m in body.conversation])
        if not stream:
            ans = ctx.assistant.ask(
                question, filters=filters, history=history, quotes_only=body.quotes_only
            )
            return JSONResponse(ans.to_json())
        events = ctx.assistant.ask_stream(
            question, filters=filters, history=history, quotes_only=body.quotes_only
        )
        # Retrieval runs before the status line is sent (it is done once an event other than
        # Rewritten arrives), so an unreachable index is still a 503 rather than an error event.
        head: list[StreamEvent] = []
        for ev in events:
            head.append(ev)
            if not isinstance(ev, Rewritten):
                break
        return StreamingResponse(
            _stream_answer(head, events, f"{PREFIX}/ask"),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        )

    @r.get(
        "/search",
        tags=["vragen"],
        summary="Passages zoeken, gerangschikt, met scores",
        dependencies=reader,
    )
    def search(
        q: str = Query(description="Zoekvraag, Nederlands of Engels."),
        k: int = Query(5, ge=1, le=50),
        theme: list[str] = Query(default_factory=list),
        kind: list[str] = Query(default_factory=list),
        region: list[str] = Query(default_factory=list),
        doc: list[str] = Query(default_factory=list),
        mode: Literal["hybrid", "dense", "bm25"] = "hybrid",
    ) -> dict:
        try:
            question = check_question(q, s.max_question_chars, field="q")
            filters = resolve_filters(
                ctx.taxonomy,
                theme,
                kind,
                region,
                doc,
                known_docs=set(ctx.assistant.store.doc_states()) if doc else None,
                names=("theme", "kind", "region", "doc"),
            )
        except FieldError as e:
            raise field_problem(e) from None
        res = ctx.assistant.search(question, k=k, filters=filters, mode=mode)
        return {"question": question, "passages": [p.public_dict() for p in res.passages]}

    @r.post(
        "/talking-points",
        tags=["gespreksvoorbereiding"],
        summary="Gespreksvoorbereiding voor een schoolbezoek (JSON, Markdown of Word)",
        dependencies=reader,
        responses={200: {"content": {"text/markdown": {}, DOCX: {}}}},
    )
    def talking_points(
        body: TalkingPointsRequest,
        format: Literal["json", "md", "docx"] = Query("json"),
    ) -> Response:
        from assistant.briefing import check_school, resolve_themes, to_docx, to_markdown

        try:
            school = check_school(body.school)
        except BriefingInputError as e:
            raise field_problem(e, "school") from None
        try:
            resolve_themes(ctx.taxonomy, body.themes)
        except BriefingInputError as e:
            raise field_problem(e, "themes") from None
        try:
            b = ctx.assistant.briefing(
                school,
                region=(body.region or "").strip() or None,
                themes=body.themes or None,
                notes=body.notes,
                use_llm=not body.quotes_only,
            )
        except BriefingInputError as e:
            raise field_problem(e) from None
        except BriefingError as e:  # no documents in the index yet
            raise ApiProblem(503, str(e)) from None
        if format == "json":
            return JSONResponse(briefing_json(b))
        stem = "gespreksvoorbereiding-" + safe_filename(b.school.replace(".", " "))
        disposition = {"Content-Disposition": f'attachment; filename="{stem}.{format}"'}
        if format == "md":
            return Response(
                to_markdown(b), media_type="text/markdown; charset=utf-8", headers=disposition
            )
        with tempfile.TemporaryDirectory(prefix="inclusie-briefing-") as tmp:
            data = to_docx(b, Path(tmp) / f"{stem}.docx").read_bytes()
        return Response(data, media_type=DOCX, headers=disposition)

    @r.get(
        "/documents",
        tags=["documenten"],
        summary="De documenten in de index",
        dependencies=reader,
    )
    def documents() -> dict:
        states = ctx.assistant.store.doc_states()
        return {
            "documents": [
                {
                    "doc_id": d.doc_id,
                    "title": d.title,
                    "kind": d.doc_kind,
                    "passages": d.present,
                    "complete": d.complete,
                    "file": Path(d.source).name if d.source else "",
                }
                for d in sorted(states.values(), key=lambda d: d.doc_id)
            ]
        }

    @r.post(
        "/documents",
        tags=["documenten"],
        summary="Documenten toevoegen (PDF, DOCX, TXT, MD), zoals op het tabblad Documenten",
        dependencies=writer,
        openapi_extra={
            "requestBody": {
                "required": True,
                "content": {
                    "multipart/form-data": {
                        "schema": {
                            "type": "object",
                            "required": ["files"],
                            "properties": {
                                "files": {
                                    "type": "array",
                                    "items": {"type": "string", "format": "binary"},
                                }
                            },
                        }
                    }
                },
            }
        },
    )
    async def add_documents(request: Request) -> JSONResponse:
        # The form is read here, after the token check, so nobody without a write token gets
        # a large upload spooled to disk.
        form = await request.form()
        files = [f for f in form.getlist("files") if isinstance(f, UploadFile) and f.filename]
        if not files:
            raise ApiProblem(
                400,
                "files: kies een of meer bestanden (PDF, DOCX, TXT of MD) in het "
                "multipart-veld 'files'.",
                field="files",
            )
        if len(files) > s.max_upload_files:
            raise ApiProblem(
                413,
                f"files: {len(files)} bestanden in één keer; hoogstens {s.max_upload_files}.",
                field="files",
            )
        tmp = Path(tempfile.mkdtemp(prefix="inclusie-upload-"))
        try:
            paths = []
            for i, f in enumerate(files):
                # One folder per file: two uploads of the same name stay two files, and the
                # name is made safe before it touches the disk (add_uploads does it again).
                dest = tmp / str(i) / safe_filename(f.filename or "document")
                dest.parent.mkdir()
                await run_in_threadpool(_save, f, dest)
                paths.append(str(dest))
            _, result = await run_in_threadpool(upload, ctx, paths)
        finally:
            await form.close()
            shutil.rmtree(tmp, ignore_errors=True)
        assert result is not None
        body = upload_json(result)
        if not result.added:
            reasons = "; ".join(f"{o.name}: {o.reason}" for o in result.outcomes)
            raise ApiProblem(
                400, f"files: niets toegevoegd ({reasons}).", field="files", extra=body
            )
        changed = any(o.status in ("added", "updated") for o in result.outcomes)
        return JSONResponse(body, status_code=201 if changed else 200)

    @r.delete(
        "/documents/{doc_id}",
        tags=["documenten"],
        summary="Een document uit de index halen (en een geüpload bestand verwijderen)",
        dependencies=writer,
    )
    def delete_document(doc_id: str) -> dict:
        res = remove(ctx, doc_id)
        if res.error:
            raise ApiProblem(
                404,
                f"doc_id: het document '{doc_id}' staat niet in de index (zie GET "
                f"{PREFIX}/documents).",
                field="doc_id",
            )
        return {
            "doc_id": res.doc_id,
            "title": res.title,
            "passages": res.passages,
            "deleted_file": res.deleted_file,
        }

    @r.get("/health", tags=["beheer"], summary="Is de index bereikbaar? (geen token nodig)")
    def health() -> dict:
        store = ctx.assistant.store
        states = store.doc_states()  # IndexUnavailable -> 503
        info = store.info()
        llm = ctx.assistant.llm
        return {
            "status": "ok",
            "documents": len(states),
            "passages": sum(d.present for d in states.values()),
            "embedder": s.embedder,
            "embedder_id": store.embedder_id,
            "collection": store.name,
            "chunker_version": info.get("chunker_version"),
            "store": "chroma-server" if s.chroma_url else "embedded",
            "llm": s.llm_model if llm is not None else None,
        }

    @r.api_route(
        "/{rest:path}",
        methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
        include_in_schema=False,
    )
    def not_found(rest: str, request: Request) -> None:
        # Without this route the web app (mounted at /) would answer with a page of its own.
        path = request.url.path
        allowed = sorted(
            {
                m
                for route in r.routes
                if isinstance(route, APIRoute)
                and route.path != f"{PREFIX}/{{rest:path}}"
                and route.path_regex.match(path)
                for m in route.methods or ()
            }
        )
        if allowed:
            raise ApiProblem(
                405,
                f"De methode {request.method} kan niet op {path}; wel: {', '.join(allowed)}.",
                headers={"Allow": ", ".join(allowed)},
            )
        raise ApiProblem(404, f"Dit adres bestaat niet in de API: {path}. Zie {PREFIX}/docs.")

    return r


def _save(f: UploadFile, dest: Path) -> None:
    f.file.seek(0)
    with open(dest, "wb") as out:
        shutil.copyfileobj(f.file, out, 1024 * 1024)


# -- the app ------------------------------------------------------------------------------------
def create_api(ctx: AppContext, *, open_without_tokens: bool) -> FastAPI:
    """The FastAPI app with ``/api/v1`` and ``/v1``; ``ui.app`` mounts the web app into it.

    ``open_without_tokens``: whether requests without a token are let through while no token
    exists (only on a loopback address).
    """
    from .openai_compat import openai_router

    s = ctx.settings
    app = FastAPI(
        title="Inclusie-assistent API",
        version="1",
        description=(
            "Vragen over inclusief onderwijs, beantwoord met genummerde passages uit de "
            "documenten. Fouten zijn application/problem+json met een Nederlandse 'detail'."
        ),
        docs_url=f"{PREFIX}/docs",
        redoc_url=None,
        openapi_url=f"{PREFIX}/openapi.json",
    )
    access = Access(
        TokenStore(s.tokens_db), RateLimiter(s.api_rate_per_minute), open_without_tokens
    )
    kb = s.api_max_body_kb
    json_too_large = f"Het verzoek is te groot (hoogstens {kb} kB)."
    upload_too_large = (
        f"files: te veel of te grote bestanden in één keer: hoogstens "
        f"{s.max_upload_files} bestanden van {s.max_file_mb:g} MB."
    )
    limits = {  # path -> (bytes, detail of the 413)
        f"{PREFIX}/ask": (kb * 1024, json_too_large),
        f"{PREFIX}/talking-points": (kb * 1024, json_too_large),
        "/v1/chat/completions": (kb * 1024, json_too_large),
        f"{PREFIX}/documents": (upload_body_limit(s), upload_too_large),
    }

    def limit_for(path: str) -> int | None:
        rule = limits.get(path.rstrip("/"))
        return rule[0] if rule else None

    def reject(path: str) -> tuple[bytes, bytes]:
        detail = limits[path.rstrip("/")][1]
        body = ApiProblem(413, detail).body(path)
        return MEDIA_TYPE.encode(), json.dumps(body, ensure_ascii=False).encode("utf-8")

    app.add_middleware(BodyLimit, limit_for=limit_for, reject=reject)
    install(app, too_large={path: detail for path, (_, detail) in limits.items()})
    app.include_router(api_router(ctx, access))
    app.include_router(openai_router(ctx, access))
    return app
