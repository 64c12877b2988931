"""A briefing as Markdown or as a Word document, written atomically.

>>> to_docx(briefing, Path("briefing.docx"))                         # doctest: +SKIP
"""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Callable
from pathlib import Path

from ingest.passage import Passage

from .model import (
    REGION_SECTION,
    SUBSECTIONS,
    Briefing,
    BriefingExportError,
    Bullet,
    format_date,
)
from .phrase import phrasing_line

# -- Markdown -----------------------------------------------------------------------------------
_MD_SPECIAL = re.compile(r"([\\`*_|]|\](?=[(\[:])|^#)")


def _md(text: str, html_escape: bool) -> str:
    """Document or user text inside Markdown: no markup of its own survives (no emphasis, code,
    links, tables or raw HTML); plain "[n]" and brackets stay readable in the .md file."""
    text = _MD_SPECIAL.sub(r"\\\1", " ".join(text.split()))
    if html_escape:
        import html

        return html.escape(text, quote=False)
    return text.replace("<", r"\<").replace(">", r"\>")


def _md_bullet(x: Bullet, esc: Callable[[str], str]) -> str:
    if x.wording:
        body = f"**{esc(x.lead)}:** {esc(x.wording)}" if x.lead else esc(x.wording)
    elif x.trail:
        body = f"„{esc(x.text)}” *{esc(x.trail)}*"
    elif x.lead:
        body = f"**{esc(x.lead)}:** {esc(x.text)}"
    else:
        body = esc(x.text)
    return f"- {body} [{x.n}]"


def where(p: Passage) -> str:
    """Page and/or section of a source; text before the first heading says so."""
    return p.location or "begin van het document, vóór het eerste kopje"


def source_line(n: int, p: Passage) -> str:
    """'[n] Title — location (soort)' without markup."""
    return f"[{n}] {p.title} — {where(p)} ({p.kind})"


def region_heading(b: Briefing) -> str | None:
    """The heading of the visited region's own examples under other themes; None when there
    are none (the theme sections then show all of them)."""
    return f"{REGION_SECTION}: {b.region_key}" if b.region_key and b.eigen_regio else None


def _sources_by_document(b: Briefing) -> list[tuple[str, list[tuple[int, Passage]]]]:
    """The numbered sources grouped by document title, in order of first citation."""
    groups: dict[str, list[tuple[int, Passage]]] = {}
    for n, p in enumerate(b.sources, 1):
        groups.setdefault(p.title, []).append((n, p))
    return list(groups.items())


def title_line(b: Briefing) -> str:
    return f"Gespreksvoorbereiding schoolbezoek: {b.school}"


def subtitle_line(b: Briefing) -> str:
    parts = []
    if b.region:
        parts.append(f"Regio: {b.region_key or b.region}")
    parts.append(format_date(b.date))
    return " · ".join(parts)


def to_markdown(b: Briefing, html_escape: bool = False) -> str:
    """The briefing as Markdown. ``html_escape`` for a web preview (document text escaped)."""
    esc = lambda s: _md(s, html_escape)
    out = [f"# {esc(title_line(b))}", "", f"*{esc(subtitle_line(b))}*", "", "## Aanleiding", ""]
    aan = b.aanleiding
    out += [esc(aan[0]), ""]
    if b.notes:
        out += ["**Notities van de opsteller** (eigen woorden, geen bron):", ""]
        out += [f"> {esc(line)}" if line.strip() else ">" for line in b.notes.splitlines()]
        out.append("")
    out += [f"*{esc(aan[-1])}*", ""]
    phrased = phrasing_line(b)
    if phrased:
        out += [f"*{esc(phrased)}*", ""]
    heading = region_heading(b)
    if heading:
        out += [f"## {esc(heading)}", ""]
        out += [_md_bullet(x, esc) for x in b.eigen_regio] + [""]
    for i, sec in enumerate(b.sections, 1):
        out += [f"## {i}. {esc(sec.label)}", ""]
        for key, title in SUBSECTIONS:
            out += [f"### {title}", ""]
            if key in sec.notes:
                out += [f"*{esc(sec.notes[key])}*", ""]
            items = getattr(sec, key)
            if items:
                out += [_md_bullet(x, esc) for x in items] + [""]
    out += ["## Bronnen", ""]
    out += [f"- {esc(source_line(n, p))}" for n, p in enumerate(b.sources, 1)]
    out.append("")
    return "\n".join(out)


# -- writing files ------------------------------------------------------------------------------
def check_writable(path: Path) -> Path:
    """Fail early, in Dutch, when ``path`` cannot be written (before any work is done)."""
    path = Path(path)
    parent = path.parent
    if not parent.is_dir():
        raise BriefingExportError(
            f"Kan {path} niet schrijven: de map {parent} bestaat niet (of is geen map)."
        )
    if path.is_dir():
        raise BriefingExportError(f"Kan {path} niet schrijven: dat is een map.")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise BriefingExportError(f"Kan {path} niet schrijven: geen schrijfrechten in {parent}.")
    return path


def _atomic_write(path: Path, write: Callable[[Path], None]) -> Path:
    """Write through a temporary file in the same folder and rename it: all or nothing."""
    path = Path(path)
    check_writable(path)
    tmp = path.parent / f".{path.name}.{uuid.uuid4().hex[:8]}.tmp"
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        os.close(fd)
    except OSError as e:
        raise BriefingExportError(f"Kan {path} niet schrijven: {e.strerror or e}.") from e
    try:
        write(tmp)
        os.replace(tmp, path)
    except BaseException as e:
        tmp.unlink(missing_ok=True)
        if isinstance(e, OSError):
            reason = "dat is een map" if isinstance(e, IsADirectoryError) else (e.strerror or e)
            raise BriefingExportError(f"Kan {path} niet schrijven: {reason}.") from e
        raise
    return path


def write_markdown(b: Briefing, path: Path) -> Path:
    def write(tmp: Path) -> None:
        tmp.write_text(to_markdown(b), encoding="utf-8")

    return _atomic_write(path, write)


def to_docx(b: Briefing, path: Path) -> Path:
    """Write the briefing as a Word document (headings, bullets with [n], source list)."""
    return _atomic_write(path, lambda tmp: _docx_document(b).save(str(tmp)))


def a4_document(title: str, top_bottom_cm: float = 2.0):
    """An empty Word document on A4 paper (python-docx's template is US Letter) with the
    product's properties and a compact 10 pt body: briefings and conversation downloads."""
    from docx import Document
    from docx.shared import Cm, Mm, Pt

    doc = Document()
    props = doc.core_properties
    props.title = title
    props.author = "Inclusie-assistent"
    props.language = "nl-NL"
    for section in doc.sections:
        section.page_width, section.page_height = Mm(210), Mm(297)
        section.top_margin = section.bottom_margin = Cm(top_bottom_cm)
        section.left_margin = section.right_margin = Cm(2)
    normal = doc.styles["Normal"]
    normal.font.size = Pt(10)
    normal.paragraph_format.space_after = Pt(4)
    return doc


def _docx_document(b: Briefing):
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Cm, Pt, RGBColor

    doc = a4_document(title_line(b), top_bottom_cm=1.8)
    doc.core_properties.subject = "Gespreksvoorbereiding schoolbezoek"
    normal = doc.styles["Normal"]
    # Compact headings: the briefing should fit on a few printed pages.
    for name, size, before in (("Title", 22, 0), ("Heading 1", 14, 12), ("Heading 2", 11, 6)):
        st = doc.styles[name]
        st.font.size = Pt(size)
        st.paragraph_format.space_before = Pt(before)
        st.paragraph_format.space_after = Pt(3)
    rpr = normal.element.get_or_add_rPr()
    lang = OxmlElement("w:lang")
    lang.set(qn("w:val"), "nl-NL")
    rpr.append(lang)
    grey = RGBColor(0x59, 0x59, 0x59)

    doc.add_heading(title_line(b), level=0)
    sub = doc.add_paragraph()
    run = sub.add_run(subtitle_line(b))
    run.italic = True
    run.font.color.rgb = grey

    doc.add_heading("Aanleiding", level=1)
    doc.add_paragraph(b.aanleiding[0])
    if b.notes:
        p = doc.add_paragraph()
        p.add_run("Notities van de opsteller").bold = True
        p.add_run(" (eigen woorden, geen bron):")
        for line in b.notes.splitlines() or [b.notes]:
            q = doc.add_paragraph(line, style="Quote")
            q.paragraph_format.left_indent = Cm(0.8)
    for line in (b.aanleiding[-1], phrasing_line(b)):
        if line:
            p = doc.add_paragraph()
            run = p.add_run(line)
            run.italic = True
            run.font.color.rgb = grey

    heading = region_heading(b)
    if heading:
        doc.add_heading(heading, level=1)
        for x in b.eigen_regio:
            _docx_bullet(doc, x)

    for i, sec in enumerate(b.sections, 1):
        doc.add_heading(f"{i}. {sec.label}", level=1)
        for key, title in SUBSECTIONS:
            doc.add_heading(title, level=2)
            if key in sec.notes:
                p = doc.add_paragraph()
                run = p.add_run(sec.notes[key])
                run.italic = True
                run.font.color.rgb = grey
            for x in getattr(sec, key):
                _docx_bullet(doc, x)

    doc.add_heading("Bronnen", level=1)
    # Grouped by document: its title once, then each cited place in it.
    for title, numbered in _sources_by_document(b):
        p = doc.add_paragraph()
        p.paragraph_format.space_after = Pt(1)
        p.add_run(title).bold = True
        for n, src in numbered:
            p = doc.add_paragraph()
            p.paragraph_format.left_indent = Cm(1.1)
            p.paragraph_format.first_line_indent = Cm(-1.1)
            p.paragraph_format.tab_stops.add_tab_stop(Cm(1.1))
            p.paragraph_format.space_after = Pt(1)
            p.add_run(f"[{n}]").bold = True
            p.add_run(f"\t{where(src)}")
            r = p.add_run(f" ({src.kind})")
            r.font.color.rgb = grey

    footer = doc.sections[0].footer.paragraphs[0]
    footer.alignment = WD_ALIGN_PARAGRAPH.CENTER
    fr = footer.add_run(f"{b.school} · {format_date(b.date)} · pagina ")
    fr.font.size = Pt(8)
    fld = OxmlElement("w:fldSimple")
    fld.set(qn("w:instr"), "PAGE")
    inner = OxmlElement("w:r")
    rpr = OxmlElement("w:rPr")
    sz = OxmlElement("w:sz")
    sz.set(qn("w:val"), "16")  # half-points: 8 pt, like the rest of the footer
    rpr.append(sz)
    inner.append(rpr)
    t = OxmlElement("w:t")
    t.text = "1"
    inner.append(t)
    fld.append(inner)
    footer._p.append(fld)
    return doc


def _docx_bullet(doc, x: Bullet) -> None:
    from docx.shared import Pt, RGBColor

    p = doc.add_paragraph(style="List Bullet")
    p.paragraph_format.space_after = Pt(1)
    if x.wording:
        if x.lead:
            p.add_run(f"{x.lead}: ").bold = True
        p.add_run(x.wording)
    elif x.trail:
        p.add_run(f"„{x.text}” ")
        p.add_run(x.trail).italic = True
    else:
        if x.lead:
            p.add_run(f"{x.lead}: ").bold = True
        p.add_run(x.text)
    cite = p.add_run(f" [{x.n}]")
    cite.bold = True
    cite.font.color.rgb = RGBColor(0x1F, 0x4E, 0x79)
