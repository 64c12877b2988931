"""Structure-aware chunking of cleaned text into ``Passage`` records.

Sections follow headings. Every TIP block and every quoted practice example becomes a passage of
its own (split at sentence boundaries only when it does not fit the embedder's input). Running text
is grouped per section into passages of roughly 120-350 words, split evenly at paragraph, then
sentence, boundaries. Each passage is an exact slice ``text[start:end]`` of the cleaned text.

Running text is a practice example too where the document says so: under a title or heading that
says "Praktijkvoorbeeld", in a collection of practice examples where the passage names a region,
when the passage opens by telling what a named region did ("In de gemeente Zeewolde ..."), or,
in a document of no other stated kind, when the whole document is about one named place. Without
a catalog entry the document's kind comes from its own words (``tags.infer_doc_kind``).

>>> from ingest.clean import clean_text
>>> from ingest.settings import BUNDLED_TAXONOMY
>>> c = clean_text("Leerlingenvervoer\\n\\nTIP: Maak een analyse van de vervoersstromen.")
>>> tx = Taxonomy.load(BUNDLED_TAXONOMY)
>>> [p.kind for p in chunk_document(c, doc_id="d", title="T", taxonomy=tx)]
['tip']
"""

from __future__ import annotations

import bisect
import functools
import math
import re
from collections.abc import Callable
from dataclasses import dataclass

from .clean import CleanText
from .passage import Passage
from .sentences import BULLET, embed_text_for, sentence_spans, word_count
from .tags import (
    DocumentRegions,
    Taxonomy,
    infer_doc_kind,
    marks_example,
    marks_examples,
    names_another_kind,
)

# Bump when chunk boundaries or passage fields change: the index is then rebuilt, never mixed.
CHUNKER_VERSION = "7"

MIN_WORDS = 120
TARGET_WORDS = 250
MAX_WORDS = 350
CARRY_WORDS = 60  # a section tail shorter than this joins the next section's text

_TERMINAL = tuple('.!?;:,”"…’')
_QUOTE_OPEN = ("“", "„", '"')
_QUOTE_CLOSE = re.compile(r"[”\"’][.)]?$")
_TIP = re.compile(r"^(TIP|Tip)\s*:")
_MD_HEADING = re.compile(r"^#{1,6}\s+")
# "In Utrecht ...", "Binnen de regio Stromenland ...", "In samenwerkingsverband Driegang ..."
_EXAMPLE_START = re.compile(
    r"^[“„\"](?:In|Binnen|Bij|Vanuit)\s+"
    r"(?:(?:de|het|gemeente|regio|grote|samenwerkingsverband|SWV|PO|VO)\s+)*(?:[A-Z][a-z]|[’']s-)"
)
# The same opening in running text; there the place must be a region the document knows.
_REGION_LED = re.compile(
    r"^(?:In|Binnen|Bij|Vanuit)\s+"
    r"(?:(?:de|het|gemeente|regio|grote|samenwerkingsverband|SWV|PO|VO)\s+)*(?P<rest>.{1,80})",
    re.S,
)
_PLACE_SUBJECT = re.compile(
    r"^(?:De\s+|Het\s+)?(?:gemeente|regio|samenwerkingsverband|SWV)\s+(?:(?:PO|VO)\s+)?"
    r"(?P<rest>.{1,80})",
    re.S,
)
MIN_EXAMPLE_WORDS = 30


@dataclass
class _Block:
    start: int
    end: int
    text: str
    kind: str = "text"  # heading | tip | quote | text


@dataclass
class _Unit:
    start: int
    end: int
    kind: str
    section: str
    words: int


def _with_bullet(text: str, lo: int, start: int) -> int:
    """A sentence start moved back over its list marker ("1. ", "- ") at the start of its line.

    sentence_spans leaves bullets out so a sentence can be quoted alone; a passage cut at such a
    sentence must still begin with the marker, or the "1." of a numbered list was in no passage
    (found by tests/test_fuzz.py).

    Only the marker and the whitespace around it are looked at, never the rest of the line: a
    search back to the line start for every sentence made a long line quadratic.
    """
    q = start
    while q > lo and text[q - 1] != "\n" and text[q - 1].isspace():
        q -= 1
    if q == start or q == lo:
        return start
    # The marker BULLET allows: one bullet character, or one or two digits and '.' or ')'.
    m = q - 1
    if text[m] in ".)":
        if m - 1 < lo or not text[m - 1].isdecimal():
            return start
        m -= 1
        if m - 1 >= lo and text[m - 1].isdecimal():
            m -= 1
    elif text[m] not in "-–•*·▪◦":
        return start
    p = m
    while p > lo and text[p - 1] != "\n" and text[p - 1].isspace():
        p -= 1
    return m if p == lo or text[p - 1] == "\n" else start


def _blocks(text: str) -> list[_Block]:
    blocks = []
    for m in re.finditer(r"[^\n](?:.|\n(?!\n))*", text):
        raw = m.group(0)
        stripped = raw.rstrip()
        if stripped.strip():
            lead = len(raw) - len(raw.lstrip())
            blocks.append(_Block(m.start() + lead, m.start() + len(stripped), stripped.strip()))
    return blocks


def _heading_like(b: _Block) -> bool:
    t = b.text
    if _MD_HEADING.match(t):
        return True
    if "\n" in t or word_count(t) > 16 or t.endswith(_TERMINAL):
        return False
    if t.startswith(_QUOTE_OPEN + ("‘", "(")) or _TIP.match(t) or BULLET.match(t):
        return False
    if re.search(r"www\.|https?:|@", t):
        return False
    return t[0].isupper() or t[0].isdigit()


def _classify(blocks: list[_Block]) -> None:
    like = [_heading_like(b) for b in blocks]
    before = 0  # heading-like blocks (not tips) directly above this one, counted as we go
    for i, b in enumerate(blocks):
        tip = bool(_TIP.match(b.text))
        if tip:
            b.kind = "tip"
        elif like[i]:
            # In a run of heading-like lines only the last one heads the text below; the others
            # are a list (e.g. a diagram's labels). In a long run the last one is a heading only
            # when it is short; with nothing below it, it is not a heading either.
            is_md = bool(_MD_HEADING.match(b.text))
            nxt_like = i + 1 < len(blocks) and like[i + 1]
            last = i + 1 == len(blocks)
            run = 1 + before
            short_enough = run < 3 or word_count(b.text) <= 8
            b.kind = "heading" if is_md or (not nxt_like and not last and short_enough) else "text"
        elif b.text.startswith(_QUOTE_OPEN):
            b.kind = "quote"
        before = before + 1 if like[i] and not tip else 0


def _heading_text(t: str) -> str:
    return _MD_HEADING.sub("", t).strip()


def _heading_paths(blocks: list[_Block]) -> list[tuple[int, tuple[str, ...]]]:
    """(offset of each heading, the headings above it and itself, outermost first).

    Markdown headings nest by their level; a plain-text heading (no level) sits under the
    Markdown headings before it and ends at the next heading.
    """
    out: list[tuple[int, tuple[str, ...]]] = []
    stack: list[tuple[int, str]] = []
    for b in blocks:
        if b.kind != "heading":
            continue
        m = re.match(r"^(#{1,6})\s", b.text)
        level = len(m.group(1)) if m else 7
        while stack and stack[-1][0] >= level:
            stack.pop()
        stack.append((level, _heading_text(b.text)))
        out.append((b.start, tuple(h for _, h in stack)))
    return out


def _units(blocks: list[_Block]) -> list[_Unit]:
    """Merge multi-block quotes; attach sections."""
    units: list[_Unit] = []
    section = ""
    i = 0
    while i < len(blocks):
        b = blocks[i]
        if b.kind == "heading":
            section = _heading_text(b.text)
            units.append(_Unit(b.start, b.end, "heading", section, word_count(b.text)))
            i += 1
            continue
        if b.kind == "quote":
            j = i
            # A quote runs until its closing mark, but never across a heading or a TIP.
            while (
                not _QUOTE_CLOSE.search(blocks[j].text)
                and j + 1 < len(blocks)
                and j - i < 8
                and blocks[j + 1].kind in ("text", "quote")
                and not blocks[j + 1].text.startswith(_QUOTE_OPEN)
            ):
                j += 1
            words = sum(word_count(x.text) for x in blocks[i : j + 1])
            units.append(_Unit(b.start, blocks[j].end, "quote", section, words))
            i = j + 1
            continue
        units.append(_Unit(b.start, b.end, b.kind, section, word_count(b.text)))
        i += 1
    return units


def chunk_document(
    clean: CleanText,
    *,
    doc_id: str,
    title: str,
    doc_kind: str | None = None,
    source: str = "",
    taxonomy: Taxonomy,
    count_tokens: Callable[[str], int] | None = None,
    max_tokens: int = 0,
    min_words: int = MIN_WORDS,
    max_words: int = MAX_WORDS,
) -> list[Passage]:
    """Split a cleaned document into passages (see module docstring).

    ``doc_kind`` is the kind from the catalog; ``None`` infers it from the text.
    """
    text = clean.text
    blocks = _blocks(text)
    _classify(blocks)
    units = _units(blocks)
    regions = taxonomy.document_regions(title, text)

    spans: list[tuple[int, int, str, str]] = []  # start, end, kind, section

    @functools.cache  # split_span asks again about the pieces it has just measured
    def fits(a: int, b: int, section: str) -> bool:
        if word_count(text[a:b]) > max_words:
            return False
        if count_tokens and max_tokens:
            return count_tokens(embed_text_for(title, section, text[a:b])) <= max_tokens
        return True

    def split_span(
        a: int,
        b: int,
        section: str,
        target_words: int,
        sents: list[tuple[int, int]] | None = None,
    ) -> list[tuple[int, int]]:
        """Split [a, b) into sentence-aligned pieces near target size that fit.

        ``sents`` are the sentences of [a, b) when a caller already has them: a piece that is
        split again reuses its share of them, so no text goes through the segmenter twice.
        """
        if sents is None:
            sents = [(_with_bullet(text, a, a + s), a + e) for s, e in sentence_spans(text[a:b])]
        if len(sents) <= 1:
            return [(a, b)]  # one over-long sentence: keep it whole (embedder truncates)
        words = [word_count(text[s:e]) for s, e in sents]
        pieces: list[tuple[int, int, int]] = []  # start, end, index of the first sentence
        first = 0
        while first < len(sents):
            # A piece takes sentences while they stay within the target size and fit the
            # embedder. Counting tokens is the costly part, so the piece is counted whole and only
            # one that does not fit is counted again sentence by sentence (a longer span never
            # has fewer tokens): counting every growing prefix cost a count per sentence.
            end, total = first + 1, words[first]
            while end < len(sents) and total + words[end] <= target_words:
                total += words[end]
                end += 1
            start = sents[first][0]
            if end - first > 1 and not fits(start, sents[end - 1][1], section):
                end = first + 1
                while fits(start, sents[end][1], section):
                    end += 1
            pieces.append((start, sents[end - 1][1], first))
            first = end
        # Pieces that still do not fit (token-dense text) are halved again.
        out: list[tuple[int, int]] = []
        for n, (s, e, first) in enumerate(pieces):
            if not fits(s, e, section) and (s, e) != (a, b):
                last = pieces[n + 1][2] if n + 1 < len(pieces) else len(sents)
                half = max(20, word_count(text[s:e]) // 2)
                out.extend(split_span(s, e, section, half, sents[first:last]))
            else:
                out.append((s, e))
        return out

    def emit(a: int, b: int, kind: str, section: str) -> None:
        if fits(a, b, section):
            spans.append((a, b, kind, section))
            return
        n = max(2, math.ceil(word_count(text[a:b]) / max_words))
        for s, e in split_span(a, b, section, math.ceil(word_count(text[a:b]) / n)):
            spans.append((s, e, kind, section))

    buffer: list[_Unit] = []

    def flush() -> None:
        if not buffer:
            return
        total = sum(u.words for u in buffer)
        if (
            total < min_words / 3
            and spans
            and spans[-1][2] == "tekst"
            and fits(spans[-1][0], buffer[-1].end, spans[-1][3])
        ):
            # A tiny remainder (a closing line, a link) extends the passage before it.
            a, _, kind, sec = spans.pop()
            spans.append((a, buffer[-1].end, kind, sec))
            buffer.clear()
            return
        # A passage spanning small sections is labelled with all of them, in order.
        names: list[str] = []
        for u in buffer:
            if u.kind != "heading" and u.section and u.section not in names:
                names.append(u.section)
        section = " · ".join(names) if names else buffer[-1].section
        n = max(1, math.ceil(total / TARGET_WORDS))
        target = total / n
        groups: list[list[_Unit]] = [[]]
        acc = 0
        for u in buffer:
            if groups[-1] and acc + u.words > target * 1.15 and acc >= min_words / 2:
                groups.append([])
                acc = 0
            groups[-1].append(u)
            acc += u.words
        # A tiny tail (a closing line, a link) joins the group before it.
        if len(groups) > 1 and sum(u.words for u in groups[-1]) < min_words / 3:
            groups[-2].extend(groups.pop())
        for g in groups:
            emit(g[0].start, g[-1].end, "tekst", section)
        buffer.clear()

    paths = _heading_paths(blocks)

    def in_example(offset: int) -> bool:
        return any(marks_example(h) and not marks_examples(h) for h in _path_at(paths, offset))

    for u in units:
        if u.kind == "heading":
            # A section headed as a practice example is never merged with the text around it,
            # however short: it would make that text an example too, or hide the example in it.
            if buffer and (
                sum(x.words for x in buffer if x.kind != "heading") >= CARRY_WORDS
                or in_example(u.start) != in_example(buffer[0].start)
            ):
                flush()
            buffer.append(u)
        elif u.kind in ("tip", "quote"):
            # Headings directly above a tip or quote stay with it.
            start = u.start
            while buffer and buffer[-1].kind == "heading":
                start = buffer.pop().start
            flush()
            kind = "tip" if u.kind == "tip" else _quote_kind(text[u.start : u.end], regions)
            emit(start, u.end, kind, u.section)
        else:
            buffer.append(u)
            if sum(x.words for x in buffer) > max_words * 1.5:
                flush()
    flush()

    kinds = _example_kinds(text, title, paths, blocks, spans, regions, doc_kind)
    if doc_kind is None:
        doc_kind = infer_doc_kind(title, text)
        if doc_kind == "overig" and _mostly_examples(spans, kinds):
            doc_kind = "praktijkvoorbeelden"

    passages = []
    for (a, b, _, section), kind in zip(spans, kinds, strict=True):
        body = text[a:b]
        passages.append(
            Passage.create(
                doc_id=doc_id,
                title=title,
                text=body,
                section=section,
                page=clean.page_at(a),
                page_end=clean.page_at(max(a, b - 1)),
                page_marks=[(off - a, pg) for off, pg in clean.marks_between(a, b)],
                start=a,
                end=b,
                kind=kind,
                doc_kind=doc_kind,
                themes=taxonomy.themes_for(body, section),
                regions=regions.for_passage(body),
                source=source,
            )
        )
    return passages


def _quote_kind(quote: str, regions: DocumentRegions) -> str:
    """A quoted block is a practice example when it tells what a named region did."""
    if word_count(quote) >= MIN_EXAMPLE_WORDS and (
        regions.for_passage(quote) or _EXAMPLE_START.match(quote)
    ):
        return "praktijkvoorbeeld"
    return "tekst"


def _names_region(fragment: str, regions: DocumentRegions) -> bool:
    """Does ``fragment`` begin with a region of the document ("Zeewolde hebben ...")?"""
    return any(fragment.startswith(r) for r in regions.named) or any(
        pat.match(fragment) for _, pat in (*regions.taxonomy.regions, *regions.patterns)
    )


def _region_led(body: str, regions: DocumentRegions) -> bool:
    """Does running text open by telling what a named region did?

    "In de gemeente Zeewolde gingen ...", "Binnen regio Stromenland ...", "De gemeente Zeewolde
    en het samenwerkingsverband ..." — the place must be one the document knows as a region.
    """
    m = _REGION_LED.match(body) or _PLACE_SUBJECT.match(body)
    return m is not None and _names_region(m.group("rest"), regions)


def _example_kinds(
    text: str,
    title: str,
    paths: list[tuple[int, tuple[str, ...]]],
    blocks: list[_Block],
    spans: list[tuple[int, int, str, str]],
    regions: DocumentRegions,
    doc_kind: str | None,
) -> list[str]:
    """The kind of every span: running text becomes a practice example where the text says so
    (see the module docstring)."""
    # A document about one place that calls itself nothing else reads as one practice example:
    # a short report of what "gemeente Zeewolde" did. Only without a stated kind: a handbook or
    # a plan that names a region in its title is not one.
    about_place = (
        doc_kind is None
        and infer_doc_kind(title, text) == "overig"
        and not names_another_kind(title, text)
        and bool(regions.title_regions or _region_led(_opening(text, blocks), regions))
    )
    # Offsets for bisection: a long document has thousands of spans, blocks and headings.
    head_at = [off for off, _ in paths]
    text_at = [b.start for b in blocks if b.kind != "heading"]
    out: list[str] = []
    for a, b, kind, _ in spans:
        if kind != "tekst":
            out.append(kind)
            continue
        heads = [title, *_path_at(paths, a)]
        for i in range(bisect.bisect_left(head_at, a), bisect.bisect_left(head_at, b)):
            heads += paths[i][1]
        i = bisect.bisect_left(text_at, a)
        body = text[text_at[i] : b] if i < len(text_at) and text_at[i] < b else text[a:b]
        example = (
            about_place
            or any(marks_example(h) and not marks_examples(h) for h in heads)
            or (
                any(marks_examples(h) for h in heads)
                and bool(
                    regions.for_passage(body) or any(regions.for_passage(h) for h in heads[1:])
                )
            )
            or (word_count(body) >= MIN_EXAMPLE_WORDS and _region_led(body, regions))
        )
        out.append("praktijkvoorbeeld" if example else "tekst")
    return out


def _path_at(paths: list[tuple[int, tuple[str, ...]]], offset: int) -> tuple[str, ...]:
    """The headings above ``offset`` (``paths`` in document order)."""
    i = bisect.bisect_right(paths, offset, key=lambda x: x[0])
    return paths[i - 1][1] if i else ()


def _opening(text: str, blocks: list[_Block]) -> str:
    """The document's first paragraph of running text."""
    return next((text[b.start : b.end] for b in blocks if b.kind == "text"), "")


def _mostly_examples(spans: list[tuple[int, int, str, str]], kinds: list[str]) -> bool:
    """More than half of the document's text (tips aside) is practice examples."""
    size = {"praktijkvoorbeeld": 0, "tekst": 0}
    for (a, b, _, _), kind in zip(spans, kinds, strict=True):
        if kind in size:
            size[kind] += b - a
    return size["praktijkvoorbeeld"] > size["tekst"]
