"""Faults in a team deployment: the Chroma server goes away (stopped, or hung) while `inclusie
serve` runs, and comes back; plus the server script and the app's request limits.

Everything runs as real processes on 127.0.0.1: `chroma run` started through
scripts/chroma-server.sh, `inclusie ingest` and `inclusie serve` as a user starts them, and the
chat driven through gradio_client the way the browser calls it (/_respond).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from ui.handlers import last_answer

from .conftest import CORPUS, REPO, free_port, run_cli
from .test_chroma_server import CHROMA, DOCS, ChromaServer

pytestmark = pytest.mark.slow

SCRIPT = REPO / "scripts" / "chroma-server.sh"
QUESTION = "Wat is het doel van het stappenplan?"
REPLY_BOUND = 30.0  # seconds a chat reply may take while the index is down
START_BOUND = 180.0  # seconds for `inclusie serve` to come up on a busy 2-core machine


class ScriptChroma(ChromaServer):
    """`chroma run` started by scripts/chroma-server.sh --foreground (exec: same pid)."""

    def start(self) -> ScriptChroma:
        self._log = open(self.log, "ab")
        self.proc = subprocess.Popen(
            [
                "bash",
                str(SCRIPT),
                "--foreground",
                "--path",
                str(self.path),
                "--port",
                str(self.port),
            ],
            env={**os.environ, "CHROMA_BIN": str(CHROMA)},
            stdout=self._log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 60
        while not self.heartbeat():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                pytest.fail(f"chroma-server.sh did not start a server:\n{self.log_text()}")
            time.sleep(0.2)
        pidfile = Path(f"{self.path}.pid")
        assert int(pidfile.read_text()) == self.proc.pid  # the pid file names the server
        return self


class Team:
    def __init__(self, tmp: Path):
        self.tmp = tmp
        self.chroma = ScriptChroma(tmp / "chroma-server", tmp / "chroma.log")
        self.data = tmp / "data"
        self.serve: subprocess.Popen | None = None
        self.url = ""
        self._client = None

    def env(self) -> dict:
        return {
            **os.environ,
            "INCLUSIE_CHROMA_URL": self.chroma.url,
            "INCLUSIE_DATA_DIR": str(self.data),
            "INCLUSIE_CHROMA_TIMEOUT": "3",
            "INCLUSIE_MAX_FILE_MB": "0.5",
            "INCLUSIE_MAX_UPLOAD_FILES": "2",
            "INCLUSIE_MAX_QUESTION_CHARS": "300",
            "GRADIO_ANALYTICS_ENABLED": "False",
            "HF_HUB_OFFLINE": "1",
        }

    def start_serve(self) -> None:
        port = free_port()
        self.url = f"http://127.0.0.1:{port}"
        self._log = open(self.tmp / "serve.log", "ab")
        exe = Path(sys.executable).parent / "inclusie"
        self.serve = subprocess.Popen(
            [str(exe), "serve", "--host", "127.0.0.1", "--port", str(port)],
            env=self.env(),
            cwd=REPO,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + START_BOUND
        while time.monotonic() < deadline:
            assert self.serve.poll() is None, self.serve_log()
            try:
                if httpx.get(self.url + "/", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        pytest.fail(f"inclusie serve did not start:\n{self.serve_log()}")

    def serve_log(self) -> str:
        return (self.tmp / "serve.log").read_text(errors="replace")[-3000:]

    def ask(self, question: str = QUESTION) -> str:
        """One chat message in a fresh conversation; the reply must come within REPLY_BOUND."""
        from gradio_client import Client

        if self._client is None:
            self._client = Client(self.url, verbose=False)
        self._client.predict("", api_name="/new_conversation")  # "Nieuw gesprek"
        job = self._client.submit(question, [], [], [], [], [], "", api_name="/_respond")
        history, _sources, _box = job.result(timeout=REPLY_BOUND)
        return last_answer(history)

    def stop(self) -> None:
        if self._client is not None:
            try:
                self._client.close()
            except Exception:
                pass
        if self.serve is not None and self.serve.poll() is None:
            self.serve.terminate()
            try:
                self.serve.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.serve.kill()
                self.serve.wait(timeout=10)
        self.chroma.stop()


@pytest.fixture(scope="module")
def team(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("team")
    docs = tmp / "docs"
    docs.mkdir()
    for name in DOCS:
        (docs / name).write_bytes((CORPUS / name).read_bytes())
    t = Team(tmp)
    t.chroma.start()
    try:
        res = run_cli("ingest", str(docs), env=t.env())
        assert res.returncode == 0, res.stderr
        t.start_serve()
        yield t
    finally:
        t.stop()


def test_chat_survives_the_chroma_server_going_away_and_coming_back(team):
    first = team.ask()
    assert "[1]" in first and "niet bereikbaar" not in first, first
    pid = team.serve.pid

    # hung: the port accepts connections, nothing answers -> Dutch message within the bound
    team.chroma.freeze()
    try:
        reply = team.ask()
        assert "niet bereikbaar" in reply and team.chroma.url in reply, reply
    finally:
        os.kill(team.chroma.proc.pid, signal.SIGCONT)
    assert "[1]" in team.ask()

    # stopped: connection refused -> the same message, and the app keeps running
    team.chroma.stop()
    reply = team.ask()
    assert "niet bereikbaar" in reply, reply
    assert "[1]" not in reply
    assert team.serve.poll() is None, team.serve_log()

    # back on the same folder and port: answers again, same process, no restart
    team.chroma = ScriptChroma(team.chroma.path, team.chroma.log, port=team.chroma.port).start()
    again = team.ask()
    assert "[1]" in again and "niet bereikbaar" not in again, again
    assert team.serve.pid == pid and team.serve.poll() is None


def test_upload_and_question_limits_are_enforced_over_http(team):
    http = httpx.Client(base_url=team.url, timeout=30)
    try:

        def upload(*sizes: int) -> httpx.Response:
            files = [
                ("files", (f"f{i}.txt", b"a" * size, "text/plain")) for i, size in enumerate(sizes)
            ]
            return http.post("/gradio_api/upload", files=files)

        kb = 1024
        ok = upload(400 * kb)
        assert ok.status_code == 200 and len(ok.json()) == 1, ok.text
        big = upload(600 * kb)  # INCLUSIE_MAX_FILE_MB=0.5 (a fraction once crashed `serve`)
        assert big.status_code == 413, big.text
        many = upload(*[400 * kb] * 6)  # 2.4 MB > 2 files x 0.5 MB + framing
        assert many.status_code == 413, many.text
        assert "hoogstens 2 bestanden van 0.5 MB" in many.text
    finally:
        http.close()

    reply = team.ask("Wat is het doel van het stappenplan? " * 10)  # 370 > 300 characters
    assert "te lang" in reply and "hoogstens 300" in reply, reply
    assert "[1]" in team.ask()  # a normal question still works after it


def test_chroma_server_script(tmp_path):
    env = {**os.environ, "CHROMA_BIN": str(CHROMA)}

    def script(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            ["bash", str(SCRIPT), *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=90,
            cwd=tmp_path,
        )

    refused = script("--host", "0.0.0.0", "--path", str(tmp_path / "open"))
    assert refused.returncode == 2 and "--allow-remote" in refused.stderr, refused.stderr
    assert not (tmp_path / "open").exists()

    port = str(free_port())
    store = tmp_path / "store"
    assert script("status", "--path", str(store), "--port", port).returncode == 1
    started = script("--path", str(store), "--port", port)  # background mode
    try:
        assert started.returncode == 0, started.stderr
        assert f"export INCLUSIE_CHROMA_URL=http://127.0.0.1:{port}" in started.stdout
        pid = int(Path(f"{store}.pid").read_text())
        assert httpx.get(f"http://127.0.0.1:{port}/api/v2/heartbeat", timeout=5).status_code == 200
        status = script("status", "--path", str(store), "--port", port)
        assert status.returncode == 0 and f"pid {pid}" in status.stdout
        again = script("--path", str(store), "--port", port)  # a second start is a no-op
        assert again.returncode == 0 and "draait al" in again.stdout
    finally:
        stopped = script("stop", "--path", str(store), "--port", port)
    assert stopped.returncode == 0 and "gestopt" in stopped.stdout, stopped.stdout
    assert not _alive(pid)
    assert not Path(f"{store}.pid").exists()


def _alive(pid: int) -> bool:
    """Running and not a zombie (whoever reaps orphans may not have done so yet)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False


def test_api_says_503_while_the_index_is_away_and_recovers(team):
    """The API over the same deployment: no token exists, so on 127.0.0.1 it is open."""
    import openai

    api = httpx.Client(base_url=team.url, timeout=REPLY_BOUND)
    oai = openai.OpenAI(base_url=team.url + "/v1", api_key="-", timeout=REPLY_BOUND, max_retries=0)
    body = {"question": QUESTION}
    try:
        assert api.post("/api/v1/ask", json=body).json()["citations"]
        team.chroma.stop()
        for res in (
            api.post("/api/v1/ask", json=body),
            api.post("/api/v1/ask", params={"stream": "true"}, json=body),
            api.post(  # a follow-up: rewritten first, then the search fails
                "/api/v1/ask",
                params={"stream": "true"},
                json={
                    "question": "en bij de overgang?",
                    "conversation": [{"role": "user", "content": QUESTION}],
                },
            ),
            api.get("/api/v1/health"),
            api.get("/api/v1/search", params={"q": QUESTION}),
        ):
            assert res.status_code == 503, (res.request.url, res.text)
            assert res.headers["content-type"].startswith("application/problem+json")
            assert "niet bereikbaar" in res.json()["detail"] and "Traceback" not in res.text
        with pytest.raises(openai.InternalServerError) as e:
            oai.chat.completions.create(
                model="inclusie-assistent", messages=[{"role": "user", "content": QUESTION}]
            )
        assert "niet bereikbaar" in str(e.value)
        assert team.serve.poll() is None, team.serve_log()
    finally:
        if team.chroma.proc is None or team.chroma.proc.poll() is not None:
            team.chroma = ScriptChroma(
                team.chroma.path, team.chroma.log, port=team.chroma.port
            ).start()
    assert api.get("/api/v1/health").status_code == 200
    assert api.post("/api/v1/ask", json=body).json()["citations"]
    api.close()
    oai.close()
