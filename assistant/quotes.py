"""Scoring the sentences of retrieved passages: the one place where a sentence gets a score.

Answers choose the sentences they quote with it, briefings choose their bullets with it, the
support check finds the passage sentence closest to a generated claim with it, and the evals and
calibration measure through it. What differs between those uses is a ``ScoringParams`` value, not
a copy of the code.

A ``Quote`` is a stored ``Sentence`` of a ``Passage``, scored against a query:

    score = sim + w_overlap * overlap + w_names * names + w_pattern * pattern_hit
            + doc_kind_bonus[passage.doc_kind] - rank_penalty * rank

>>> p = Passage.create(doc_id="d", title="T", text="Leerlingenvervoer kost geld. Het is duur.",
...                    start=0, end=41)
>>> s = [Sentence(p.id, 0, 0, 28, (1.0, 0.0)), Sentence(p.id, 1, 29, 41, (0.0, 1.0))]
>>> [q.text for q in score_sentences("leerlingenvervoer", [0.6, 0.8], [p], {p.id: s},
...                                   SIMILARITY)]
['Het is duur.', 'Leerlingenvervoer kost geld.']
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from ingest.passage import Passage
from ingest.sentences import Sentence, looks_like_heading

from .text import analyze, content_words, words


@dataclass(frozen=True)
class ScoringParams:
    """How sentences are scored and which are considered at all.

    ``w_overlap``: weight of the share of the query's Dutch word stems found in the sentence.
    ``w_names``: weight of the share of the query's content words found as written (names,
    numbers, acronyms; the part of an English question the stems cannot see).
    ``rank_penalty``: subtracted per place the sentence's passage has in the retrieval.
    ``w_pattern``: bonus when a caller's pattern (a theme's vocabulary) occurs in the sentence.
    ``doc_kind_bonus``: bonus by the kind of document (e.g. handbooks before news).
    ``min_words`` and ``skip_headings``: sentences too short to quote, and titles, are left out.
    """

    name: str
    w_overlap: float = 0.0
    w_names: float = 0.0
    rank_penalty: float = 0.0
    w_pattern: float = 0.0
    doc_kind_bonus: tuple[tuple[str, float], ...] = ()
    min_words: int = 0
    skip_headings: bool = False


# Plain similarity: every sentence, scored by its cosine to the query alone.
SIMILARITY = ScoringParams("similarity")
# The quoted answers of the first release (frozen: the eval's baseline configuration).
QUOTES_V1 = ScoringParams(
    "quotes-v1", w_overlap=0.05, w_names=0.02, rank_penalty=0.01, min_words=4, skip_headings=True
)
# Briefing bullets: sentences that name the theme, from handbooks, near the top of the ranking.
BRIEFING = ScoringParams(
    "briefing", rank_penalty=0.004, w_pattern=0.03, doc_kind_bonus=(("handreiking", 0.01),)
)


@dataclass
class Quote:
    """A sentence of a passage with its score for one query (offsets into ``passage.text``)."""

    passage: Passage
    sentence: Sentence
    rank: int  # the passage's place in the retrieval, 0 = best
    sim: float  # cosine similarity of query and sentence
    overlap: float = 0.0
    names: float = 0.0
    pattern_hit: bool = False  # the caller's pattern occurs in the sentence
    section_hit: bool = False  # ... or in the heading of the passage's section
    score: float = 0.0
    siblings: list[Sentence] = field(default_factory=list, repr=False)  # the passage's sentences

    @property
    def start(self) -> int:
        return self.sentence.start

    @property
    def end(self) -> int:
        return self.sentence.end

    @property
    def index(self) -> int:
        return self.sentence.index

    @property
    def text(self) -> str:
        return self.passage.text[self.sentence.start : self.sentence.end]

    @property
    def is_question(self) -> bool:
        return self.text.rstrip().endswith("?")


def score_sentences(
    query: str,
    query_vector: Sequence[float] | np.ndarray,
    passages: Sequence[Passage],
    sentences: Mapping[str, Sequence[Sentence]],
    params: ScoringParams,
    pattern: re.Pattern[str] | None = None,
) -> list[Quote]:
    """Every eligible sentence of ``passages`` scored against the query, best first.

    ``sentences`` maps a passage id to its sentences with vectors (``Store.sentence_vectors``);
    a passage without them contributes nothing. Ties keep passage order, then text order.
    """
    q = np.asarray(query_vector, dtype=np.float32)
    q_stems = set(analyze(query)) if params.w_overlap else set()
    q_words = set(content_words(query)) if params.w_names else set()
    bonus = dict(params.doc_kind_bonus)
    out: list[Quote] = []
    for rank, p in enumerate(passages):
        rows = list(sentences.get(p.id, ()))
        for s in rows:
            text = p.text[s.start : s.end]
            if params.min_words and len(words(text)) < params.min_words:
                continue
            if params.skip_headings and looks_like_heading(text):
                continue
            sim = float(np.dot(q, np.asarray(s.vector, dtype=np.float32)))
            overlap = len(q_stems & set(analyze(text))) / len(q_stems) if q_stems else 0.0
            names = len(q_words & set(words(text))) / len(q_words) if q_words else 0.0
            hit = bool(pattern.search(text)) if pattern is not None else False
            in_section = bool(pattern.search(p.section)) if pattern is not None else False
            score = sim
            if params.w_overlap:
                score += params.w_overlap * overlap
            if params.w_names:
                score += params.w_names * names
            if params.w_pattern:
                score += params.w_pattern * hit
            if bonus:
                score += bonus.get(p.doc_kind, 0.0)
            if params.rank_penalty:
                score -= params.rank_penalty * rank
            out.append(Quote(p, s, rank, sim, overlap, names, hit, in_section, score, rows))
    out.sort(key=lambda c: -c.score)
    return out
