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
import threading
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from .passage import Passage

BULLET = re.compile(r"^(?:[-–•*·▪◦]|\d{1,2}[.)])\s+")
_QUOTES = re.compile(r"[“”„\"]")
_SENTENCE_END = re.compile(r"[.!?:;”\"’)]$")

# The most characters the sentence segmenter (pysbd) is given in one call. Its cost grows with the
# square of its input: for every word that starts like one of its ~1,650 Dutch abbreviations it runs
# a substitution over the whole input, and char_span mode searches every sentence from the start.
# Measured on Dutch prose (benchmarks/chunk_scaling.py), characters per second are flat up to 500
# characters per call, about 20% lower at 1,000, a third lower at 2,000 and half at 4,000. 1,000
# keeps nearly every paragraph (up to ~150 words) whole, segmented exactly as before, at close to
# the lowest cost per character; a longer line is cut first, where pysbd would split anyway.
SEGMENT_CAP = 1000

# A strong sentence boundary: a plain word of two or more letters, '.', '!' or '?', whitespace,
# then (checked in _sentence_starts) a capital or a digit. Single letters (initials such as
# "J. Biskop"), words with inner dots ("e.d.", "o.a.", "m.b.t.") and numbers never match here;
# known abbreviations ("bijv.", "dhr.") are filtered out after the match.
_STRONG = re.compile(r"(?<!\S)([^\W\d_]{2,})[.!?]\s+(?=[^\W_])")
_ROMAN = re.compile(r"[ivxlcdm]+")
# Characters that open or close a stretch pysbd keeps together (its BetweenPunctuation rules:
# parentheses, square brackets, «», ‘’, '' and --); see _shielded.
_SHIELD_CHARS = re.compile(r"--|[-()\[\]\\«»‘’']")


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


_local = threading.local()


def _segment(text: str) -> list[Any]:
    """pysbd's sentences of ``text`` with character spans (the one call into the segmenter).

    One segmenter per thread: ``Segmenter.segment`` keeps the text it is working on in an
    attribute, so a segmenter shared by two threads (an upload being ingested while a question is
    answered) could report spans of the other thread's text.
    """
    seg = getattr(_local, "segmenter", None)
    if seg is None:
        import pysbd

        seg = _local.segmenter = pysbd.Segmenter(language="nl", clean=False, char_span=True)
    return seg.segment(text)


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """Sentence (start, end) offsets in ``text``, whitespace trimmed; list lines are sentences.

    Quotation marks are hidden from the segmenter (it keeps a whole quoted paragraph together)
    and list bullets are left out of the span, so the sentence can be quoted on its own. A line
    longer than ``SEGMENT_CAP`` is segmented in windows (see ``_windows``), so the time taken
    grows in proportion to the length of the text.
    """
    spans: list[tuple[int, int]] = []
    pos = 0
    for line in text.split("\n"):
        if line.strip():
            masked = _QUOTES.sub(" ", line)
            for lo, hi in _windows(masked):
                for seg in _segment(masked[lo:hi]):
                    a, b = lo + seg.start, lo + seg.end
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


def _windows(line: str) -> list[tuple[int, int]]:
    """Consecutive (start, end) pieces of ``line``, none longer than ``SEGMENT_CAP``.

    Each piece ends at the last strong sentence boundary within reach, so the segmenter splits
    the line as it would have split it whole. Where a stretch longer than the cap has no such
    boundary (text without full stops), the piece is cut at the last ';', ':' or ',' in the second
    half of the reach, else at the last whitespace, else (one giant "word") at the cap itself;
    that cut becomes a sentence boundary.
    """
    n = len(line)
    if n <= SEGMENT_CAP:
        return [(0, n)]
    starts = _sentence_starts(line)
    out: list[tuple[int, int]] = []
    lo = k = 0
    while n - lo > SEGMENT_CAP:
        reach = lo + SEGMENT_CAP
        while k < len(starts) and starts[k] <= reach:
            k += 1
        cut = starts[k - 1] if k and starts[k - 1] > lo else _forced_cut(line, lo, reach)
        out.append((lo, cut))
        lo = cut
    out.append((lo, n))
    return out


def _forced_cut(line: str, lo: int, reach: int) -> int:
    """Where to end a piece that has no strong sentence boundary: see ``_windows``.

    Only the second half of the reach is searched, so every piece is at least half the cap long
    and the search costs no more than the piece itself.
    """
    mid = lo + SEGMENT_CAP // 2
    for mark in ";:,":
        i = line.rfind(mark, mid, reach - 1)
        while i >= mid and not line[i + 1].isspace():
            i = line.rfind(mark, mid, i)
        if i >= mid:
            return _skip_space(line, i + 1, reach)
    for i in range(reach - 1, mid - 1, -1):
        if line[i].isspace():
            return _skip_space(line, i, reach)
    return reach


def _skip_space(line: str, i: int, reach: int) -> int:
    while i < reach and line[i].isspace():
        i += 1
    return i


def _sentence_starts(line: str) -> list[int]:
    """Offsets in ``line`` where a sentence certainly starts: after a strong boundary (see
    ``_STRONG``) that is not an abbreviation, a roman numeral nor inside a stretch the segmenter
    keeps together (``_shielded``)."""
    abbreviations = _abbreviations()
    shields = _shielded(line)
    out: list[int] = []
    k = 0
    for m in _STRONG.finditer(line):
        start = m.end()
        if not (line[start].isupper() or line[start].isdigit()):
            continue
        word = m.group(1).lower()
        if word in abbreviations or _ROMAN.fullmatch(word):
            continue
        while k < len(shields) and shields[k][1] <= start:
            k += 1
        if k < len(shields) and shields[k][0] < start:
            continue
        out.append(start)
    return out


def _shielded(line: str) -> list[tuple[int, int]]:
    """Stretches of ``line`` inside which pysbd never splits, merged and in order.

    pysbd hides the punctuation between a pair of parentheses, square brackets, « », ‘ ’, ' ' or
    -- --; a cut inside such a pair would split where the whole line is not split. This follows
    its patterns in one pass over the bracket characters (pysbd's own regular expressions can
    re-scan to the end of the text from every opening bracket).
    """
    found: list[tuple[int, int]] = []
    paren = square = guil = slanted = straight = dash = -1
    for m in _SHIELD_CHARS.finditer(line):
        c, i = m.group(), m.start()
        after = line[m.end() : m.end() + 1]
        closes_quote = not (after.isascii() and after.isalpha())  # ’s, auto's: no closing quote
        if c == "\\":
            paren = square = guil = -1
        elif c == "(":
            paren = i
        elif c == ")" and paren >= 0:
            found.append((paren, i + 1))
            paren = -1
        elif c == "[" and square < 0:
            square = i
        elif c == "]" and square >= 0:
            found.append((square, i + 1))
            square = -1
        elif c == "«" and guil < 0:
            guil = i
        elif c == "»" and guil >= 0:
            found.append((guil, i + 1))
            guil = -1
        elif c == "‘" and slanted < 0 and i and line[i - 1].isspace():
            slanted = i
        elif c == "’" and slanted >= 0 and closes_quote:
            found.append((slanted, i + 1))
            slanted = -1
        elif c == "'":
            if straight >= 0 and closes_quote:
                found.append((straight, i + 1))
                straight = -1
            elif straight < 0 and i and line[i - 1].isspace():
                straight = i
        elif c == "--":
            if dash >= 0:
                found.append((dash, i + 2))
                dash = -1
            else:
                dash = i
        elif c == "-":
            dash = -1  # "--[^-]*--": a hyphen between the dashes breaks the pair
    found.sort()
    merged: list[tuple[int, int]] = []
    for a, b in found:
        if merged and a < merged[-1][1]:
            merged[-1] = (merged[-1][0], max(b, merged[-1][1]))
        else:
            merged.append((a, b))
    return merged


@lru_cache(maxsize=1)
def _abbreviations() -> frozenset[str]:
    """pysbd's Dutch abbreviations: a word among them is no certain sentence end."""
    from pysbd.lang.dutch import Dutch

    return frozenset(a.strip().lower() for a in Dutch.Abbreviation.ABBREVIATIONS)


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


_CONTACT_DETAIL = re.compile(r"[\w.-]+@[\w-]+\.\w+|\bwww\.|https?://")


def looks_like_heading(sentence: str) -> bool:
    """A short line without closing punctuation: a title or heading, not a statement.

    A line that ends in an e-mail or web address is a statement that lost its full stop
    ("Dan kun je een mail sturen aan info@example.nl").

    >>> looks_like_heading("Dan kun je een mail sturen aan info@example.nl")
    False
    """
    return (
        not _SENTENCE_END.search(sentence.strip())
        and len(sentence.split()) <= 12
        and not _CONTACT_DETAIL.search(sentence)
    )


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
