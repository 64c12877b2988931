"""Fit the composer's sentence scorer on the development questions (never on the gold sets).

The shipped scorer (``assistant.quotes.ANSWERS_V2_SCORING``) and composer
(``assistant.compose.ANSWERS_V2``) were chosen with this script:

1. For every answerable development question (evals/dev_questions.jsonl and
   evals/hard_dev_questions.jsonl) and every part of it, the sentences of the top passages are
   scored with all the scorer's features (``Quote.features``); the sentences that contain one of
   the part's evidence snippets are the ones to rank first.
2. A linear scorer is fitted listwise (softmax over each part's sentences, L2-regularised) and
   cross-validated (5 folds): how often the answering sentence is the best, or among the best 2
   and 3, compared with similarity alone.
3. The weights are printed as a ``ScoringParams`` (in units of similarity, so the composer's
   windows keep their meaning), and a small grid of the composer's selection settings (sentences
   per part, windows, length) is run through the real composer with those weights.

    .venv/bin/python -m evals.tune_composer --data-dir /tmp/tune-data   # ingests when empty

Held-out figures come from ``inclusie eval`` afterwards, once.
"""

from __future__ import annotations

import argparse
import dataclasses
import itertools
import json
import re
import time
from pathlib import Path
from typing import Any

import numpy as np

from assistant.answer import Assistant
from assistant.compose import ANSWERS_V2, ComposeParams, QuoteComposer
from assistant.question import split_parts
from assistant.quotes import ScoringParams, score_sentences
from ingest.settings import Settings

from .gold import DEV_QUESTIONS, Question, load_questions

HARD_DEV = Path(__file__).with_name("hard_dev_questions.jsonl")

FEATURES = (
    "sim_query",
    "sim_context",
    "overlap",
    "idf_overlap",
    "names",
    "kind_fit",
    "lean",
    "forward",
    "question",
    "short",
    "first",
    "log_length",
    "rank",
    "tip",
    "example",
    "passage_score",
    "neighbour_sim",
)
# Every feature computed, none weighted: what the fit looks at.
_ALL = ScoringParams(
    "features", w_overlap=1e-9, w_idf=1e-9, w_names=1e-9, min_words=4, skip_headings=True
)


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"\[\d+\]", " ", text).lower()).strip()


def _raw(paths: list[Path]) -> dict[str, dict]:
    """The question records as written (the schema fields ``parts`` and ``missing`` included)."""
    out = {}
    for path in paths:
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                rec = json.loads(line)
                out[rec["id"]] = rec
    return out


class _CachedStore:
    """The store, with sentence vectors remembered (the tuning loop asks for them again)."""

    def __init__(self, store):
        self._store = store
        self._cache: dict[tuple[str, ...], dict] = {}

    def sentence_vectors(self, ids):
        key = tuple(ids)
        if key not in self._cache:
            self._cache[key] = self._store.sentence_vectors(list(ids))
        return self._cache[key]

    def __getattr__(self, name):
        return getattr(self._store, name)


class _CachedEmbedder:
    def __init__(self, embedder):
        self._embedder = embedder
        self._cache: dict[str, Any] = {}

    def embed_queries(self, texts):
        missing = [t for t in texts if t not in self._cache]
        if missing:
            for t, v in zip(missing, self._embedder.embed_queries(missing), strict=True):
                self._cache[t] = v
        return [self._cache[t] for t in texts]


def collect(a: Assistant, cases, raw, store, embedder, pool: int) -> list[tuple]:
    """Per (question, part): the feature matrix of the candidate sentences and the labels."""
    facts = a._index_facts()
    groups = []
    for q, r in cases:
        if not q.answerable:
            continue
        gold_parts = raw[q.id].get("parts") or [q.evidence]
        top = r.passages[:pool]
        vectors = store.sentence_vectors([p.id for p in top])
        parts = split_parts(r.question)
        aligned = len(parts) == len(gold_parts) and len(parts) > 1
        part_vecs = embedder.embed_queries([p.text for p in parts]) if aligned else []
        for i, gold in enumerate(gold_parts):
            text = parts[i].text if aligned else r.question
            vec = part_vecs[i] if aligned else r.query_vector
            quotes = score_sentences(
                text,
                vec,
                top,
                vectors,
                _ALL,
                context_vector=r.query_vector if aligned else None,
                asks=parts[i].asks if aligned else parts[0].asks if len(parts) == 1 else None,
                extra_terms=r.expanded_terms,
                idf=facts.idf,
            )
            if not quotes:
                continue
            x = np.array(
                [[c.features.get(f, c.features["sim_query"]) for f in FEATURES] for c in quotes]
            )
            y = np.array([any(_norm(e) in _norm(c.text) for e in gold) for c in quotes])
            if y.any():
                groups.append((q.id, x, y))
    return groups


def fit_listwise(groups, l2: float = 0.01, steps: int = 800, lr: float = 0.5):
    """Weights (on standardised features) that put each part's answering sentences first."""
    allx = np.vstack([g[1] for g in groups])
    mu, sd = allx.mean(0), allx.std(0) + 1e-9
    w = np.zeros(allx.shape[1])
    for _ in range(steps):
        grad = l2 * w
        for _, x, y in groups:
            z = (x - mu) / sd
            s = z @ w
            p = np.exp(s - s.max())
            p /= p.sum()
            target = p[y] / p[y].sum()
            grad += (p @ z - target @ z[y]) / len(groups)
        w -= lr * grad
    return w / sd  # weights on the raw features


def top_k(groups, w, k: int) -> float:
    return float(np.mean([y[np.argsort(-(x @ w), kind="stable")[:k]].any() for _, x, y in groups]))


def as_params(w: np.ndarray, base: ScoringParams) -> ScoringParams:
    """The fitted weights as a ScoringParams, in units of similarity."""
    v = dict(zip(FEATURES, w.tolist(), strict=True))
    scale = v["sim_query"] + v["sim_context"]
    r = {k: round(x / scale, 4) for k, x in v.items()}
    return dataclasses.replace(
        base,
        w_context=r["sim_context"],
        w_overlap=r["overlap"],
        w_idf=r["idf_overlap"],
        w_names=r["names"],
        w_kind=r["kind_fit"],
        p_lean=-r["lean"],
        p_forward=-r["forward"],
        p_question=-r["question"],
        p_short=-r["short"],
        p_first=-r["first"],
        w_length=r["log_length"],
        rank_penalty=-r["rank"],
        kind_bonus=(("tip", r["tip"]), ("praktijkvoorbeeld", r["example"])),
        w_passage=r["passage_score"],
        w_neighbour=r["neighbour_sim"],
    )


def score(composer: QuoteComposer, cases, raw) -> dict:
    """Answer recall (per part), part recall, false refusals, not_found and near-misses."""
    ar, pr, refused, nf, handled, n = [], [], [], [], [], []
    for q, r in cases:
        ans = composer.answer(q.question, r)
        text = "" if ans.refused else _norm(ans.text)
        rec = raw[q.id]
        if q.answerable:
            parts = rec.get("parts") or [q.evidence]
            got = [any(_norm(e) in text for e in part) for part in parts]
            ar.append(sum(got) / len(got))
            if len(parts) > 1:
                pr.append(all(got))
            refused.append(ans.refused)
            nf.append(bool(ans.not_found))
            n.append(len(ans.sentences))
        elif rec.get("missing"):
            handled.append(ans.refused or bool(ans.not_found))

    def mean(xs):
        return float(np.mean(xs)) if xs else float("nan")

    return {
        "answer_recall": mean(ar),
        "part_recall": mean(pr),
        "false_refusals": mean(refused),
        "answerable_not_found": mean(nf),
        "near_miss_handled": mean(handled),
        "quotes": mean(n),
    }


SELECTION_GRID = {
    "per_part": (1, 2),
    "part_window": (0.05,),
    "window": (0.12, 0.2, 1.0),
    "max_sentences": (5, 6),
    "max_per_passage": (2, 3, 4),
}


def main() -> None:
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    ap.add_argument("--data-dir", type=Path, default=Path("data"))
    ap.add_argument("--top", type=int, default=10)
    ap.add_argument(
        "--pool", type=int, default=ANSWERS_V2.pool, help="top passages the sentences come from"
    )
    args = ap.parse_args()
    settings = Settings(data_dir=args.data_dir)
    a = Assistant(settings)
    if a.store.count() == 0:
        from ingest.pipeline import ingest_paths

        ingest_paths([settings.corpus_dir], settings, embedder=a.embedder, taxonomy=a.taxonomy)
        a.retriever.refresh()
    paths = [DEV_QUESTIONS, HARD_DEV]
    questions: list[Question] = [q for path in paths for q in load_questions(path)]
    raw = _raw(paths)
    t0 = time.perf_counter()
    cases = [(q, a.search(q.question)) for q in questions]
    store, embedder = _CachedStore(a.store), _CachedEmbedder(a.embedder)
    print(f"{len(cases)} development questions retrieved in {time.perf_counter() - t0:.1f} s")

    groups = collect(a, cases, raw, store, embedder, args.pool)
    sim_only = np.zeros(len(FEATURES))
    sim_only[0] = 1.0
    folds = np.array_split(np.random.default_rng(0).permutation(len(groups)), 5)
    cv = {1: 0.0, 2: 0.0, 3: 0.0}
    for fold in folds:
        test = set(fold.tolist())
        w = fit_listwise([g for i, g in enumerate(groups) if i not in test])
        held = [g for i, g in enumerate(groups) if i in test]
        for k in cv:
            cv[k] += top_k(held, w, k) * len(held) / len(groups)
    print(f"{len(groups)} question parts with an answering sentence among the candidates")
    for k in cv:
        print(
            f"  answering sentence in the best {k}: similarity only "
            f"{top_k(groups, sim_only, k):.2f}, fitted (5-fold cross-validated) {cv[k]:.2f}"
        )
    fitted = as_params(fit_listwise(groups), ANSWERS_V2.scoring)
    print("fitted scorer:", fitted)

    def composer(params: ComposeParams) -> QuoteComposer:
        return QuoteComposer(
            store,  # type: ignore[arg-type]
            a.calibration,
            params,
            a.retriever.bm25_weight,
            embedder=embedder,  # type: ignore[arg-type]
            index_facts=a._index_facts,
            aliases=a._aliases,
        )

    shipped = score(composer(ANSWERS_V2), cases, raw)
    print("shipped composer:", {k: round(v, 3) for k, v in shipped.items()})
    rows = []
    keys = list(SELECTION_GRID)
    for values in itertools.product(*(SELECTION_GRID[k] for k in keys)):
        setting = dict(zip(keys, values, strict=True))
        params = dataclasses.replace(ANSWERS_V2, scoring=fitted, pool=args.pool)
        params = dataclasses.replace(params, **setting)  # type: ignore[arg-type]
        rows.append((score(composer(params), cases, raw), setting))
    rows.sort(key=lambda r: (-r[0]["answer_recall"], r[0]["quotes"]))
    print("fitted scorer, selection settings by answer recall:")
    for figures, setting in rows[: args.top]:
        print(" ", {k: round(v, 3) for k, v in figures.items()}, setting)


if __name__ == "__main__":
    main()
