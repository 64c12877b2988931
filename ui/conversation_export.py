"""A web chat conversation as a Markdown file or a Word document (A4), with its sources.

Per question: the question, the question it was searched as (a follow-up), the answer as the chat
showed it (quotes with [n], support marks in words for generated sentences) and the numbered
sources with document, place, kind and the passage text, so the file can be checked without the
app. Document and user text cannot add markup of its own to the Markdown.

>>> from assistant.records import Answer
>>> a = Answer("Wat is *het* OOGO?", "nl", False, "- Het OOGO is overleg [1]")
>>> print(conversation_markdown("OOGO", [("Wat is *het* OOGO?", a)], dt.date(2025, 5, 12)))
... # doctest: +ELLIPSIS
# OOGO
<BLANKLINE>
*Gesprek met de Inclusie-assistent · 12 mei 2025 · 1 vraag*
<BLANKLINE>
## 1. Wat is \\*het\\* OOGO?
<BLANKLINE>
- Het OOGO is overleg [1]
...
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from assistant.briefing.export import a4_document
from assistant.briefing.model import format_date
from assistant.records import Answer
from assistant.render import render_generated
from ingest.passage import Passage
from ingest.uploads import safe_filename

Turns = list[tuple[str, Answer]]  # (question as asked, answer)

# Markdown's own characters in document or user text: emphasis, code, tables, link syntax, a
# heading at the start of a line, raw HTML. "[n]" stays as it is: it is no link on its own.
_MD_SPECIAL = re.compile(r"([\\`*_|]|\](?=[(\[:])|^#)")


def _md(text: str) -> str:
    text = _MD_SPECIAL.sub(r"\\\1", " ".join(text.split()))
    return text.replace("<", r"\<").replace(">", r"\>")


def answer_plain(a: Answer) -> str:
    """The answer's text as the chat shows it, without HTML: generated sentences carry their
    support marks in words."""
    if a.mode == "llm" and a.sentences:
        return render_generated(a.lang, a.sentences)
    return a.text


def _source_line(n: int | None, p: Passage) -> str:
    num = f"[{n}] " if n is not None else ""
    where = f" — {p.location}" if p.location else ""
    return f"{num}{p.title}{where} ({p.kind})"


def _sources(a: Answer) -> tuple[str, list[tuple[int | None, Passage]]]:
    if a.refused:
        return "Misschien relevant (geen antwoord, wel het dichtstbij)", [
            (None, p) for p in a.related
        ]
    return "Bronnen", list(enumerate(a.citations, 1))


def _subtitle(when: dt.date, n: int) -> str:
    questions = "1 vraag" if n == 1 else f"{n} vragen"
    return f"Gesprek met de Inclusie-assistent · {format_date(when)} · {questions}"


def conversation_markdown(title: str, turns: Turns, when: dt.date | None = None) -> str:
    out = [f"# {_md(title)}", "", f"*{_subtitle(when or dt.date.today(), len(turns))}*", ""]
    for i, (question, a) in enumerate(turns, 1):
        out += [f"## {i}. {_md(question)}", ""]
        if a.rewritten and a.rewritten != question:
            out += [f"*Gezocht op: {_md(a.rewritten)}*", ""]
        if a.notice:
            out += [f"*{_md(a.notice)}*", ""]
        for line in answer_plain(a).splitlines():
            if line.startswith("- "):
                out.append("- " + _md(line[2:]))
            elif line.startswith("  ") and line.strip():
                out.append("  " + _md(line))  # an English rendering under its quote
            else:
                out.append(_md(line))
        heading, sources = _sources(a)
        if sources:
            out += ["", f"**{heading}**", ""]
            for n, p in sources:
                out.append(f"- {_md(_source_line(n, p))}")
                out.append("")
                out += [f"  > {_md(par)}" for par in p.text.split("\n") if par.strip()]
                out.append("")
        out.append("")
    return "\n".join(out).rstrip() + "\n"


def file_stem(title: str) -> str:
    """'gesprek-<title>' as a safe file name without extension."""
    return "gesprek-" + safe_filename(title.replace(".", " ").replace("/", " "))[:60]


def write_markdown(title: str, turns: Turns, path: Path) -> Path:
    path.write_text(conversation_markdown(title, turns), encoding="utf-8")
    return path


def write_docx(title: str, turns: Turns, path: Path) -> Path:
    """The conversation as a Word document on A4 paper."""
    from docx.shared import Cm, Pt, RGBColor

    doc = a4_document(title)
    grey = RGBColor(0x59, 0x59, 0x59)
    blue = RGBColor(0x1F, 0x4E, 0x79)

    def italic(text: str) -> None:
        run = doc.add_paragraph().add_run(text)
        run.italic = True
        run.font.color.rgb = grey

    doc.add_heading(title, level=0)
    italic(_subtitle(dt.date.today(), len(turns)))
    for i, (question, a) in enumerate(turns, 1):
        doc.add_heading(f"{i}. {' '.join(question.split())}", level=1)
        if a.rewritten and a.rewritten != question:
            italic(f"Gezocht op: {a.rewritten}")
        if a.notice:
            italic(a.notice)
        for line in answer_plain(a).splitlines():
            if not line.strip():
                continue
            if line.startswith("- "):
                p = doc.add_paragraph(style="List Bullet")
                p.paragraph_format.space_after = Pt(1)
                p.add_run(line[2:])
            else:
                p = doc.add_paragraph(line.strip())
                if line.startswith("  "):
                    p.paragraph_format.left_indent = Cm(0.6)
        heading, sources = _sources(a)
        if sources:
            doc.add_heading(heading, level=2)
        for n, src in sources:
            p = doc.add_paragraph()
            p.paragraph_format.space_after = Pt(1)
            if n is not None:
                num = p.add_run(f"[{n}] ")
                num.bold = True
                num.font.color.rgb = blue
            p.add_run(src.title).bold = True
            rest = p.add_run((f" — {src.location}" if src.location else "") + f" ({src.kind})")
            rest.font.color.rgb = grey
            for par in src.text.split("\n"):
                if par.strip():
                    q = doc.add_paragraph(par.strip())
                    q.paragraph_format.left_indent = Cm(0.6)
                    q.paragraph_format.space_after = Pt(2)
                    for run in q.runs:
                        run.font.size = Pt(9)
                        run.font.color.rgb = grey
    doc.save(str(path))
    return path
