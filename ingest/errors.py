"""Errors meant for the user: one base class, a Dutch message, and the CLI's exit code.

Every error the product raises on purpose derives from ``InclusieError``; its ``str()`` is one
Dutch line naming the file or field and the reason, and ``exit_code`` is what the `inclusie`
command exits with (2: bad input, 3: the index cannot be reached, 1: anything else).

>>> str(IngestError("map/verslag.pdf", "bestand is leeg")), IngestError.exit_code
('verslag.pdf: bestand is leeg', 1)
"""

from __future__ import annotations

from pathlib import Path


class InclusieError(Exception):
    """Base of the errors whose message is written for the user (in Dutch)."""

    exit_code = 1


class InputError(InclusieError, ValueError):
    """The user asked for something impossible: an unknown theme, an empty name, a bad file."""

    exit_code = 2


class IngestError(InclusieError):
    """A document could not be ingested. ``str(err)`` is one line: file and reason."""

    def __init__(self, path: Path | str, reason: str):
        self.path = Path(path)
        self.reason = reason
        super().__init__(f"{self.path.name}: {reason}")


class UnsupportedFile(IngestError):
    """The file type is not one we read (skipped quietly inside folders)."""


class IndexUnavailable(InclusieError, RuntimeError):
    """The vector store cannot be reached (e.g. the Chroma server is down)."""

    exit_code = 3
