"""Run question sets through several configurations and write a report.

Configurations run side by side in one go: ``bm25`` (BM25 only), ``dense`` (dense only),
``hybrid`` (what ships: hybrid retrieval answered by the assistant's composer, whatever it is
now) and ``quotes-v1`` (the same retrieval answered by the first release's composer, a frozen
parameter set of the shared code: the baseline any composer change is measured against). With an
LLM configured, ``hybrid+llm`` is added.

Several question sets (by default the held-out ``gold`` and ``hard`` sets) are run in one go and
reported apart: ``report["sets"][name]`` holds the set's questions, its summary per configuration
and the per-question details.

>>> report = run_eval(Settings(), load_sets(HELD_OUT), ["hybrid"])  # doctest: +SKIP
"""

from __future__ import annotations

import datetime as dt
import hashlib
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict
from pathlib import Path

from assistant.answer import Assistant, verify
from assistant.compose import QUOTES_V1_COMPOSER, QuoteComposer
from assistant.records import Answer
from assistant.retrieve import Filters, Retrieval
from ingest.settings import Settings

from .gold import (
    GoldSetError,
    Question,
    QuestionSet,
    check_evidence,
    is_relevant,
    normalize,
    set_name,
)
from .metrics import QuestionResult, near_miss_ok, parts_answered, summarize

QUOTES_V1 = "quotes-v1"  # hybrid retrieval, the first release's composer (the baseline)
CONFIGS = ("bm25", "dense", "hybrid", QUOTES_V1)
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
    ("answers", "answer_recall"),
    ("answers", "part_recall"),
    ("answers", "near_miss_handled"),
    ("answers", "answerable_not_found"),
    ("refusal", "recall"),
    ("refusal", "precision"),
    ("refusal", "false_refusal_rate"),
]
LOWER_BETTER = {("refusal", "false_refusal_rate"), ("answers", "answerable_not_found")}

Answerer = Callable[[str, Retrieval], Answer]


def _answerers(assistant: Assistant, configs: Sequence[str]) -> dict[str, tuple[str, Answerer]]:
    """Per configuration: the retrieval mode and what turns a retrieval into an answer."""
    v1 = QuoteComposer(
        assistant.store, assistant.calibration, QUOTES_V1_COMPOSER, assistant.retriever.bm25_weight
    )
    out: dict[str, tuple[str, Answerer]] = {}
    for mode in configs:
        if mode == LLM_CONFIG:
            out[mode] = ("hybrid", assistant.generate)
        elif mode == QUOTES_V1:
            out[mode] = ("hybrid", v1.answer)
        else:
            out[mode] = (mode, assistant.answer)
    return out


def _run_one(
    assistant: Assistant,
    q: Question,
    mode: str,
    n_relevant: int,
    search_mode: str,
    answer: Answerer,
    set_name: str,
    filters: Filters | None = None,
) -> QuestionResult:
    t0 = time.perf_counter()
    llm = mode == LLM_CONFIG
    r = assistant.search(q.question, k=TOP_K, filters=filters, mode=search_mode)
    ans = answer(q.question, r)
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
        set=set_name,
        parts=q.answer_parts,
        missing=q.missing,
        not_found=list(ans.not_found),
    )


def _details(r: QuestionResult) -> dict:
    """A question's row in the report: what was measured, and the per-question verdicts."""
    return {**asdict(r), "parts_answered": parts_answered(r), "near_miss_handled": near_miss_ok(r)}


def _about(qs: QuestionSet) -> dict:
    path = qs.path
    questions = qs.questions
    return {
        "file": str(path) if path else "",
        "sha256": hashlib.sha256(path.read_bytes()).hexdigest()[:16] if path else "",
        "n": len(questions),
        "answerable": sum(q.answerable for q in questions),
        "per_lang": {lang: sum(q.lang == lang for q in questions) for lang in ("nl", "en")},
        "multi_part": sum(len(q.parts) > 1 for q in questions),
        "near_miss": sum(bool(q.missing) for q in questions),
    }


def run_eval(
    settings: Settings,
    questions: Sequence[QuestionSet] | list[Question],
    configs: Sequence[str] = CONFIGS,
    assistant: Assistant | None = None,
    progress: Callable[[str], None] | None = None,
    questions_path: Path | None = None,
    filters: Filters | None = None,
) -> dict:
    """Evaluate every configuration on every question set; returns the report as a dict.

    ``questions`` is a list of sets, or one list of questions (a single set named after
    ``questions_path``). ``filters`` limits the index to part of it (the web app measures the
    shipped documents without the user's uploads this way).
    """
    sets = _as_sets(questions, questions_path)
    assistant = assistant or Assistant(settings)
    if assistant.llm is not None and tuple(configs) == CONFIGS:
        configs = [*CONFIGS, LLM_CONFIG]  # generated answers are measured beside the quoted ones
    passages = [p for p in assistant.store.all_passages() if not filters or filters.match(p)]
    problems = [p for qs in sets for p in check_evidence(qs.questions, passages, qs.path)]
    if problems:
        raise GoldSetError("De gold set past niet bij de index:\n" + "\n".join(problems))
    # Warm up: the first call loads the model and BM25; that is not a per-question cost.
    assistant.search("warm-up", k=1)
    answerers = _answerers(assistant, configs)
    themes = assistant.taxonomy.theme_keys
    report_sets = {}
    for qs in sets:
        n_rel = {q.id: sum(is_relevant(q, p.text) for p in passages) for q in qs.questions}
        results: dict[str, list[QuestionResult]] = {}
        for mode in configs:
            if progress:
                progress(f"{qs.name}: configuratie {mode}: {len(qs.questions)} vragen")
            search_mode, answer = answerers[mode]
            results[mode] = [
                _run_one(assistant, q, mode, n_rel[q.id], search_mode, answer, qs.name, filters)
                for q in qs.questions
            ]
        report_sets[qs.name] = {
            "questions": _about(qs),
            "configs": {mode: summarize(rs, themes) for mode, rs in results.items()},
            "per_question": {mode: [_details(r) for r in rs] for mode, rs in results.items()},
        }
    docs: dict[str, str] = {}
    for p in passages:
        docs.setdefault(p.doc_id, p.title)
    return {
        "date": dt.datetime.now().isoformat(timespec="seconds"),
        "sets": report_sets,
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
        "baseline": QUOTES_V1,
        "configurations": list(configs),
    }


def _as_sets(
    questions: Sequence[QuestionSet] | list[Question], path: Path | None
) -> list[QuestionSet]:
    if all(isinstance(q, QuestionSet) for q in questions):
        return [q for q in questions if isinstance(q, QuestionSet)]
    qs = [q for q in questions if isinstance(q, Question)]
    return [QuestionSet(set_name(path) if path else "vragen", qs, path)]


def report_sets(report: dict) -> dict[str, dict]:
    """The report's sets; a report written before sets existed is one set, named by its file."""
    if "sets" in report:
        return report["sets"]
    if "configs" not in report:
        return {}
    file = report.get("questions", {}).get("file", "")
    name = set_name(Path(file)) if file else "vragen"
    return {
        name: {
            "questions": report.get("questions", {}),
            "configs": report["configs"],
            "per_question": report.get("per_question", {}),
        }
    }


def get_metric(report: dict, set_: str, config: str, group: str, name: str) -> float | None:
    return (
        report_sets(report)
        .get(set_, {})
        .get("configs", {})
        .get(config, {})
        .get(group, {})
        .get(name)
    )


def compare(new: dict, old: dict, tolerance: float) -> list[dict]:
    """Deltas of the key metrics per set and configuration; ``regressed`` when worse beyond
    tolerance. Sets or configurations that only one of the two reports has are skipped."""
    rows = []
    old_sets = report_sets(old)
    for set_, data in report_sets(new).items():
        if set_ not in old_sets:
            continue
        for config in data.get("configs", {}):
            for group, name in KEY_METRICS:
                a = get_metric(old, set_, config, group, name)
                b = get_metric(new, set_, config, group, name)
                if a is None or b is None:
                    continue
                delta = b - a
                worse = -delta if (group, name) not in LOWER_BETTER else delta
                rows.append(
                    {
                        "set": set_,
                        "config": config,
                        "metric": f"{group}.{name}",
                        "old": a,
                        "new": b,
                        "delta": delta,
                        "regressed": worse > tolerance,
                    }
                )
    return rows
