"""Request limits: the web app's upload body size, and the API's per-token rate limit.

Gradio checks the size of each uploaded file (``max_file_size`` in ``launch``) but accepts up to
1000 files in one upload request, all written to its temp folder before our handler sees them and
keeps the first ``INCLUSIE_MAX_UPLOAD_FILES``. ``BodyLimit`` bounds the whole upload request
instead: at most ``max_upload_files`` files of ``max_file_mb`` each (plus room for the multipart
framing). It is plain ASGI middleware, passed to Gradio's FastAPI app through ``app_kwargs``.
The API puts the same middleware in front of its own routes, with a limit per path (``ui.api``).

``RateLimiter`` keeps one API token from taking the assistant away from everyone else.

>>> from ingest.settings import Settings
>>> upload_body_limit(Settings(max_file_mb=1, max_upload_files=2)) // 1024
3072
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable

from starlette.exceptions import HTTPException
from starlette.middleware import Middleware

from ingest.settings import Settings

FRAMING = 1024 * 1024  # multipart boundaries and headers, generously


def upload_body_limit(settings: Settings) -> int:
    """Largest upload request body in bytes."""
    return settings.max_upload_files * settings.max_file_bytes + FRAMING


# path -> (content type, body) of the 413 answer
Reject = Callable[[str], tuple[bytes, bytes]]


class _TooLarge(HTTPException):
    """Raised from ``receive`` when a streamed body passes the limit. An HTTPException, so an
    app that reads the body itself (FastAPI) answers with its own 413 handler."""

    def __init__(self) -> None:
        super().__init__(413)


class BodyLimit:
    """Answer 413 to a POST whose body is larger than ``limit_for(path)`` bytes.

    A declared Content-Length is checked before anything is read; a body without one (chunked) is
    counted while it streams and cut off at the limit. Paths with no limit (None) pass untouched.
    """

    def __init__(self, app, limit_for: Callable[[str], int | None], reject: Reject):
        self.app = app
        self.limit_for = limit_for
        self.reject = reject

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope.get("method") != "POST":
            return await self.app(scope, receive, send)
        path = scope.get("path", "")
        limit = self.limit_for(path)
        if limit is None:
            return await self.app(scope, receive, send)
        headers = dict(scope.get("headers") or [])
        declared = headers.get(b"content-length")
        if declared is not None:
            try:
                too_large = int(declared) > limit
            except ValueError:
                too_large = True
            if too_large:
                return await self._reject(path, send)
            return await self.app(scope, receive, send)

        seen = 0
        started = False

        async def counting_receive():
            nonlocal seen
            msg = await receive()
            if msg["type"] == "http.request":
                seen += len(msg.get("body", b""))
                if seen > limit:
                    raise _TooLarge
            return msg

        async def tracking_send(msg):
            nonlocal started
            started = started or msg["type"] == "http.response.start"
            await send(msg)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except _TooLarge:
            if not started:
                await self._reject(path, send)

    async def _reject(self, path: str, send) -> None:
        media_type, body = self.reject(path)
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", media_type),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


def upload_middleware(settings: Settings) -> Middleware:
    """The limit on Gradio's own upload route (``/gradio_api/upload``)."""
    limit = upload_body_limit(settings)
    message = (
        f"Te veel of te grote bestanden in één keer: hoogstens "
        f"{settings.max_upload_files} bestanden van {settings.max_file_mb:g} MB."
    ).encode()
    return Middleware(
        BodyLimit,
        limit_for=lambda path: limit if path.rstrip("/").endswith("/upload") else None,
        reject=lambda path: (b"text/plain; charset=utf-8", message),
    )


class RateLimiter:
    """Per-key token bucket: a burst of ``per_minute`` requests, refilled evenly over a minute.

    ``take(key)`` returns 0 when the request may go ahead, otherwise the whole seconds to wait
    (the Retry-After of a 429). ``per_minute`` 0 means no limit.

    >>> clock = iter([0.0, 0.0, 0.0, 30.0]).__next__
    >>> r = RateLimiter(2, clock=clock)
    >>> [r.take("a"), r.take("a"), r.take("a"), r.take("a")]
    [0, 0, 30, 0]
    """

    def __init__(self, per_minute: int, clock=time.monotonic):
        self.per_minute = per_minute
        self._clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}  # key -> (tokens, last time)
        self._lock = threading.Lock()

    def take(self, key: str) -> int:
        if self.per_minute <= 0:
            return 0
        rate = self.per_minute / 60.0
        with self._lock:
            now = self._clock()
            tokens, last = self._buckets.get(key, (float(self.per_minute), now))
            tokens = min(float(self.per_minute), tokens + (now - last) * rate)
            if tokens >= 1.0:
                self._buckets[key] = (tokens - 1.0, now)
                return 0
            self._buckets[key] = (tokens, now)
            return max(1, math.ceil((1.0 - tokens) / rate))
