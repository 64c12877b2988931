"""The regression gate: the shipped answers stay where evals/baseline.json says they are.

Runs the held-out sets (gold and hard) through the shipped configuration and fails when a gated
figure moved by more than one question's worth, in either direction (an improvement must update
the baseline in the same commit: `inclusie eval --update-baseline`), or when any citation does
not check out.
"""

from __future__ import annotations

from evals.baseline import check, figures, load
from evals.gold import HELD_OUT, load_sets
from evals.runner import run_eval


def test_the_shipped_answers_match_the_committed_baseline(indexed_settings, assistant):
    baseline = load()
    report = run_eval(indexed_settings, load_sets(HELD_OUT), ["hybrid"], assistant=assistant)
    assert set(baseline["sets"]) == set(report["sets"]) == {"gold", "hard"}
    problems = check(report, baseline)
    assert not problems, "\n".join(problems)
    for data in figures(report).values():
        assert data["citation_validity"]["value"] == 1.0


def test_the_gate_objects_to_a_figure_one_question_better_or_worse():
    """The gate itself: a change of more than one question's worth fails either way."""
    report_like = {"sets": {"gold": {"configs": {"hybrid": _metrics(0.80)}}}}
    base = {"sets": figures(report_like)}
    assert check(report_like, base) == []
    for moved in (0.80 + 2 / 50, 0.80 - 2 / 50):
        problems = check({"sets": {"gold": {"configs": {"hybrid": _metrics(moved)}}}}, base)
        assert problems and all("answer_recall" in p for p in problems)
    broken = _metrics(0.80)
    broken["answers"]["citation_validity"] = 0.98
    assert any(
        "citation_validity" in p
        for p in check({"sets": {"gold": {"configs": {"hybrid": broken}}}}, base)
    )


def _metrics(answer_recall: float) -> dict:
    lang = {"n": 25, "hit@5": 0.9, "mrr@10": 0.8}
    return {
        "retrieval": {"n": 50, "mrr@10": 0.8, "hit@5": 0.9},
        "retrieval_per_lang": {"nl": lang, "en": lang},
        "answers": {"answer_recall": answer_recall, "citation_validity": 1.0, "near_miss": 0},
        "answers_per_lang": {"nl": {"answer_recall": 0.8}, "en": {"answer_recall": 0.8}},
        "refusal": {"false_refusal_rate": 0.04},
    }
