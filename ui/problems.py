"""Errors of the HTTP API as ``application/problem+json`` (RFC 9457), never a traceback.

Every error response of ``/api/v1`` and ``/v1`` has ``type``, ``title``, ``status`` and a Dutch
``detail`` that names the field at fault; ``field`` repeats that name for programs. On the
OpenAI-compatible paths (``/v1``) the same body also carries ``error: {message, type, code}``, the
shape OpenAI clients read their error message from, so a chat front-end shows the Dutch detail.

>>> p = ApiProblem(400, "Vul een vraag in (veld 'question').", field="question")
>>> body = p.body("/api/v1/ask")
>>> body["status"], body["title"], body["field"]
(400, 'Bad Request', 'question')
>>> dutch_validation_errors([{"loc": ("body", "filters", "themes"), "type": "list_type"}])
"Veld 'filters.themes' moet een lijst zijn."
"""

from __future__ import annotations

import logging
from http import HTTPStatus

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from ingest.errors import IndexUnavailable, InputError

MEDIA_TYPE = "application/problem+json"
TYPE_BASE = "https://inclusie-assistent.nl/problemen/"  # stable identifiers, not fetched

log = logging.getLogger("inclusie.api")

# OpenAI's error "type" for a status, so its clients classify our errors as they do theirs.
_OPENAI_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    413: "invalid_request_error",
    429: "rate_limit_error",
    503: "service_unavailable",
}


class ApiProblem(Exception):
    """An error the API answers with: status, Dutch detail, and the field it concerns."""

    def __init__(
        self,
        status: int,
        detail: str,
        *,
        field: str | None = None,
        headers: dict[str, str] | None = None,
        extra: dict | None = None,
    ):
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.field = field
        self.headers = headers or {}
        self.extra = extra or {}

    def body(self, path: str) -> dict:
        phrase = HTTPStatus(self.status).phrase
        slug = phrase.lower().replace(" ", "-").replace("'", "")
        out: dict = {
            "type": TYPE_BASE + slug,
            "title": phrase,
            "status": self.status,
            "detail": self.detail,
            "instance": path,
        }
        if self.field:
            out["field"] = self.field
        out.update(self.extra)
        if path.startswith("/v1/"):
            out["error"] = {
                "message": self.detail,
                "type": _OPENAI_TYPES.get(self.status, "server_error"),
                "param": self.field,
                "code": slug,
            }
        return out

    def response(self, path: str) -> JSONResponse:
        return JSONResponse(
            self.body(path), status_code=self.status, media_type=MEDIA_TYPE, headers=self.headers
        )


# -- request validation in Dutch ------------------------------------------------------------------
def _field_name(loc: tuple | list) -> str:
    parts = [str(x) for x in loc if x not in ("body", "query", "path", "header")]
    name = ""
    for p in parts:
        name += f"[{p}]" if p.isdigit() else (f".{p}" if name else p)
    return name or "body"


def _phrase(err: dict) -> str:
    kind = err.get("type", "")
    ctx = err.get("ctx") or {}
    if kind == "missing":
        return "ontbreekt"
    if kind == "extra_forbidden":
        return "is onbekend (kijk in /api/v1/docs welke velden er zijn)"
    if kind in ("string_type", "string_unicode"):
        return "moet tekst zijn"
    if kind in ("int_type", "int_parsing", "int_from_float"):
        return "moet een geheel getal zijn"
    if kind in ("bool_type", "bool_parsing"):
        return "moet true of false zijn"
    if kind in ("list_type", "tuple_type"):
        return "moet een lijst zijn"
    if kind in ("dict_type", "model_type", "model_attributes_type"):
        return "moet een object zijn"
    if kind in ("greater_than_equal", "greater_than"):
        return f"moet minstens {ctx.get('ge', ctx.get('gt'))} zijn"
    if kind in ("less_than_equal", "less_than"):
        return f"mag hoogstens {ctx.get('le', ctx.get('lt'))} zijn"
    if kind == "string_too_long":
        return f"is te lang (hoogstens {ctx.get('max_length')} tekens)"
    if kind == "too_long":
        return f"heeft te veel elementen (hoogstens {ctx.get('max_length')})"
    if kind in ("literal_error", "enum"):
        return f"moet een van deze waarden zijn: {ctx.get('expected', '')}"
    if kind == "json_invalid":
        return "is geen geldige JSON"
    return "is ongeldig"


def dutch_validation_errors(errors: list[dict]) -> str:
    """FastAPI's validation errors as one Dutch sentence per field."""
    out = []
    for err in errors[:5]:
        if err.get("type") == "json_invalid":
            out.append("De body is geen geldige JSON.")
            continue
        out.append(f"Veld '{_field_name(err.get('loc', ()))}' {_phrase(err)}.")
    return " ".join(out) or "Het verzoek is ongeldig."


# -- handlers ---------------------------------------------------------------------------------
def install(app: FastAPI, too_large: dict[str, str]) -> None:
    """Answer every error of ``app``'s own routes as problem+json.

    ``too_large`` maps a path to the Dutch detail of its 413 (the request body limit is enforced
    by FastAPI per route; it only says "Content Too Large").
    """

    async def on_problem(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, ApiProblem)
        return exc.response(request.url.path)

    async def on_validation(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        errors = list(exc.errors())
        first = errors[0] if errors else {}
        field = _field_name(first.get("loc", ())) if first.get("type") != "json_invalid" else None
        return ApiProblem(400, dutch_validation_errors(errors), field=field).response(
            request.url.path
        )

    async def on_http(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        path = request.url.path
        status = exc.status_code
        if status == 413:
            detail = too_large.get(path.rstrip("/"), "Het verzoek is te groot.")
        elif status == 404:
            detail = f"Dit adres bestaat niet in de API: {path}. Zie /api/v1/docs."
        elif status == 405:
            detail = f"De methode {request.method} kan niet op {path}. Zie /api/v1/docs."
        else:
            detail = str(exc.detail)
        return ApiProblem(status, detail, headers=dict(exc.headers or {})).response(path)

    async def on_index(request: Request, exc: Exception) -> JSONResponse:
        return ApiProblem(503, str(exc), headers={"Retry-After": "10"}).response(request.url.path)

    async def on_input(request: Request, exc: Exception) -> JSONResponse:
        return ApiProblem(400, str(exc)).response(request.url.path)

    async def on_crash(request: Request, exc: Exception) -> JSONResponse:
        # The traceback goes to the server log, never to the client.
        log.exception("API-fout bij %s %s", request.method, request.url.path)
        return ApiProblem(
            500, "Er ging iets mis in de assistent. Probeer het opnieuw; de fout is gelogd."
        ).response(request.url.path)

    app.add_exception_handler(ApiProblem, on_problem)
    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(StarletteHTTPException, on_http)
    app.add_exception_handler(IndexUnavailable, on_index)
    app.add_exception_handler(InputError, on_input)
    app.add_exception_handler(Exception, on_crash)
