"""Gold questions: schema, loading with clear errors, and the evidence check.

>>> q = Question(id="x", question="Wat?", lang="nl", evidence=["tekst"])
>>> is_relevant(q, "Een  Tekst hier")
True
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, ValidationError

from ingest.errors import InputError
from ingest.passage import Passage

DEFAULT_QUESTIONS = Path(__file__).with_name("questions.jsonl")
DEV_QUESTIONS = Path(__file__).with_name("dev_questions.jsonl")


class Question(BaseModel):
    id: str
    question: str = Field(min_length=1)
    lang: Literal["nl", "en"]
    answerable: bool = True
    evidence: list[str] = Field(default_factory=list)
    themes: list[str] = Field(default_factory=list)
    must_contain: list[str] = Field(default_factory=list)
    type: str = ""
    doc: str = ""


class GoldSetError(InputError):
    """The question file is not usable; the message names the line and the reason."""


def normalize(text: str) -> str:
    return re.sub(r"\s+", " ", text.lower()).strip()


def is_relevant(q: Question, passage_text: str) -> bool:
    """A passage is relevant when it contains any evidence snippet (case/whitespace-insensitive)."""
    t = normalize(passage_text)
    return any(normalize(e) in t for e in q.evidence)


def load_questions(path: Path) -> list[Question]:
    """Read a JSONL question file; raise GoldSetError naming the first bad line."""
    if not path.exists():
        raise GoldSetError(f"{path}: bestand bestaat niet")
    out: list[Question] = []
    seen: set[str] = set()
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            q = Question.model_validate(json.loads(line))
        except json.JSONDecodeError as e:
            raise GoldSetError(f"{path.name}, regel {n}: geen geldige JSON ({e.msg})") from None
        except ValidationError as e:
            err = e.errors()[0]
            field = ".".join(str(x) for x in err["loc"]) or "(regel)"
            raise GoldSetError(f"{path.name}, regel {n}: veld '{field}': {err['msg']}") from None
        if q.id in seen:
            raise GoldSetError(f"{path.name}, regel {n}: id '{q.id}' komt twee keer voor")
        if q.answerable and not q.evidence:
            raise GoldSetError(
                f"{path.name}, regel {n} ({q.id}): beantwoordbare vraag zonder evidence"
            )
        seen.add(q.id)
        q.__dict__["line"] = n
        out.append(q)
    if not out:
        raise GoldSetError(f"{path.name}: bevat geen vragen")
    return out


def check_evidence(
    questions: list[Question], passages: list[Passage], path: Path | None = None
) -> list[str]:
    """Evidence snippets that no indexed passage contains, one message per snippet.

    Relevance is judged per passage, so a snippet that only exists across a passage boundary
    (or not at all) would make its question impossible to score.
    """
    texts = [normalize(p.text) for p in passages]
    problems = []
    name = path.name if path else "vragen"
    for q in questions:
        for e in q.evidence:
            ne = normalize(e)
            if not any(ne in t for t in texts):
                line = q.__dict__.get("line", "?")
                problems.append(
                    f"{name}, regel {line} ({q.id}): evidence niet gevonden in de documenten: '{e}'"
                )
    return problems
