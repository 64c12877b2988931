"""Read .txt, .md, .pdf and .docx files into pages of raw text.

>>> doc = load_file(Path("corpus/stappenplan-inclusief-onderwijs-2025-2027.txt"))
>>> doc.pages[0].number is None   # text files have no pages
True
"""

from __future__ import annotations

import codecs
import hashlib
import io
import logging
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from .errors import IngestError, UnsupportedFile

SUPPORTED = (".txt", ".md", ".pdf", ".docx")
METADATA_FILES = {"catalog.yaml", "taxonomy.yaml", "glossary.yaml"}

# pypdf logs warnings on damaged files ("EOF marker not found"); with no logging configured Python
# prints them to stderr, as lines that name no file, next to our own one-line error. Apps that
# configure logging still receive them through the root logger.
logging.getLogger("pypdf").addHandler(logging.NullHandler())
# The libraries' own (English) reason for a file they cannot read goes here, at INFO level: the
# user gets one Dutch line, whoever reads the log with INFO on gets the details.
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Page:
    number: int | None  # 1-based PDF page; None for formats without pages
    text: str


@dataclass(frozen=True)
class RawDocument:
    path: Path
    fmt: str  # "txt", "md", "pdf", "docx"
    pages: list[Page]
    sha256: str  # of the file bytes: unchanged files are skipped on re-ingest
    title_hint: str = ""  # e.g. PDF/DOCX metadata title
    notice: str = ""  # Dutch, for the user: how the file was read when that is worth knowing


def file_sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def iter_files(paths: list[Path]) -> Iterator[tuple[Path, bool]]:
    """Yield (file, explicit) for each path; folders are walked recursively in a stable order.

    ``explicit`` is False for files found inside a folder: unsupported ones there are skipped
    rather than reported as failures.
    """
    for p in paths:
        if p.is_dir():
            for f in sorted(p.rglob("*")):
                rel = f.relative_to(p)
                if (
                    f.is_file()
                    and not any(part.startswith(".") for part in rel.parts)
                    and f.name not in METADATA_FILES
                ):
                    yield f, False
        else:
            yield p, True


def load_file(path: Path, max_bytes: int | None = None) -> RawDocument:
    """Read one file; raise IngestError with a one-line Dutch reason on bad input."""
    return parse_file(path, read_checked(path, max_bytes))


def read_checked(path: Path, max_bytes: int | None = None) -> bytes:
    """The file's bytes, after the checks that need no parsing (type, existence, size)."""
    ext = path.suffix.lower()
    if ext not in SUPPORTED:
        raise UnsupportedFile(
            path,
            f"bestandstype '{ext or '(geen extensie)'}' wordt niet ondersteund "
            f"(wel: {', '.join(SUPPORTED)})",
        )
    if not path.exists():
        raise IngestError(path, "bestand bestaat niet")
    if not path.is_file():
        raise IngestError(path, "is geen bestand")
    size = path.stat().st_size
    if max_bytes is not None and size > max_bytes:
        raise IngestError(
            path,
            f"bestand is {size / 1048576:.1f} MB; de grens is {max_bytes / 1048576:g} MB "
            "(instelling INCLUSIE_MAX_FILE_MB)",
        )
    if size == 0:
        raise IngestError(path, "bestand is leeg")
    try:
        return path.read_bytes()
    except OSError as e:  # permission denied, a directory named *.txt, a vanished network file
        raise IngestError(path, f"bestand kan niet worden gelezen ({e.strerror or e})") from None


def parse_file(path: Path, data: bytes) -> RawDocument:
    """Parse bytes read by ``read_checked`` into pages of raw text."""
    ext = path.suffix.lower()
    sha = file_sha256(data)
    if ext in (".txt", ".md"):
        text, encoding = decode_text(path, data)
        notice = (
            f"geen UTF-8; gelezen als {encoding} (herkend aan de tekens). Staan er vreemde "
            "tekens in de passages, sla het bestand dan op als UTF-8 en lees het opnieuw in"
            if encoding
            else ""
        )
        doc = RawDocument(path, ext[1:], [Page(None, text)], sha, notice=notice)
    elif ext == ".pdf":
        doc = _load_pdf(path, data, sha)
    else:
        doc = _load_docx(path, data, sha)
    if not any(pg.text.strip() for pg in doc.pages):
        what = (
            "PDF bevat geen leesbare tekst (gescand document?)"
            if ext == ".pdf"
            else "bestand bevat geen tekst"
        )
        raise IngestError(path, what)
    return doc


# Single-byte encodings a Dutch text file that is not UTF-8 realistically has, most likely first:
# Windows exports (Windows-1252, a superset of Latin-1's letters), Latin-1/-9 from older Unix and
# web tools, Mac OS Roman from old Macs, DOS code pages from very old exports. Detection over all
# of charset-normalizer's encodings chose Central European and Nordic code pages for short Dutch
# texts ("Cafť" for "Café"), so it is asked to choose among these.
_ENCODINGS = {
    "cp1252": "Windows-1252",
    "latin_1": "ISO-8859-1 (Latin-1)",
    "iso8859_15": "ISO-8859-15 (Latin-9)",
    "mac_roman": "Mac OS Roman",
    "cp850": "DOS-codetabel 850",
    "cp437": "DOS-codetabel 437",
    "utf_16_le": "UTF-16 (little-endian)",
    "utf_16_be": "UTF-16 (big-endian)",
}
# Characters that are at home in Dutch text beyond ASCII: accented letters and typographic
# punctuation. A wrong code page turns "één" into "ŽŽn" or "co”rdinatie"; see ``_implausible``.
# The letters of Dutch's own spelling come first; the others (loan words, names) are allowed
# but count a little, so that a one-letter tie between code pages goes to "coördinatie" rather
# than "coîrdinatie".
_DUTCH_LETTERS = set("éëïöüèÉËÏÖÜÈ")
_DUTCH_EXTRA = _DUTCH_LETTERS | set("áàóòúùçêôîâûíñÁÀÓÚÇ€“”‘’„–—…•·°§½¼¾²³×«»")
_WORD_INNER = set("’'-\u00ad")


def decode_text(path: Path, data: bytes) -> tuple[str, str]:
    """The text of a .txt/.md file and, when it was not UTF-8, the name of the encoding used.

    UTF-8 (with or without a byte-order mark) and UTF-16 with a mark are read as they are.
    Anything else is decoded by detection (charset-normalizer, choosing among ``_ENCODINGS``),
    the candidates ranked by how much of the result looks like Dutch text. Bytes that no text
    encoding explains are refused as binary.

    >>> decode_text(Path("x.txt"), "Café en coördinatie".encode("cp1252"))
    ('Café en coördinatie', 'Windows-1252')
    >>> decode_text(Path("x.txt"), "één".encode("utf-8"))
    ('één', '')
    """
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return _not_binary(path, data.decode("utf-16")), ""
        except UnicodeDecodeError:
            pass
    try:
        return _not_binary(path, data.decode("utf-8-sig")), ""
    except UnicodeDecodeError:
        pass
    candidates: list[tuple[str, str]] = []  # (encoding key, text), best guess first
    try:
        from charset_normalizer import from_bytes

        for match in from_bytes(data, cp_isolation=list(_ENCODINGS)):
            for enc in [match.encoding, *match.could_be_from_charset]:
                if enc in _ENCODINGS and all(enc != e for e, _ in candidates):
                    candidates.append((enc, str(match)))
    except ImportError:  # pragma: no cover - a declared dependency; plain fallback below
        pass
    if b"\x00" not in data:
        for enc in ("cp1252", "latin_1"):  # what detection may have left out
            if all(enc != e for e, _ in candidates):
                try:
                    candidates.append((enc, data.decode(enc)))
                except UnicodeDecodeError:
                    pass
        mixed = _mostly_utf8(data)
        if mixed is not None:
            candidates.append(("utf8+cp1252", mixed))
    candidates = [(e, t) for e, t in candidates if not _control_heavy(t)]
    if not candidates:
        raise IngestError(path, "bestand lijkt binair, geen tekst")
    order = list(_ENCODINGS)
    enc, text = min(
        candidates,
        key=lambda c: (_implausible(c[1]), order.index(c[0]) if c[0] in order else len(order)),
    )
    label = _ENCODINGS.get(enc, "UTF-8 met losse Windows-1252-tekens")
    return _not_binary(path, text), label


def _not_binary(path: Path, text: str) -> str:
    if "\x00" in text:
        raise IngestError(path, "bestand lijkt binair, geen tekst")
    return text


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f\ue000-\uf8ff]")
_NON_ASCII = re.compile(r"[^\x00-\x7f]")


def _control_heavy(text: str) -> bool:
    """More than one character in a hundred is a control character: not text in this encoding."""
    return len(_CONTROL.findall(text)) > max(2, len(text) // 100)


def _implausible(text: str) -> float:
    """How many characters of ``text`` a Dutch text would not have: non-ASCII characters that
    are neither accented letters nor typographic punctuation, and punctuation inside a word
    (letters outside Dutch spelling count for 0.3)."""
    bad = 0.0
    for m in _NON_ASCII.finditer(text):
        c, i = m.group(), m.start()
        if c not in _DUTCH_EXTRA:
            bad += 1
        elif c.isalpha() and c not in _DUTCH_LETTERS:
            bad += 0.3
        elif (
            not c.isalpha()
            and c not in _WORD_INNER
            and 0 < i < len(text) - 1
            and text[i - 1].isalpha()
            and text[i + 1].isalpha()
        ):
            bad += 1
    return bad


def _read_as_cp1252(err: UnicodeError) -> tuple[str, int]:
    assert isinstance(err, UnicodeDecodeError)
    bad = err.object[err.start : err.end]
    return bad.decode("cp1252", errors="replace"), err.end


codecs.register_error("inclusie-cp1252", _read_as_cp1252)


def _mostly_utf8(data: bytes) -> str | None:
    """UTF-8 text with a few stray Windows-1252 bytes (pasted from another file), decoded; None
    unless the valid multi-byte UTF-8 characters outnumber the stray bytes."""
    valid = data.decode("utf-8", errors="ignore")
    stray = len(data) - len(valid.encode("utf-8"))
    if sum(not c.isascii() for c in valid) <= stray:
        return None
    return data.decode("utf-8", errors="inclusie-cp1252")


def _load_pdf(path: Path, data: bytes, sha: str) -> RawDocument:
    from pypdf import PdfReader

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            # Many PDFs are "encrypted" with an empty user password and open fine.
            try:
                ok = bool(reader.decrypt(""))
            except Exception:
                ok = False
            if not ok:
                raise IngestError(path, "PDF is beveiligd met een wachtwoord")
        pages = [Page(i + 1, _page_text(page)) for i, page in enumerate(reader.pages)]
        title = ""
        try:
            title = (reader.metadata.title or "") if reader.metadata else ""
        except Exception:
            title = ""
    except IngestError:
        raise
    except Exception as e:  # pypdf raises many kinds, all with English messages
        log.info("%s: pypdf: %s", path, _short(e))
        raise IngestError(
            path, "PDF kan niet worden gelezen: het bestand is beschadigd of geen echte PDF"
        ) from None
    return RawDocument(path, "pdf", pages, sha, title_hint=str(title).strip())


def _page_text(page) -> str:
    """A PDF page's text, with a blank line where the vertical gap between lines opens a new block.

    pypdf ends every line with a single newline, so a heading, a TIP box and the paragraphs of a
    page ran together and the cleaner reflowed the whole page into one paragraph: no sections, no
    tip passages. The documents in corpus/ (extracted with another tool) keep such gaps as blank
    lines; this restores them. A gap is a drop clearly larger than the page's line spacing (the
    smallest drop between lines), or a jump upwards (next column, text box).
    """
    frags: list[tuple[str, float, float]] = []

    def visit(text, cm, tm, font_dict, font_size):
        y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]  # baseline in page space
        frags.append((text, y, abs(font_size * tm[3] * cm[3]) or float(font_size or 0)))

    raw = page.extract_text(visitor_text=visit) or ""
    if "".join(t for t, _, _ in frags) != raw:
        return raw  # the visitor did not see exactly the page text: keep pypdf's own
    # (baseline, font size) of each line of ``raw``: where its first visible fragment was drawn.
    where: list[tuple[float, float] | None] = [None]
    for text, y, size in frags:
        for k, piece in enumerate(text.split("\n")):
            if k:
                where.append(None)
            if piece.strip() and where[-1] is None and k == 0:
                where[-1] = (y, size)
    lines = raw.split("\n")
    drops = [
        a[0] - b[0]
        for a, b in zip(where, where[1:])
        if a and b and a[0] - b[0] > 0.5 * max(a[1], 1.0)
    ]
    if not drops:
        return raw
    step = min(drops)
    out = [lines[0]]
    for i in range(1, len(lines)):
        a, b = where[i - 1], where[i]
        if a and b and (a[0] - b[0] > 1.3 * step or b[0] - a[0] > max(a[1], 1.0)):
            out.append("")
        out.append(lines[i])
    return "\n".join(out)


_HEADING_STYLE = re.compile(r"^(heading|kop)\s*(\d)", re.I)


def _load_docx(path: Path, data: bytes, sha: str) -> RawDocument:
    """DOCX paragraphs and tables in body order; headings become markdown '#' lines."""
    try:
        import docx
        from docx.table import Table
        from docx.text.paragraph import Paragraph

        d = docx.Document(io.BytesIO(data))
        lines: list[str] = []
        for block in d.iter_inner_content():
            if isinstance(block, Paragraph):
                text = block.text.strip()
                if not text:
                    continue
                style = (block.style.name if block.style is not None else "") or ""
                m = _HEADING_STYLE.match(style)
                if m or style.lower() == "title":
                    level = int(m.group(2)) if m else 1
                    lines.append("#" * min(level, 6) + " " + text)
                elif "list" in style.lower():
                    lines.append("- " + text)
                else:
                    lines.append(text)
            elif isinstance(block, Table):
                for row in block.rows:
                    cells = [c.text.strip() for c in row.cells]
                    cells = [c for i, c in enumerate(cells) if c and c not in cells[:i]]
                    if cells:
                        lines.append(" | ".join(cells))
        title = (d.core_properties.title or "").strip()
    except Exception as e:  # python-docx and zipfile raise English messages
        log.info("%s: python-docx: %s", path, _short(e))
        raise IngestError(
            path, "DOCX kan niet worden gelezen: het bestand is beschadigd of geen Word-document"
        ) from None
    return RawDocument(path, "docx", [Page(None, "\n\n".join(lines))], sha, title_hint=title)


def _short(e: Exception) -> str:
    msg = unicodedata.normalize("NFC", str(e)).splitlines()[0] if str(e) else type(e).__name__
    return msg[:160]
