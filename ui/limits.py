"""Request limits of the web app that Gradio itself does not enforce.

Gradio checks the size of each uploaded file (``max_file_size`` in ``launch``) but accepts up to
1000 files in one upload request, all written to its temp folder before our handler sees them and
keeps the first ``INCLUSIE_MAX_UPLOAD_FILES``. ``UploadLimit`` bounds the whole upload request
instead: at most ``max_upload_files`` files of ``max_file_mb`` each (plus room for the multipart
framing). It is plain ASGI middleware, passed to Gradio's FastAPI app through ``app_kwargs``.

>>> from ingest.settings import Settings
>>> upload_body_limit(Settings(max_file_mb=1, max_upload_files=2)) // 1024
3072
"""

from __future__ import annotations

from starlette.middleware import Middleware

from ingest.settings import Settings

FRAMING = 1024 * 1024  # multipart boundaries and headers, generously


def upload_body_limit(settings: Settings) -> int:
    """Largest upload request body in bytes."""
    return settings.max_upload_files * settings.max_file_bytes + FRAMING


class _TooLarge(Exception):
    pass


class UploadLimit:
    """Answer 413 to an upload request whose body is larger than ``limit`` bytes.

    A declared Content-Length is checked before anything is read; a body without one (chunked) is
    counted while it streams and cut off at the limit.
    """

    def __init__(self, app, limit: int, message: str):
        self.app = app
        self.limit = limit
        self.message = message.encode("utf-8")

    async def __call__(self, scope, receive, send):
        if (
            scope["type"] != "http"
            or scope.get("method") != "POST"
            or not scope.get("path", "").rstrip("/").endswith("/upload")
        ):
            return await self.app(scope, receive, send)
        headers = dict(scope.get("headers") or [])
        declared = headers.get(b"content-length")
        if declared is not None:
            try:
                too_large = int(declared) > self.limit
            except ValueError:
                too_large = True
            if too_large:
                return await self._reject(send)
            return await self.app(scope, receive, send)

        seen = 0
        started = False

        async def counting_receive():
            nonlocal seen
            msg = await receive()
            if msg["type"] == "http.request":
                seen += len(msg.get("body", b""))
                if seen > self.limit:
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
                await self._reject(send)

    async def _reject(self, send) -> None:
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"text/plain; charset=utf-8"),
                    (b"content-length", str(len(self.message)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": self.message})


def upload_middleware(settings: Settings) -> Middleware:
    limit = upload_body_limit(settings)
    message = (
        f"Te veel of te grote bestanden in één keer: hoogstens "
        f"{settings.max_upload_files} bestanden van {settings.max_file_mb:g} MB."
    )
    return Middleware(UploadLimit, limit=limit, message=message)
