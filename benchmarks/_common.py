"""Helpers shared by the benchmark scripts (run as ``python benchmarks/<script>.py``).

Nothing here is a test: the scripts print figures and assert nothing.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
QUESTION_FILES = [REPO / "evals" / "questions.jsonl", REPO / "evals" / "dev_questions.jsonl"]
CHROMA_SCRIPT = REPO / "scripts" / "chroma-server.sh"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def inclusie_exe() -> str:
    return shutil.which("inclusie", path=str(Path(sys.executable).parent)) or "inclusie"


def child_env(data_dir: Path | None = None, **extra: str) -> dict:
    """The environment for a child process: no INCLUSIE_* leaking in from the caller."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("INCLUSIE_")}
    env.update(
        {"HF_HUB_OFFLINE": "1", "GRADIO_ANALYTICS_ENABLED": "False", "PYTHONPATH": str(REPO)}
    )
    if data_dir is not None:
        env["INCLUSIE_DATA_DIR"] = str(data_dir)
    env.update(extra)
    return env


def load_questions(n: int | None = None) -> list[str]:
    """Questions of evals/questions.jsonl, then evals/dev_questions.jsonl (the first n)."""
    out: list[str] = []
    for path in QUESTION_FILES:
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                out.append(json.loads(line)["question"])
            if n is not None and len(out) == n:
                return out
    return out


def pct(values: list[float], p: float) -> float:
    """Percentile with linear interpolation (p in 0..100); NaN for no values."""
    if not values:
        return float("nan")
    s = sorted(values)
    k = (len(s) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (k - lo)


def percentiles_ms(samples: list[float]) -> dict:
    ms = [x * 1000 for x in samples]
    return {
        "p50_ms": pct(ms, 50),
        "p95_ms": pct(ms, 95),
        "max_ms": max(ms, default=float("nan")),
        "mean_ms": sum(ms) / len(ms) if ms else float("nan"),
        "n": len(ms),
    }


def rss_mb(pid: int | None) -> tuple[float, float] | None:
    """(VmRSS, VmHWM) of a process in MB, from /proc; None when unknown."""
    if pid is None:
        return None
    try:
        fields = dict(
            line.split(":", 1)
            for line in Path(f"/proc/{pid}/status").read_text().splitlines()
            if ":" in line
        )
        return (int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024)
    except (OSError, KeyError, ValueError):
        return None


def du_bytes(path: Path) -> int:
    """Bytes on disk under a folder (allocated blocks, like `du`)."""
    if not path.exists():
        return 0
    if path.is_file():
        return path.stat().st_blocks * 512
    return sum(f.stat().st_blocks * 512 for f in path.rglob("*") if f.is_file())


def http_up(url: str, timeout: float = 5) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            return r.status == 200
    except Exception:
        return False


def stop_process(proc: subprocess.Popen, timeout: float = 15) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


class ChromaServer:
    """A Chroma server started with scripts/chroma-server.sh (foreground mode, so we own it)."""

    def __init__(self, path: Path, log: Path, port: int | None = None):
        self.path, self.log = path, log
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen | None = None

    def start(self, deadline_s: float = 90) -> ChromaServer:
        self._log = open(self.log, "ab")
        env = {**os.environ, "CHROMA_BIN": str(Path(sys.executable).parent / "chroma")}
        self.proc = subprocess.Popen(
            [
                "bash",
                str(CHROMA_SCRIPT),
                "--foreground",
                "--path",
                str(self.path),
                "--port",
                str(self.port),
            ],
            stdout=self._log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=env,
        )
        t0 = time.monotonic()
        while not http_up(self.url + "/api/v2/heartbeat", timeout=2):
            if self.proc.poll() is not None or time.monotonic() - t0 > deadline_s:
                self.stop()
                sys.exit(f"chroma server did not start; see {self.log}")
            time.sleep(0.3)
        return self

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        if getattr(self, "_log", None) is not None and not self._log.closed:
            self._log.close()
