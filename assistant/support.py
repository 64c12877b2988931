"""Check a generated answer against the passages it cites.

1. ``parse_cited`` splits the answer into sentences with their [n] markers; markers that point
   at no passage are removed and reported.
2. ``SupportChecker`` scores each sentence against its cited passages: the best e5 similarity
   between the sentence and any sentence of the passage, plus the share of its content words
   found in the passage, minus a penalty for numbers the passage does not contain. The score
   maps to supported / weak / unsupported with thresholds calibrated on labelled pairs
   (evals/support_pairs.jsonl, see ``evals.support_calibration``).

>>> parse_cited("Dit klopt [1]. Dit ook [2][9].", n_passages=2)[1][1].citations
[2]
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ingest.embeddings import Embedder
from ingest.passage import Passage
from ingest.sentences import Sentence, sentence_spans
from ingest.store import Store

from .calibrated import load_fitted
from .quotes import SIMILARITY, score_sentences
from .records import CitedSentence, Support
from .text import analyze, content_words, surface_words, words

SUPPORT_CALIBRATION = Path(__file__).with_name("support_calibration.json")

_MARKER = re.compile(r"\[(\d+(?:\s*[,;]\s*\d+)*)\]")
_NUMBER = re.compile(r"\b\d+(?:[.,]\d+)?\b")
_NEGATION = {
    "niet",
    "geen",
    "nooit",
    "niets",
    "nergens",
    "not",
    "no",
    "never",
    "none",
    "nothing",
    "without",
    "zonder",
    "cannot",
    "can't",
    "don't",
    "doesn't",
    "isn't",
    "aren't",
}
# Words that make a claim absolute or compulsory; an answer that adds them claims more.
_ABSOLUTE = {
    "moet",
    "moeten",
    "verplicht",
    "verplichte",
    "altijd",
    "alle",
    "iedere",
    "elke",
    "uitsluitend",
    "alleen",
    "must",
    "always",
    "all",
    "every",
    "required",
    "mandatory",
    "only",
    "obliged",
    "compulsory",
}
_NUMBER_WORDS = {
    "een": 1,
    "één": 1,
    "twee": 2,
    "drie": 3,
    "vier": 4,
    "vijf": 5,
    "zes": 6,
    "zeven": 7,
    "acht": 8,
    "negen": 9,
    "tien": 10,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
}


def parse_cited(answer: str, n_passages: int) -> tuple[list[str], list[CitedSentence]]:
    """Sentences and their valid citations; returns (removed markers, sentences).

    The sentences are ``CitedSentence.generated``: not quotes, support not yet checked.
    """
    removed: list[str] = []
    out: list[CitedSentence] = []
    # Markers stay attached to the sentence before them: "... kosten [1]. Daarnaast ..." splits
    # after the marker, so move a marker that follows the full stop back in front of it.
    text = re.sub(r"([.!?])\s*((?:\[\d+(?:\s*[,;]\s*\d+)*\]\s*)+)", r" \2\1 ", answer.strip())
    for a, b in sentence_spans(text):
        sent = text[a:b]
        cites: list[int] = []
        for m in _MARKER.finditer(sent):
            for num in re.split(r"\s*[,;]\s*", m.group(1)):
                n = int(num)
                if 1 <= n <= n_passages:
                    if n not in cites:
                        cites.append(n)
                else:
                    removed.append(f"[{n}]")
        clean = re.sub(r"\s+([.!?,;:])", r"\1", _MARKER.sub("", sent)).strip()
        clean = re.sub(r"\s{2,}", " ", clean)
        if len(words(clean)) >= 2:
            out.append(CitedSentence.generated(clean, cites))
        elif out and cites:  # a marker on its own line belongs to the sentence before it
            out[-1].citations += [c for c in cites if c not in out[-1].citations]
    return removed, out


@dataclass
class SupportCalibration:
    w_overlap: float = 0.05
    number_penalty: float = 0.05
    negation_penalty: float = 0.0
    absolute_penalty: float = 0.0
    supported: float = 0.88
    weak: float = 0.84
    agreement: float | None = None
    source: str = "defaults"

    @classmethod
    def load(cls, path: Path = SUPPORT_CALIBRATION) -> SupportCalibration:
        return load_fitted(cls, path)


def _numbers(text: str) -> set[int | str]:
    found: set[int | str] = {n.replace(",", ".") for n in _NUMBER.findall(text)}
    found |= {_NUMBER_WORDS[w] for w in words(text) if w in _NUMBER_WORDS}
    return {str(x) for x in found}


class SupportChecker:
    """Scores sentences against passages with e5 similarity and word overlap."""

    def __init__(
        self,
        embedder: Embedder,
        store: Store | None = None,
        calibration: SupportCalibration | None = None,
    ):
        self.embedder = embedder
        self.store = store
        self.calibration = calibration or SupportCalibration.load()

    def features(
        self,
        sentence: str,
        passage: Passage,
        passage_sentences: list[Sentence] | None = None,
        sentence_vec: np.ndarray | None = None,
    ) -> dict[str, float]:
        """Similarity, overlap and mismatches of one sentence against one passage.

        ``passage_sentences`` are the passage's stored sentences with their vectors, in text
        order; without them (or when they do not match the passage) they are embedded here.
        """
        q = (
            sentence_vec
            if sentence_vec is not None
            else np.asarray(self.embedder.embed_query(sentence), dtype=np.float32)
        )
        spans = sentence_spans(passage.text) or [(0, len(passage.text))]
        if passage_sentences is None or len(passage_sentences) != len(spans):
            vectors = self.embedder.embed_documents([passage.text[a:b] for a, b in spans])
            passage_sentences = [
                Sentence(passage.id, i, a, b, np.asarray(v, dtype=np.float32))
                for i, ((a, b), v) in enumerate(zip(spans, vectors, strict=True))
            ]
        closest = score_sentences(
            sentence, q, [passage], {passage.id: passage_sentences}, SIMILARITY
        )[0]
        best, sim = closest.index, closest.sim
        # The closest passage sentence and its neighbours: what the claim would rest on.
        near = " ".join(
            passage.text[s.start : s.end] for s in passage_sentences[max(0, best - 1) : best + 2]
        )
        s_words, n_words = set(words(sentence)), set(words(near))
        negation = float(bool(s_words & _NEGATION) != bool(n_words & _NEGATION))
        absolute = float(len((s_words & _ABSOLUTE) - set(words(passage.text))))
        stems = set(analyze(sentence))
        p_stems = set(analyze(passage.text))
        cw = set(content_words(sentence))
        p_surface = surface_words(passage.text)
        if stems:  # Dutch words the passage shares, or names and numbers in any language
            overlap = max(
                len(stems & p_stems) / len(stems), len(cw & p_surface) / len(cw) if cw else 0.0
            )
        else:
            overlap = 0.0
        missing_numbers = len(_numbers(sentence) - _numbers(passage.text))
        return {
            "sim": sim,
            "overlap": overlap,
            "missing_numbers": float(missing_numbers),
            "negation": negation,
            "absolute": absolute,
        }

    def score(self, feats: dict[str, float]) -> float:
        c = self.calibration
        return (
            feats["sim"]
            + c.w_overlap * feats["overlap"]
            - c.number_penalty * feats["missing_numbers"]
            - c.negation_penalty * feats.get("negation", 0.0)
            - c.absolute_penalty * feats.get("absolute", 0.0)
        )

    def label(self, score: float) -> Support:
        c = self.calibration
        return "supported" if score >= c.supported else "weak" if score >= c.weak else "unsupported"

    def check(self, sentences: list[CitedSentence], passages: list[Passage]) -> None:
        """Set ``support`` and ``score`` on each sentence (in place)."""
        vectors = self.store.sentence_vectors([p.id for p in passages]) if self.store else {}
        qvecs = self.embedder.embed_queries([s.text for s in sentences]) if sentences else []
        for s, qv in zip(sentences, qvecs):
            if not s.citations:
                s.support, s.score = "unsupported", 0.0
                continue
            best = -1.0
            for n in s.citations:
                p = passages[n - 1]
                stored = vectors.get(p.id, [])
                feats = self.features(s.text, p, stored or None, np.asarray(qv, dtype=np.float32))
                best = max(best, self.score(feats))
            s.score = best
            s.support = self.label(best)
