"""Run the gold questions through several configurations and write a report.

Configurations run side by side in one go: ``bm25`` (BM25 only), ``dense`` (dense only) and
``hybrid`` (what ships). With an LLM configured, ``hybrid+llm`` is added (see issue on LLM answers).

>>> report = run_eval(Settings(), load_questions(DEFAULT_QUESTIONS), ["hybrid"])  # doctest: +SKIP
"""

from __future__ import annotations

import datetime as dt
import hashlib
import time
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path

from assistant.answer import Assistant, verify
from ingest.settings import Settings

from .gold import GoldSetError, Question, check_evidence, is_relevant, normalize
from .metrics import QuestionResult, summarize

CONFIGS = ("bm25", "dense", "hybrid")
LLM_CONFIG = "hybrid+llm"  # added when a language model is configured
SHIPPED = "hybrid"
TOP_K = 10

# What the regression gate and --compare look at (higher is better unless listed in LOWER_BETTER).
KEY_METRICS = [
    ("retrieval", "hit@5"),
    ("retrieval", "mrr@10"),
    ("retrieval", "ndcg@10"),
    ("answers", "evidence_coverage"),
    ("answers", "citation_validity"),
    ("answers", "must_contain"),
    ("refusal", "recall"),
    ("refusal", "precision"),
    ("refusal", "false_refusal_rate"),
]
LOWER_BETTER = {("refusal", "false_refusal_rate")}


def _run_one(assistant: Assistant, q: Question, mode: str, n_relevant: int) -> QuestionResult:
    t0 = time.perf_counter()
    llm = mode == LLM_CONFIG
    r = assistant.search(q.question, k=TOP_K, mode="hybrid" if llm else mode)
    ans = assistant.generate(q.question, r) if llm else assistant.answer(q.question, r)
    latency = time.perf_counter() - t0
    relevant = [is_relevant(q, p.text) for p in r.passages]
    top5 = [normalize(p.text) for p in r.passages[:5]]
    recall5 = (
        sum(any(normalize(e) in t for t in top5) for e in q.evidence) / len(q.evidence)
        if q.evidence
        else 0.0
    )
    problems = verify(ans) if not ans.refused else []
    text = normalize(ans.text)
    return QuestionResult(
        id=q.id,
        question=q.question,
        lang=q.lang,
        answerable=q.answerable,
        themes=q.themes,
        relevant=relevant,
        evidence_recall5=recall5,
        n_relevant=n_relevant,
        retrieved=[
            {
                "id": p.id,
                "title": p.title,
                "section": p.section,
                "kind": p.kind,
                "score": round(p.score or 0.0, 5),
                "relevant": rel,
                "text": p.text[:160],
            }
            for p, rel in zip(r.passages, relevant)
        ],
        refused=ans.refused,
        answer=ans.text,
        cites_relevant=(not ans.refused and any(is_relevant(q, p.text) for p in ans.citations)),
        citation_valid=not problems,
        citation_problems=problems,
        must_contain_hits=sum(normalize(m) in text for m in q.must_contain)
        if not ans.refused
        else 0,
        must_contain_total=len(q.must_contain),
        latency=latency,
        evidence=ans.evidence_detail,
        notice=ans.notice,
        mode=ans.mode,
        llm_config=llm,
        supported_share=(
            sum(s.support == "supported" for s in ans.sentences) / len(ans.sentences)
            if llm and ans.sentences and ans.mode == "llm"
            else None
        ),
    )


def run_eval(
    settings: Settings,
    questions: list[Question],
    configs: list[str] | tuple[str, ...] = CONFIGS,
    assistant: Assistant | None = None,
    progress: Callable[[str], None] | None = None,
    questions_path: Path | None = None,
) -> dict:
    """Evaluate every configuration on every question; returns the report as a dict."""
    assistant = assistant or Assistant(settings)
    if assistant.llm is not None and tuple(configs) == CONFIGS:
        configs = [*CONFIGS, LLM_CONFIG]  # generated answers are measured beside the quoted ones
    passages = assistant.store.all_passages()
    problems = check_evidence(questions, passages, questions_path)
    if problems:
        raise GoldSetError("De gold set past niet bij de index:\n" + "\n".join(problems))
    n_rel = {q.id: sum(is_relevant(q, p.text) for p in passages) for q in questions}
    # Warm up: the first call loads the model and BM25; that is not a per-question cost.
    assistant.search("warm-up", k=1)
    taxonomy = assistant.taxonomy
    results: dict[str, list[QuestionResult]] = {}
    for mode in configs:
        if progress:
            progress(f"configuratie {mode}: {len(questions)} vragen")
        results[mode] = [_run_one(assistant, q, mode, n_rel[q.id]) for q in questions]
    docs: dict[str, str] = {}
    for p in passages:
        docs.setdefault(p.doc_id, p.title)
    qpath = questions_path
    return {
        "date": dt.datetime.now().isoformat(timespec="seconds"),
        "questions": {
            "file": str(qpath) if qpath else "",
            "sha256": hashlib.sha256(qpath.read_bytes()).hexdigest()[:16] if qpath else "",
            "n": len(questions),
            "answerable": sum(q.answerable for q in questions),
            "per_lang": {lang: sum(q.lang == lang for q in questions) for lang in ("nl", "en")},
        },
        "corpus": {
            "documents": docs,
            "passages": len(passages),
            "collection": assistant.store.name,
        },
        "model": {
            "embedder": assistant.embedder.id,
            "calibration": asdict(assistant.calibration),
            "llm": (assistant.llm.model_name if assistant.llm is not None else None),
        },
        "shipped": SHIPPED,
        "configs": {mode: summarize(rs, taxonomy.theme_keys) for mode, rs in results.items()},
        "per_question": {mode: [asdict(r) for r in rs] for mode, rs in results.items()},
    }


def get_metric(report: dict, config: str, group: str, name: str) -> float | None:
    return report.get("configs", {}).get(config, {}).get(group, {}).get(name)


def compare(new: dict, old: dict, tolerance: float) -> list[dict]:
    """Deltas of the key metrics per configuration; ``regressed`` when worse beyond tolerance."""
    rows = []
    for config in new.get("configs", {}):
        for group, name in KEY_METRICS:
            a, b = get_metric(old, config, group, name), get_metric(new, config, group, name)
            if a is None or b is None:
                continue
            delta = b - a
            worse = -delta if (group, name) not in LOWER_BETTER else delta
            rows.append(
                {
                    "config": config,
                    "metric": f"{group}.{name}",
                    "old": a,
                    "new": b,
                    "delta": delta,
                    "regressed": worse > tolerance,
                }
            )
    return rows
