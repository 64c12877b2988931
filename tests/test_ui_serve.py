"""`inclusie serve` as a process: login, PDF links that open at the page, files it will not
serve."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest

from ingest.settings import BUNDLED_TAXONOMY
from ui.app import bind_refusal

from .conftest import REPO, free_port, run_cli, stop_process
from .docgen import filler, write_pdf

pytestmark = pytest.mark.slow


def test_open_addresses_need_a_login_and_an_api_token():
    assert bind_refusal("127.0.0.1", None, 0) is None
    assert bind_refusal("0.0.0.0", "ana:geheim", 1) is None
    both = bind_refusal("0.0.0.0", None, 0)
    assert both and "INCLUSIE_AUTH" in both and "inclusie token create" in both
    token = bind_refusal("0.0.0.0", "ana:geheim", 0)
    assert token and "inclusie token create" in token and "INCLUSIE_AUTH" not in token
    login = bind_refusal("::", None, 2)
    assert login and "INCLUSIE_AUTH" in login and "token" not in login


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    data = tmp_path_factory.mktemp("serve") / "data"
    docs = data / "uploads"
    docs.mkdir(parents=True)
    pdf = write_pdf(
        docs / "vervoersplan.pdf",
        [
            [("h", "Vervoersplan Testgemeente"), ("p", filler(60, 1))],
            [
                ("h", "Leerlingenvervoer"),
                (
                    "p",
                    "TIP: Laat de Zwaluwbus de leerlingen van De Klimop ophalen bij de wijkschool, "
                    "zodat zij thuisnabij naar school kunnen. " + filler(30, 2),
                ),
            ],
        ],
    )
    env = {
        **os.environ,
        "INCLUSIE_DATA_DIR": str(data),
        "INCLUSIE_AUTH": "ana:geheim",
        "GRADIO_ANALYTICS_ENABLED": "False",
    }
    res = run_cli("ingest", str(docs), env=env)
    assert res.returncode == 0, res.stderr
    port = free_port()
    exe = Path(sys.executable).parent / "inclusie"
    proc = subprocess.Popen(
        [str(exe), "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                if httpx.get(url + "/", timeout=2).status_code < 500:
                    break
            except httpx.HTTPError:
                pass
            if proc.poll() is not None:
                raise AssertionError(proc.stdout.read().decode())
            time.sleep(0.5)
        else:
            raise AssertionError("server did not start")
        yield url, pdf
    finally:
        stop_process(proc)


def _login(url: str, password: str) -> httpx.Client:
    client = httpx.Client(base_url=url, timeout=10, follow_redirects=True)
    client.post("/login", data={"username": "ana", "password": password})
    return client  # the caller closes it


def test_login_is_required(server):
    url, pdf = server
    anonymous = httpx.Client(base_url=url, timeout=10)
    assert anonymous.get("/config").status_code in (401, 403)
    wrong = httpx.Client(base_url=url, timeout=10)
    assert wrong.post("/login", data={"username": "ana", "password": "fout"}).status_code >= 400
    client = _login(url, "geheim")
    try:
        cfg = client.get("/config")
        assert cfg.status_code == 200 and "Inclusie-assistent" in cfg.text
    finally:
        client.close()


def test_pdf_link_opens_the_document(server):
    url, pdf = server
    client = _login(url, "geheim")
    try:
        res = client.get("/gradio_api/file=" + quote(str(pdf.resolve())))
        assert res.status_code == 200
        assert res.content.startswith(b"%PDF")
        # anything outside the corpus and uploads folders is not served
        assert client.get("/gradio_api/file=" + quote("/etc/passwd")).status_code in (403, 404)
    finally:
        client.close()


def test_pdf_sources_link_to_their_page(tmp_path):
    from assistant.answer import Assistant
    from ingest.pipeline import ingest_paths
    from ingest.settings import Settings
    from ingest.tags import Taxonomy
    from ui.render import render_sources

    # Short pages: page 1 and 2 end up in one passage, so the link must follow the quoted
    # sentence (page 2), not the start of the passage (page 1).
    pdf = write_pdf(
        tmp_path / "plan.pdf",
        [
            [("h", "Inleiding"), ("p", filler(40, 3))],
            [
                (
                    "p",
                    "Het Reigerhuis wordt een inclusief schoolgebouw met ruimte voor zorg en "
                    "onderwijs onder één dak. " + filler(20, 4),
                )
            ],
        ],
    )
    settings = Settings(data_dir=tmp_path / "data")
    assert ingest_paths([pdf], settings).ok
    ans = Assistant(settings).ask("Wat wordt het Reigerhuis?")
    assert not ans.refused
    cited = ans.citations[0]
    first = min(s.start for s in ans.sentences if s.n == 1)
    assert cited.page == 1 and cited.page_end == 2, "premise: one passage over two pages"
    assert "Reigerhuis" in cited.text[first:] and cited.page_at(first) == 2
    html = render_sources(ans, Taxonomy.load(BUNDLED_TAXONOMY))
    assert f"/gradio_api/file={quote(str(pdf.resolve()))}#page=2" in html
    assert "Open de PDF op pagina 2" in html
