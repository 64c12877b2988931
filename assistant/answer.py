"""Cited answers without a language model: verbatim sentences from the best passages.

The answer picks the sentences of the top passages that are closest to the question (by the
stored sentence embeddings, helped by shared Dutch word stems), groups them per passage under a
short frame in the question's language, and ends every sentence with the [n] of its passage.
Quoted sentences are exact slices of the cited passage, so they can always be checked.

When the evidence is weak the answer says so plainly, in the question's language, and lists the
nearest passages as "misschien relevant" instead of quoting loosely related text.

>>> a = Assistant(Settings()).ask("Wat kan de gemeente doen aan leerlingenvervoer?")
>>> a.refused, a.citations[0].themes[:1]
(False, ['leerlingenvervoer'])
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ingest.embeddings import Embedder, get_embedder
from ingest.passage import Passage
from ingest.settings import Settings

from .answer_type import expected_type, satisfies
from .retrieve import Filters, HybridRetriever, Retrieval
from .text import analyze, content_words, words

CALIBRATION_FILE = Path(__file__).with_name("calibration.json")

MAX_SENTENCES = 4
MAX_PER_PASSAGE = 2
ANSWER_PASSAGES = 3  # sentences are taken from this many top passages


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
    def load(cls, path: Path = CALIBRATION_FILE) -> "Calibration":
        if path.exists():
            data = json.loads(path.read_text(encoding="utf-8"))
            return cls(**{k: v for k, v in data.items() if k in cls.__dataclass_fields__})
        return cls()

    def threshold(self, lang: str) -> float:
        return self.threshold_en if lang == "en" else self.threshold_nl


@dataclass
class Evidence:
    passage_best: float
    sentence_best: float
    coverage: float
    expected_type: str | None
    type_found: bool
    score: float

    def as_dict(self) -> dict:
        return {k: (round(v, 4) if isinstance(v, float) else v) for k, v in self.__dict__.items()}


@dataclass
class CitedSentence:
    text: str
    n: int  # citation number (1-based, into Answer.citations)
    passage_id: str
    start: int  # offsets into the passage text
    end: int
    score: float


@dataclass
class Answer:
    question: str
    lang: str
    refused: bool
    text: str
    sentences: list[CitedSentence] = field(default_factory=list)
    citations: list[Passage] = field(default_factory=list)  # numbered 1..n
    related: list[Passage] = field(default_factory=list)  # "misschien relevant" when refused
    evidence: float = 0.0
    evidence_detail: dict = field(default_factory=dict)
    filters: dict = field(default_factory=dict)
    timings: dict = field(default_factory=dict)
    notice: str = ""

    def to_json(self) -> dict:
        """The `ask --json` shape (a contract other tools rely on: extend, don't rename)."""
        cites = []
        for n, p in enumerate(self.citations, 1):
            d = p.public_dict()
            cites.append({"n": n, **d})
        return {
            "question": self.question,
            "answer": self.text,
            "refused": self.refused,
            "citations": cites,
            "lang": self.lang,
            "evidence": round(self.evidence, 4),
            "evidence_detail": self.evidence_detail,
            "sentences": [{"text": s.text, "citations": [s.n], "support": "verbatim"}
                          for s in self.sentences],
            "related": [p.public_dict() for p in self.related],
            "filters": self.filters,
            "notice": self.notice,
        }


# -- wording ------------------------------------------------------------------------------------
_DOC_NOUN = {
    "nl": {"handreiking": "de handreiking", "nieuws": "het nieuwsbericht",
           "stappenplan": "het stappenplan", "praktijkvoorbeelden": "de praktijkvoorbeelden",
           "overig": "het document"},
    "en": {"handreiking": "the handbook", "nieuws": "the news item", "stappenplan": "the plan",
           "praktijkvoorbeelden": "the practice examples", "overig": "the document"},
}

TEXTS = {
    "nl": {
        "refusal": "De documenten geven geen antwoord op deze vraag.",
        "refusal_hint": "Misschien relevant (geen antwoord, wel het dichtstbij):",
        "empty": "Er zijn nog geen documenten in de index. Voer eerst `inclusie ingest` uit.",
        "filtered": "Met deze filters zijn er geen passages gevonden.",
    },
    "en": {
        "refusal": "The documents do not answer this question.",
        "refusal_hint": "Possibly relevant (not an answer, but the closest passages):",
        "empty": "The index is empty. Run `inclusie ingest` first.",
        "filtered": "No passages match these filters.",
    },
}


def frame(p: Passage, lang: str) -> str:
    """Lead-in for the sentences quoted from one passage, in the question's language."""
    noun = _DOC_NOUN[lang].get(p.doc_kind, _DOC_NOUN[lang]["overig"])
    where = p.location
    if lang == "en":
        src = f'{noun} "{p.title}"' + (f" ({where})" if where else "")
        if p.kind == "tip":
            return f"A tip from {src}, quoted in Dutch:"
        if p.kind == "praktijkvoorbeeld":
            region = " and ".join(p.regions) if p.regions else "a region"
            return f"A practice example from {region}, in {src}, quoted in Dutch:"
        return f"According to {src}, quoted in Dutch:"
    src = f"{noun} „{p.title}”" + (f" ({where})" if where else "")
    if p.kind == "tip":
        return f"Tip uit {src}:"
    if p.kind == "praktijkvoorbeeld":
        region = " en ".join(p.regions) if p.regions else "een regio"
        return f"Praktijkvoorbeeld uit {region}, in {src}:"
    return f"Volgens {src}:"


def render(question: str, lang: str, sentences: list[CitedSentence], citations: list[Passage]) -> str:
    lines: list[str] = []
    current = None
    for s in sentences:
        if s.n != current:
            if lines:
                lines.append("")
            lines.append(frame(citations[s.n - 1], lang))
            current = s.n
        lines.append(f"- {s.text} [{s.n}]")
    return "\n".join(lines)


# -- the assistant ------------------------------------------------------------------------------
@dataclass
class _Candidate:
    score: float
    sim: float
    rank: int
    passage: Passage
    start: int
    end: int


class Assistant:
    """Retrieval plus extractive, cited answers. One instance per process is enough."""

    def __init__(self, settings: Settings, retriever: HybridRetriever | None = None,
                 embedder: Embedder | None = None, calibration: Calibration | None = None):
        self.settings = settings
        self.embedder = embedder or get_embedder(settings)
        self.retriever = retriever or HybridRetriever(settings, embedder=self.embedder)
        self.calibration = calibration or Calibration.load()
        if settings.refuse_below:
            self.calibration.threshold_nl = self.calibration.threshold_en = settings.refuse_below

    @property
    def store(self):
        return self.retriever.store

    def search(self, question: str, k: int | None = None, filters: Filters | None = None,
               mode: str = "hybrid") -> Retrieval:
        return self.retriever.search(question, k=k, filters=filters, mode=mode)

    def ask(self, question: str, k: int | None = None, filters: Filters | None = None,
            mode: str = "hybrid") -> Answer:
        """Answer a question with verbatim, cited sentences (or a plain refusal)."""
        t0 = time.perf_counter()
        question = question.strip()
        filters = filters or Filters()
        r = self.search(question, k=k, filters=filters, mode=mode)
        ans = self.answer(question, r, filters)
        ans.timings = {"retrieve": r.timings.get("total", 0.0), **ans.timings,
                       "total": time.perf_counter() - t0}
        return ans

    def answer(self, question: str, r: Retrieval, filters: Filters | None = None) -> Answer:
        """Compose the answer for retrieved passages (``ask`` without the search)."""
        t0 = time.perf_counter()
        filters = filters or Filters()
        lang = r.lang
        if not r.passages:
            msg = TEXTS[lang]["filtered" if filters else "empty"]
            return Answer(question, lang, True, msg, filters=filters.as_dict())
        candidates = self._candidates(question, r)
        ev = self.evidence(question, r, candidates)
        timings = {"select": time.perf_counter() - t0}
        if ev.score < self.calibration.threshold(lang) or not ev.type_found or not candidates:
            related = r.passages[:3]
            text = TEXTS[lang]["refusal"] + "\n\n" + TEXTS[lang]["refusal_hint"] + "\n" + "\n".join(
                f"- {p.title}" + (f" ({p.location})" if p.location else "") for p in related)
            return Answer(question, lang, True, text, related=related, evidence=ev.score,
                          evidence_detail=ev.as_dict(), filters=filters.as_dict(), timings=timings)
        sentences, citations = self._compose(candidates)
        return Answer(
            question=question, lang=lang, refused=False,
            text=render(question, lang, sentences, citations),
            sentences=sentences, citations=citations, evidence=ev.score,
            evidence_detail=ev.as_dict(), filters=filters.as_dict(), timings=timings,
        )

    def _candidates(self, question: str, r: Retrieval) -> list[_Candidate]:
        """Sentences of the top passages, scored against the question, best first."""
        top = r.passages[:ANSWER_PASSAGES]
        vectors = self.store.sentence_vectors([p.id for p in top])
        q = np.asarray(r.query_vector, dtype=np.float32)
        q_stems = set(analyze(question))
        q_words = set(content_words(question))
        out: list[_Candidate] = []
        for rank, p in enumerate(top):
            for a, b, vec in vectors.get(p.id, []):
                sent = p.text[a:b]
                if len(words(sent)) < 4 or _is_heading_line(sent):
                    continue
                sim = float(np.dot(q, np.asarray(vec, dtype=np.float32)))
                overlap = len(q_stems & set(analyze(sent))) / len(q_stems) if q_stems else 0.0
                names = len(q_words & set(words(sent))) / len(q_words) if q_words else 0.0
                score = sim + 0.05 * overlap + 0.02 * names - 0.01 * rank
                out.append(_Candidate(score, sim, rank, p, a, b))
        out.sort(key=lambda c: -c.score)
        return out

    def evidence(self, question: str, r: Retrieval, candidates: list[_Candidate]) -> Evidence:
        """How strongly the best passages answer the question (compared with the threshold)."""
        cal = self.calibration
        passage_best = max((r.similarity.get(p.id, 0.0) for p in r.passages[:ANSWER_PASSAGES]),
                           default=0.0)
        sentence_best = max((c.sim for c in candidates), default=0.0)
        coverage = r.bm25_weight / self.retriever.bm25_weight if r.lang == "nl" and \
            self.retriever.bm25_weight else 0.0
        kind = expected_type(question)
        best_sentences = [c.passage.text[c.start:c.end] for c in candidates[:5]]
        type_found = any(satisfies(kind, s) for s in best_sentences)
        score = (cal.w_passage * passage_best + (1 - cal.w_passage) * sentence_best
                 + cal.w_coverage * coverage)
        return Evidence(passage_best, sentence_best, coverage, kind, type_found, score)

    def _compose(self, candidates: list[_Candidate]) -> tuple[list[CitedSentence], list[Passage]]:
        """Take the best sentences, group them per passage and number the passages."""
        best = candidates[0].score
        chosen: list[_Candidate] = []
        per_passage: dict[str, int] = {}
        for c in candidates:
            if len(chosen) >= MAX_SENTENCES or (chosen and c.score < best - self.calibration.sentence_window):
                break
            if per_passage.get(c.passage.id, 0) >= MAX_PER_PASSAGE:
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
            out.append(CitedSentence(c.passage.text[c.start:c.end], numbers[c.passage.id],
                                     c.passage.id, c.start, c.end, c.score))
        return out, citations


def _is_heading_line(sentence: str) -> bool:
    return not re.search(r"[.!?:;”\"’)]$", sentence.strip()) and len(sentence.split()) <= 12


def verify(answer: Answer) -> list[str]:
    """Problems with an answer's citations; empty when every claim checks out.

    Every [n] in the text must resolve to a citation, and every quoted sentence must occur
    verbatim in the passage it cites.
    """
    problems = []
    for m in re.finditer(r"\[(\d+)\]", answer.text):
        n = int(m.group(1))
        if not 1 <= n <= len(answer.citations):
            problems.append(f"[{n}] verwijst naar geen bron")
    for s in answer.sentences:
        if not 1 <= s.n <= len(answer.citations):
            problems.append(f"zin zonder geldige bron: {s.text[:60]}")
        elif s.text not in answer.citations[s.n - 1].text:
            problems.append(f"zin staat niet letterlijk in bron [{s.n}]: {s.text[:60]}")
    return problems
