"""Who may log in to the web app: ``INCLUSIE_AUTH`` and a users file with hashed passwords.

Two sources, used together:

- ``INCLUSIE_AUTH``: ``name:password`` (the original form) or several, ``ana:pw1,bram:pw2``. A
  comma starts a new login only where ``name:`` follows it, so a single login's password may
  still contain commas (``ana:geh,eim``); a password that contains ``,name:`` needs the file.
- the users file (``INCLUSIE_USERS_FILE``, by default ``<data dir>/users.txt``): one
  ``name:scrypt$n$r$p$salt$hash`` per line, written by ``inclusie user add NAME``. Only the
  scrypt hash of a password is stored (standard library ``hashlib.scrypt``, a random salt per
  password, its cost parameters kept with it so they can be raised later). The file is read at
  every login, so a user added from the command line can log in without a restart.

A name in ``INCLUSIE_AUTH`` is checked against that password only, never the file's.

>>> parse_auth("ana:pw1, bram:pw2") == {"ana": "pw1", "bram": "pw2"}
True
>>> parse_auth("ana:geh,eim")
{'ana': 'geh,eim'}
>>> h = hash_password("correct paard", n=2**10)
>>> verify_password("correct paard", h), verify_password("fout", h)
(True, False)
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re
import secrets
import uuid
from pathlib import Path

from ingest.errors import InputError

# scrypt's cost: 2**15 x 8 x 128 bytes = 32 MB and about 0.2-0.5 s per login on a busy 2-core
# machine. OWASP's minimum is 2**17; that costs 128 MB and seconds here, for every login.
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**15, 8, 1
_MAXMEM = 256 * 1024 * 1024
MIN_PASSWORD = 8  # for the users file; INCLUSIE_AUTH's passwords are the operator's own choice

NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$")
# A comma followed by "name:" starts the next login of INCLUSIE_AUTH.
_NEXT_LOGIN = re.compile(r",\s*(?=[^,:\s]+:)")

# The same work for an unknown name as for a known one: how long a login takes does not tell
# which names exist.
_DUMMY_SALT = secrets.token_bytes(16)


def _b64(b: bytes) -> str:
    return base64.b64encode(b).decode("ascii")


def hash_password(password: str, *, n: int = SCRYPT_N, r: int = SCRYPT_R, p: int = SCRYPT_P) -> str:
    """``scrypt$n$r$p$salt$hash`` (base64) of ``password`` with a fresh random salt."""
    salt = secrets.token_bytes(16)
    key = hashlib.scrypt(password.encode("utf-8"), salt=salt, n=n, r=r, p=p, maxmem=_MAXMEM)
    return f"scrypt${n}${r}${p}${_b64(salt)}${_b64(key)}"


def verify_password(password: str, stored: str) -> bool:
    """Whether ``password`` matches a ``hash_password`` string (False for a malformed one)."""
    try:
        kind, n, r, p, salt, key = stored.split("$")
        if kind != "scrypt":
            return False
        want = base64.b64decode(key, validate=True)
        got = hashlib.scrypt(
            password.encode("utf-8"),
            salt=base64.b64decode(salt, validate=True),
            n=int(n),
            r=int(r),
            p=int(p),
            maxmem=_MAXMEM,
            dklen=len(want),
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(got, want)


def parse_auth(raw: str | None) -> dict[str, str]:
    """The logins of ``INCLUSIE_AUTH`` as {name: password}; a Dutch ``InputError`` if malformed."""
    if not raw or not raw.strip():
        return {}
    out: dict[str, str] = {}
    for part in _NEXT_LOGIN.split(raw.strip()):
        name, sep, password = part.partition(":")
        name = name.strip()
        if not sep or not name or not password:
            raise InputError(
                "INCLUSIE_AUTH moet de vorm 'gebruiker:wachtwoord' hebben, of voor meer "
                "gebruikers 'ana:wachtwoord1,bram:wachtwoord2'."
            )
        if name in out:
            raise InputError(f"INCLUSIE_AUTH noemt de gebruiker '{name}' twee keer.")
        out[name] = password
    return out


class UsersFile:
    """The users file: read on every check, written atomically (only the owner may read it)."""

    def __init__(self, path: Path):
        self.path = Path(path)

    def read(self) -> dict[str, str]:
        """{name: hash}; a missing file is no users. Comment and blank lines are skipped."""
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return {}
        out = {}
        for line in text.splitlines():
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            name, _, stored = line.partition(":")
            if name and stored:
                out[name] = stored
        return out

    def names(self) -> list[str]:
        return sorted(self.read(), key=str.lower)

    def set(self, name: str, password: str, *, replace: bool = False) -> bool:
        """Store ``name`` with the hash of ``password``; True when it replaced an existing one."""
        if not NAME.match(name or ""):
            raise InputError(
                f"Ongeldige gebruikersnaam '{name}': gebruik letters, cijfers, punt, @, streepje "
                "of liggend streepje (hoogstens 64 tekens), bijvoorbeeld ana of ana@school.nl."
            )
        if len(password) < MIN_PASSWORD:
            raise InputError(f"Het wachtwoord is te kort: minstens {MIN_PASSWORD} tekens.")
        users = self.read()
        existed = name in users
        if existed and not replace:
            raise InputError(
                f"De gebruiker '{name}' bestaat al. Een nieuw wachtwoord geven: "
                f"inclusie user add {name} --vervang."
            )
        users[name] = hash_password(password)
        self._write(users)
        return existed

    def remove(self, name: str) -> bool:
        users = self.read()
        if name not in users:
            return False
        del users[name]
        self._write(users)
        return True

    def _write(self, users: dict[str, str]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(f".{self.path.name}.{uuid.uuid4().hex[:8]}.tmp")
        body = "# Inclusie-assistent: web logins (inclusie user add NAAM). Alleen hashes.\n"
        body += "".join(f"{n}:{h}\n" for n, h in sorted(users.items()))
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                f.write(body)
            os.replace(tmp, self.path)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise


class Logins:
    """The web app's login check over both sources; ``enabled`` when there is anyone to log in.

    >>> logins = Logins("ana:pw1,bram:pw2", UsersFile(getfixture("tmp_path") / "users.txt"))
    >>> logins.enabled, logins.check("bram", "pw2"), logins.check("bram", "pw1")
    (True, True, False)
    """

    def __init__(self, auth: str | None, users: UsersFile):
        self.fixed = parse_auth(auth)
        self.users = users

    @classmethod
    def from_settings(cls, settings) -> Logins:
        return cls(settings.auth, UsersFile(settings.users_path))

    @property
    def enabled(self) -> bool:
        return bool(self.fixed) or bool(self.users.read())

    def check(self, name: str, password: str) -> bool:
        if name in self.fixed:
            return hmac.compare_digest(
                self.fixed[name].encode("utf-8"), (password or "").encode("utf-8")
            )
        stored = self.users.read().get(name)
        if stored is None:
            hashlib.scrypt(
                b"x", salt=_DUMMY_SALT, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P, maxmem=_MAXMEM
            )
            return False
        return verify_password(password or "", stored)

    async def gradio_auth(self, name: str, password: str) -> bool:
        """For Gradio's login route: scrypt runs in a worker thread, so a login does not hold
        the event loop (and every other user's request) for its duration."""
        import anyio

        return await anyio.to_thread.run_sync(self.check, name, password)
