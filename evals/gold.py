"""Gold questions: schema, loading with clear errors, the evidence check, and the named sets.

>>> q = Question(id="x", question="Wat?", lang="nl", evidence=["tekst"])
>>> is_relevant(q, "Een  Tekst hier")
True
>>> in_answer("tekst hier", "- Een tekst [1]\\n- hier. [1]")  # markers and bullets do not split it
True
>>> set_name(HARD_QUESTIONS), set_name(Path("mijn-vragen.jsonl"))
('hard', 'mijn-vragen')
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, ValidationError

from ingest.errors import InputError
from ingest.passage import Passage

DEFAULT_QUESTIONS = Path(__file__).with_name("questions.jsonl")
DEV_QUESTIONS = Path(__file__).with_name("dev_questions.jsonl")
HARD_QUESTIONS = Path(__file__).with_name("hard_questions.jsonl")
HARD_DEV_QUESTIONS = Path(__file__).with_name("hard_dev_questions.jsonl")
HELD_OUT = (DEFAULT_QUESTIONS, HARD_QUESTIONS)  # what `inclusie eval` reports on
DEVELOPMENT = (DEV_QUESTIONS, HARD_DEV_QUESTIONS)  # what tuning may look at (`eval --dev`)
# Short names of the shipped sets in the report; any other file is known by its stem.
SET_NAMES = {
    DEFAULT_QUESTIONS.name: "gold",
    HARD_QUESTIONS.name: "hard",
    DEV_QUESTIONS.name: "dev",
    HARD_DEV_QUESTIONS.name: "hard-dev",
}


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
    parts: list[list[str]] = Field(default_factory=list)  # multi-part: snippets per part
    missing: list[str] = Field(default_factory=list)  # near-miss: what the documents lack

    @property
    def answer_parts(self) -> list[list[str]]:
        """What a complete answer must hold: one snippet of each part (one part without parts)."""
        return self.parts or ([self.evidence] if self.evidence else [])


@dataclass
class QuestionSet:
    """One question file as a named set of the report ("gold", "hard", ...)."""

    name: str
    questions: list[Question]
    path: Path | None = None


def set_name(path: Path) -> str:
    """The report's name for a question file: the shipped sets by role, others by file stem."""
    if path.parent.name == "evals" and path.name in SET_NAMES:
        return SET_NAMES[path.name]
    return path.stem


class GoldSetError(InputError):
    """The question file is not usable; the message names the line and the reason."""


def normalize(text: str) -> str:
    return re.sub(r"\s+", " ", text.lower()).strip()


def answer_text(text: str) -> str:
    """An answer as text to look for evidence in: normalised, without the citation markers and
    list bullets the rendering adds (a snippet spanning two quoted sentences stays whole)."""
    text = re.sub(r"\s*\[\d+\]", "", text)
    text = re.sub(r"(?m)^\s*[-*•]\s+", "", text)
    return normalize(text)


def in_answer(snippet: str, text: str) -> bool:
    """Does the answer text itself hold the evidence snippet (not only its cited passages)?"""
    return normalize(snippet) in answer_text(text)


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
        problem = _parts_and_missing_problem(q)
        if problem:
            raise GoldSetError(f"{path.name}, regel {n} ({q.id}), {problem}")
        seen.add(q.id)
        q.__dict__["line"] = n
        out.append(q)
    if not out:
        raise GoldSetError(f"{path.name}: bevat geen vragen")
    return out


def _parts_and_missing_problem(q: Question) -> str:
    """What is wrong with a question's ``parts`` or ``missing`` (empty when nothing)."""
    if q.parts:
        if not q.answerable:
            return "veld 'parts': een onbeantwoordbare vraag heeft geen delen"
        if len(q.parts) < 2 or not all(q.parts):
            return "veld 'parts': minstens twee delen, elk met minstens één snippet"
        union = {e for part in q.parts for e in part}
        if union != set(q.evidence):
            extra = sorted(set(q.evidence) - union)
            lacking = sorted(union - set(q.evidence))
            detail = "; ".join(
                x
                for x in (
                    f"niet in parts: {extra}" if extra else "",
                    f"niet in evidence: {lacking}" if lacking else "",
                )
                if x
            )
            return f"veld 'evidence': moet precies de snippets van 'parts' bevatten ({detail})"
    if q.missing:
        if q.answerable:
            return "veld 'missing': alleen bij een onbeantwoordbare vraag (answerable: false)"
        for m in q.missing:
            if not m.strip() or m not in q.question:
                return f"veld 'missing': '{m}' staat niet letterlijk in de vraag"
    return ""


def load_sets(paths: Sequence[Path]) -> list[QuestionSet]:
    """Load question files as named sets; two files with the same name get a number."""
    sets: list[QuestionSet] = []
    for path in paths:
        name = set_name(path)
        taken = {s.name for s in sets}
        i = 2
        while name in taken:
            name, i = f"{set_name(path)}-{i}", i + 1
        sets.append(QuestionSet(name, load_questions(path), path))
    return sets


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
