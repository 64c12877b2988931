"""An OpenAI-compatible chat endpoint, so a chat front-end can add the assistant as a model.

``GET /v1/models`` lists one model, ``inclusie-assistent``; ``POST /v1/chat/completions`` answers
the last user message. Earlier user messages are used to rewrite a follow-up ("en in
Lelystad?"); system prompts are ignored (the assistant answers from the documents, not from
instructions). The reply is the answer with its ``[n]`` markers, then a numbered source list
(document, page or section, kind); the full answer (``ask --json``) travels in a top-level
``inclusie`` object, in the last chunk when streaming. Extra options go in ``inclusie`` of the
request (the ``openai`` client's ``extra_body``): ``{"filters": {...}, "quotes_only": true}``.

Streamed text cannot be taken back, and a generated answer is only final after its support
check (which may replace it by quotes). So the answer is completed first and then streamed line
by line: with a language model configured nothing unchecked is ever sent, at the cost of the
first words arriving when the whole answer is ready.

>>> from ingest.passage import Passage
>>> p = Passage.create(doc_id="d", title="Plan", text="Tekst.", start=0, end=6, section="Doel")
>>> print(reply_text(Answer("Vraag?", "nl", False, "Tekst. [1]", citations=[p])))
Tekst. [1]
<BLANKLINE>
**Bronnen**
<BLANKLINE>
- [1] Plan — Doel (tekst)
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse, Response, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from assistant.records import Answer

from .access import Access
from .api import (
    FilterSpec,
    answer_text_pieces,
    earlier_questions,
    field_problem,
    resolve_request_filters,
)
from .handlers import AppContext
from .inputs import FieldError, check_question
from .problems import ApiProblem
from .render import md_safe

MODEL_ID = "inclusie-assistent"
_CREATED = 1735689600  # 2025-01-01: a fixed "created" for the one model


class ChatMessage(BaseModel):
    model_config = ConfigDict(extra="allow")  # name, tool_calls, ... are accepted and ignored

    role: str
    content: str | list[dict] | None = None

    @property
    def text(self) -> str:
        if isinstance(self.content, list):  # [{"type": "text", "text": ...}, {"type": "image_url"}]
            return "".join(str(p.get("text", "")) for p in self.content if p.get("type") == "text")
        return self.content or ""


class InclusieOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")

    filters: FilterSpec | None = None
    quotes_only: bool = False


class ChatRequest(BaseModel):
    # temperature, top_p, max_tokens, user, stream_options, ... are accepted and ignored: the
    # answer is quoted from the documents, or written under the server's own model settings.
    model_config = ConfigDict(extra="allow")

    model: str
    messages: list[ChatMessage] = Field(min_length=1, max_length=500)
    stream: bool = False
    inclusie: InclusieOptions | None = None


def reply_text(ans: Answer) -> str:
    """The reply as a chat front-end shows it: notice, answer with [n], numbered sources."""
    parts = []
    if ans.notice:
        parts.append(f"_{md_safe(ans.notice)}_")
    parts.append(md_safe(ans.text.strip()))
    if ans.citations:
        head = "Bronnen" if ans.lang == "nl" else "Sources"
        lines = [f"**{head}**", ""]
        for n, p in enumerate(ans.citations, 1):
            # the kind tells apart two passages of one section (a text and a practice example)
            place = f" — {md_safe(p.location)}" if p.location else ""
            lines.append(f"- [{n}] {md_safe(p.title)}{place} ({p.kind})")
        parts.append("\n".join(lines))
    return "\n\n".join(parts)


def _chunk(cid: str, created: int, delta: dict, finish: str | None = None, **extra) -> str:
    body = {
        "id": cid,
        "object": "chat.completion.chunk",
        "created": created,
        "model": MODEL_ID,
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
        **extra,
    }
    return f"data: {json.dumps(body, ensure_ascii=False)}\n\n"


def _stream(ans: Answer) -> Iterator[str]:
    cid, created = f"chatcmpl-{uuid.uuid4().hex}", int(time.time())
    yield _chunk(cid, created, {"role": "assistant", "content": ""})
    for piece in answer_text_pieces(reply_text(ans)):
        yield _chunk(cid, created, {"content": piece})
    yield _chunk(cid, created, {}, "stop", inclusie=ans.to_json())
    yield "data: [DONE]\n\n"


def openai_router(ctx: AppContext, access: Access) -> APIRouter:
    s = ctx.settings
    reader = [Depends(access.require("read"))]
    r = APIRouter(prefix="/v1", tags=["OpenAI-compatibel"])
    model = {"id": MODEL_ID, "object": "model", "created": _CREATED, "owned_by": "inclusie"}

    @r.get("/models", summary="De modellen: alleen inclusie-assistent", dependencies=reader)
    def models() -> dict:
        return {"object": "list", "data": [model]}

    @r.get("/models/{model_id}", summary="Eén model", dependencies=reader)
    def get_model(model_id: str) -> dict:
        if model_id != MODEL_ID:
            raise ApiProblem(
                404, f"model: onbekend model '{model_id}'; dit is '{MODEL_ID}'.", field="model"
            )
        return model

    @r.post(
        "/chat/completions",
        summary="Chat: antwoord met [n] en bronnenlijst, plus 'inclusie' met alle citaten",
        dependencies=reader,
    )
    def chat(body: ChatRequest) -> Response:
        if body.model != MODEL_ID:
            raise ApiProblem(
                404,
                f"model: onbekend model '{body.model}'. Kies '{MODEL_ID}' (zie /v1/models).",
                field="model",
            )
        last = len(body.messages) - 1
        if body.messages[last].role != "user":
            raise ApiProblem(
                400,
                f"messages[{last}].role: het laatste bericht moet een vraag van de gebruiker "
                "zijn (role 'user').",
                field=f"messages[{last}].role",
            )
        try:
            question = check_question(
                body.messages[last].text, s.max_question_chars, field=f"messages[{last}].content"
            )
        except FieldError as e:
            raise field_problem(e) from None
        opts = body.inclusie or InclusieOptions()
        filters = resolve_request_filters(ctx, opts.filters, "inclusie.filters")
        history = earlier_questions(ctx, [(m.role, m.text) for m in body.messages[:last]])
        ans = ctx.assistant.ask(
            question, filters=filters, history=history, quotes_only=opts.quotes_only
        )
        if body.stream:
            return StreamingResponse(
                _stream(ans),
                media_type="text/event-stream",
                headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
            )
        return JSONResponse(
            {
                "id": f"chatcmpl-{uuid.uuid4().hex}",
                "object": "chat.completion",
                "created": int(time.time()),
                "model": MODEL_ID,
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": reply_text(ans)},
                        "finish_reason": "stop",
                    }
                ],
                # Not metered: a quoted answer uses no model tokens, a generated one is not
                # counted here.
                "usage": {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0},
                "inclusie": ans.to_json(),
            }
        )

    return r
