"""Fit the refusal model on the development questions (never on the held-out gold set).

The evidence score of a question is
    w_passage * best passage similarity + (1 - w_passage) * best sentence similarity
    + w_coverage * BM25 coverage (Dutch questions)
and the assistant refuses below a per-language threshold. The fit searches a small grid of
weights; for each language it takes the highest threshold that keeps false refusals on answerable
questions within ``max_false_refusals``, placed halfway into the gap below the answerable scores
so that it does not sit on one question. The weights with the best refusal recall (then the widest
margins) win.

>>> fit_calibration(Settings(), load_questions(DEV_QUESTIONS))  # doctest: +SKIP
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
import json
import math
from pathlib import Path

from assistant.answer import Assistant
from assistant.compose import CALIBRATION_FILE, Calibration
from ingest.settings import Settings

from .gold import Question

W_PASSAGE = (0.0, 0.25, 0.5, 0.75, 1.0)
W_COVERAGE = (0.0, 0.025, 0.05, 0.1, 0.15)


def refusal_features(assistant: Assistant, questions: list[Question]) -> list[dict]:
    """Per question what the refusal model looks at (passage, sentence, coverage, type)."""
    rows = []
    for q in questions:
        r = assistant.search(q.question)
        cands = assistant.composer.candidates(q.question, r)
        ev = assistant.composer.evidence(q.question, r, cands)
        rows.append(
            {
                "id": q.id,
                "lang": r.lang,
                "answerable": q.answerable,
                "pb": ev.passage_best,
                "sb": ev.sentence_best,
                "cov": ev.coverage,
                "type_ok": ev.type_found and bool(cands),
            }
        )
    return rows


def _threshold(answerable: list[float], unanswerable: list[float], max_frr: float):
    """Highest safe threshold: returns (threshold, recall, margin)."""
    if not answerable:
        return 0.0, 0.0, 0.0
    a = sorted(answerable)
    allowed = math.floor(max_frr * len(a) + 1e-9)
    floor_score = a[allowed]  # refusing below this keeps false refusals within the budget
    below = [u for u in unanswerable if u < floor_score]
    gap_low = max(below, default=a[allowed - 1] if allowed else floor_score - 0.02)
    if allowed:
        gap_low = max(gap_low, a[allowed - 1])
    t = (gap_low + floor_score) / 2
    recall = sum(u < t for u in unanswerable) / len(unanswerable) if unanswerable else 1.0
    return t, recall, floor_score - t


def fit_calibration(
    settings: Settings,
    questions: list[Question],
    max_false_refusals: float = 0.05,
    assistant: Assistant | None = None,
) -> tuple[Calibration, dict]:
    """Fit weights and thresholds; returns the calibration and the figures behind it."""
    assistant = assistant or Assistant(settings)
    rows = refusal_features(assistant, questions)
    best: tuple | None = None
    for wp, wc in itertools.product(W_PASSAGE, W_COVERAGE):
        per_lang = {}
        for lang in ("nl", "en"):
            rs = [r for r in rows if r["lang"] == lang]

            def score(r, wp=wp, wc=wc):
                return wp * r["pb"] + (1 - wp) * r["sb"] + wc * r["cov"]

            ans = [score(r) for r in rs if r["answerable"] and r["type_ok"]]
            una = [score(r) for r in rs if not r["answerable"] and r["type_ok"]]
            per_lang[lang] = _threshold(ans, una, max_false_refusals)
        key = (
            sum(
                per_lang[lg][1] * sum(1 for r in rows if r["lang"] == lg and not r["answerable"])
                for lg in per_lang
            ),
            min(per_lang[lg][2] for lg in per_lang),
        )
        if best is None or key > best[0]:
            best = (key, wp, wc, per_lang)
    assert best is not None
    _, wp, wc, per_lang = best
    cal = dataclasses.replace(
        Calibration(),
        threshold_nl=round(per_lang["nl"][0], 4),
        threshold_en=round(per_lang["en"][0], 4),
        w_passage=wp,
        w_coverage=wc,
        source=f"fitted on {len(questions)} development questions, {dt.date.today().isoformat()}",
    )
    assistant.calibration = cal
    figures = _figures(rows, cal)
    return cal, figures


def refused(r: dict, cal: Calibration) -> bool:
    """Would ``cal`` refuse the question behind this feature row?"""
    s = cal.w_passage * r["pb"] + (1 - cal.w_passage) * r["sb"] + cal.w_coverage * r["cov"]
    return not r["type_ok"] or s < cal.threshold(r["lang"])


def _figures(rows: list[dict], cal: Calibration) -> dict:
    una = [r for r in rows if not r["answerable"]]
    ans = [r for r in rows if r["answerable"]]
    return {
        "questions": len(rows),
        "refusal_recall": sum(refused(r, cal) for r in una) / len(una) if una else None,
        "false_refusal_rate": sum(refused(r, cal) for r in ans) / len(ans) if ans else None,
    }


def save_calibration(cal: Calibration, figures: dict, path: Path = CALIBRATION_FILE) -> None:
    data = dataclasses.asdict(cal)
    data["fit"] = figures
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
