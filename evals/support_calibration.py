"""Calibrate the citation support check on labelled (sentence, passage) pairs.

``evals/support_pairs.jsonl`` holds answer sentences an LLM might write, each with a snippet that
locates the passage it cites and a human label (supported / unsupported): paraphrases,
translations and summaries against wrong facts, reversed claims, overclaims, content from other
passages and unrelated advice. The fit searches the weights of word overlap and of unmatched
numbers and the threshold that best separates the labels; sentences within ``WEAK_BAND`` below
the threshold are marked "weak". Agreement is reported in-sample and with 5-fold
cross-validation (fit on four fifths, judge the fifth), per language too.

>>> cal, figures = fit_support(Assistant(Settings()), load_pairs())   # doctest: +SKIP
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
import json
from pathlib import Path

import numpy as np

from assistant.answer import Assistant
from assistant.support import SUPPORT_CALIBRATION, SupportCalibration

from .gold import normalize

PAIRS = Path(__file__).with_name("support_pairs.jsonl")
W_OVERLAP = (0.0, 0.025, 0.05, 0.1)
NUMBER_PENALTY = (0.0, 0.05, 0.1)
NEGATION_PENALTY = (0.0, 0.02, 0.05)
ABSOLUTE_PENALTY = (0.0, 0.02, 0.05)
WEAK_BAND = 0.03


def load_pairs(path: Path = PAIRS) -> list[dict]:
    return [
        json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()
    ]


def pair_features(assistant: Assistant, pairs: list[dict]) -> list[dict]:
    """Similarity, overlap and unmatched numbers for every pair (against its stored passage)."""
    passages = assistant.store.all_passages()
    checker = assistant.support
    vectors = assistant.store.sentence_vectors([p.id for p in passages])
    rows = []
    for pair in pairs:
        needle = normalize(pair["evidence"])
        passage = next((p for p in passages if needle in normalize(p.text)), None)
        if passage is None:
            raise ValueError(f"{pair['id']}: evidence not found in the index: {pair['evidence']!r}")
        stored = vectors.get(passage.id, [])
        feats = checker.features(pair["sentence"], passage, stored or None)
        rows.append(
            {
                **feats,
                "id": pair["id"],
                "lang": pair["lang"],
                "kind": pair.get("kind", ""),
                "supported": pair["label"] == "supported",
            }
        )
    return rows


def _score(r: dict, w: tuple[float, float, float, float]) -> float:
    wo, npen, neg, absl = w
    return (
        r["sim"]
        + wo * r["overlap"]
        - npen * r["missing_numbers"]
        - neg * r["negation"]
        - absl * r["absolute"]
    )


def _best(rows: list[dict]) -> tuple[float, tuple, float]:
    """(agreement, weights, threshold) maximising binary agreement; ties keep simpler weights."""
    best: tuple[float, tuple, float] = (-1.0, (0.0, 0.0, 0.0, 0.0), 0.0)
    labels = np.array([r["supported"] for r in rows])
    for w in itertools.product(W_OVERLAP, NUMBER_PENALTY, NEGATION_PENALTY, ABSOLUTE_PENALTY):
        scores = np.array([_score(r, w) for r in rows])
        cands = np.unique(scores)
        for t in (cands[:-1] + cands[1:]) / 2 if len(cands) > 1 else cands:
            acc = float(np.mean((scores >= t) == labels))
            if acc > best[0] + 1e-12:
                best = (acc, w, float(t))
    return best


def supported(r: dict, cal: SupportCalibration) -> bool:
    """Does ``cal`` label the pair behind this feature row as supported?"""
    w = (cal.w_overlap, cal.number_penalty, cal.negation_penalty, cal.absolute_penalty)
    return _score(r, w) >= cal.supported


def _agreement(rows: list[dict], w: tuple, t: float) -> float:
    return float(np.mean([(_score(r, w) >= t) == r["supported"] for r in rows])) if rows else 0.0


def fit_support(
    assistant: Assistant, pairs: list[dict], folds: int = 5, seed: int = 0
) -> tuple[SupportCalibration, dict]:
    rows = pair_features(assistant, pairs)
    acc, w, t = _best(rows)
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(rows))
    hits = []
    for k in range(folds):
        test_idx = set(order[k::folds].tolist())
        train = [r for i, r in enumerate(rows) if i not in test_idx]
        test = [r for i, r in enumerate(rows) if i in test_idx]
        _, fw, ft = _best(train)
        hits += [(_score(r, fw) >= ft) == r["supported"] for r in test]
    figures: dict = {
        "pairs": len(rows),
        "agreement": round(acc, 4),
        "agreement_cv": round(float(np.mean(hits)), 4),
        "agreement_per_lang": {
            lang: round(_agreement([r for r in rows if r["lang"] == lang], w, t), 4)
            for lang in ("nl", "en")
        },
        "agreement_per_kind": {
            kind: round(_agreement([r for r in rows if r["kind"] == kind], w, t), 4)
            for kind in sorted({r["kind"] for r in rows})
        },
    }
    wo, npen, neg, absl = w
    cal = SupportCalibration(
        w_overlap=wo,
        number_penalty=npen,
        negation_penalty=neg,
        absolute_penalty=absl,
        supported=round(t, 4),
        weak=round(t - WEAK_BAND, 4),
        agreement=float(figures["agreement_cv"]),
        source=f"fitted on {len(rows)} labelled pairs, {dt.date.today().isoformat()}",
    )
    return cal, figures


def save_support(cal: SupportCalibration, figures: dict, path: Path = SUPPORT_CALIBRATION) -> None:
    data = dataclasses.asdict(cal)
    data["fit"] = figures
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
