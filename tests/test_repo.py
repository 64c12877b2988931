"""The repository itself: what a wheel carries, and what must never be committed."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from .conftest import REPO

MAX_TRACKED_BYTES = 2 * 1024 * 1024


def _tracked_files() -> list[Path]:
    """Files under version control; outside a git checkout, every file a checkout would hold."""
    if (REPO / ".git").exists() and shutil.which("git"):
        out = subprocess.run(
            ["git", "ls-files", "-z"], cwd=REPO, capture_output=True, check=True, timeout=60
        ).stdout
        return [REPO / name for name in out.decode().split("\0") if name]
    skip = {".git", ".venv", "data", "eval-report", "test-artifacts", "build"}
    return [
        p
        for p in REPO.rglob("*")
        if p.is_file()
        and not (skip & set(p.relative_to(REPO).parts))
        and "__pycache__" not in p.parts
    ]


def test_no_tracked_file_is_larger_than_2_mb():
    files = _tracked_files()
    assert len(files) > 50  # the listing itself worked
    big = [
        f"{p.relative_to(REPO)} ({p.stat().st_size / 1048576:.1f} MB)"
        for p in files
        if p.exists() and p.stat().st_size > MAX_TRACKED_BYTES
    ]
    assert not big, f"files over 2 MB are tracked (keep them out of git): {big}"


@pytest.mark.slow
def test_the_wheel_carries_the_calibration_files_and_eval_sets(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(REPO / name, src / name)
    for pkg in ("ingest", "assistant", "ui", "evals"):
        shutil.copytree(REPO / pkg, src / pkg, ignore=shutil.ignore_patterns("__pycache__"))
    out = tmp_path / "dist"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(out),
            str(src),
        ],
        check=True,
        timeout=300,
        capture_output=True,
    )
    (wheel,) = out.glob("inclusie_assistent-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for needed in (
        "assistant/calibration.json",
        "assistant/support_calibration.json",
        "assistant/briefing/__init__.py",
        "evals/questions.jsonl",
        "evals/dev_questions.jsonl",
        "evals/hard_questions.jsonl",  # `inclusie eval` runs it by default
        "evals/hard_dev_questions.jsonl",
        "evals/support_pairs.jsonl",
    ):
        assert needed in names, f"{needed} is missing from the wheel"
