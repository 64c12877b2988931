"""Fitted parameters stored as JSON next to the code (written by ``inclusie eval --calibrate``)."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")


def load_fitted(cls: type[T], path: Path) -> T:
    """An instance of the dataclass ``cls`` from ``path``; its defaults when the file is absent.

    Keys the dataclass does not know (such as the fit figures) are ignored.
    """
    if not path.exists():
        return cls()
    data = json.loads(path.read_text(encoding="utf-8"))
    known = {f.name for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    return cls(**{k: v for k, v in data.items() if k in known})
