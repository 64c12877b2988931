"""Repair PDF-extraction damage without dropping real content.

What is repaired (all seen in the shipped corpus):
- icon residue in front of "TIP:" (``H@2)``, ``S@``, ``2@y``, ``N``) and ``WY`` at line starts;
- lines holding only ``=`` (or other lone symbols) and lone page numbers;
- OCR slips: ``SWYV`` for ``SWV``, ``|eerlingen`` for ``leerlingen``;
- words hyphenated across line breaks (``ondersteunings-`` / ``structuur``), while keeping
  ``jeugd- en buurtvoorzieningen`` and ``VN-verdrag`` as written;
- hard-wrapped lines, and paragraphs broken by a blank line mid-sentence, reflowed.

The result keeps a map from character offsets to PDF pages, so a passage can cite its page.

>>> c = clean_pages([(None, "De ondersteunings-\\nstructuur van\\n\\nhet onderwijs.\\n=\\n")])
>>> c.text
'De ondersteuningsstructuur van het onderwijs.'
>>> c.removed
['=']
"""

from __future__ import annotations

import bisect
import re
import unicodedata
from dataclasses import dataclass, field

# Lines that are only an artifact: "=" and friends, bullets without text, lone page numbers.
_LONE_SYMBOL = re.compile(r"^[=~_*#|•·◦▪■□►]+$")
_LONE_NUMBER = re.compile(r"^\d{1,3}$")
# Icon residue in front of TIP: short tokens with '@', or the letters N / WY.
_TIP_RESIDUE = re.compile(r"^((?:(?:\S{0,4}@\S{0,4}|N|WY)\s+)+)(?=TIP\b)")
_WY_RESIDUE = re.compile(r"^(WY)\s+(?=[a-z|])")
_OCR_FIXES: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"\bSWYV\b"), "SWV"),
    (re.compile(r"(?<![\w|])\|(?=[a-z]{2})"), "l"),
]
_BULLET = re.compile(r"^(?:[-–•*·▪◦]|\d{1,2}[.)])\s+")
_TERMINAL = tuple(".!?:;”\"’'…")
_KEEP_HYPHEN_NEXT = {"en", "of", "tot", "t/m", "als"}
_MD_HEADING = re.compile(r"^#{1,6}\s")


@dataclass
class CleanText:
    text: str
    # (offset, page) pairs in increasing offset order; empty for documents without pages.
    page_marks: list[tuple[int, int]] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)  # artifacts dropped, for audits and tests
    word_joins: int = 0  # words re-joined across a line break (hyphen or slash)

    def page_at(self, offset: int) -> int | None:
        if not self.page_marks:
            return None
        i = bisect.bisect_right([o for o, _ in self.page_marks], offset) - 1
        return self.page_marks[max(i, 0)][1]


@dataclass
class _Line:
    text: str
    page: int | None


def _normalise(text: str) -> str:
    text = unicodedata.normalize("NFC", text)
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\f", "\n\n")
    text = re.sub(r"[\u00a0\u2007\u202f\t]", " ", text)
    text = re.sub(r"[\u200b\u200c\u200d\ufeff\u00ad]", "", text)  # zero-width, soft hyphen
    return text


def _fix_line(line: str, removed: list[str]) -> str | None:
    """Return the repaired line, or None when the whole line is an artifact."""
    s = line.strip()
    if not s:
        return ""
    if _LONE_SYMBOL.match(s) or _LONE_NUMBER.match(s):
        removed.append(s)
        return None
    m = _TIP_RESIDUE.match(s)
    if m:
        removed.extend(m.group(1).split())
        s = s[m.end(1) :]
    m = _WY_RESIDUE.match(s)
    if m:
        removed.append(m.group(1))
        s = s[m.end() :]
    for pat, rep in _OCR_FIXES:
        s = pat.sub(rep, s)
    s = re.sub(r" {2,}", " ", s)
    return s


def _join(a: str, b: str) -> tuple[str, bool]:
    """Join two pieces of one paragraph; returns (text, was_word_join)."""
    if a.endswith("-") and len(a) > 1 and a[-2].isalpha() and b[:1].isalpha():
        next_word = b.split(" ", 1)[0].rstrip(",.;:")
        if next_word in _KEEP_HYPHEN_NEXT:
            return a + " " + b, False  # "jeugd- en buurtvoorzieningen"
        if b[0].islower():
            if a[-2].isupper():
                return a + b, True  # "VN-" + "verdrag"
            return a[:-1] + b, True  # "ondersteunings-" + "structuur"
    if a.endswith("/") and b[:1].isalpha():
        return a + b, True  # "samenleving/" + "gemeente"
    return a + " " + b, False


def _continues(prev: str, nxt: str) -> bool:
    """Does the block ``nxt`` continue the sentence of block ``prev`` (broken by a blank line)?"""
    if not prev or not nxt or _MD_HEADING.match(prev) or _MD_HEADING.match(nxt):
        return False
    if prev.endswith(_TERMINAL):
        return False
    if prev.endswith("-") and nxt[0].isalpha():
        return True
    if nxt[0].islower() or re.match(r"^\([a-z]", nxt):
        return True
    # "... leermoeilijkheden" / "- samen haar school kunnen gaan."
    return bool(re.match(r"^[-–]\s+[a-z]", nxt))


def clean_pages(pages: list[tuple[int | None, str]]) -> CleanText:
    """Clean a document given as (page number, raw text) pairs."""
    removed: list[str] = []
    lines: list[_Line] = []
    for page, raw in pages:
        for line in _normalise(raw).split("\n"):
            fixed = _fix_line(line, removed)
            if fixed is not None:
                lines.append(_Line(fixed, page))
        lines.append(_Line("", page))  # a page break is a paragraph break unless text continues

    # Group into blocks of non-empty lines.
    blocks: list[list[_Line]] = []
    cur: list[_Line] = []
    for ln in lines:
        if ln.text:
            cur.append(ln)
        elif cur:
            blocks.append(cur)
            cur = []
    if cur:
        blocks.append(cur)

    # Reflow each block into items (one paragraph, or one line per list item). Each item is a
    # list of (text piece, page) so that page marks survive the joins.
    word_joins = 0

    def reflow(block: list[_Line]) -> list[list[tuple[str, int | None]]]:
        nonlocal word_joins
        items: list[list[tuple[str, int | None]]] = []
        for ln in block:
            # A bullet starts a new item after a finished line or another bullet; otherwise a
            # leading dash is part of the sentence ("Onderwijs / - Jeugdhulp ingericht").
            starts_item = (
                not items
                or _MD_HEADING.match(ln.text)
                or _MD_HEADING.match(items[-1][0][0])
                or (
                    _BULLET.match(ln.text) is not None
                    and (
                        _flat(items[-1]).endswith(_TERMINAL)
                        or _BULLET.match(items[-1][0][0]) is not None
                    )
                )
            )
            if starts_item:
                items.append([(ln.text, ln.page)])
            else:
                last_text, last_page = items[-1][-1]
                joined, hy = _join(last_text, ln.text)
                word_joins += hy
                if ln.page == last_page:
                    items[-1][-1] = (joined, last_page)
                else:  # keep the page boundary: split at the join point
                    head = joined[: len(joined) - len(ln.text)]
                    items[-1][-1] = (head, last_page)
                    items[-1].append((ln.text, ln.page))
        return items

    paragraphs: list[list[list[tuple[str, int | None]]]] = [reflow(b) for b in blocks]

    # Merge blocks that continue a sentence across a blank line.
    merged: list[list[list[tuple[str, int | None]]]] = []
    for para in paragraphs:
        if merged and _continues(_flat(merged[-1][-1]), _flat(para[0])):
            last_item = merged[-1][-1]
            last_text, last_page = last_item[-1]
            first_text, first_page = para[0][0]
            joined, hy = _join(last_text, first_text)
            word_joins += hy
            if first_page == last_page:
                last_item[-1] = (joined, last_page)
                last_item.extend(para[0][1:])
            else:
                head = joined[: len(joined) - len(first_text)]
                last_item[-1] = (head, last_page)
                last_item.append((first_text, first_page))
                last_item.extend(para[0][1:])
            merged[-1].extend(para[1:])
        else:
            merged.append(para)

    # Emit text and page marks.
    out: list[str] = []
    marks: list[tuple[int, int]] = []
    pos = 0
    for bi, para in enumerate(merged):
        if bi:
            out.append("\n\n")
            pos += 2
        for ii, item in enumerate(para):
            if ii:
                out.append("\n")
                pos += 1
            for piece, page in item:
                if page is not None and (not marks or marks[-1][1] != page):
                    marks.append((pos, page))
                out.append(piece)
                pos += len(piece)
    return CleanText("".join(out), marks, removed, word_joins)


def _flat(item: list[tuple[str, int | None]]) -> str:
    return "".join(t for t, _ in item)


def clean_text(text: str) -> CleanText:
    """Clean a document without pages (txt, md, docx)."""
    return clean_pages([(None, text)])
