"""A real HTTP server on 127.0.0.1 that speaks the OpenAI chat-completions API, scripted per test.

Each request takes the next step of the script (the last step repeats):
    {"content": "..."}                 answer (streamed as SSE when the request asks for it)
    {"content": callable(request)}     answer computed from the request (e.g. cite a passage)
    {"status": 500}                    an HTTP error
    {"delay": 3, ...}                  wait before answering (for timeouts)
    {"malformed": True}                a 200 response whose body is not valid JSON
All requests are recorded (path, headers, JSON body) for assertions.
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class FakeOpenAI:
    def __init__(self):
        self.script: list[dict] = [{"content": "GEEN_ANTWOORD"}]
        self.requests: list[dict] = []
        self._lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep test output clean
                pass

            def do_GET(self):
                self._json(200, {"object": "list", "data": [{"id": "fake", "object": "model"}]})

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                try:
                    body = json.loads(raw or b"{}")
                except json.JSONDecodeError:
                    body = {}
                req = {
                    "path": self.path,
                    "json": body,
                    "headers": {k.lower(): v for k, v in self.headers.items()},
                }
                with outer._lock:
                    outer.requests.append(req)
                    step = outer.script.pop(0) if len(outer.script) > 1 else outer.script[0]
                if step.get("delay"):
                    time.sleep(step["delay"])
                if step.get("status"):
                    self._json(
                        step["status"],
                        {"error": {"message": "scripted failure", "type": "server_error"}},
                    )
                    return
                if step.get("malformed"):
                    data = b'{"id": "x", "choices": [ this is not json'
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                    return
                content = step.get("content", "")
                if callable(content):
                    content = content(req)
                if body.get("stream"):
                    self._stream(content, body.get("model", "fake"))
                else:
                    self._json(
                        200,
                        {
                            "id": "chatcmpl-fake",
                            "object": "chat.completion",
                            "created": 0,
                            "model": body.get("model", "fake"),
                            "choices": [
                                {
                                    "index": 0,
                                    "finish_reason": "stop",
                                    "message": {"role": "assistant", "content": content},
                                }
                            ],
                            "usage": {
                                "prompt_tokens": 1,
                                "completion_tokens": 1,
                                "total_tokens": 2,
                            },
                        },
                    )

            def _json(self, status, obj):
                data = json.dumps(obj).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _stream(self, content, model):
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.send_header("Cache-Control", "no-cache")
                self.end_headers()
                pieces = [content[i : i + 12] for i in range(0, len(content), 12)] or [""]
                for i, piece in enumerate(pieces):
                    delta = {"content": piece}
                    if i == 0:
                        delta["role"] = "assistant"
                    chunk = {
                        "id": "chatcmpl-fake",
                        "object": "chat.completion.chunk",
                        "created": 0,
                        "model": model,
                        "choices": [{"index": 0, "delta": delta, "finish_reason": None}],
                    }
                    self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
                    self.wfile.flush()
                end = {
                    "id": "chatcmpl-fake",
                    "object": "chat.completion.chunk",
                    "created": 0,
                    "model": model,
                    "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}],
                }
                self.wfile.write(f"data: {json.dumps(end)}\n\ndata: [DONE]\n\n".encode())
                self.wfile.flush()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self) -> FakeOpenAI:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def set(self, *steps: dict) -> None:
        with self._lock:
            self.script = list(steps)
            self.requests.clear()


def passages_in(request: dict) -> list[str]:
    """The passage texts the assistant sent, in order (from the user message)."""
    import re

    user = next(m["content"] for m in request["json"]["messages"] if m["role"] == "user")
    return [
        m.group(1).strip() for m in re.finditer(r"<passage [^>]*>\n(.*?)\n</passage>", user, re.S)
    ]


def cite(request: dict, needle: str) -> int:
    """The number of the passage that contains ``needle`` (1-based)."""
    for n, text in enumerate(passages_in(request), 1):
        if needle in text:
            return n
    raise AssertionError(f"no passage contains {needle!r}")
