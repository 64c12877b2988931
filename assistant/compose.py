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
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from ingest.embeddings import Embedder
from ingest.passage import Passage
from ingest.sentences import looks_like_heading
from ingest.store import Store

from .answer_type import expected_type, satisfies
from .calibrated import load_fitted
from .glossary import Glossary
from .question import asks, leans_back, split_parts
from .quotes import ANSWERS_V2_SCORING, QUOTES_V1, Quote, ScoringParams, score_sentences
from .records import Answer, CitedSentence, Evidence
from .render import refusal_text, render_quoted
from .retrieve import Filters, Retrieval
from .specifics import IndexFacts, Specific, find_specifics, folded, not_found
from .text import analyze
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
    """How a quoted answer is put together (a named, frozen configuration).

    ``passages``: the refusal model looks at the sentences of this many top passages.
    ``pool``: sentences are chosen from this many top passages.
    ``window``: sentences within this score of the best one may join (None: the calibrated
    ``sentence_window``). ``split_parts``: answer each part of a multi-part question with its
    own ``per_part`` sentences (each within ``part_window`` of the part's best). ``complete``:
    quote the sentence before one that points back at it. ``near_miss``: name the specific
    things the question asks about that the documents do not hold (``assistant.specifics``).
    ``part_floor``: a part whose best sentence is this far under the refusal threshold is named
    as unanswered. ``say_filters``: the answer says which filters it was searched within.
    ``key_terms``: an English answer glosses the Dutch terms its quotes use (the glossary).
    """

    name: str
    scoring: ScoringParams
    passages: int = 3
    pool: int = 3
    max_sentences: int = 4
    max_per_passage: int = 2
    window: float | None = None
    split_parts: bool = False
    per_part: int = 0
    part_window: float = 0.0
    complete: bool = False
    near_miss: bool = False
    part_floor: float | None = None
    say_filters: bool = False
    key_terms: bool = False


QUOTES_V1_COMPOSER = ComposeParams("quotes-v1", QUOTES_V1)

# The shipped composer, tuned on the development questions only (evals/dev_questions.jsonl and
# evals/hard_dev_questions.jsonl; see evals/tune_composer.py for the search and its figures).
ANSWERS_V2 = ComposeParams(
    "answers-v2",
    ANSWERS_V2_SCORING,
    pool=5,
    max_sentences=6,
    max_per_passage=4,
    window=0.2,
    split_parts=True,
    per_part=2,
    part_window=0.05,
    complete=True,
    near_miss=True,
    part_floor=0.08,
    say_filters=True,
    key_terms=True,
)


def _extra_terms(r: Retrieval) -> list[str]:
    """Dutch terms that stand for an English question's words (the glossary), if any."""
    return list(getattr(r, "expanded_terms", None) or [])


def refusal(
    question: str,
    lang: str,
    related: list[Passage],
    evidence: float,
    detail: dict,
    filters: dict,
    timings: dict,
    not_found: list[str] | None = None,
) -> Answer:
    """'Not in the documents', in the question's language, with the nearest passages."""
    return Answer(
        question,
        lang,
        True,
        refusal_text(lang, related, not_found or []),
        related=related,
        evidence=evidence,
        evidence_detail=detail,
        filters=filters,
        timings=timings,
        not_found=list(not_found or []),
    )


class QuoteComposer:
    """Extractive answers for a retrieval: quotes, or a refusal when the evidence is weak.

    ``embedder`` embeds the parts of a multi-part question; ``index_facts`` returns what the
    whole index holds (for the near-miss check); ``aliases`` the other names a region is known
    by. All three are only needed by parameter sets that use them.
    """

    def __init__(
        self,
        store: Store,
        calibration: Calibration,
        params: ComposeParams = QUOTES_V1_COMPOSER,
        bm25_weight: float = 1.0,
        *,
        embedder: Embedder | None = None,
        index_facts: Callable[[], IndexFacts] | None = None,
        aliases: Callable[[Specific], list[str]] | None = None,
        known_words: frozenset[str] = frozenset(),
        glossary: Glossary | None = None,
    ):
        self.store = store
        self.calibration = calibration
        self.params = params
        self.bm25_weight = bm25_weight  # the retriever's full BM25 weight (coverage = share of it)
        self.embedder = embedder
        self.index_facts = index_facts
        self.aliases = aliases
        self.known_words = known_words  # capitalised words that are no names (the glossary's)
        self.glossary = glossary

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
        missing = self.not_found(r) if self.params.near_miss else []
        timings = {"select": time.perf_counter() - t0}
        if ev.score < self.calibration.threshold(lang) or not ev.type_found or not candidates:
            return refusal(
                question,
                lang,
                r.passages[:3],
                ev.score,
                ev.as_dict(),
                filters.as_dict(),
                timings,
                missing,
            )
        sentences, citations, unanswered = self.compose(r, candidates)
        terms = self.key_terms(sentences) if lang == "en" else []
        timings = {"select": time.perf_counter() - t0}
        return Answer(
            question=question,
            lang=lang,
            refused=False,
            text=render_quoted(
                lang,
                sentences,
                citations,
                not_found=missing,
                unanswered=unanswered,
                filters=filters.as_dict() if self.params.say_filters else None,
                key_terms=terms,
            ),
            sentences=sentences,
            citations=citations,
            evidence=ev.score,
            evidence_detail=ev.as_dict(),
            filters=filters.as_dict(),
            timings=timings,
            not_found=missing,
            unanswered=unanswered,
            key_terms=terms,
        )

    def key_terms(self, sentences: list[CitedSentence]) -> list[tuple[str, str]]:
        """Dutch words in the quotes an English reader may not know, with their gloss.

        Words that occur in most passages ("gemeente", "onderwijs") are no key terms; at most
        eight, in the order the quotes use them.
        """
        if self.glossary is None or not self.params.key_terms:
            return []
        pairs = self.glossary.key_terms([s.text for s in sentences])
        if self.index_facts is not None:
            facts = self.index_facts()
            common = 0.4 * facts.passages

            def rare(nl: str) -> bool:
                stems = analyze(nl)
                return not stems or min(facts.stem_df.get(s, 0) for s in stems) <= common

            pairs = [(nl, en) for nl, en in pairs if rare(nl)]
        return pairs[:8]

    def candidates(self, question: str, r: Retrieval) -> list[Quote]:
        """Sentences of the top passages, scored as the refusal model sees them, best first."""
        top = r.passages[: self.params.passages]
        vectors = self.store.sentence_vectors([p.id for p in top])
        return score_sentences(question, r.query_vector, top, vectors, QUOTES_V1)

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

    def not_found(self, r: Retrieval) -> list[str]:
        """The specific things the question names that the documents do not hold."""
        specifics = find_specifics(r.question, self.known_words)
        if not specifics or self.index_facts is None:
            return []
        answer_texts = [folded(p.text) for p in r.passages[: self.params.pool]]
        return not_found(specifics, self.index_facts(), answer_texts, self.aliases)

    def compose(
        self, r: Retrieval, evidence_candidates: list[Quote]
    ) -> tuple[list[CitedSentence], list[Passage], list[str]]:
        """Choose the quotes, number their passages; also the parts no sentence answers."""
        p = self.params
        if p.scoring == QUOTES_V1 and p.pool == p.passages and not p.split_parts:
            overall = evidence_candidates  # the first release: the same scores, no re-scoring
            parts_quotes: list[list[Quote]] = []
            unanswered: list[str] = []
        else:
            overall, parts_quotes, unanswered = self._score_parts(r)
        chosen = self.choose(overall, parts_quotes)
        return (*self._number(chosen), unanswered)

    def _score_parts(self, r: Retrieval) -> tuple[list[Quote], list[list[Quote]], list[str]]:
        p = self.params
        pool = r.passages[: p.pool]
        vectors = self.store.sentence_vectors([x.id for x in pool])
        whole = asks(r.question)
        idf = self.index_facts().idf if self.index_facts is not None else None
        overall = score_sentences(
            r.question,
            r.query_vector,
            pool,
            vectors,
            p.scoring,
            asks=whole,
            extra_terms=_extra_terms(r),
            idf=idf,
        )
        parts = split_parts(r.question) if p.split_parts else []
        if len(parts) < 2 or self.embedder is None:
            return overall, [], []
        part_vectors = self.embedder.embed_queries([x.text for x in parts])
        parts_quotes: list[list[Quote]] = []
        unanswered: list[str] = []
        floor = self.calibration.threshold(r.lang) - (p.part_floor or 0.0)
        for part, vec in zip(parts, part_vectors, strict=True):
            quotes = score_sentences(
                part.text,
                vec,
                pool,
                vectors,
                p.scoring,
                context_vector=r.query_vector,
                asks=part.asks,
                extra_terms=_extra_terms(r),
                idf=idf,
            )
            if p.part_floor is not None and (not quotes or max(q.sim for q in quotes) < floor):
                unanswered.append(part.text)
                continue
            parts_quotes.append(quotes)
        return overall, parts_quotes, unanswered

    def choose(self, overall: list[Quote], parts: list[list[Quote]]) -> list[Quote]:
        """Each part's best sentences first, then the best of the rest within the window.

        With ``complete``, a sentence that points back at the one before it ("Zij doet dit")
        comes with that sentence, and the two count as two quotes.
        """
        p = self.params
        window = self.calibration.sentence_window if p.window is None else p.window
        chosen: list[Quote] = []
        taken: set[tuple[str, int]] = set()
        per_passage: dict[str, int] = {}

        def take(c: Quote) -> bool:
            key = (c.passage.id, c.index)
            if key in taken or per_passage.get(c.passage.id, 0) >= p.max_per_passage:
                return False
            before = self._antecedent(c, taken) if p.complete else None
            if before is not None and len(chosen) + 2 > p.max_sentences:
                return False
            for q in (before, c):
                if q is not None:
                    chosen.append(q)
                    taken.add((q.passage.id, q.index))
            per_passage[c.passage.id] = per_passage.get(c.passage.id, 0) + 1
            return True

        for quotes in parts:
            if not quotes:
                continue
            best, got = quotes[0].score, 0
            for c in quotes:
                if got >= p.per_part or c.score < best - p.part_window:
                    break
                got += take(c)
        if overall:
            best = overall[0].score
            for c in overall:
                if len(chosen) >= p.max_sentences or (chosen and c.score < best - window):
                    break
                take(c)
        return chosen

    @staticmethod
    def _antecedent(c: Quote, taken: set[tuple[str, int]]) -> Quote | None:
        """The sentence before ``c`` when ``c`` leans on it and it is not quoted yet."""
        if c.index == 0 or not leans_back(c.text) or (c.passage.id, c.index - 1) in taken:
            return None
        prev = c.siblings[c.index - 1]
        text = c.passage.text[prev.start : prev.end]
        if "\n\n" in c.passage.text[prev.end : c.start] or looks_like_heading(text):
            return None
        return replace(c, sentence=prev)

    def _number(self, chosen: list[Quote]) -> tuple[list[CitedSentence], list[Passage]]:
        """Passages in rank order, sentences in text order; passages numbered by first use."""
        chosen = sorted(chosen, key=lambda c: (c.rank, c.start))
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
