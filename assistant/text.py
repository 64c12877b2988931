"""Small language tools: Dutch analysis for BM25, and telling Dutch from English questions.

>>> analyze("De gemeenten en het leerlingenvervoer")
['gemeent', 'leerlingenvervoer']
>>> detect_language("How do we approach pupil transport?"), detect_language("Wat doet de gemeente?")
('en', 'nl')
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from bm25s.stopwords import STOPWORDS_DUTCH, STOPWORDS_EN

_WORD = re.compile(r"[a-z0-9]+(?:[-/][a-z0-9]+)*")

# Question words and fillers that carry no topic in either language.
_EXTRA_NL = {
    "hoe",
    "wat",
    "welke",
    "waarom",
    "wanneer",
    "waar",
    "wie",
    "kan",
    "kunnen",
    "je",
    "jullie",
    "we",
    "wij",
    "onze",
    "ons",
    "pak",
    "pakken",
    "aan",
    "over",
    "gaat",
    "gaan",
    "doet",
    "doen",
    "moet",
    "moeten",
    "zijn",
    "worden",
    "wordt",
    "staat",
    "er",
    "één",
    "een",
    "vertel",
    "geef",
    "noem",
    "zegt",
    "volgens",
    "handreiking",
}
_EXTRA_EN = {
    "how",
    "what",
    "which",
    "why",
    "when",
    "where",
    "who",
    "can",
    "could",
    "should",
    "we",
    "our",
    "us",
    "do",
    "does",
    "did",
    "approach",
    "about",
    "tell",
    "me",
    "give",
    "according",
    "say",
    "says",
    "handbook",
    "guide",
    "documents",
    "would",
    "is",
    "are",
    "the",
    "a",
    "an",
    "of",
    "to",
    "in",
    "on",
    "for",
    "and",
    "or",
    "with",
    "from",
    "by",
    "there",
    "any",
    "you",
    "your",
    "has",
    "have",
    "been",
    "their",
    "they",
    "it",
    "its",
}

NL_STOP = frozenset(STOPWORDS_DUTCH) | _EXTRA_NL
EN_STOP = frozenset(STOPWORDS_EN) | _EXTRA_EN


@lru_cache(maxsize=100_000)
def fold(text: str) -> str:
    """Lowercase without accents ("geïntegreerde" == "geintegreerde").

    Cached: answer composition folds the same candidate sentences for every question.
    """
    if text.isascii():
        return text.lower()
    text = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in text if not unicodedata.combining(c))


def words(text: str) -> list[str]:
    return _WORD.findall(fold(text))


@lru_cache(maxsize=1)
def _stemmer():
    import Stemmer

    # The classic Dutch Porter stemmer: the newer 'dutch' algorithm strips the "ge-" prefix and
    # turns "gemeenten" into "meen".
    return Stemmer.Stemmer("dutch_porter")


@lru_cache(maxsize=50_000)
def stem(word: str) -> str:
    return _stemmer().stemWord(word)


def analyze(text: str) -> list[str]:
    """Tokens for BM25: folded words, Dutch stop words removed, Dutch-stemmed.

    Hyphenated names count whole and by their parts ("Oss-Uden-Meierijstad" also finds "Oss").
    """
    out = []
    for w in words(text):
        parts = re.split(r"[-/]", w) if ("-" in w or "/" in w) else []
        for t in [w, *parts]:
            if t not in NL_STOP and len(t) > 1:
                out.append(stem(t))
    return out


def content_words(text: str) -> list[str]:
    """Words that carry the topic of a question, in either language."""
    return [w for w, _, _ in content_word_spans(text)]


def content_word_spans(text: str) -> list[tuple[str, int, int]]:
    """``content_words`` with their character offsets in ``fold(text)``.

    The offsets let the retriever tell which words of an English question a glossary phrasing
    (``assistant.glossary.Match``, offsets in the same folded text) stands for.
    """
    return [
        (m.group(), m.start(), m.end())
        for m in _WORD.finditer(fold(text))
        if m.group() not in NL_STOP and m.group() not in EN_STOP and len(m.group()) > 1
    ]


def surface_words(text: str) -> set[str]:
    """Folded words and the parts of hyphenated ones (for matching names)."""
    out = set()
    for w in words(text):
        out.add(w)
        if "-" in w or "/" in w:
            out.update(p for p in re.split(r"[-/]", w) if p)
    return out


def detect_language(text: str) -> str:
    """'en' or 'nl' by counting function words that belong to one language only; ties: 'nl'."""
    ws = words(text)
    en = sum(1 for w in ws if w in EN_STOP and w not in NL_STOP)
    nl = sum(1 for w in ws if w in NL_STOP and w not in EN_STOP)
    return "en" if en > nl else "nl"
