"""Shared fixtures: real models, a real Chroma, documents generated on the fly."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO / "corpus"
ARTIFACTS = REPO / "test-artifacts"


@pytest.fixture(scope="session")
def corpus_dir() -> Path:
    return CORPUS


@pytest.fixture(scope="module")
def fake():
    """A scripted OpenAI-compatible server on 127.0.0.1 (see fake_openai.py), one per module."""
    from .fake_openai import FakeOpenAI

    server = FakeOpenAI().start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def llm_assistant(indexed_settings, fake):
    """An Assistant over the bundled corpus that talks to ``fake`` as its language model."""
    from assistant.answer import Assistant
    from ingest.settings import Settings

    return Assistant(
        Settings(
            data_dir=indexed_settings.data_dir,
            llm_base_url=fake.url,
            llm_model="proefmodel",
            llm_timeout=3.0,
            llm_api_key="sk-test-123",
        )
    )


@pytest.fixture
def fresh_settings(tmp_path):
    from ingest.settings import Settings

    return Settings(data_dir=tmp_path / "data")


def stop_process(proc: subprocess.Popen, timeout: float = 15) -> None:
    """SIGTERM, then SIGKILL if it does not end within ``timeout`` seconds."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run_cli(*args: str, env: dict | None = None, timeout: float = 300, cwd: Path | None = None):
    """Run the `inclusie` command in a subprocess (the way a user does)."""
    full_env = {**os.environ, **(env or {})}
    exe = shutil.which("inclusie", path=str(Path(sys.executable).parent)) or "inclusie"
    return subprocess.run(
        [exe, *args], capture_output=True, text=True, env=full_env, timeout=timeout, cwd=cwd or REPO
    )


def copy_corpus(dest: Path) -> Path:
    dest.mkdir(parents=True, exist_ok=True)
    for f in CORPUS.iterdir():
        shutil.copy(f, dest / f.name)
    return dest
