"""HTML and Markdown of the web app: answers, source cards, upload reports, and the CSS.

All document text that reaches HTML is escaped here: a document may contain anything,
including markup.

>>> esc("<b>Tekst</b> & meer")
'&lt;b&gt;Tekst&lt;/b&gt; &amp; meer'
"""

from __future__ import annotations

import hashlib
import html
import re
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote, urlencode

from assistant.records import Answer
from assistant.render import render_generated
from ingest.passage import Passage
from ingest.tags import Taxonomy

KIND_LABELS = {"tekst": "tekst", "tip": "tip", "praktijkvoorbeeld": "praktijkvoorbeeld"}

CSS = """
.bronnen { font-size: 0.92rem; }
.bronnen > summary { cursor: pointer; margin-bottom: 8px; }
.bronnen > summary h3 { display: inline; margin: 0; font-size: 1.05rem; }
.bronnen .aantal { color: var(--body-text-color-subdued); }
.bron { border: 1px solid var(--border-color-primary); border-radius: 8px; padding: 10px 12px;
        margin-bottom: 10px; scroll-margin: 8px; }
.bron.gekozen, .bron:target { border: 2px solid #e0a800; box-shadow: 0 0 0 3px #fff3c4;
                              outline: none; }
.bron-kop { font-weight: 600; }
.bron-plaats { color: var(--body-text-color-subdued); font-size: 0.85rem; }
.bron-links { display: flex; flex-wrap: wrap; gap: 2px 14px; margin: 4px 0; font-size: 0.85rem; }
.bron-links div { display: inline; }
.labels { margin: 4px 0; }
.label { display: inline-block; border-radius: 10px; padding: 1px 8px; margin: 2px 4px 2px 0;
         font-size: 0.78rem; background: var(--background-fill-secondary); }
.label.soort-tip { background: #fff3c4; color: #5c4a00; }
.label.soort-praktijkvoorbeeld { background: #d9f2e3; color: #114d2b; }
.bron-tekst { white-space: pre-wrap; margin-top: 6px; line-height: 1.45; }
.bron-tekst mark { background: #ffe680; color: inherit; padding: 0 1px; }
.kop { display: block; font-weight: 650; margin: 2px 0; }
.herschreven { font-style: italic; color: var(--body-text-color-subdued); }
#gesprek a.cite { text-decoration: none; font-weight: 600; border-radius: 4px; padding: 0 2px;
                  background: var(--color-accent-soft); }
#gesprek a.cite:hover, #gesprek a.cite:focus { text-decoration: underline; }
/* the sources stay in view beside the chat and scroll by themselves */
#bronnen { position: sticky; top: 8px; max-height: calc(100vh - 16px); overflow-y: auto; }
/* active filters: shown once, as chips; the dropdowns only add (their own tokens would
   repeat the chips and break long theme names inside words) */
#filters .token { display: none; }
#filter-chips { min-height: 0; padding: 0; }
.chips { display: flex; flex-wrap: wrap; gap: 6px; align-items: center; font-size: 0.85rem; }
.chips-kop { color: var(--body-text-color-subdued); }
button.chip { border: 1px solid var(--border-color-accent); border-radius: 14px;
              padding: 2px 10px; background: var(--color-accent-soft); cursor: pointer;
              color: var(--body-text-color); font-size: 0.85rem; }
button.chip:hover, button.chip:focus { border-color: var(--color-accent); }
/* headings break between words, never inside one */
h1, h2, h3, h4, .prose h1, .prose h2, .prose h3, .prose h4 {
    overflow-wrap: normal; word-break: normal; hyphens: manual; }
/* wide tables scroll inside themselves instead of widening the page; their cells break
   between words only */
.prose table { display: block; overflow-x: auto; max-width: 100%; }
.prose td, .prose th { overflow-wrap: normal; word-break: normal; hyphens: manual;
                       min-width: 6em; }
#documenten-tabel td, #documenten-tabel th, #documenten-tabel td *, #documenten-tabel th * {
    overflow-wrap: normal !important; word-break: normal !important; hyphens: manual; }
#documenten-tabel table { width: max-content; min-width: 100%; }
@media (max-width: 768px) {
    /* The question column's parts become items of the row, so the sources can sit right
       under the chat: chat, sources, then the question box and the rest. */
    #vragen-indeling { flex-direction: column; flex-wrap: nowrap; }
    #vragen-links { display: contents; }
    #vragen-links > * { order: 3; }
    #vragen-links > #gesprek { order: 1; }
    #vragen-rechts { order: 2; min-width: 0 !important; }
    #bronnen { position: static; max-height: none; overflow: visible; }
    h1 { font-size: 1.5rem; }
}
"""

# Runs in the sources panel (gr.HTML js_on_load): a click on [n] in an answer highlights card
# n of that answer. When the panel shows another answer (an earlier one was clicked), the
# server is asked for that answer's sources ("select" with its key), then the card is shown.
SOURCES_JS = """
const show = (key, n) => {
  const card = element.querySelector('#bron-' + key + '-' + n);
  if (!card) return false;
  element.querySelectorAll('.bron.gekozen').forEach((c) => c.classList.remove('gekozen'));
  card.classList.add('gekozen');
  const box = card.closest('details');
  if (box) box.open = true;
  card.scrollIntoView({block: 'nearest'});
  card.focus({preventScroll: true});
  return true;
};
let pending = null;
document.addEventListener('click', (e) => {
  const link = e.target.closest ? e.target.closest('a.cite') : null;
  if (!link) return;
  const m = /^#bron-([0-9a-f]+)-([0-9]+)$/.exec(link.getAttribute('href') || '');
  if (!m) return;
  e.preventDefault();
  e.stopPropagation();
  if (!show(m[1], m[2])) {
    pending = [m[1], m[2]];
    trigger('select', {answer: m[1], n: Number(m[2])});
  }
}, true);
watch('value', () => {
  if (pending) { const [key, n] = pending; pending = null; show(key, n); }
});
"""

# Runs in the filter chips (gr.HTML js_on_load): a click on a chip asks the server to drop
# that filter ("click" with the field and value).
CHIPS_JS = """
element.addEventListener('click', (e) => {
  const chip = e.target.closest ? e.target.closest('button.chip') : null;
  if (!chip) return;
  trigger('click', {field: chip.dataset.field, value: chip.dataset.value});
});
"""

FILTER_FIELDS = (
    ("themes", "Thema"),
    ("kinds", "Soort"),
    ("regions", "Regio"),
    ("docs", "Document"),
)


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


_MD_HEADING = re.compile(r"(#{1,6})[ \t]+(?=\S)")


def marked_html(text: str, spans: list[tuple[int, int]], mark_id: str = "") -> str:
    r"""``text`` escaped, with ``spans`` (offsets into ``text``) in ``<mark>`` and Markdown
    headings ("# Aanleiding") shown as headings instead of raw "#".

    The first mark gets ``id=mark_id`` when given (the document view scrolls to it).

    >>> marked_html("# Kop\nEen zin. <b>Twee</b>.", [(15, 27)], mark_id="citaat")
    '<span class="kop kop-1">Kop</span>Een zin. <mark id="citaat">&lt;b&gt;Twee&lt;/b&gt;.</mark>'
    """
    ranges: list[tuple[int, int]] = []
    for a, b in sorted(spans):
        a, b = max(a, 0), min(b, len(text))
        if b <= a:
            continue
        if ranges and a <= ranges[-1][1]:
            ranges[-1] = (ranges[-1][0], max(b, ranges[-1][1]))
        else:
            ranges.append((a, b))
    first_mark = [bool(mark_id)]

    def piece(a: int, b: int) -> str:
        # A line's text from a to b, with the parts inside a quoted span marked.
        out, pos = [], a
        for s, e in ranges:
            s, e = max(s, a), min(e, b)
            if e <= s:
                continue
            out.append(esc(text[pos:s]))
            attr = ""
            if first_mark[0]:
                attr, first_mark[0] = f' id="{esc(mark_id)}"', False
            out.append(f"<mark{attr}>{esc(text[s:e])}</mark>")
            pos = e
        out.append(esc(text[pos:b]))
        return "".join(out)

    out: list[str] = []
    pos = 0
    lines = text.split("\n")
    for i, line in enumerate(lines):
        end = pos + len(line)
        m = _MD_HEADING.match(line)
        if m:
            level = len(m.group(1))
            # a block of its own: the line break after it would add an empty line
            out.append(f'<span class="kop kop-{level}">{piece(pos + m.end(), end)}</span>')
        else:
            out.append(piece(pos, end) + ("\n" if i < len(lines) - 1 else ""))
        pos = end + 1
    return "".join(out)


def highlighted(p: Passage, spans: list[tuple[int, int]]) -> str:
    """The passage text, escaped, with the quoted sentences wrapped in <mark>."""
    return marked_html(p.text, spans)


def pdf_page_link(source: str, page: int | None) -> str:
    """Link that opens a PDF file of the index at ``page`` (empty for other files)."""
    if page is None or not source.lower().endswith(".pdf") or not Path(source).exists():
        return ""
    url = "/gradio_api/file=" + quote(source) + f"#page={page}"
    return (
        f'<div><a class="pdf-link" href="{esc(url)}" target="_blank" rel="noopener">'
        f"Open de PDF op pagina {page}</a></div>"
    )


def pdf_link(p: Passage, offset: int = 0) -> str:
    """Link that opens a PDF source at the page of ``offset`` (the first quoted sentence)."""
    return pdf_page_link(p.source, p.page_at(offset))


def document_href(p: Passage, spans: list[tuple[int, int]]) -> str:
    """Address of the document view at this passage, with the quoted sentences to highlight.

    Relative, so it also works when a proxy serves the app under a path of its own.

    >>> document_href(Passage.create(doc_id="plan a", title="T", text="x", start=0, end=1),
    ...               [(0, 1)]).split("?")[0]
    'document/plan%20a'
    """
    query = [("passage", p.id)] + [("mark", f"{a}-{b}") for a, b in sorted(spans)]
    anchor = "#citaat" if spans else "#passage"
    return f"document/{quote(p.doc_id, safe='')}?{urlencode(query)}{anchor}"


def answer_key(answer: Answer) -> str:
    """A short id of one answer: links its [n] markers to its own source cards."""
    return hashlib.sha1(f"{answer.question}\x00{answer.text}".encode()).hexdigest()[:10]


def passage_card(
    n: int | None,
    p: Passage,
    spans: list[tuple[int, int]],
    taxonomy: Taxonomy,
    key: str = "",
) -> str:
    labels = [
        f'<span class="label soort-{esc(p.kind)}">{esc(KIND_LABELS.get(p.kind, p.kind))}</span>'
    ]
    labels += [f'<span class="label thema">{esc(taxonomy.label(t))}</span>' for t in p.themes]
    labels += [f'<span class="label regio">{esc(r)}</span>' for r in p.regions]
    num = f'<span class="nr">[{n}]</span> ' if n is not None else ""
    place = f'<div class="bron-plaats">{esc(p.location)}</div>' if p.location else ""
    ident = f' id="bron-{esc(key)}-{n}" tabindex="-1"' if n is not None and key else ""
    links = (
        f'<div class="bron-links"><a class="open-doc" href="{esc(document_href(p, spans))}" '
        f'target="_blank" rel="noopener">Open document</a>'
        f"{pdf_link(p, min(spans)[0] if spans else 0)}</div>"
    )
    return (
        f'<div class="bron" data-n="{n or ""}"{ident}>'
        f'<div class="bron-kop">{num}{esc(p.title)}</div>{place}'
        f'<div class="labels">{"".join(labels)}</div>{links}'
        f'<div class="bron-tekst">{highlighted(p, spans)}</div></div>'
    )


def render_sources(answer: Answer | None, taxonomy: Taxonomy, rewritten: str = "") -> str:
    """The sources panel: one card per cited passage (or the nearest ones of a refusal).

    A ``<details>`` element, open: on a phone the panel sits right under the chat, and the
    reader folds it away to get back to the question box.
    """
    if answer is None:
        searched = f'<p class="herschreven">Gezocht op: {esc(rewritten)}</p>' if rewritten else ""
        return (
            f'<div class="bronnen leeg">{searched}<p>Hier verschijnen de passages waarop het '
            "antwoord steunt.</p></div>"
        )
    key = answer_key(answer)
    if answer.refused:
        head = "Misschien relevant" if answer.related else "Geen bronnen"
        count = len(answer.related)
    else:
        head, count = "Bronnen", len(answer.citations)
    parts = [
        f'<details class="bronnen" open data-answer="{key}">'
        f'<summary><h3>{head}</h3> <span class="aantal">({count})</span></summary>'
    ]
    if rewritten and rewritten != answer.question:
        parts.append(f'<p class="herschreven">Gezocht op: {esc(rewritten)}</p>')
    if answer.refused:
        parts.append(
            "<p>Deze passages beantwoorden de vraag niet, maar liggen er het dichtst bij.</p>"
            if answer.related
            else "<p>De documenten hebben geen passage die in de buurt komt.</p>"
        )
        parts += [passage_card(None, p, [], taxonomy) for p in answer.related]
    else:
        for n, p in enumerate(answer.citations, 1):
            spans = [(s.start, s.end) for s in answer.sentences if s.n == n and s.quoted]
            parts.append(passage_card(n, p, spans, taxonomy, key))
    parts.append("</details>")
    return "".join(parts)


_CITE = re.compile(r"\[(\d{1,3})\]")


def cite_links(html_text: str, answer: Answer) -> str:
    """Each ``[n]`` of an answer as a link to its source card ``n`` (a number beyond the
    answer's sources, e.g. a bracket in quoted text, stays plain).

    The chat's sanitizer keeps ``href`` and ``class`` but drops ``data-`` attributes, so the
    answer's key travels in the fragment: the page script reads it from there, and without
    the script the link still jumps to the card.
    """
    if answer.refused or not answer.citations:
        return html_text
    key, last = answer_key(answer), len(answer.citations)

    def link(m: re.Match) -> str:
        n = int(m.group(1))
        if not 1 <= n <= last:
            return m.group(0)
        return f'<a class="cite" href="#bron-{key}-{n}" title="Bron {n} tonen">[{n}]</a>'

    # only in text, never inside a tag's attributes (a gloss's title)
    parts = re.split(r"(<[^>]*>)", html_text)
    return "".join(p if p.startswith("<") else _CITE.sub(link, p) for p in parts)


def filter_chips(
    taxonomy: Taxonomy,
    values: dict[str, list[str] | None],
    doc_titles: dict[str, str] | None = None,
) -> str:
    """The active filters as chips that remove themselves on click ("" when none is set).

    ``values`` maps ``themes``, ``kinds``, ``regions`` and ``docs`` to the chosen keys.

    >>> from ingest.settings import BUNDLED_TAXONOMY
    >>> html = filter_chips(Taxonomy.load(BUNDLED_TAXONOMY), {"kinds": ["tip"]})
    >>> 'data-field="kinds" data-value="tip"' in html and "Soort: tip" in html
    True
    """
    names: dict[str, Callable[[str], str]] = {
        "themes": taxonomy.label,
        "kinds": lambda k: KIND_LABELS.get(k, k),
        "regions": str,
        "docs": lambda d: (doc_titles or {}).get(d, d),
    }
    chips = [
        f'<button type="button" class="chip" data-field="{field}" data-value="{esc(v)}" '
        f'title="Filter weghalen">{label}: {esc(names[field](v))} '
        '<span aria-hidden="true">✕</span></button>'
        for field, label in FILTER_FIELDS
        for v in values.get(field) or []
    ]
    if not chips:
        return ""
    return (
        '<div class="chips"><span class="chips-kop">Alleen gezocht in:</span>'
        + "".join(chips)
        + "</div>"
    )


def answer_markdown(answer: Answer) -> str:
    """The final chat message: the notice (if any), then the answer with visible support marks.

    Generated sentences the citation check found weak or unsupported carry a mark in words, so
    a reader sees which statements the sources do not (fully) carry.
    """
    if answer.mode == "llm" and answer.sentences:
        body = render_generated(answer.lang, answer.sentences, escape=esc, markdown=True)
    else:
        body = glossed(chat_markdown(answer.text), answer.key_terms)
    body = cite_links(body, answer)
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
