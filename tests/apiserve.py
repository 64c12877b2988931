"""`inclusie serve` as a process for the API tests, and readers for what it sends back."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from .conftest import REPO, free_port, stop_process

START_DEADLINE = 180.0  # seconds for `inclusie serve` to come up on a busy 2-core machine
TIMEOUT = 90.0  # seconds for one request (an answer, an upload with ingest)


@dataclass
class Served:
    url: str
    env: dict
    data: Path
    proc: subprocess.Popen
    log: Path

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")[-4000:]

    def client(self, token: str | None = None) -> httpx.Client:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=TIMEOUT)


def start_serve(env: dict, log: Path) -> Served:
    """Start `inclusie serve` on a free 127.0.0.1 port; return when the API answers."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    exe = Path(sys.executable).parent / "inclusie"
    out = open(log, "ab")
    proc = subprocess.Popen(
        [str(exe), "serve", "--host", "127.0.0.1", "--port", str(port)],
        env={**os.environ, **env},
        cwd=REPO,
        stdout=out,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
    )
    out.close()
    served = Served(url, env, Path(env["INCLUSIE_DATA_DIR"]), proc, log)
    deadline = time.monotonic() + START_DEADLINE
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"inclusie serve stopped (exit {proc.returncode}):\n{served.log_text()}")
        try:
            if httpx.get(url + "/api/v1/health", timeout=2).status_code == 200:
                return served
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    stop_process(proc)
    pytest.fail(f"inclusie serve did not come up:\n{served.log_text()}")


def sse_events(response: httpx.Response) -> list[tuple[str, dict]]:
    """(event, data) of a Server-Sent Events response, in order (data parsed as JSON)."""
    events: list[tuple[str, dict]] = []
    event, data = "message", []
    for line in response.iter_lines():
        if line.startswith("event:"):
            event = line[6:].strip()
        elif line.startswith("data:"):
            data.append(line[5:].strip())
        elif line == "" and data:
            events.append((event, json.loads("\n".join(data))))
            event, data = "message", []
    return events


def problem(res: httpx.Response, status: int) -> dict:
    """The problem+json body of an error response, checked for shape (and no traceback)."""
    assert res.status_code == status, (res.status_code, res.text[:500])
    assert res.headers["content-type"].startswith("application/problem+json"), res.headers
    assert "Traceback" not in res.text and 'File "' not in res.text
    body = res.json()
    assert body["status"] == status and body["title"] and body["type"].startswith("https://")
    assert body["detail"]
    return body
