"""Feedback on answers, kept in SQLite in the data dir, and its export as draft eval questions.

>>> store = FeedbackStore(getfixture("tmp_path") / "feedback.sqlite")
>>> rid = store.add("Vraag?", "Antwoord [1]", [], {}, rating=-1, comment="klopt niet")
>>> [d["question"] for d in store.drafts()][-1]
'Vraag?'
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import threading
from pathlib import Path

from assistant.text import detect_language

_SCHEMA = """
CREATE TABLE IF NOT EXISTS feedback (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    created TEXT NOT NULL,
    session TEXT NOT NULL DEFAULT '',
    question TEXT NOT NULL,
    answer TEXT NOT NULL,
    refused INTEGER NOT NULL DEFAULT 0,
    citations TEXT NOT NULL DEFAULT '[]',
    filters TEXT NOT NULL DEFAULT '{}',
    rating INTEGER NOT NULL DEFAULT 0,   -- +1 thumbs up, -1 thumbs down, 0 comment only
    comment TEXT NOT NULL DEFAULT ''
)
"""


class FeedbackStore:
    """Thread-safe: the web app writes from several request threads."""

    def __init__(self, path: Path):
        self.path = path
        self._lock = threading.Lock()
        path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as con:
            con.execute(_SCHEMA)

    def _connect(self) -> sqlite3.Connection:
        con = sqlite3.connect(self.path, timeout=10)
        con.row_factory = sqlite3.Row
        return con

    def add(
        self,
        question: str,
        answer: str,
        citations: list[dict],
        filters: dict,
        *,
        rating: int,
        comment: str = "",
        refused: bool = False,
        session: str = "",
    ) -> int:
        with self._lock, self._connect() as con:
            cur = con.execute(
                "INSERT INTO feedback (created, session, question, answer, refused, citations, "
                "filters, rating, comment) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    dt.datetime.now().isoformat(timespec="seconds"),
                    session,
                    question,
                    answer,
                    int(refused),
                    json.dumps(citations, ensure_ascii=False),
                    json.dumps(filters, ensure_ascii=False),
                    rating,
                    comment.strip(),
                ),
            )
            assert cur.lastrowid is not None
            return int(cur.lastrowid)

    def update(self, row_id: int, *, rating: int | None = None, comment: str | None = None) -> None:
        with self._lock, self._connect() as con:
            if rating is not None:
                con.execute("UPDATE feedback SET rating = ? WHERE id = ?", (rating, row_id))
            if comment is not None:
                con.execute(
                    "UPDATE feedback SET comment = ? WHERE id = ?", (comment.strip(), row_id)
                )

    def rows(self) -> list[dict]:
        with self._connect() as con:
            return [dict(r) for r in con.execute("SELECT * FROM feedback ORDER BY id")]

    def drafts(self) -> list[dict]:
        """Thumbs-down answers as draft gold questions (evals/README.md schema).

        Evidence is left empty on purpose: a person reads the documents and fills it in (and
        decides whether the question is answerable) before the draft joins a question set.
        """
        out = []
        for r in self.rows():
            if r["rating"] >= 0:
                continue
            citations = json.loads(r["citations"] or "[]")
            filters = json.loads(r["filters"] or "{}")
            themes = sorted(
                {t for c in citations for t in c.get("themes", [])} | set(filters.get("themes", []))
            )
            out.append(
                {
                    "id": f"fb{r['id']:04d}",
                    "question": r["question"],
                    "lang": detect_language(r["question"]),
                    "answerable": not r["refused"],
                    "evidence": [],
                    "themes": themes,
                    "must_contain": [],
                    "type": "feedback",
                    "doc": "",
                    "draft": True,
                    "comment": r["comment"],
                    "answer_given": r["answer"],
                    "cited": [
                        c.get("doc_id", "") + (f" p.{c['page']}" if c.get("page") else "")
                        for c in citations
                    ],
                    "created": r["created"],
                }
            )
        return out


def export_drafts(store: FeedbackStore, out: Path) -> int:
    drafts = store.drafts()
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(
        "".join(json.dumps(d, ensure_ascii=False) + "\n" for d in drafts), encoding="utf-8"
    )
    return len(drafts)
