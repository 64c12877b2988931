"""HTML and Markdown of the web app: answers, source cards, upload reports, and the CSS.

All document text that reaches HTML is escaped here: a document may contain anything,
including markup.

>>> esc("<b>Tekst</b> & meer")
'&lt;b&gt;Tekst&lt;/b&gt; &amp; meer'
"""

from __future__ import annotations

import html
import re
from pathlib import Path
from urllib.parse import quote

from assistant.records import Answer
from assistant.render import render_generated
from ingest.passage import Passage
from ingest.tags import Taxonomy
from ingest.uploads import UploadResult

KIND_LABELS = {"tekst": "tekst", "tip": "tip", "praktijkvoorbeeld": "praktijkvoorbeeld"}

CSS = """
.bronnen { font-size: 0.92rem; }
.bron { border: 1px solid var(--border-color-primary); border-radius: 8px; padding: 10px 12px;
        margin-bottom: 10px; }
.bron-kop { font-weight: 600; }
.bron-plaats { color: var(--body-text-color-subdued); font-size: 0.85rem; }
.labels { margin: 4px 0; }
.label { display: inline-block; border-radius: 10px; padding: 1px 8px; margin: 2px 4px 2px 0;
         font-size: 0.78rem; background: var(--background-fill-secondary); }
.label.soort-tip { background: #fff3c4; color: #5c4a00; }
.label.soort-praktijkvoorbeeld { background: #d9f2e3; color: #114d2b; }
.bron-tekst { white-space: pre-wrap; margin-top: 6px; line-height: 1.45; }
.bron-tekst mark { background: #ffe680; color: inherit; padding: 0 1px; }
.herschreven { font-style: italic; color: var(--body-text-color-subdued); }
"""


def esc(text: str) -> str:
    return html.escape(text, quote=True)


def md_safe(text: str) -> str:
    r"""Document text for a Markdown renderer we do not control (a chat front-end on the API).

    Only what could turn text into active markup is escaped: raw HTML, images, inline links and
    link definitions (a document could otherwise make a front-end fetch a URL or turn our [n]
    markers into links). Escaped characters look the same once rendered.

    >>> md_safe('Zie ![x](http://a/?q=1) en <img src=x> [1]: http://b')
    'Zie !\\[x]\\(http://a/?q=1) en \\<img src=x> [1]\\: http://b'
    """
    text = text.replace("\\", "\\\\").replace("<", "\\<")
    return text.replace("![", "!\\[").replace("](", "]\\(").replace("]:", "]\\:")


def chat_markdown(text: str) -> str:
    """Answer text for the chat window: HTML escaped, markdown kept for line structure."""
    return esc(text)


def highlighted(p: Passage, spans: list[tuple[int, int]]) -> str:
    """The passage text, escaped, with the quoted sentences wrapped in <mark>."""
    out, pos = [], 0
    for a, b in sorted(spans):
        if a < pos:
            continue
        out.append(esc(p.text[pos:a]))
        out.append(f"<mark>{esc(p.text[a:b])}</mark>")
        pos = b
    out.append(esc(p.text[pos:]))
    return "".join(out)


def pdf_link(p: Passage, offset: int = 0) -> str:
    """Link that opens a PDF source at the page of ``offset`` (the first quoted sentence)."""
    page = p.page_at(offset)
    if page is None or not p.source.lower().endswith(".pdf") or not Path(p.source).exists():
        return ""
    url = "/gradio_api/file=" + quote(p.source) + f"#page={page}"
    return (
        f'<div><a class="pdf-link" href="{esc(url)}" target="_blank" rel="noopener">'
        f"Open de PDF op pagina {page}</a></div>"
    )


def passage_card(
    n: int | None, p: Passage, spans: list[tuple[int, int]], taxonomy: Taxonomy
) -> str:
    labels = [
        f'<span class="label soort-{esc(p.kind)}">{esc(KIND_LABELS.get(p.kind, p.kind))}</span>'
    ]
    labels += [f'<span class="label thema">{esc(taxonomy.label(t))}</span>' for t in p.themes]
    labels += [f'<span class="label regio">{esc(r)}</span>' for r in p.regions]
    num = f'<span class="nr">[{n}]</span> ' if n is not None else ""
    place = f'<div class="bron-plaats">{esc(p.location)}</div>' if p.location else ""
    return (
        f'<div class="bron" data-n="{n or ""}">'
        f'<div class="bron-kop">{num}{esc(p.title)}</div>{place}'
        f'<div class="labels">{"".join(labels)}</div>{pdf_link(p, min(spans)[0] if spans else 0)}'
        f'<div class="bron-tekst">{highlighted(p, spans)}</div></div>'
    )


def render_sources(answer: Answer | None, taxonomy: Taxonomy, rewritten: str = "") -> str:
    if answer is None:
        return (
            '<div class="bronnen"><p>Hier verschijnen de passages waarop het antwoord '
            "steunt.</p></div>"
        )
    parts = ['<div class="bronnen">']
    if rewritten and rewritten != answer.question:
        parts.append(f'<p class="herschreven">Gezocht op: {esc(rewritten)}</p>')
    if answer.refused:
        parts.append("<h3>Misschien relevant</h3>" if answer.related else "")
        parts.append(
            "<p>Deze passages beantwoorden de vraag niet, maar liggen er het dichtst bij.</p>"
            if answer.related
            else ""
        )
        parts += [passage_card(None, p, [], taxonomy) for p in answer.related]
    else:
        parts.append("<h3>Bronnen</h3>")
        for n, p in enumerate(answer.citations, 1):
            spans = [(s.start, s.end) for s in answer.sentences if s.n == n and s.quoted]
            parts.append(passage_card(n, p, spans, taxonomy))
    parts.append("</div>")
    return "".join(parts)


def answer_markdown(answer: Answer) -> str:
    """The final chat message: the notice (if any), then the answer with visible support marks.

    Generated sentences the citation check found weak or unsupported carry a mark in words, so
    a reader sees which statements the sources do not (fully) carry.
    """
    if answer.mode == "llm" and answer.sentences:
        body = render_generated(answer.lang, answer.sentences, escape=esc, markdown=True)
    else:
        body = glossed(chat_markdown(answer.text), answer.key_terms)
    return f"_{esc(answer.notice)}_\n\n{body}" if answer.notice else body


def glossed(escaped: str, key_terms: list[tuple[str, str]]) -> str:
    """Escaped answer text with each Dutch key term showing its English gloss on hover.

    >>> glossed("- Thuisnabij onderwijs [1]", [("Thuisnabij", "close to home")])
    '- <abbr title="close to home">Thuisnabij</abbr> onderwijs [1]'
    """
    if not key_terms:
        return escaped
    gloss = {esc(nl): esc(en) for nl, en in key_terms}
    # One pass over the text, longest term first, so no term is wrapped inside another.
    pattern = re.compile(
        r"(?<![\w&])("
        + "|".join(re.escape(t) for t in sorted(gloss, key=len, reverse=True))
        + r")(?!\w)"
    )
    return pattern.sub(lambda m: f'<abbr title="{gloss[m.group(1)]}">{m.group(1)}</abbr>', escaped)


def upload_markdown(result: UploadResult) -> str:
    """The upload report for the Documenten tab (file names escaped)."""
    labels = {
        "added": "toegevoegd",
        "updated": "bijgewerkt",
        "skipped": "ongewijzigd (stond al in de index)",
    }
    lines: list[str] = []
    if result.over_limit:
        lines.append(
            f"Er zijn {result.chosen} bestanden gekozen; per keer kunnen er {result.limit}. "
            f"Alleen de eerste {result.limit} worden verwerkt."
        )
    for o in result.outcomes:
        if o.status == "refused":
            lines.append(f"- **{esc(o.name)}**: {esc(o.reason)}.")
        elif o.status == "failed":
            lines.append(f"- **{esc(o.name)}**: niet toegevoegd — {esc(o.reason)}")
        else:
            lines.append(f"- **{esc(o.name)}**: {labels[o.status]}, {o.passages} passages.")
            if o.notice:
                lines.append(f"  Let op: {esc(o.notice)}.")
    if result.report is not None:
        lines += ["", esc(result.report.summary())]
    return "\n".join(lines)
