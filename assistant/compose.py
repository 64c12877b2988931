"""Quoted answers: choose verbatim sentences of the best passages, or refuse.

The composer scores the sentences of the top passages against the question (the shared scorer in
``assistant.quotes``), decides from the evidence whether the documents answer it at all (the
refusal model in ``Calibration``, fitted on the development questions), and groups the chosen
sentences per passage, numbering the passages in order of first use. Every quote is an exact
slice of the passage it cites.

What the composer does is a ``ComposeParams`` value: the scorer's parameters and how many
passages and sentences it draws on. ``QUOTES_V1_COMPOSER`` is the composer of the first release,
kept as the eval's baseline configuration.

>>> QUOTES_V1_COMPOSER.scoring.name, QUOTES_V1_COMPOSER.max_sentences
('quotes-v1', 4)
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from ingest.passage import Passage
from ingest.store import Store

from .answer_type import expected_type, satisfies
from .calibrated import load_fitted
from .quotes import QUOTES_V1, Quote, ScoringParams, score_sentences
from .records import Answer, CitedSentence, Evidence
from .render import refusal_text, render_quoted
from .retrieve import Filters, Retrieval
from .wording import TEXTS

CALIBRATION_FILE = Path(__file__).with_name("calibration.json")


@dataclass
class Calibration:
    """Refusal model, fitted on the development questions (evals/dev_questions.jsonl).

    evidence = w_passage * best passage similarity + (1 - w_passage) * best sentence similarity
               + w_coverage * BM25 coverage (Dutch questions only)
    The question is refused when evidence < threshold[lang], or when it asks for a kind of fact
    (an amount, a count, a date, ...) that none of the best sentences contains.
    """

    threshold_nl: float = 0.86
    threshold_en: float = 0.82
    w_passage: float = 0.5
    w_coverage: float = 0.05
    sentence_window: float = 0.04  # sentences this close to the best one may join the answer
    source: str = "defaults"

    @classmethod
    def load(cls, path: Path = CALIBRATION_FILE) -> Calibration:
        return load_fitted(cls, path)

    def threshold(self, lang: str) -> float:
        return self.threshold_en if lang == "en" else self.threshold_nl


@dataclass(frozen=True)
class ComposeParams:
    """How a quoted answer is put together (a named, frozen configuration)."""

    name: str
    scoring: ScoringParams
    passages: int = 3  # sentences are taken from this many top passages
    max_sentences: int = 4
    max_per_passage: int = 2


QUOTES_V1_COMPOSER = ComposeParams("quotes-v1", QUOTES_V1)


def refusal(
    question: str,
    lang: str,
    related: list[Passage],
    evidence: float,
    detail: dict,
    filters: dict,
    timings: dict,
) -> Answer:
    """'Not in the documents', in the question's language, with the nearest passages."""
    return Answer(
        question,
        lang,
        True,
        refusal_text(lang, related),
        related=related,
        evidence=evidence,
        evidence_detail=detail,
        filters=filters,
        timings=timings,
    )


class QuoteComposer:
    """Extractive answers for a retrieval: quotes, or a refusal when the evidence is weak."""

    def __init__(
        self,
        store: Store,
        calibration: Calibration,
        params: ComposeParams = QUOTES_V1_COMPOSER,
        bm25_weight: float = 1.0,
    ):
        self.store = store
        self.calibration = calibration
        self.params = params
        self.bm25_weight = bm25_weight  # the retriever's full BM25 weight (coverage = share of it)

    def answer(self, question: str, r: Retrieval, filters: Filters | None = None) -> Answer:
        """Compose the answer for retrieved passages (``ask`` without the search)."""
        t0 = time.perf_counter()
        filters = filters or Filters()
        lang = r.lang
        if not r.passages:
            msg = TEXTS[lang]["filtered" if filters else "empty"]
            return Answer(question, lang, True, msg, filters=filters.as_dict())
        # Score against the question that was searched for (standalone after a follow-up).
        candidates = self.candidates(r.question, r)
        ev = self.evidence(r.question, r, candidates)
        timings = {"select": time.perf_counter() - t0}
        if ev.score < self.calibration.threshold(lang) or not ev.type_found or not candidates:
            return refusal(
                question, lang, r.passages[:3], ev.score, ev.as_dict(), filters.as_dict(), timings
            )
        sentences, citations = self.choose(candidates)
        return Answer(
            question=question,
            lang=lang,
            refused=False,
            text=render_quoted(lang, sentences, citations),
            sentences=sentences,
            citations=citations,
            evidence=ev.score,
            evidence_detail=ev.as_dict(),
            filters=filters.as_dict(),
            timings=timings,
        )

    def candidates(self, question: str, r: Retrieval) -> list[Quote]:
        """Sentences of the top passages, scored against the question, best first."""
        top = r.passages[: self.params.passages]
        vectors = self.store.sentence_vectors([p.id for p in top])
        return score_sentences(question, r.query_vector, top, vectors, self.params.scoring)

    def evidence(self, question: str, r: Retrieval, candidates: list[Quote]) -> Evidence:
        """How strongly the best passages answer the question (compared with the threshold)."""
        cal = self.calibration
        passage_best = max(
            (r.similarity.get(p.id, 0.0) for p in r.passages[: self.params.passages]), default=0.0
        )
        sentence_best = max((c.sim for c in candidates), default=0.0)
        coverage = r.bm25_weight / self.bm25_weight if r.lang == "nl" and self.bm25_weight else 0.0
        kind = expected_type(question)
        type_found = any(satisfies(kind, c.text) for c in candidates[:5])
        score = (
            cal.w_passage * passage_best
            + (1 - cal.w_passage) * sentence_best
            + cal.w_coverage * coverage
        )
        return Evidence(passage_best, sentence_best, coverage, kind, type_found, score)

    def choose(self, candidates: list[Quote]) -> tuple[list[CitedSentence], list[Passage]]:
        """Take the best sentences, group them per passage and number the passages."""
        best = candidates[0].score
        chosen: list[Quote] = []
        per_passage: dict[str, int] = {}
        for c in candidates:
            if len(chosen) >= self.params.max_sentences or (
                chosen and c.score < best - self.calibration.sentence_window
            ):
                break
            if per_passage.get(c.passage.id, 0) >= self.params.max_per_passage:
                continue
            chosen.append(c)
            per_passage[c.passage.id] = per_passage.get(c.passage.id, 0) + 1
        # Passages in rank order, sentences in text order; passages numbered by first use.
        chosen.sort(key=lambda c: (c.rank, c.start))
        citations: list[Passage] = []
        numbers: dict[str, int] = {}
        out: list[CitedSentence] = []
        for c in chosen:
            if c.passage.id not in numbers:
                citations.append(c.passage)
                numbers[c.passage.id] = len(citations)
            out.append(
                CitedSentence(c.text, numbers[c.passage.id], c.passage.id, c.start, c.end, c.score)
            )
        return out, citations
