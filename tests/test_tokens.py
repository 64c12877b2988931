"""API tokens as an administrator handles them (`inclusie token ...`), and `serve` refusing to
open the API to the network without them. No model is loaded: these run in seconds."""

from __future__ import annotations

import hashlib

from .conftest import free_port, run_cli


def _env(tmp_path, **extra) -> dict:
    return {"INCLUSIE_DATA_DIR": str(tmp_path / "data"), **extra}


def test_create_prints_the_token_once_and_stores_only_its_hash(tmp_path):
    env = _env(tmp_path)
    made = run_cli("token", "create", "intranet", "--scope", "write", env=env, timeout=60)
    assert made.returncode == 0, made.stderr
    token = made.stdout.strip()
    assert token.startswith("inc_") and len(token) > 40 and "\n" not in token
    assert "niet opnieuw getoond" in made.stderr
    stored = (tmp_path / "data" / "api-tokens.sqlite").read_bytes()
    assert token.encode() not in stored
    assert hashlib.sha256(token.encode()).hexdigest().encode() in stored

    listed = run_cli("token", "list", env=env, timeout=60)
    assert listed.returncode == 0
    assert "intranet" in listed.stdout and "write" in listed.stdout
    assert token not in listed.stdout


def test_token_mistakes_are_refused_in_dutch(tmp_path):
    env = _env(tmp_path)
    assert run_cli("token", "create", "bot", env=env, timeout=60).returncode == 0
    again = run_cli("token", "create", "bot", env=env, timeout=60)
    assert again.returncode == 2 and "bestaat al" in again.stderr
    scope = run_cli("token", "create", "bot2", "--scope", "admin", env=env, timeout=60)
    assert scope.returncode == 2 and "read of write" in scope.stderr
    name = run_cli("token", "create", "mijn bot!", env=env, timeout=60)
    assert name.returncode == 2 and "tokennaam" in name.stderr
    unknown = run_cli("token", "revoke", "spook", env=env, timeout=60)
    assert unknown.returncode == 2 and "spook" in unknown.stderr

    revoked = run_cli("token", "revoke", "bot", env=env, timeout=60)
    assert revoked.returncode == 0 and "ingetrokken" in revoked.stdout
    assert "bot" not in run_cli("token", "list", env=env, timeout=60).stdout


def test_serve_will_not_open_the_api_to_the_network_without_login_and_token(tmp_path):
    port = str(free_port())
    env = _env(tmp_path)
    bare = run_cli("serve", "--host", "0.0.0.0", "--port", port, env=env, timeout=60)
    assert bare.returncode == 2
    assert "INCLUSIE_AUTH" in bare.stderr and "inclusie token create" in bare.stderr

    with_login = _env(tmp_path, INCLUSIE_AUTH="ana:geheim")
    res = run_cli("serve", "--host", "0.0.0.0", "--port", port, env=with_login, timeout=60)
    assert res.returncode == 2
    assert "inclusie token create" in res.stderr and "INCLUSIE_AUTH" not in res.stderr

    assert run_cli("token", "create", "bot", env=env, timeout=60).returncode == 0
    res = run_cli("serve", "--host", "0.0.0.0", "--port", port, env=env, timeout=60)
    assert res.returncode == 2
    assert "INCLUSIE_AUTH" in res.stderr and "token create" not in res.stderr
    # refused before anything was loaded or written: no index was made
    assert not (tmp_path / "data" / "chroma").exists()
