"""API tokens: created once, shown once, stored only as a hash (SQLite in the data dir).

A token is ``inc_`` plus 43 random URL-safe characters (256 bits). Only its SHA-256 is kept:
a token is random, not a password, so a slow hash would add nothing but latency to every request.
Scopes are ``read`` (ask, search, briefings, list documents) and ``write`` (also upload and
delete documents). ``inclusie token create|list|revoke`` manages them; the server reads the
file on every request, so a new or revoked token takes effect without a restart.

>>> store = TokenStore(getfixture("tmp_path") / "api-tokens.sqlite")
>>> secret = store.create("intranet", "read")
>>> store.check(secret).name, store.check("inc_fout") is None
('intranet', True)
>>> store.revoke("intranet"), store.count()
(True, 0)
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
import secrets
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from ingest.errors import InputError

Scope = Literal["read", "write"]
SCOPES: tuple[str, ...] = ("read", "write")
PREFIX = "inc_"
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
_TOUCH_EVERY = 60.0  # seconds between writes of "last used" per token (no write per request)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS tokens (
    name TEXT PRIMARY KEY,
    hash TEXT NOT NULL UNIQUE,
    scope TEXT NOT NULL,
    created TEXT NOT NULL,
    last_used TEXT
)
"""


@dataclass(frozen=True)
class TokenInfo:
    name: str
    scope: str
    created: str
    last_used: str | None = None

    def allows(self, scope: str) -> bool:
        return self.scope == "write" or scope == "read"


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _now() -> str:
    return dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()


class TokenStore:
    """The tokens of one data dir. Reading never creates the file (``count`` of none is 0)."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self._touched: dict[str, float] = {}

    def _connect(self, create: bool = False) -> sqlite3.Connection | None:
        if not self.path.exists():
            if not create:
                return None
            self.path.parent.mkdir(parents=True, exist_ok=True)
            # Only the owner may read the hashes (they are no secret, but no one's business).
            os.close(os.open(self.path, os.O_WRONLY | os.O_CREAT, 0o600))
        con = sqlite3.connect(self.path, timeout=10)
        con.row_factory = sqlite3.Row
        con.execute(_SCHEMA)
        return con

    def create(self, name: str, scope: str = "read") -> str:
        """A new token for ``name``; returns the token itself (it is not stored)."""
        if not _NAME.match(name or ""):
            raise InputError(
                f"Ongeldige tokennaam '{name}': gebruik letters, cijfers, punt, streepje of "
                "liggend streepje (hoogstens 64 tekens), bijvoorbeeld intranet of teams-bot."
            )
        if scope not in SCOPES:
            raise InputError(f"Onbekende scope '{scope}'. Kies read of write.")
        token = PREFIX + secrets.token_urlsafe(32)
        con = self._connect(create=True)
        assert con is not None
        with con:
            try:
                con.execute(
                    "INSERT INTO tokens (name, hash, scope, created) VALUES (?, ?, ?, ?)",
                    (name, _hash(token), scope, _now()),
                )
            except sqlite3.IntegrityError:
                raise InputError(
                    f"Er bestaat al een token met de naam '{name}'. Trek het eerst in "
                    f"(inclusie token revoke {name}) of kies een andere naam."
                ) from None
        con.close()
        return token

    def list(self) -> list[TokenInfo]:
        con = self._connect()
        if con is None:
            return []
        with con:
            rows = con.execute(
                "SELECT name, scope, created, last_used FROM tokens ORDER BY name"
            ).fetchall()
        con.close()
        return [TokenInfo(**dict(r)) for r in rows]

    def revoke(self, name: str) -> bool:
        """Remove a token; False when there is none by that name."""
        con = self._connect()
        if con is None:
            return False
        with con:
            gone = con.execute("DELETE FROM tokens WHERE name = ?", (name,)).rowcount
        con.close()
        return gone > 0

    def count(self) -> int:
        con = self._connect()
        if con is None:
            return 0
        with con:
            (n,) = con.execute("SELECT count(*) FROM tokens").fetchone()
        con.close()
        return int(n)

    def check(self, token: str) -> TokenInfo | None:
        """The token's record, or None when it is unknown or revoked."""
        if not token.startswith(PREFIX):
            return None
        con = self._connect()
        if con is None:
            return None
        h = _hash(token)
        with con:
            row = con.execute(
                "SELECT name, scope, created, last_used FROM tokens WHERE hash = ?", (h,)
            ).fetchone()
            if row is not None and time.monotonic() - self._touched.get(h, -1e9) > _TOUCH_EVERY:
                self._touched[h] = time.monotonic()
                con.execute("UPDATE tokens SET last_used = ? WHERE hash = ?", (_now(), h))
        con.close()
        return None if row is None else TokenInfo(**dict(row))
