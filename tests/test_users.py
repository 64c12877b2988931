"""Web logins without a browser: INCLUSIE_AUTH with one or several users, the users file with
scrypt hashes, `inclusie user` and the login as a condition for an open address."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from ui.app import bind_refusal
from ui.users import Logins, UsersFile, hash_password, parse_auth, verify_password

from .conftest import REPO


def run_cli(*args: str, env: dict, input: str = "", timeout: float = 60):
    """`inclusie` in a subprocess with ``input`` on stdin (conftest's run_cli has no stdin)."""
    exe = shutil.which("inclusie", path=str(Path(sys.executable).parent)) or "inclusie"
    return subprocess.run(
        [exe, *args],
        input=input,
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        timeout=timeout,
        cwd=REPO,
    )


# -- logins ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "raw, logins",
    [
        ("ana:geheim", {"ana": "geheim"}),  # the original single-user form
        ("ana:geh:eim", {"ana": "geh:eim"}),
        ("ana:geh,eim", {"ana": "geh,eim"}),
        ("ana:pw1,bram:pw2", {"ana": "pw1", "bram": "pw2"}),
        (" ana:pw1 , bram@school.nl:pw 2", {"ana": "pw1 ", "bram@school.nl": "pw 2"}),
        ("", {}),
    ],
)
def test_inclusie_auth_forms(raw, logins):
    assert parse_auth(raw) == logins


@pytest.mark.parametrize("raw", ["ana", "ana:", ":pw", "ana:pw1,ana:pw2", "ana:pw1,bram:"])
def test_malformed_inclusie_auth_is_refused_in_dutch(raw):
    from ingest.errors import InputError

    with pytest.raises(InputError, match="INCLUSIE_AUTH"):
        parse_auth(raw)


def test_users_file_keeps_only_scrypt_hashes(tmp_path):
    users = UsersFile(tmp_path / "users.txt")
    assert users.set("ana", "lang genoeg wachtwoord") is False
    text = users.path.read_text(encoding="utf-8")
    assert "lang genoeg" not in text and "ana:scrypt$32768$8$1$" in text
    assert stat.S_IMODE(os.stat(users.path).st_mode) == 0o600
    logins = Logins(None, users)
    assert logins.enabled
    assert logins.check("ana", "lang genoeg wachtwoord")
    assert not logins.check("ana", "lang genoeg wachtwoorD")
    assert not logins.check("spook", "lang genoeg wachtwoord")
    # a name in INCLUSIE_AUTH is checked against that password only
    both = Logins("ana:anders", users)
    assert both.check("ana", "anders") and not both.check("ana", "lang genoeg wachtwoord")
    # two hashes of one password differ (a salt each)
    assert hash_password("x" * 8, n=2**10) != hash_password("x" * 8, n=2**10)
    assert not verify_password("x", "niet$een$hash")
    assert not Logins(None, UsersFile(tmp_path / "geen.txt")).enabled


def test_user_verbs(tmp_path):
    env = {"INCLUSIE_DATA_DIR": str(tmp_path / "data")}
    none = run_cli("user", "list", env=env, timeout=60)
    assert none.returncode == 0 and "geen gebruikers" in none.stdout

    add = run_cli(
        "user", "add", "ana", "--password-stdin", env=env, timeout=60, input="pw-van-ana\n"
    )
    assert add.returncode == 0, add.stderr
    assert "toegevoegd" in add.stdout
    users = UsersFile(tmp_path / "data" / "users.txt")
    assert Logins(None, users).check("ana", "pw-van-ana")

    again = run_cli("user", "add", "ana", "--password-stdin", env=env, timeout=60, input="x" * 9)
    assert again.returncode == 2 and "bestaat al" in again.stderr and "--vervang" in again.stderr
    short = run_cli("user", "add", "bram", "--password-stdin", env=env, timeout=60, input="kort\n")
    assert short.returncode == 2 and "te kort" in short.stderr
    bad = run_cli("user", "add", "ana bram", "--password-stdin", env=env, timeout=60, input="x" * 9)
    assert bad.returncode == 2 and "gebruikersnaam" in bad.stderr

    changed = run_cli(
        "user",
        "add",
        "ana",
        "--vervang",
        "--password-stdin",
        env=env,
        timeout=60,
        input="nieuw-wachtwoord\n",
    )
    assert changed.returncode == 0 and "nieuw wachtwoord" in changed.stdout
    assert Logins(None, users).check("ana", "nieuw-wachtwoord")

    listed = run_cli("user", "list", env={**env, "INCLUSIE_AUTH": "cor:pw"}, timeout=60)
    assert listed.stdout.splitlines() == ["ana", "cor  (uit INCLUSIE_AUTH)"]
    assert run_cli("user", "remove", "ana", env=env, timeout=60).returncode == 0
    gone = run_cli("user", "remove", "ana", env=env, timeout=60)
    assert gone.returncode == 2 and "ana" in gone.stderr


def test_a_users_file_counts_as_a_login_for_open_addresses(tmp_path):
    from ingest.settings import Settings

    assert bind_refusal("0.0.0.0", True, 1) is None
    refusal = bind_refusal("0.0.0.0", False, 1)
    assert refusal and "inclusie user add" in refusal
    env = {"INCLUSIE_DATA_DIR": str(tmp_path / "data")}
    settings = Settings(data_dir=tmp_path / "data")
    assert not Logins.from_settings(settings).enabled
    r = run_cli("user", "add", "ana", "--password-stdin", env=env, timeout=60, input="pw-ana-12\n")
    assert r.returncode == 0, r.stderr
    # what `serve --host 0.0.0.0` checks before it binds: the login is there, a token is not
    refusal = bind_refusal("0.0.0.0", Logins.from_settings(settings).enabled, 0)
    assert refusal and "token create" in refusal and "INCLUSIE_AUTH" not in refusal
