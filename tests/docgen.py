"""Small Dutch documents generated inside the tests: real PDF (fpdf2), real DOCX (python-docx)."""

from __future__ import annotations

import random
from pathlib import Path

_SUBJECTS = [
    "De gemeente",
    "Het samenwerkingsverband",
    "De school",
    "Het schoolbestuur",
    "De intern begeleider",
    "Het wijkteam",
    "De leerkracht",
    "De jeugdarts",
    "De ouderraad",
    "De wethouder",
]
_VERBS = [
    "bespreekt",
    "organiseert",
    "onderzoekt",
    "verbetert",
    "plant",
    "evalueert",
    "ondersteunt",
    "beschrijft",
    "regelt",
    "verkent",
]
_OBJECTS = [
    "de overstap naar het voortgezet onderwijs",
    "een passende plek voor elke leerling",
    "de samenwerking met de kinderopvang",
    "het aanbod van de bibliotheek",
    "de begeleiding in de klas",
    "de afspraken in het OOGO",
    "de inzet van onderwijsassistenten",
    "het gesprek met ouders",
    "de doorgaande lijn in de wijk",
    "de ontwikkelagenda",
]
_TAILS = [
    "in de komende jaren",
    "samen met de partners",
    "voor alle kinderen",
    "op basis van ervaringen",
    "in elke kern",
    "binnen het budget",
    "met oog voor de buurt",
]


def filler(words: int, seed: int) -> str:
    """Plausible Dutch sentences, about ``words`` words, different for every seed."""
    rnd = random.Random(seed)
    out: list[str] = []
    n = 0
    while n < words:
        s = (
            f"{rnd.choice(_SUBJECTS)} {rnd.choice(_VERBS)} {rnd.choice(_OBJECTS)} "
            f"{rnd.choice(_TAILS)} (afspraak {seed}-{len(out) + 1})."
        )
        out.append(s)
        n += len(s.split())
    return " ".join(out)


def write_pdf(
    path: Path, pages: list[list[tuple[str, str]]], *, password: str | None = None
) -> Path:
    """A PDF with one list of (style, text) blocks per page; style is 'h' (heading) or 'p'."""
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_auto_page_break(False)
    for blocks in pages:
        pdf.add_page()
        for style, text in blocks:
            pdf.set_font("Helvetica", "B" if style == "h" else "", 16 if style == "h" else 11)
            pdf.multi_cell(0, 6, text, new_x="LMARGIN", new_y="NEXT")
            pdf.ln(5)
    if password:
        pdf.set_encryption(owner_password="eigenaar-" + password, user_password=password)
    pdf.output(str(path))
    return path


def write_docx(path: Path, blocks: list[tuple[str, object]]) -> Path:
    """A DOCX from (kind, content) blocks: h1/h2 text, p text, list [items], table [[cells]]."""
    import docx

    d = docx.Document()
    for kind, content in blocks:
        if kind in ("h1", "h2"):
            d.add_heading(str(content), level=int(kind[1]))
        elif kind == "p":
            d.add_paragraph(str(content))
        elif kind == "list":
            for item in content:  # type: ignore[union-attr]
                d.add_paragraph(item, style="List Bullet")
        elif kind == "table":
            rows = list(content)  # type: ignore[arg-type]
            table = d.add_table(rows=len(rows), cols=len(rows[0]))
            for r, row in enumerate(rows):
                for c, cell in enumerate(row):
                    table.cell(r, c).text = cell
        else:
            raise ValueError(kind)
    d.save(str(path))
    return path


def write_notes(
    folder: Path, n: int, *, tips: int = 3, words: int = 40, seed: int = 0, prefix: str = "notitie"
) -> list[Path]:
    """``n`` text documents, each an intro plus ``tips`` TIP paragraphs (one passage per TIP)."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(n):
        s = seed + 1000 * i
        tip_text = "\n\n".join(f"TIP: {filler(25, s + j)}" for j in range(1, tips + 1))
        path = folder / f"{prefix}-{i}.txt"
        path.write_text(
            f"Notitie {seed}-{i}\n\n{filler(words, s)}\n\n{tip_text}\n", encoding="utf-8"
        )
        paths.append(path)
    return paths
