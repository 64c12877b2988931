"""The shipped calibrations are what a fresh fit on the shipped data gives (never stale)."""

from __future__ import annotations

import json

import pytest

from assistant.answer import CALIBRATION_FILE
from assistant.support import SUPPORT_CALIBRATION
from evals.calibrate import fit_calibration
from evals.gold import DEV_QUESTIONS, load_questions
from evals.support_calibration import fit_support, load_pairs


def test_refusal_calibration_matches_a_fresh_fit_on_the_dev_set(indexed_settings, assistant):
    shipped = json.loads(CALIBRATION_FILE.read_text(encoding="utf-8"))
    cal, figures = fit_calibration(
        indexed_settings, load_questions(DEV_QUESTIONS), assistant=assistant
    )
    assert (cal.threshold_nl, cal.threshold_en, cal.w_passage, cal.w_coverage) == pytest.approx(
        (
            shipped["threshold_nl"],
            shipped["threshold_en"],
            shipped["w_passage"],
            shipped["w_coverage"],
        ),
        abs=1e-4,
    ), "run `inclusie eval --calibrate` and commit the result"
    assert figures["false_refusal_rate"] <= 0.05
    assert assistant.calibration.threshold_nl == pytest.approx(shipped["threshold_nl"])


def test_support_calibration_matches_a_fresh_fit_on_the_labelled_pairs(assistant):
    shipped = json.loads(SUPPORT_CALIBRATION.read_text(encoding="utf-8"))
    pairs = load_pairs()
    assert len(pairs) >= 100
    assert {p["label"] for p in pairs} == {"supported", "unsupported"}
    cal, figures = fit_support(assistant, pairs)
    assert cal.supported == pytest.approx(shipped["supported"], abs=1e-4)
    assert (cal.w_overlap, cal.number_penalty, cal.negation_penalty, cal.absolute_penalty) == (
        shipped["w_overlap"],
        shipped["number_penalty"],
        shipped["negation_penalty"],
        shipped["absolute_penalty"],
    )
    assert figures["agreement_cv"] == pytest.approx(shipped["fit"]["agreement_cv"], abs=1e-4)
