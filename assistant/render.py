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

from .records import Answer, CitedSentence
from .wording import TEXTS, filters_line, frame, join


def render_quoted(
    lang: str,
    sentences: list[CitedSentence],
    citations: list[Passage],
    *,
    not_found: list[str] | tuple[str, ...] = (),
    unanswered: list[str] | tuple[str, ...] = (),
    filters: dict | None = None,
    key_terms: list[tuple[str, str]] | None = None,
) -> str:
    """Quotes grouped per cited passage, each group under a frame in the question's language.

    What the documents do not mention comes first, then the quotes ("the closest they come"),
    then the parts of the question no sentence answers, then the filters searched within.
    """
    lines: list[str] = []
    if not_found:
        lines += [
            TEXTS[lang]["not_found"].format(items=join(list(not_found), lang)),
            TEXTS[lang]["nearest"],
        ]
    current = None
    for s in sentences:
        if s.n != current:
            if lines:
                lines.append("")
            lines.append(frame(citations[s.n - 1], lang))
            current = s.n
        lines.append(f"- {s.text} [{s.n}]")
        if s.english:
            lines.append(f"  {TEXTS[lang]['in_english']}: {s.english}")
    tail = [TEXTS[lang]["unanswered"].format(part=part.rstrip("?")) for part in unanswered]
    if key_terms:
        terms = "; ".join(f"{nl} = {en}" for nl, en in key_terms)
        tail.append(TEXTS[lang]["key_terms"].format(terms=terms))
    said = filters_line(filters, lang) if filters else ""
    if said:
        tail.append(said)
    if tail:
        lines += ["", *tail]
    return "\n".join(lines)


def render_answer(answer: Answer, say_filters: bool = True) -> str:
    """A quoted answer's text from its record (after its sentences changed, e.g. translated)."""
    return render_quoted(
        answer.lang,
        answer.sentences,
        answer.citations,
        not_found=answer.not_found,
        unanswered=answer.unanswered,
        filters=answer.filters if say_filters else None,
        key_terms=answer.key_terms,
    )


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


def refusal_text(
    lang: str, related: list[Passage], not_found: list[str] | tuple[str, ...] = ()
) -> str:
    """'Not in the documents', with the titles of the nearest passages."""
    missing = (
        " " + TEXTS[lang]["refusal_not_found"].format(items=join(list(not_found), lang))
        if not_found
        else ""
    )
    return (
        TEXTS[lang]["refusal"]
        + missing
        + "\n\n"
        + TEXTS[lang]["refusal_hint"]
        + "\n"
        + "\n".join(f"- {p.title}" + (f" ({p.location})" if p.location else "") for p in related)
    )
