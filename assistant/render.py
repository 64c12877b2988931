"""An answer as text: quoted answers grouped per source under a frame, generated answers with
their markers and support marks, refusals with the nearest passages.

The CLI prints these strings as they are; the web app passes ``escape`` (HTML) and asks for
Markdown marks, so both show the same answer from the same code.

>>> from assistant.records import CitedSentence
>>> s = CitedSentence("Dat klopt.", 1, "p", -1, -1, citations=[1, 2], support="weak",
...                   quoted=False)
>>> render_generated("nl", [s])
'Dat klopt. [1][2] (zwak onderbouwd)'
>>> render_generated("nl", [s], markdown=True)
'Dat klopt. [1][2] _(⚠ zwak onderbouwd)_'
"""

from __future__ import annotations

from collections.abc import Callable

from ingest.passage import Passage

from .records import CitedSentence
from .wording import TEXTS, frame


def render_quoted(lang: str, sentences: list[CitedSentence], citations: list[Passage]) -> str:
    """Quotes grouped per cited passage, each group under a frame in the question's language."""
    lines: list[str] = []
    current = None
    for s in sentences:
        if s.n != current:
            if lines:
                lines.append("")
            lines.append(frame(citations[s.n - 1], lang))
            current = s.n
        lines.append(f"- {s.text} [{s.n}]")
    return "\n".join(lines)


def render_generated(
    lang: str,
    sentences: list[CitedSentence],
    *,
    escape: Callable[[str], str] = str,
    markdown: bool = False,
) -> str:
    """A generated answer: each sentence with its markers, and a mark in words where the
    support check found it weak or unsupported (so a reader sees what the sources do not carry).
    """
    out = []
    for s in sentences:
        marks = "".join(f"[{n}]" for n in s.numbers)
        flagged = s.support in ("weak", "unsupported")
        label = TEXTS[lang][s.support] if flagged else ""
        if not markdown:
            out.append(f"{escape(s.text)} {marks}{f' ({label})' if flagged else ''}".strip())
        elif not flagged:
            out.append(f"{escape(s.text)} {marks}")
        elif s.support == "weak":
            out.append(f"{escape(s.text)} {marks} _(⚠ {label})_")
        else:
            out.append(f"{escape(s.text)} {marks} **(⚠ {label})**")
    return " ".join(out)


def refusal_text(lang: str, related: list[Passage]) -> str:
    """'Not in the documents', with the titles of the nearest passages."""
    return (
        TEXTS[lang]["refusal"]
        + "\n\n"
        + TEXTS[lang]["refusal_hint"]
        + "\n"
        + "\n".join(f"- {p.title}" + (f" ({p.location})" if p.location else "") for p in related)
    )
