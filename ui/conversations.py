"""The web chat's conversations, kept per user in SQLite in the data dir.

A conversation belongs to one user (the login name, or ``LOCAL_USER`` when the app has no
login) and is known by an id the browser tab keeps (``ui.app``); every read and write names the
user too, so an id alone never reaches another user's conversation, even when a tab was handed
one (the key is the pair). A conversation is stored with its first answered question, titled
after it; each answered question adds a turn holding the whole ``Answer`` as JSON, so a restored
conversation is rendered by today's code (sources panel, follow-up rewriting, downloads, thumbs)
exactly like a fresh one.

>>> store = ConversationStore(getfixture("tmp_path") / "conversations.sqlite")
>>> a = Answer("Wat is het OOGO?", "nl", False, "Het OOGO is overleg. [1]")
>>> store.add_turn("ana", "c1", "Wat is het OOGO?", a)
1
>>> [(c.title, c.turns) for c in store.recent("ana")], store.recent("bram")
([('Wat is het OOGO?', 1)], [])
>>> store.turns("bram", "c1"), store.turns("ana", "c1")[0].answer.text
([], 'Het OOGO is overleg. [1]')
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import re
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from assistant.records import Answer, CitedSentence
from ingest.passage import Passage

LOCAL_USER = ""  # no login: one local user (a login name is never empty)
TITLE_CHARS = 80  # a title made from the first question
MAX_TITLE = 120  # a title the user gives
LIST_LIMIT = 100  # conversations shown under "Eerdere gesprekken", newest first
RECORD_VERSION = 1
ID = re.compile(r"^[0-9a-f]{32}$")  # what a tab sends: 16 random bytes in hex

_SCHEMA = """
CREATE TABLE IF NOT EXISTS conversations (
    user TEXT NOT NULL,
    id TEXT NOT NULL,
    title TEXT NOT NULL,
    created TEXT NOT NULL,
    updated TEXT NOT NULL,
    PRIMARY KEY (user, id)
);
CREATE TABLE IF NOT EXISTS turns (
    row INTEGER PRIMARY KEY AUTOINCREMENT,
    user TEXT NOT NULL,
    conversation TEXT NOT NULL,
    created TEXT NOT NULL,
    question TEXT NOT NULL,
    answer TEXT NOT NULL,          -- answer_to_record(...) as JSON
    feedback_id INTEGER            -- the row in feedback.sqlite once the answer got thumbs
);
CREATE INDEX IF NOT EXISTS turns_of_conversation ON turns (user, conversation, row);
"""


# -- answers as JSON ------------------------------------------------------------------------------
def answer_to_record(a: Answer) -> dict:
    """Everything needed to show the answer again (``Answer.to_json`` is the public contract and
    leaves out offsets and passage fields the sources panel needs)."""
    return {
        "v": RECORD_VERSION,
        **{
            f.name: getattr(a, f.name)
            for f in dataclasses.fields(Answer)
            if f.name not in ("sentences", "citations", "related", "timings")
        },
        "sentences": [dataclasses.asdict(s) for s in a.sentences],
        "citations": [p.model_dump(mode="json") for p in a.citations],
        "related": [p.model_dump(mode="json") for p in a.related],
    }


def answer_from_record(d: dict) -> Answer:
    """The ``Answer`` of ``answer_to_record``; fields added to the records later get their
    defaults, fields that no longer exist are ignored."""
    names = {f.name for f in dataclasses.fields(Answer)}
    simple = {k: v for k, v in d.items() if k in names}
    sentence_fields = {f.name for f in dataclasses.fields(CitedSentence)}
    simple["sentences"] = [
        CitedSentence(**{k: v for k, v in s.items() if k in sentence_fields})
        for s in d.get("sentences", [])
    ]
    simple["citations"] = [Passage.model_validate(p) for p in d.get("citations", [])]
    simple["related"] = [Passage.model_validate(p) for p in d.get("related", [])]
    simple["key_terms"] = [tuple(t) for t in d.get("key_terms", [])]
    return Answer(**simple)


def make_title(question: str) -> str:
    """A conversation's title from its first question: one line, cut at a word.

    >>> make_title("Wat   kan de gemeente\\ndoen?")
    'Wat kan de gemeente doen?'
    >>> len(make_title("woord " * 40)) <= TITLE_CHARS
    True
    """
    text = " ".join(question.split())
    if len(text) <= TITLE_CHARS:
        return text
    cut = text[: TITLE_CHARS - 1].rsplit(" ", 1)[0]
    return cut + "…"


def clean_title(title: str) -> str:
    return " ".join((title or "").split())[:MAX_TITLE]


def _now() -> str:
    return dt.datetime.now().isoformat(timespec="seconds")


# -- records --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ConversationInfo:
    id: str
    title: str
    created: str
    updated: str
    turns: int


@dataclass(frozen=True)
class StoredTurn:
    row: int
    question: str
    answer: Answer
    feedback_id: int | None
    created: str


class ConversationStore:
    """Conversations of all users in one SQLite file; every method takes the user.

    Safe for the web app's worker threads and for several ``inclusie serve`` processes on one
    data dir: one short connection per call, WAL so that readers do not wait for a writer.
    """

    def __init__(self, path: Path):
        self.path = Path(path)
        self._ready = False

    def _connect(self) -> sqlite3.Connection:
        if not self._ready:  # the file is made on first use, not when the app is built
            self.path.parent.mkdir(parents=True, exist_ok=True)
        con = sqlite3.connect(self.path, timeout=10)
        con.row_factory = sqlite3.Row
        if not self._ready:
            con.execute("PRAGMA journal_mode=WAL")
            con.executescript(_SCHEMA)
            self._ready = True
        # WAL with NORMAL: a commit does not wait for the disk; a power cut may lose the last
        # turn, never corrupt the file.
        con.execute("PRAGMA synchronous=NORMAL")
        return con

    def add_turn(self, user: str, conversation: str, question: str, answer: Answer) -> int:
        """Store one answered question; the conversation is created by its first. Returns the
        turn's row id."""
        record = json.dumps(answer_to_record(answer), ensure_ascii=False)
        now = _now()
        con = self._connect()
        try:
            with con:
                con.execute(
                    "INSERT INTO conversations (user, id, title, created, updated) "
                    "VALUES (?, ?, ?, ?, ?) ON CONFLICT (user, id) DO UPDATE SET updated = ?",
                    (user, conversation, make_title(question), now, now, now),
                )
                cur = con.execute(
                    "INSERT INTO turns (user, conversation, created, question, answer) "
                    "VALUES (?, ?, ?, ?, ?)",
                    (user, conversation, now, question, record),
                )
                assert cur.lastrowid is not None
                return int(cur.lastrowid)
        finally:
            con.close()

    def set_feedback(self, user: str, row: int, feedback_id: int) -> None:
        con = self._connect()
        try:
            with con:
                con.execute(
                    "UPDATE turns SET feedback_id = ? WHERE row = ? AND user = ?",
                    (feedback_id, row, user),
                )
        finally:
            con.close()

    def recent(self, user: str, limit: int = LIST_LIMIT) -> list[ConversationInfo]:
        """The user's conversations, the most recently used first."""
        con = self._connect()
        try:
            rows = con.execute(
                "SELECT c.id, c.title, c.created, c.updated, "
                "(SELECT count(*) FROM turns t WHERE t.user = c.user AND t.conversation = c.id) "
                "AS turns FROM conversations c WHERE c.user = ? "
                "ORDER BY c.updated DESC, c.created DESC LIMIT ?",
                (user, limit),
            ).fetchall()
        finally:
            con.close()
        return [ConversationInfo(**dict(r)) for r in rows]

    def get(self, user: str, conversation: str) -> ConversationInfo | None:
        con = self._connect()
        try:
            row = con.execute(
                "SELECT c.id, c.title, c.created, c.updated, "
                "(SELECT count(*) FROM turns t WHERE t.user = c.user AND t.conversation = c.id) "
                "AS turns FROM conversations c WHERE c.user = ? AND c.id = ?",
                (user, conversation),
            ).fetchone()
        finally:
            con.close()
        return None if row is None else ConversationInfo(**dict(row))

    def turns(self, user: str, conversation: str) -> list[StoredTurn]:
        """The conversation's answered questions, oldest first ([] for an unknown one)."""
        con = self._connect()
        try:
            rows = con.execute(
                "SELECT row, question, answer, feedback_id, created FROM turns "
                "WHERE user = ? AND conversation = ? ORDER BY row",
                (user, conversation),
            ).fetchall()
        finally:
            con.close()
        return [
            StoredTurn(
                r["row"],
                r["question"],
                answer_from_record(json.loads(r["answer"])),
                r["feedback_id"],
                r["created"],
            )
            for r in rows
        ]

    def rename(self, user: str, conversation: str, title: str) -> bool:
        """False when the user has no such conversation (or the title is empty)."""
        title = clean_title(title)
        if not title:
            return False
        con = self._connect()
        try:
            with con:
                n = con.execute(
                    "UPDATE conversations SET title = ? WHERE user = ? AND id = ?",
                    (title, user, conversation),
                ).rowcount
        finally:
            con.close()
        return n > 0

    def delete(self, user: str, conversation: str) -> bool:
        """Remove the conversation with its turns; False when the user has no such one."""
        con = self._connect()
        try:
            with con:
                con.execute(
                    "DELETE FROM turns WHERE user = ? AND conversation = ?", (user, conversation)
                )
                n = con.execute(
                    "DELETE FROM conversations WHERE user = ? AND id = ?", (user, conversation)
                ).rowcount
        finally:
            con.close()
        return n > 0
