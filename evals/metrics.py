"""Offline metrics: ranking quality, answer checks, refusals, latency. No LLM judge.

Retrieval metrics look at the passages found; the answer metrics look at the answer text itself
(does it hold the evidence, every part of it, and does it say what the documents lack).

>>> hit_at([False, True, False], 1), hit_at([False, True, False], 3)
(0.0, 1.0)
>>> round(ndcg_at([False, True], 10, n_relevant=1), 3)
0.631
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from .gold import in_answer
from .near_miss import near_miss_handled


def hit_at(rel: list[bool], k: int) -> float:
    return float(any(rel[:k]))


def reciprocal_rank(rel: list[bool], k: int = 10) -> float:
    for i, r in enumerate(rel[:k]):
        if r:
            return 1.0 / (i + 1)
    return 0.0


def ndcg_at(rel: list[bool], k: int, n_relevant: int) -> float:
    """Binary-relevance nDCG; the ideal ranking puts all relevant passages of the index first."""
    dcg = sum(1.0 / math.log2(i + 2) for i, r in enumerate(rel[:k]) if r)
    ideal = sum(1.0 / math.log2(i + 2) for i in range(min(k, max(n_relevant, 1))))
    return dcg / ideal if ideal else 0.0


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(values, q)) if values else 0.0


@dataclass
class QuestionResult:
    """Everything measured for one question under one configuration."""

    id: str
    question: str
    lang: str
    answerable: bool
    themes: list[str]
    relevant: list[bool]  # per retrieved passage (top 10)
    evidence_recall5: float  # share of evidence snippets found in the top 5
    n_relevant: int  # relevant passages in the whole index
    retrieved: list[dict]  # id, title, section, score, relevant
    refused: bool
    answer: str
    cites_relevant: bool
    citation_valid: bool
    citation_problems: list[str]
    must_contain_hits: int
    must_contain_total: int
    latency: float
    evidence: dict
    supported_share: float | None = None  # LLM answers: share of sentences marked supported
    notice: str = ""
    mode: str = "extractive"  # how the answer was made (llm, or extractive after a fallback)
    llm_config: bool = False
    set: str = ""  # the question set ("gold", "hard", ...)
    parts: list[list[str]] = field(default_factory=list)  # evidence per part (one part if single)
    missing: list[str] = field(default_factory=list)  # near-miss: what the documents lack
    not_found: list[str] = field(default_factory=list)  # what the answer says the documents lack


def parts_answered(r: QuestionResult) -> list[bool]:
    """Per part of the question: does the answer text hold one of its snippets? A refusal holds
    none (its text lists passage titles, which must not count as an answer)."""
    return [not r.refused and any(in_answer(e, r.answer) for e in part) for part in r.parts]


def near_miss_ok(r: QuestionResult) -> bool | None:
    """Was a near-miss question handled (refused, or its missing things named)? None for others."""
    if not r.missing:
        return None
    return near_miss_handled(r.missing, r.not_found, r.refused)


def _mean(values: list) -> float | None:
    return float(np.mean(values)) if values else None


def retrieval_metrics(results: list[QuestionResult]) -> dict:
    rs = [r for r in results if r.answerable]
    if not rs:
        return {"n": 0}
    return {
        "n": len(rs),
        "hit@1": float(np.mean([hit_at(r.relevant, 1) for r in rs])),
        "hit@3": float(np.mean([hit_at(r.relevant, 3) for r in rs])),
        "hit@5": float(np.mean([hit_at(r.relevant, 5) for r in rs])),
        "recall@5": float(np.mean([r.evidence_recall5 for r in rs])),
        "mrr@10": float(np.mean([reciprocal_rank(r.relevant, 10) for r in rs])),
        "ndcg@10": float(np.mean([ndcg_at(r.relevant, 10, r.n_relevant) for r in rs])),
    }


def answer_metrics(results: list[QuestionResult]) -> dict:
    ans = [r for r in results if r.answerable]
    given = [r for r in results if not r.refused]
    mc = [r for r in ans if r.must_contain_total]
    out: dict[str, float | int | None] = {
        "evidence_coverage": float(np.mean([r.cites_relevant for r in ans])) if ans else 0.0,
        "citation_validity": float(np.mean([r.citation_valid for r in given])) if given else 1.0,
        "must_contain": (
            float(sum(r.must_contain_hits for r in mc) / sum(r.must_contain_total for r in mc))
            if mc
            else 0.0
        ),
    }
    # The answer itself: the share of a question's parts it holds evidence for, then the share of
    # multi-part questions it answers completely, and what it says the documents lack.
    answered = [parts_answered(r) for r in ans if r.parts]
    multi = [a for a in answered if len(a) > 1]
    near = [r for r in results if r.missing]
    out |= {
        "answer_recall": _mean([float(np.mean(a)) for a in answered]),
        "part_recall": _mean([all(a) for a in multi]),
        "multi_part": len(multi),
        "near_miss_handled": _mean([near_miss_ok(r) for r in near]),
        "near_miss": len(near),
        "answerable_not_found": _mean([bool(r.not_found) for r in ans]),
    }
    shares = [r.supported_share for r in given if r.supported_share is not None]
    if shares:
        out["supported_sentences"] = float(np.mean(shares))
    if any(r.llm_config for r in results):
        out["fallbacks"] = sum(
            r.llm_config and r.mode == "extractive" and not r.refused for r in results
        )
    return out


def refusal_metrics(results: list[QuestionResult]) -> dict:
    una = [r for r in results if not r.answerable]
    ans = [r for r in results if r.answerable]
    refused = [r for r in results if r.refused]
    true_ref = [r for r in refused if not r.answerable]
    return {
        "unanswerable": len(una),
        "refused": len(refused),
        "precision": len(true_ref) / len(refused) if refused else 1.0,
        "recall": len(true_ref) / len(una) if una else 1.0,
        "false_refusal_rate": sum(r.refused for r in ans) / len(ans) if ans else 0.0,
    }


def latency_metrics(results: list[QuestionResult]) -> dict:
    lat = [r.latency * 1000 for r in results]
    return {"p50_ms": percentile(lat, 50), "p95_ms": percentile(lat, 95)}


def summarize(results: list[QuestionResult], themes: list[str]) -> dict:
    per_lang = {
        lang: retrieval_metrics([r for r in results if r.lang == lang]) for lang in ("nl", "en")
    }
    per_theme = {t: retrieval_metrics([r for r in results if t in r.themes]) for t in themes}
    return {
        "retrieval": retrieval_metrics(results),
        "retrieval_per_lang": per_lang,
        "retrieval_per_theme": {t: m for t, m in per_theme.items() if m.get("n")},
        "answers": answer_metrics(results),
        "answers_per_lang": {
            lang: answer_metrics([r for r in results if r.lang == lang]) for lang in ("nl", "en")
        },
        "refusal": refusal_metrics(results),
        "latency": latency_metrics(results),
    }
