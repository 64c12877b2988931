"""The product against a real `chroma run` server on 127.0.0.1 (INCLUSIE_CHROMA_URL).

Each test starts its own server in a temp folder on a free port and stops it in teardown, so no
test depends on another's leftovers. The CLI runs as a subprocess, the way a user runs it.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from .conftest import CORPUS, free_port, run_cli

pytestmark = pytest.mark.slow

CHROMA = Path(sys.executable).parent / "chroma"
START_TIMEOUT = 60.0
STOP_TIMEOUT = 15.0
CLI_TIMEOUT = 120.0  # generous bound for model load on a busy 2-core machine

# Two small bundled documents: enough for a real answer, quick to embed.
DOCS = [
    "stappenplan-inclusief-onderwijs-2025-2027.txt",
    "nieuws-week-van-inclusief-onderwijs-2023.txt",
]
DOC_IDS = {"stappenplan-inclusief-onderwijs-2025-2027", "nieuws-week-van-inclusief-onderwijs-2023"}
QUESTION = "Wat is het doel van het stappenplan?"


class ChromaServer:
    """A `chroma run` process; ``stop()`` is idempotent and always ends the process."""

    def __init__(self, path: Path, log: Path, port: int | None = None):
        self.path = path
        self.log = log
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen | None = None

    def start(self) -> ChromaServer:
        self._log = open(self.log, "ab")
        self.proc = subprocess.Popen(
            [
                str(CHROMA),
                "run",
                "--path",
                str(self.path),
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
            ],
            stdout=self._log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                self.stop()
                pytest.fail(f"chroma run exited with {self.proc.returncode}:\n{self.log_text()}")
            if self.heartbeat():
                return self
            time.sleep(0.2)
        self.stop()
        pytest.fail(
            f"chroma run did not answer its heartbeat within {START_TIMEOUT}s:\n{self.log_text()}"
        )

    def heartbeat(self) -> bool:
        try:
            with urllib.request.urlopen(self.url + "/api/v2/heartbeat", timeout=2) as r:
                return r.status == 200 and "heartbeat" in r.read().decode()
        except OSError:
            return False

    def freeze(self) -> None:
        """SIGSTOP: the port stays open and accepts connections, but nothing answers."""
        os.kill(self.proc.pid, signal.SIGSTOP)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            try:
                os.kill(self.proc.pid, signal.SIGCONT)  # a frozen server cannot handle SIGTERM
            except ProcessLookupError:
                pass
            self.proc.terminate()
            try:
                self.proc.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=STOP_TIMEOUT)
        if getattr(self, "_log", None) is not None and not self._log.closed:
            self._log.close()

    def log_text(self) -> str:
        try:
            return self.log.read_text(errors="replace")[-4000:]
        except OSError:
            return ""


@pytest.fixture
def chroma_server(tmp_path):
    server = ChromaServer(tmp_path / "server-store", tmp_path / "chroma.log")
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def docs(tmp_path) -> Path:
    folder = tmp_path / "docs"
    folder.mkdir()
    for name in DOCS:
        shutil.copy(CORPUS / name, folder / name)
    shutil.copy(CORPUS / "catalog.yaml", folder / "catalog.yaml")
    return folder


def _env(server_url: str, data_dir: Path, **extra: str) -> dict:
    env = {
        "INCLUSIE_CHROMA_URL": server_url,
        "INCLUSIE_DATA_DIR": str(data_dir),
        "HF_HUB_OFFLINE": "1",
        **extra,
    }
    return env


def _server_count(url: str, collection: str) -> int:
    """Passages in a collection, asked of the server directly (not through our Store)."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    port = int(url.rsplit(":", 1)[1])
    client = chromadb.HttpClient(
        host="127.0.0.1", port=port, settings=ChromaSettings(anonymized_telemetry=False)
    )
    return client.get_collection(collection).count()


def _assert_clean_failure(proc: subprocess.CompletedProcess, url: str) -> None:
    assert proc.returncode != 0, proc.stdout
    assert "niet bereikbaar" in proc.stderr, proc.stderr
    assert url in proc.stderr, proc.stderr
    assert "Traceback" not in proc.stderr, proc.stderr


def test_cli_ingest_ask_status_use_the_server(chroma_server, docs, tmp_path):
    data = tmp_path / "data"
    env = _env(chroma_server.url, data)

    ing = run_cli("ingest", str(docs), env=env, timeout=CLI_TIMEOUT)
    assert ing.returncode == 0, ing.stderr
    assert "2 toegevoegd" in ing.stdout, ing.stdout

    ask = run_cli("ask", QUESTION, "--json", env=env, timeout=CLI_TIMEOUT)
    assert ask.returncode == 0, ask.stderr
    # An empty index would make the CLI ingest the bundled corpus first; it must not have.
    assert "De index is leeg" not in ask.stderr
    ans = json.loads(ask.stdout)
    assert ans["refused"] is False, ans["answer"]
    assert ans["citations"], ans
    for c in ans["citations"]:
        assert c["doc_id"] in DOC_IDS
        assert Path(c["source"]).parent == docs.resolve()
    assert "stappenplan-inclusief-onderwijs-2025-2027" in {c["doc_id"] for c in ans["citations"]}
    for s in ans["sentences"]:  # every quoted sentence is verbatim in the passage it cites
        (n,) = s["citations"]
        assert s["text"] in ans["citations"][n - 1]["text"]
        assert f"[{n}]" in ans["answer"]

    st = run_cli("status", "--json", env=env, timeout=CLI_TIMEOUT)
    assert st.returncode == 0, st.stderr
    status = json.loads(st.stdout)
    assert status["store"] == chroma_server.url
    assert status["documents"] == 2
    assert {d["doc_id"] for d in status["docs"]} == DOC_IDS
    assert all(d["complete"] for d in status["docs"])
    assert status["passages"] == _server_count(chroma_server.url, status["collection"])
    assert status["passages"] >= 2
    assert f"passages in de index: {status['passages']}." in ing.stdout

    # Unchanged documents are recognised through the server too.
    again = run_cli("ingest", str(docs), env=env, timeout=CLI_TIMEOUT)
    assert again.returncode == 0, again.stderr
    assert "2 ongewijzigd" in again.stdout and "0 toegevoegd" in again.stdout, again.stdout

    # The server is the store: the embedded Chroma folder in the data dir was never created,
    # and the server's own folder holds the data.
    assert not (data / "chroma").exists(), list((data / "chroma").rglob("*"))
    assert (chroma_server.path / "chroma.sqlite3").is_file()


def test_api_ingest_and_ask_through_server(chroma_server, docs, tmp_path):
    from assistant.answer import Assistant, verify
    from ingest.pipeline import ingest_paths
    from ingest.settings import Settings

    settings = Settings(data_dir=tmp_path / "data", chroma_url=chroma_server.url)
    report = ingest_paths([docs], settings)
    assert report.ok, report.summary()
    assert report.count("added") == 2

    a = Assistant(settings)
    assert (
        a.store.count() == report.total_passages == _server_count(chroma_server.url, a.store.name)
    )
    ans = a.ask(QUESTION)
    assert not ans.refused, ans.text
    assert {p.doc_id for p in ans.citations} <= DOC_IDS
    assert verify(ans) == []
    assert not settings.chroma_path.exists()


def test_cli_fails_cleanly_when_server_is_stopped(chroma_server, docs, tmp_path):
    data = tmp_path / "data"
    env = _env(chroma_server.url, data)
    ing = run_cli("ingest", str(docs), env=env, timeout=CLI_TIMEOUT)
    assert ing.returncode == 0, ing.stderr

    chroma_server.stop()
    assert not chroma_server.heartbeat()

    for args in (
        ["ask", QUESTION, "--json"],
        ["search", QUESTION],
        ["status", "--json"],
        ["ingest", str(docs)],
    ):
        proc = run_cli(*args, env=env, timeout=CLI_TIMEOUT)
        _assert_clean_failure(proc, chroma_server.url)
        assert proc.stdout.strip() == "", proc.stdout  # no half answer, no partial JSON
    assert not (data / "chroma").exists()


def test_cli_fails_cleanly_when_server_hangs(chroma_server, docs, tmp_path):
    """A server that accepts connections but never answers must not hang the CLI.

    The subprocess timeout is the bound: before the heartbeat check in Store._connect, chromadb's
    client (no HTTP timeout) waited forever here and this test failed with TimeoutExpired.
    """
    env = _env(chroma_server.url, tmp_path / "data", INCLUSIE_CHROMA_TIMEOUT="2")
    ing = run_cli("ingest", str(docs), env=env, timeout=CLI_TIMEOUT)
    assert ing.returncode == 0, ing.stderr

    chroma_server.freeze()
    proc = run_cli("ask", QUESTION, "--json", env=env, timeout=60)
    _assert_clean_failure(proc, chroma_server.url)


def test_api_recovers_when_server_comes_back(tmp_path, docs):
    """One long-lived Assistant (as in the web app): server down -> IndexUnavailable, then the
    same instance answers again once the server is back on the same folder and port."""
    from assistant.answer import Assistant
    from ingest.errors import IndexUnavailable
    from ingest.pipeline import ingest_paths
    from ingest.settings import Settings

    server = ChromaServer(tmp_path / "server-store", tmp_path / "chroma.log")
    server.start()
    try:
        settings = Settings(data_dir=tmp_path / "data", chroma_url=server.url, chroma_timeout=5)
        assert ingest_paths([docs], settings).ok
        a = Assistant(settings)
        first = a.ask(QUESTION)
        assert not first.refused

        server.stop()
        with pytest.raises(IndexUnavailable, match="niet bereikbaar"):
            a.ask(QUESTION)

        server = ChromaServer(tmp_path / "server-store", tmp_path / "chroma.log", port=server.port)
        server.start()
        again = a.ask(QUESTION)
        assert not again.refused
        assert [p.id for p in again.citations] == [p.id for p in first.citations]
    finally:
        server.stop()
