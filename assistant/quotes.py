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

import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from ingest.passage import Passage
from ingest.sentences import Sentence, looks_like_heading

from .question import fits, leans_back, points_forward
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

    For answers that answer (see ``assistant.compose``):
    ``w_context``: share of the score that comes from the whole question when a part of it is
    scored (the part "how many pupils ..." needs the context "Porteum in Lelystad").
    ``w_kind``: bonus when the sentence holds the kind of answer the part asks for (a number
    for "how many", a name for "who", advice for "how should we", ...; ``question.fits``).
    ``p_lean``: penalty for a sentence that opens by pointing back ("Zij doet dit ...",
    "Deze middelen ...") and so cannot be read alone.
    ``p_forward``: penalty for a sentence that points at what follows ("Onderstaande tips").
    ``p_question``: penalty for a sentence that is itself a question.
    ``p_short``: penalty for a sentence of fewer than six words.
    ``w_idf``: weight of the share of the query's stems in the sentence, each stem weighted by
    how rare it is in the index (``idf``): "Porteum" counts more than "gemeente".
    ``p_first``: penalty for a passage's first sentence (not a TIP's), which in this corpus
    mostly sets the scene ("In Utrecht ...", "Binnen SWV ... hadden alle gemeenten te maken").
    ``w_length``: weight of log(words): long sentences carry more, or say less, per word.
    ``kind_bonus``: bonus by the kind of passage (tip, praktijkvoorbeeld).
    ``w_passage``: weight of the passage's retrieval score (its place in the fused ranking).
    ``w_neighbour``: weight of the best similarity of the sentences just before and after it
    (an answer often sits next to the sentence that names the subject).
    """

    name: str
    w_overlap: float = 0.0
    w_names: float = 0.0
    rank_penalty: float = 0.0
    w_pattern: float = 0.0
    doc_kind_bonus: tuple[tuple[str, float], ...] = ()
    min_words: int = 0
    skip_headings: bool = False
    w_context: float = 0.0
    w_kind: float = 0.0
    p_lean: float = 0.0
    p_forward: float = 0.0
    p_question: float = 0.0
    p_short: float = 0.0
    w_idf: float = 0.0
    p_first: float = 0.0
    w_length: float = 0.0
    kind_bonus: tuple[tuple[str, float], ...] = ()
    w_passage: float = 0.0
    w_neighbour: float = 0.0


# Plain similarity: every sentence, scored by its cosine to the query alone.
SIMILARITY = ScoringParams("similarity")
# The quoted answers of the first release (frozen: the eval's baseline configuration).
QUOTES_V1 = ScoringParams(
    "quotes-v1", w_overlap=0.05, w_names=0.02, rank_penalty=0.01, min_words=4, skip_headings=True
)
# Answers that answer: a linear scorer fitted listwise on the development questions only
# (evals/tune_composer.py): the sentence's similarity to the question (part), the similarity of
# its neighbours, rare question words it shares (idf), names, the kind of answer asked for, and
# penalties for a passage's scene-setting first sentence, questions, fragments and forward
# references. In units of similarity. Cross-validated, the answering sentence is the best one
# for 48% of question parts (similarity alone: 32%) and among the best three for 70% (54%).
ANSWERS_V2_SCORING = ScoringParams(
    "answers-v2",
    w_context=-0.063,
    w_overlap=-0.043,
    w_idf=0.173,
    w_names=0.106,
    w_kind=0.056,
    p_lean=-0.012,
    p_forward=0.029,
    p_question=0.034,
    p_short=0.039,
    p_first=0.084,
    w_length=-0.018,
    rank_penalty=0.028,
    kind_bonus=(("tip", -0.013), ("praktijkvoorbeeld", 0.021)),
    w_passage=0.008,
    w_neighbour=0.243,
    min_words=4,
    skip_headings=True,
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
    kind_fit: bool = False  # the sentence holds the kind of answer asked for
    pattern_hit: bool = False  # the caller's pattern occurs in the sentence
    section_hit: bool = False  # ... or in the heading of the passage's section
    score: float = 0.0
    siblings: list[Sentence] = field(default_factory=list, repr=False)  # the passage's sentences
    features: dict[str, float] = field(default_factory=dict, repr=False)  # what the score used

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
    context_vector: Sequence[float] | np.ndarray | None = None,
    asks: str | None = None,
    extra_terms: Sequence[str] = (),
    idf: Callable[[str], float] | None = None,
) -> list[Quote]:
    """Every eligible sentence of ``passages`` scored against the query, best first.

    ``sentences`` maps a passage id to its sentences with vectors (``Store.sentence_vectors``);
    a passage without them contributes nothing. Ties keep passage order, then text order.
    ``context_vector`` is the whole question when ``query`` is one part of it; ``asks`` the kind
    of answer the query wants (``question.asks``); ``extra_terms`` Dutch words that stand for
    the query's English ones (the glossary) and count for the stem overlap.
    """
    q = np.asarray(query_vector, dtype=np.float32)
    ctx = np.asarray(context_vector, dtype=np.float32) if context_vector is not None else None
    q_stems = (
        set(analyze(" ".join([query, *extra_terms]))) if params.w_overlap or params.w_idf else set()
    )
    q_idf = sum(idf(x) for x in q_stems) if idf is not None and params.w_idf else 0.0
    q_words = set(content_words(query)) if params.w_names else set()
    by_kind = dict(params.kind_bonus)
    bonus = dict(params.doc_kind_bonus)
    out: list[Quote] = []
    for rank, p in enumerate(passages):
        rows = list(sentences.get(p.id, ()))
        sims = [float(np.dot(q, np.asarray(s.vector, dtype=np.float32))) for s in rows]
        for s in rows:
            text = p.text[s.start : s.end]
            n_words = len(words(text))
            if params.min_words and n_words < params.min_words:
                continue
            if params.skip_headings and looks_like_heading(text):
                continue
            vec = np.asarray(s.vector, dtype=np.float32)
            sim = float(np.dot(q, vec))
            f: dict[str, float] = {"sim_query": sim}
            if ctx is not None:
                f["sim_context"] = float(np.dot(ctx, vec))
                if params.w_context:
                    sim = (1 - params.w_context) * sim + params.w_context * f["sim_context"]
            shared = q_stems & set(analyze(text)) if q_stems else set()
            overlap = len(shared) / len(q_stems) if q_stems else 0.0
            names = len(q_words & set(words(text))) / len(q_words) if q_words else 0.0
            hit = bool(pattern.search(text)) if pattern is not None else False
            in_section = bool(pattern.search(p.section)) if pattern is not None else False
            fit = fits(asks, text, p.kind)
            f.update(
                overlap=overlap,
                idf_overlap=sum(idf(x) for x in shared) / q_idf if q_idf and idf else 0.0,
                names=names,
                kind_fit=float(fit),
                lean=float(leans_back(text)),
                forward=float(points_forward(text)),
                question=float(text.rstrip().endswith("?")),
                short=float(n_words < 6),
                # A TIP block opens with its advice; other passages often with the scene.
                first=float(s.index == 0 and p.kind != "tip"),
                log_length=math.log(max(1, n_words)),
                rank=float(rank),
                tip=float(p.kind == "tip"),
                example=float(p.kind == "praktijkvoorbeeld"),
                passage_score=float(p.score or 0.0),
                neighbour_sim=max(
                    (sims[i] for i in (s.index - 1, s.index + 1) if 0 <= i < len(sims)),
                    default=f["sim_query"],
                ),
            )
            # The first release's terms come last and in its order, so its scores are unchanged.
            score = sim
            if params.w_kind:
                score += params.w_kind * f["kind_fit"]
            if params.p_lean:
                score -= params.p_lean * f["lean"]
            if params.p_forward:
                score -= params.p_forward * f["forward"]
            if params.p_question:
                score -= params.p_question * f["question"]
            if params.p_short:
                score -= params.p_short * f["short"]
            if params.w_idf:
                score += params.w_idf * f["idf_overlap"]
            if params.p_first:
                score -= params.p_first * f["first"]
            if params.w_length:
                score += params.w_length * f["log_length"]
            if by_kind:
                score += by_kind.get(p.kind, 0.0)
            if params.w_passage:
                score += params.w_passage * f["passage_score"]
            if params.w_neighbour:
                score += params.w_neighbour * f["neighbour_sim"]
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
            out.append(Quote(p, s, rank, sim, overlap, names, fit, hit, in_section, score, rows, f))
    out.sort(key=lambda c: -c.score)
    return out
