"""Errors that name the file and the reason, in the user's language (Dutch)."""

from __future__ import annotations

from pathlib import Path


class IngestError(Exception):
    """A document could not be ingested. ``str(err)`` is one line: file and reason."""

    def __init__(self, path: Path | str, reason: str):
        self.path = Path(path)
        self.reason = reason
        super().__init__(f"{self.path.name}: {reason}")


class UnsupportedFile(IngestError):
    """The file type is not one we read (skipped quietly inside folders)."""


class IndexUnavailable(RuntimeError):
    """The vector store cannot be reached (e.g. the Chroma server is down)."""
