"""Turn a follow-up ("en in Lelystad?") into a standalone question before retrieval.

With a language model configured the model rewrites it; otherwise (or when the model fails) a
rule does: a short question that starts like a continuation, or names only a place or a theme,
borrows the previous question and adds or swaps the new part.

>>> from ingest.settings import BUNDLED_TAXONOMY
>>> tx = Taxonomy.load(BUNDLED_TAXONOMY)
>>> rewrite_rule("en in Lelystad?", ["Wat doet de gemeente aan huisvesting?"], tx)
'Wat doet de gemeente aan huisvesting in Lelystad?'
>>> rewrite_rule("Wat is het OOGO?", ["Wat doet de gemeente aan huisvesting?"], tx)
'Wat is het OOGO?'
"""

from __future__ import annotations

import re

from ingest.tags import Taxonomy

from .text import detect_language, words

_CONTINUATION = re.compile(
    r"^\s*(en|maar|ook|dus|en wat|en hoe|hoe zit het met|wat als|and|but|also|what about|"
    r"how about|and what|and how)\b[\s,]*",
    re.I,
)
_QUESTION_WORD = re.compile(
    r"^\s*(wat|hoe|welke|wie|waar|waarom|wanneer|hoeveel|kan|kunnen|moet|is|zijn|heeft|hebben|"
    r"what|how|which|who|where|why|when|can|could|should|is|are|does|do|did)\b",
    re.I,
)


def is_follow_up(question: str, taxonomy: Taxonomy) -> bool:
    """Does the question lean on the previous one (continuation word, or a bare place/theme)?"""
    if _CONTINUATION.match(question):
        return True
    if len(words(question)) <= 3 and not _QUESTION_WORD.match(question):
        tx = taxonomy
        return bool(tx.regions_for(question) or tx.themes_for(question))
    return False


def rewrite_rule(question: str, history: list[str], taxonomy: Taxonomy) -> str:
    """Standalone question without a language model (see module docstring)."""
    if not history or not is_follow_up(question, taxonomy):
        return question
    tx = taxonomy
    previous = history[-1].strip()
    addition = _CONTINUATION.sub("", question).strip().rstrip("?").strip()
    if not addition:
        return previous
    base = previous.rstrip("?").strip()
    new_regions = tx.regions_for(addition)
    if new_regions:
        # A new place takes the place of the previous one; otherwise it is added.
        said = next(
            m.group(0)
            for name, pat in tx.regions
            if name in new_regions and (m := pat.search(addition))
        )
        for name, pat in tx.regions:
            if name not in new_regions and pat.search(base):
                return pat.sub(said, base, count=1) + "?"
        if not re.match(r"^(in|bij|voor|van|uit|at|for|from)\b", addition, re.I):
            addition = "in " + addition
        return f"{base} {addition}?"
    new_themes = tx.themes_for(addition)
    if new_themes:
        # A new theme replaces the words of the previous theme.
        for t in tx.themes:
            m = t.pattern.search(base)
            if t.key not in new_themes and m:
                return f"{base[: m.start()]}{addition}{base[m.end() :]}?"
    if re.match(r"^(in|bij|voor|van|uit|over|met|op|at|for|from|about|with|on)\b", addition, re.I):
        return f"{base} {addition}?"
    joiner = "and" if detect_language(previous) == "en" else "en"
    return f"{base} {joiner} {addition}?"
