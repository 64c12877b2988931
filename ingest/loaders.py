"""Read .txt, .md, .pdf and .docx files into pages of raw text.

>>> doc = load_file(Path("corpus/stappenplan-inclusief-onderwijs-2025-2027.txt"))
>>> doc.pages[0].number is None   # text files have no pages
True
"""

from __future__ import annotations

import hashlib
import io
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from .errors import IngestError, UnsupportedFile

SUPPORTED = (".txt", ".md", ".pdf", ".docx")
METADATA_FILES = {"catalog.yaml", "taxonomy.yaml"}


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
                if f.is_file() and not any(part.startswith(".") for part in rel.parts) \
                        and f.name not in METADATA_FILES:
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
            path, f"bestandstype '{ext or '(geen extensie)'}' wordt niet ondersteund "
                  f"(wel: {', '.join(SUPPORTED)})")
    if not path.exists():
        raise IngestError(path, "bestand bestaat niet")
    size = path.stat().st_size
    if max_bytes is not None and size > max_bytes:
        raise IngestError(
            path, f"bestand is {size / 1048576:.1f} MB; de grens is {max_bytes / 1048576:.0f} MB "
                  "(instelling INCLUSIE_MAX_FILE_MB)")
    if size == 0:
        raise IngestError(path, "bestand is leeg")
    return path.read_bytes()


def parse_file(path: Path, data: bytes) -> RawDocument:
    """Parse bytes read by ``read_checked`` into pages of raw text."""
    ext = path.suffix.lower()
    sha = file_sha256(data)
    if ext in (".txt", ".md"):
        doc = RawDocument(path, ext[1:], [Page(None, _decode_text(path, data))], sha)
    elif ext == ".pdf":
        doc = _load_pdf(path, data, sha)
    else:
        doc = _load_docx(path, data, sha)
    if not any(pg.text.strip() for pg in doc.pages):
        what = "PDF bevat geen leesbare tekst (gescand document?)" if ext == ".pdf" \
            else "bestand bevat geen tekst"
        raise IngestError(path, what)
    return doc


def _decode_text(path: Path, data: bytes) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            pass
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise IngestError(
            path, f"tekst is geen geldige UTF-8 (byte {e.start}); sla het bestand op als UTF-8"
        ) from None
    if "\x00" in text:
        raise IngestError(path, "bestand lijkt binair, geen tekst")
    return text


def _load_pdf(path: Path, data: bytes, sha: str) -> RawDocument:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            # Many PDFs are "encrypted" with an empty user password and open fine.
            try:
                ok = reader.decrypt("")
            except Exception:  # noqa: BLE001 - pypdf raises several types for unsupported crypto
                ok = 0
            if not ok:
                raise IngestError(path, "PDF is beveiligd met een wachtwoord")
        pages = [Page(i + 1, page.extract_text() or "") for i, page in enumerate(reader.pages)]
        title = ""
        try:
            title = (reader.metadata.title or "") if reader.metadata else ""
        except Exception:  # noqa: BLE001 - broken info dictionaries are common and harmless
            title = ""
    except IngestError:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, OSError) as e:
        raise IngestError(path, f"PDF kan niet worden gelezen (beschadigd?): {_short(e)}") from None
    except Exception as e:  # noqa: BLE001 - pypdf may raise anything on malformed input
        raise IngestError(path, f"PDF kan niet worden gelezen: {_short(e)}") from None
    return RawDocument(path, "pdf", pages, sha, title_hint=str(title).strip())


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
    except Exception as e:  # noqa: BLE001 - zip/xml errors of every kind mean: not a valid docx
        raise IngestError(path, f"DOCX kan niet worden gelezen (beschadigd?): {_short(e)}") from None
    return RawDocument(path, "docx", [Page(None, "\n\n".join(lines))], sha, title_hint=title)


def _short(e: Exception) -> str:
    msg = unicodedata.normalize("NFC", str(e)).splitlines()[0] if str(e) else type(e).__name__
    return msg[:160]
