"""The shipped calibrations are what a fresh fit on the shipped data gives (never stale).

"The same" means: the same weights (grid choices) and the same decision on every fitted item.
The thresholds themselves are compared to their decisions rather than to four decimals: the
bundled e5 engine's arithmetic differs slightly between CPUs (a fit on an AVX-512 machine put
the English refusal threshold 0.0007 higher than the shipped one, and the support threshold
0.0006 higher, without changing a single decision), so a digit-for-digit comparison failed on
one machine and passed on another. A shipped file that would refuse, or label, any item
differently from a fresh fit still fails here.
"""

from __future__ import annotations

import dataclasses
import json

from assistant.compose import CALIBRATION_FILE, Calibration
from assistant.support import SUPPORT_CALIBRATION
from evals.calibrate import fit_calibration, refusal_features, refused
from evals.gold import DEV_QUESTIONS, load_questions
from evals.support_calibration import fit_support, load_pairs, pair_features, supported


def test_refusal_calibration_matches_a_fresh_fit_on_the_dev_set(indexed_settings, assistant):
    shipped = Calibration.load(CALIBRATION_FILE)
    questions = load_questions(DEV_QUESTIONS)
    try:
        cal, figures = fit_calibration(indexed_settings, questions, assistant=assistant)
        rows = refusal_features(assistant, questions)
    finally:
        assistant.calibration = shipped  # the fit installs itself; other tests use the shipped one
    hint = "run `inclusie eval --calibrate` and commit the result"
    assert (cal.w_passage, cal.w_coverage) == (shipped.w_passage, shipped.w_coverage), hint
    differ = [r["id"] for r in rows if refused(r, cal) != refused(r, shipped)]
    assert not differ, f"{hint}: the shipped thresholds decide differently on {differ}"
    saved = json.loads(CALIBRATION_FILE.read_text(encoding="utf-8"))["fit"]
    assert figures == {**figures, **saved}, hint
    assert figures["false_refusal_rate"] <= 0.05


def test_support_calibration_matches_a_fresh_fit_on_the_labelled_pairs(assistant):
    shipped_json = json.loads(SUPPORT_CALIBRATION.read_text(encoding="utf-8"))
    shipped = assistant.support.calibration
    pairs = load_pairs()
    assert len(pairs) >= 100
    assert {p["label"] for p in pairs} == {"supported", "unsupported"}
    cal, figures = fit_support(assistant, pairs)
    hint = "run `inclusie eval --calibrate` and commit the result"
    weights = ("w_overlap", "number_penalty", "negation_penalty", "absolute_penalty")
    assert {k: getattr(cal, k) for k in weights} == {k: shipped_json[k] for k in weights}, hint
    rows = pair_features(assistant, pairs)
    fresh = dataclasses.replace(shipped, supported=cal.supported)
    differ = [r["id"] for r in rows if supported(r, fresh) != supported(r, shipped)]
    assert not differ, f"{hint}: the shipped threshold labels differently: {differ}"
    for key in ("agreement", "agreement_cv", "agreement_per_lang"):
        assert figures[key] == shipped_json["fit"][key], hint
