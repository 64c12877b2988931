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
from functools import cached_property

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
        i = bisect.bisect_right(self._mark_offsets, offset) - 1
        return self.page_marks[max(i, 0)][1]

    def marks_between(self, start: int, end: int) -> list[tuple[int, int]]:
        """The page marks strictly inside (start, end)."""
        offsets = self._mark_offsets
        return self.page_marks[
            bisect.bisect_right(offsets, start) : bisect.bisect_left(offsets, end)
        ]

    @cached_property
    def _mark_offsets(self) -> list[int]:
        # Built once (page_marks is not changed after cleaning): the chunker asks for the pages
        # of every passage, and building this list on every call grew with the square of a long
        # PDF's length.
        return [o for o, _ in self.page_marks]


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


def _joint(tail: str, b: str) -> tuple[bool, str, bool]:
    """How a paragraph joins line ``b`` to text ending in ``tail`` (its last two characters):
    (drop the trailing hyphen, separator, was_word_join)."""
    if tail.endswith("-") and len(tail) > 1 and tail[-2].isalpha() and b[:1].isalpha():
        space = b.find(" ")
        next_word = (b if space < 0 else b[:space]).rstrip(",.;:")
        if next_word in _KEEP_HYPHEN_NEXT:
            return False, " ", False  # "jeugd- en buurtvoorzieningen"
        if b[0].islower():
            if tail[-2].isupper():
                return False, "", True  # "VN-" + "verdrag"
            return True, "", True  # "ondersteunings-" + "structuur"
    if tail.endswith("/") and b[:1].isalpha():
        return False, "", True  # "samenleving/" + "gemeente"
    return False, " ", False


def _continues(prev_start: str, prev_last: str, nxt: str) -> bool:
    """Does the block ``nxt`` continue the sentence of the block before it (broken by a blank
    line)? Of that block only its first characters (``prev_start``, enough to see a heading mark)
    and its last character are needed."""
    if not prev_start or not nxt or _MD_HEADING.match(prev_start) or _MD_HEADING.match(nxt):
        return False
    if prev_last in _TERMINAL:
        return False
    if prev_last == "-" and nxt[0].isalpha():
        return True
    if nxt[0].islower() or re.match(r"^\([a-z]", nxt):
        return True
    # "... leermoeilijkheden" / "- samen haar school kunnen gaan."
    return bool(re.match(r"^[-–]\s+[a-z]", nxt))


class _Piece:
    """Text of one page within a paragraph item, kept as its lines and separators.

    Joining a line by concatenating strings copied the paragraph so far for every line, which
    grows with the square of a paragraph's length (a PDF with few paragraph breaks); the parts are
    joined once, when the text is emitted.
    """

    __slots__ = ("page", "parts")

    def __init__(self, text: str, page: int | None):
        self.parts = [text]
        self.page = page

    def text(self) -> str:
        return "".join(self.parts)

    def head(self, n: int) -> str:
        """The first ``n`` characters (fewer if the text is shorter)."""
        out = ""
        for part in self.parts:
            out += part[: n - len(out)]
            if len(out) >= n:
                break
        return out

    def tail(self, n: int = 2) -> str:
        """The last ``n`` characters (fewer if the text is shorter)."""
        out = ""
        for part in reversed(self.parts):
            out = part[max(0, len(part) - (n - len(out))) :] + out
            if len(out) >= n:
                break
        return out

    def join(self, line: str, page: int | None, item: list[_Piece]) -> bool:
        """Append ``line`` (on ``page``) to this piece, the last of ``item``; a line on another
        page starts a new piece after the separator. Returns whether a word was re-joined."""
        drop, sep, word_join = _joint(self.tail(), line)
        if drop:  # only ever the last character of the last line added
            while not self.parts[-1]:
                self.parts.pop()
            self.parts[-1] = self.parts[-1][:-1]
        if sep:
            self.parts.append(sep)
        if page == self.page:
            self.parts.append(line)
        else:  # keep the page boundary: split at the join point
            item.append(_Piece(line, page))
        return word_join


def _item_head(item: list[_Piece], n: int) -> str:
    out = ""
    for piece in item:
        out += piece.head(n - len(out))
        if len(out) >= n:
            break
    return out


def _last_char(item: list[_Piece]) -> str:
    for piece in reversed(item):
        last = piece.tail(1)
        if last:
            return last
    return ""


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
    # list of pieces, one per page, so that page marks survive the joins.
    word_joins = 0

    def reflow(block: list[_Line]) -> list[list[_Piece]]:
        nonlocal word_joins
        items: list[list[_Piece]] = []
        for ln in block:
            # A bullet starts a new item after a finished line or another bullet; otherwise a
            # leading dash is part of the sentence ("Onderwijs / - Jeugdhulp ingericht").
            # (Eight characters hold any heading or bullet mark.)
            starts_item = (
                not items
                or _MD_HEADING.match(ln.text)
                or _MD_HEADING.match(items[-1][0].head(8))
                or (
                    _BULLET.match(ln.text) is not None
                    and (
                        _last_char(items[-1]) in _TERMINAL
                        or _BULLET.match(items[-1][0].head(8)) is not None
                    )
                )
            )
            if starts_item:
                items.append([_Piece(ln.text, ln.page)])
            else:
                word_joins += items[-1][-1].join(ln.text, ln.page, items[-1])
        return items

    paragraphs = [reflow(b) for b in blocks]

    # Merge blocks that continue a sentence across a blank line.
    merged: list[list[list[_Piece]]] = []
    for para in paragraphs:
        first_item = "".join(p.text() for p in para[0])
        if merged and _continues(
            _item_head(merged[-1][-1], 8), _last_char(merged[-1][-1]), first_item
        ):
            last_item = merged[-1][-1]
            first = para[0][0]
            word_joins += last_item[-1].join(first.text(), first.page, last_item)
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
            for piece in item:
                text = piece.text()
                if piece.page is not None and (not marks or marks[-1][1] != piece.page):
                    marks.append((pos, piece.page))
                out.append(text)
                pos += len(text)
    return CleanText("".join(out), marks, removed, word_joins)


def clean_text(text: str) -> CleanText:
    """Clean a document without pages (txt, md, docx)."""
    return clean_pages([(None, text)])
