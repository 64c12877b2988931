"""Adding uploaded files: place them in the uploads folder and ingest them, as one transaction.

A user's files arrive from the web app (and, later, other front ends). Each one is given a safe
name, checked for type and size, copied into ``<data dir>/uploads`` (an earlier version of the
same file is kept aside) and ingested. A file that fails is removed again and its earlier version
put back, so the index and the uploads folder always agree; good files around a bad one are
still added. The caller turns the outcome into words for its own medium.

>>> safe_filename("../../etc/Ondersteuningsplan 2025 (def).PDF")
'Ondersteuningsplan-2025-def.pdf'
"""

from __future__ import annotations

import re
import shutil
import unicodedata
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from .embeddings import Embedder
from .loaders import SUPPORTED
from .pipeline import IngestReport, Progress, ingest_paths
from .settings import Settings
from .store import Store

_SAFE = re.compile(r"[^A-Za-z0-9._-]+")

UploadStatus = Literal["added", "updated", "skipped", "failed", "refused"]


def safe_filename(name: str) -> str:
    """A file name that is safe to write in the uploads folder (no paths, no hidden files)."""
    base = Path(name.replace("\\", "/")).name
    stem, dot, ext = base.rpartition(".")
    if not dot:
        stem, ext = base, ""
    stem = unicodedata.normalize("NFKD", stem).encode("ascii", "ignore").decode()
    stem = _SAFE.sub("-", stem).strip("-._")[:100] or "document"
    ext = _SAFE.sub("", ext.lower())[:10]
    return f"{stem}.{ext}" if ext else stem


@dataclass
class UploadOutcome:
    """What happened to one uploaded file. ``reason`` (Dutch) says why it was not added."""

    name: str  # the safe name it has (or would have had) in the uploads folder
    status: UploadStatus
    passages: int = 0
    reason: str = ""
    notice: str = ""  # Dutch: how the file was read, e.g. "geen UTF-8; gelezen als Windows-1252"


@dataclass
class UploadResult:
    outcomes: list[UploadOutcome] = field(default_factory=list)
    chosen: int = 0  # files offered
    limit: int = 0  # most files per upload; files beyond it were not looked at
    report: IngestReport | None = None

    @property
    def over_limit(self) -> bool:
        return self.chosen > self.limit

    @property
    def added(self) -> list[UploadOutcome]:
        return [o for o in self.outcomes if o.status in ("added", "updated", "skipped")]


def add_uploads(
    files: list[Path],
    settings: Settings,
    *,
    embedder: Embedder | None = None,
    store: Store | None = None,
    progress: Progress | None = None,
) -> UploadResult:
    """Copy ``files`` into the uploads folder and ingest them (see module docstring)."""
    result = UploadResult(chosen=len(files), limit=settings.max_upload_files)
    files = files[: settings.max_upload_files]
    settings.uploads_dir.mkdir(parents=True, exist_ok=True)
    placed: list[tuple[Path, Path | None]] = []  # (file in uploads, backup of an earlier version)
    for src in files:
        name = safe_filename(src.name)
        if Path(name).suffix not in SUPPORTED:
            reason = f"bestandstype wordt niet ondersteund (wel: {', '.join(SUPPORTED)})"
            result.outcomes.append(UploadOutcome(name, "refused", reason=reason))
            continue
        size = src.stat().st_size if src.exists() else 0
        if size > settings.max_file_bytes:
            reason = (
                f"{size / 1048576:.1f} MB is groter dan de grens van {settings.max_file_mb:g} MB"
            )
            result.outcomes.append(UploadOutcome(name, "refused", reason=reason))
            continue
        dest = settings.uploads_dir / name
        backup = None
        if dest.exists():
            backup = dest.with_name(f".{dest.name}.{uuid.uuid4().hex[:8]}.bak")
            shutil.move(dest, backup)
        shutil.copyfile(src, dest)
        placed.append((dest, backup))
    if not placed:
        return result
    report = ingest_paths(
        [d for d, _ in placed], settings, progress=progress, embedder=embedder, store=store
    )
    result.report = report
    by_path = {r.path: r for r in report.results}
    for dest, backup in placed:
        r = by_path.get(dest)
        if r is None or r.status == "failed":
            dest.unlink(missing_ok=True)
            if backup is not None:
                shutil.move(backup, dest)
            reason = r.message.split(": ", 1)[-1] if r else "onbekende fout"
            result.outcomes.append(UploadOutcome(dest.name, "failed", reason=reason))
            continue
        if backup is not None:
            backup.unlink(missing_ok=True)
        status: UploadStatus = "skipped"
        if r.status == "added":
            status = "added"
        elif r.status == "updated":
            status = "updated"
        result.outcomes.append(UploadOutcome(dest.name, status, r.chunks, notice=r.notice))
    return result
