"""Sentences of a passage, and the text views of a passage that ingest and retrieval share.

The chunker, the store (one vector per sentence), answers (quoted sentences), briefings and the
citation support check all work with the same sentence boundaries, so they live here rather than
inside the chunker.

>>> t = "“Dit is zin één. En dit e.d. is twee!”\\n- Een punt"
>>> [t[a:b] for a, b in sentence_spans(t)]
['Dit is zin één.', 'En dit e.d. is twee!', 'Een punt']
>>> looks_like_heading("Leerlingenvervoer"), looks_like_heading("Het vervoer is geregeld.")
(True, False)
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from .passage import Passage

BULLET = re.compile(r"^(?:[-–•*·▪◦]|\d{1,2}[.)])\s+")
_QUOTES = re.compile(r"[“”„\"]")
_SENTENCE_END = re.compile(r"[.!?:;”\"’)]$")


@dataclass(frozen=True)
class Sentence:
    """One sentence of a stored passage: offsets into ``passage.text`` and, when read back from
    the store, its embedding. ``index`` is its position among the passage's sentences."""

    passage_id: str
    index: int
    start: int
    end: int
    vector: Any = field(default=None, compare=False, repr=False)  # float32 array from the store

    @property
    def id(self) -> str:
        return f"{self.passage_id}:{self.index}"


def word_count(text: str) -> int:
    return len(text.split())


@lru_cache(maxsize=1)
def _segmenter():
    import pysbd

    return pysbd.Segmenter(language="nl", clean=False, char_span=True)


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """Sentence (start, end) offsets in ``text``, whitespace trimmed; list lines are sentences.

    Quotation marks are hidden from the segmenter (it keeps a whole quoted paragraph together)
    and list bullets are left out of the span, so the sentence can be quoted on its own.
    """
    spans: list[tuple[int, int]] = []
    pos = 0
    for line in text.split("\n"):
        if line.strip():
            masked = _QUOTES.sub(" ", line)
            for seg in _segmenter().segment(masked):
                a, b = seg.start, seg.end
                while a < b and masked[a].isspace():
                    a += 1
                m = BULLET.match(masked[a:b])
                if m:
                    a += m.end()
                while b > a and masked[b - 1].isspace():
                    b -= 1
                if b > a:
                    spans.append((pos + a, pos + b))
        pos += len(line) + 1
    return _merge_short(text, spans)


def _merge_short(text: str, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Attach fragments without a letter-word (e.g. a lone '(PO)') to the previous sentence."""
    out: list[tuple[int, int]] = []
    for a, b in spans:
        if (
            out
            and not re.search(r"[A-Za-zÀ-ÿ]{2,}", text[a:b])
            and "\n" not in text[out[-1][1] : a]
        ):
            out[-1] = (out[-1][0], b)
        else:
            out.append((a, b))
    return out


def passage_sentences(p: Passage) -> list[Sentence]:
    """The sentences of a passage, without vectors (what ingest embeds and stores)."""
    return [Sentence(p.id, i, a, b) for i, (a, b) in enumerate(sentence_spans(p.text))]


def looks_like_heading(sentence: str) -> bool:
    """A short line without closing punctuation: a title or heading, not a statement."""
    return not _SENTENCE_END.search(sentence.strip()) and len(sentence.split()) <= 12


def lexical_text_for(section: str, text: str) -> str:
    """What BM25 sees: the section heading gives a passage its context."""
    first = section.split(" · ")[0]
    if section and first not in text[: len(first) + 40]:
        return f"{section}\n{text}"
    return text


def embed_text_for(title: str, section: str, text: str) -> str:
    """What the embedder sees: document title and section heading, then the passage.

    The title tells the dense model which document a passage belongs to, so questions such as
    "wat zegt het stappenplan over ..." reach it (measured on the dev questions: English MRR@10
    0.72 -> 0.84 in the hybrid ranking).
    """
    lexical = lexical_text_for(section, text)
    return f"{title}\n{lexical}" if title else lexical


def lexical_text(p: Passage) -> str:
    return lexical_text_for(p.section, p.text)


def embed_text(p: Passage) -> str:
    return embed_text_for(p.title, p.section, p.text)
