"""The web app (Gradio): chat with cited answers, sources, filters, uploads, feedback, evals.

The handler functions are plain functions of an ``AppContext`` so they can be tested without a
browser; ``build_app`` wires them to Gradio components. All document text that reaches HTML is
escaped here: a document may contain anything, including markup.

>>> ctx = AppContext.create(Settings())          # doctest: +SKIP
>>> build_app(ctx).launch(server_name="127.0.0.1")  # doctest: +SKIP
"""

from __future__ import annotations

import html
import re
import shutil
import threading
import unicodedata
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

import gradio as gr

from assistant.answer import Answer, Assistant
from assistant.retrieve import Filters
from ingest.errors import IndexUnavailable
from ingest.loaders import SUPPORTED
from ingest.passage import KINDS, Passage
from ingest.pipeline import IngestReport, ingest_paths
from ingest.settings import Settings
from ingest.tags import Taxonomy

from .feedback import FeedbackStore
from .limits import upload_middleware

# Candidate example questions per theme; at start-up only those that are answered (not refused,
# citing a passage of that theme) are offered, and a theme without one is left out.
EXAMPLE_CANDIDATES: dict[str, list[str]] = {
    "leerlingenvervoer": [
        "Wat kan de gemeente doen aan leerlingenvervoer?",
        "How do we approach pupil transport?",
    ],
    "onderwijshuisvesting": [
        "Welke tips geeft de handreiking over inclusieve onderwijshuisvesting?",
        "Wat deed Lelystad bij de bouw van schoolcampus Porteum?",
    ],
    "jeugdhulp en zorg": [
        "Hoe kan jeugdhulp binnen reguliere scholen worden ingezet?",
        "Wat doet 's-Hertogenbosch met jeugdhulp op basisscholen?",
    ],
    "overgangen": [
        "Waarom zijn overgangen risicovol voor leerlingen met extra ondersteuning?",
        "Wat zegt de handreiking over de overgang naar de arbeidsmarkt?",
    ],
    "samenwerking en visie": [
        "Hoe werken gemeente en samenwerkingsverband samen in het OOGO?",
        "Waarom is een gedeelde visie belangrijk?",
    ],
    "regulier en speciaal onderwijs": [
        "Hoe kunnen regulier en speciaal onderwijs samenwerken?",
        "Wat is het Leernetwerk regulier-speciaal onderwijs?",
    ],
    "basisondersteuning": [
        "Wanneer moeten alle scholen voldoen aan de norm voor basisondersteuning?",
        "Wat is de rol van het samenwerkingsverband bij extra ondersteuning?",
    ],
}

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


@dataclass
class Turn:
    question: str
    answer: Answer
    message_index: int  # index of the assistant message in the chat history
    feedback_id: int | None = None


class Session:
    """One browser session's conversation (kept in gr.State, so per browser tab)."""

    def __init__(self) -> None:
        self.id = uuid.uuid4().hex
        self.turns: list[Turn] = []

    @property
    def last(self) -> Turn | None:
        return self.turns[-1] if self.turns else None


@dataclass
class AppContext:
    settings: Settings
    assistant: Assistant
    taxonomy: Taxonomy
    feedback: FeedbackStore
    examples: dict[str, str] = field(default_factory=dict)
    eval_lock: threading.Lock = field(default_factory=threading.Lock)

    @classmethod
    def create(
        cls, settings: Settings, assistant: Assistant | None = None, check_examples: bool = True
    ) -> AppContext:
        assistant = assistant or Assistant(settings)
        ctx = cls(
            settings,
            assistant,
            Taxonomy.load(settings.taxonomy_file),
            FeedbackStore(settings.feedback_db),
        )
        if check_examples:
            ctx.examples = answerable_examples(assistant)
        return ctx

    # -- documents -------------------------------------------------------------------------------
    def documents(self) -> list[tuple[str, str]]:
        """(title, doc_id) of every complete document in the index."""
        states = self.assistant.store.doc_states()
        return sorted(
            ((s.title or s.doc_id, s.doc_id) for s in states.values() if s.complete),
            key=lambda t: t[0].lower(),
        )


def answerable_examples(assistant: Assistant) -> dict[str, str]:
    """The first candidate per theme that is answered from a passage of that theme."""
    out = {}
    for theme, questions in EXAMPLE_CANDIDATES.items():
        for q in questions:
            ans = assistant.ask(q)
            if not ans.refused and any(theme in p.themes for p in ans.citations):
                out[theme] = q
                break
    return out


# -- rendering ---------------------------------------------------------------------------------
def _esc(text: str) -> str:
    return html.escape(text, quote=True)


def chat_markdown(text: str) -> str:
    """Answer text for the chat window: HTML escaped, markdown kept for line structure."""
    return _esc(text)


def highlighted(p: Passage, spans: list[tuple[int, int]]) -> str:
    """The passage text, escaped, with the quoted sentences wrapped in <mark>."""
    out, pos = [], 0
    for a, b in sorted(spans):
        if a < pos:
            continue
        out.append(_esc(p.text[pos:a]))
        out.append(f"<mark>{_esc(p.text[a:b])}</mark>")
        pos = b
    out.append(_esc(p.text[pos:]))
    return "".join(out)


def pdf_link(p: Passage, offset: int = 0) -> str:
    """Link that opens a PDF source at the page of ``offset`` (the first quoted sentence)."""
    page = p.page_at(offset)
    if page is None or not p.source.lower().endswith(".pdf") or not Path(p.source).exists():
        return ""
    url = "/gradio_api/file=" + quote(p.source) + f"#page={page}"
    return (
        f'<div><a class="pdf-link" href="{_esc(url)}" target="_blank" rel="noopener">'
        f"Open de PDF op pagina {page}</a></div>"
    )


def passage_card(
    n: int | None, p: Passage, spans: list[tuple[int, int]], taxonomy: Taxonomy
) -> str:
    labels = [
        f'<span class="label soort-{_esc(p.kind)}">{_esc(KIND_LABELS.get(p.kind, p.kind))}</span>'
    ]
    labels += [f'<span class="label thema">{_esc(taxonomy.label(t))}</span>' for t in p.themes]
    labels += [f'<span class="label regio">{_esc(r)}</span>' for r in p.regions]
    num = f'<span class="nr">[{n}]</span> ' if n is not None else ""
    place = f'<div class="bron-plaats">{_esc(p.location)}</div>' if p.location else ""
    return (
        f'<div class="bron" data-n="{n or ""}">'
        f'<div class="bron-kop">{num}{_esc(p.title)}</div>{place}'
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
        parts.append(f'<p class="herschreven">Gezocht op: {_esc(rewritten)}</p>')
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


# -- handlers ----------------------------------------------------------------------------------
def make_filters(
    ctx: AppContext,
    themes: list[str] | None,
    kinds: list[str] | None,
    regions: list[str] | None,
    docs: list[str] | None,
) -> Filters:
    return Filters(
        themes=[t for t in themes or [] if t in ctx.taxonomy.theme_keys],
        kinds=[k for k in kinds or [] if k in KINDS],
        regions=list(regions or []),
        doc_ids=list(docs or []),
    )


def answer_markdown(answer: Answer) -> str:
    """The final chat message: the notice (if any), then the answer with visible support marks.

    Generated sentences the citation check found weak or unsupported carry a mark in words, so
    a reader sees which statements the sources do not (fully) carry.
    """
    from assistant.answer import TEXTS

    if answer.mode == "llm" and answer.sentences:
        parts = []
        for s in answer.sentences:
            marks = "".join(f"[{n}]" for n in s.numbers)
            piece = f"{_esc(s.text)} {marks}"
            if s.support == "weak":
                piece += f" _(⚠ {TEXTS[answer.lang]['weak']})_"
            elif s.support == "unsupported":
                piece += f" **(⚠ {TEXTS[answer.lang]['unsupported']})**"
            parts.append(piece)
        body = " ".join(parts)
    else:
        body = chat_markdown(answer.text)
    return f"_{_esc(answer.notice)}_\n\n{body}" if answer.notice else body


def respond(
    ctx: AppContext, message: str, history: list[dict], session: Session, filters: Filters
) -> Iterator[tuple[list[dict], Session, str]]:
    """Answer one chat message; yields (history, session, sources html) while streaming.

    Follow-up questions are rewritten with the session's earlier questions before retrieval;
    the rewritten question is shown in the sources panel. Tokens of a generated answer stream
    in as they arrive; quoted answers arrive line by line. The final message (with support marks
    or a fallback notice) replaces the streamed text.
    """
    message = (message or "").strip()
    history = list(history or [])
    if not message:
        yield (
            history,
            session,
            render_sources(session.last.answer if session.last else None, ctx.taxonomy),
        )
        return
    limit = ctx.settings.max_question_chars
    if len(message) > limit:  # a pasted document would hold the embedder for everyone
        history.append({"role": "user", "content": _esc(message[:200]) + " …"})
        history.append(
            {
                "role": "assistant",
                "content": (
                    f"Deze vraag is te lang ({len(message)} tekens; hoogstens {limit}). Stel "
                    "een kortere vraag; een heel document kunt u toevoegen op het tabblad "
                    "Documenten."
                ),
            }
        )
        yield history, session, render_sources(None, ctx.taxonomy)
        return
    history.append({"role": "user", "content": _esc(message)})
    history.append({"role": "assistant", "content": ""})
    empty = render_sources(None, ctx.taxonomy)
    yield history, session, empty
    earlier = [t.answer.rewritten or t.question for t in session.turns]
    answer, streamed, rewritten = None, "", ""
    try:
        for kind, value in ctx.assistant.ask_stream(message, filters=filters, history=earlier):
            if kind == "rewritten":
                rewritten = value
                empty = render_sources(None, ctx.taxonomy, rewritten)
                yield history, session, empty
            elif kind == "token":
                streamed += value
                history[-1]["content"] = _esc(streamed)
                yield history, session, empty
            else:
                answer = value
    except IndexUnavailable as e:
        history[-1]["content"] = _esc(str(e))
        yield history, session, empty
        return
    if answer.mode != "llm" and not streamed:  # quoted answers stream line by line
        text = ""
        for line in answer.text.split("\n"):
            text = f"{text}\n{line}" if text else line
            history[-1]["content"] = chat_markdown(text)
            yield history, session, empty
    history[-1]["content"] = answer_markdown(answer)
    session.turns.append(Turn(message, answer, len(history) - 1))
    yield history, session, render_sources(answer, ctx.taxonomy, rewritten)


def last_answer(history: list[dict] | None) -> str:
    """Text of the chat's last message when it is the assistant's ("" otherwise); the content
    may be a string or, as Gradio's client returns it, a list of text parts."""
    if not history or history[-1].get("role") != "assistant":
        return ""
    content = history[-1].get("content")
    if isinstance(content, list):
        return "".join(c.get("text", "") for c in content if isinstance(c, dict))
    return str(content or "")


def new_conversation(ctx: AppContext) -> tuple[list, Session, str, str]:
    """Empty chat, fresh session state, empty sources panel, empty input."""
    return [], Session(), render_sources(None, ctx.taxonomy), ""


def record_like(ctx: AppContext, session: Session, index: int, liked: bool | None) -> str:
    """Thumbs up/down on an answer in the chat; returns a short Dutch confirmation."""
    turn = next((t for t in session.turns if t.message_index == index), None)
    if turn is None:
        return "Feedback kan alleen op een antwoord van de assistent."
    rating = 0 if liked is None else (1 if liked else -1)
    if turn.feedback_id is None:
        turn.feedback_id = ctx.feedback.add(
            turn.question,
            turn.answer.text,
            list(turn.answer.to_json()["citations"]),
            turn.answer.filters,
            rating=rating,
            refused=turn.answer.refused,
            session=session.id,
        )
    else:
        ctx.feedback.update(turn.feedback_id, rating=rating)
    return {
        1: "Bedankt: opgeslagen als goed antwoord.",
        -1: "Bedankt: opgeslagen als fout antwoord. Licht het gerust toe hieronder.",
        0: "Beoordeling weggehaald.",
    }[rating]


def record_comment(ctx: AppContext, session: Session, comment: str) -> str:
    """A comment on the latest answer (stored with its rating, if any)."""
    turn = session.last
    if turn is None:
        return "Stel eerst een vraag; de toelichting hoort bij het laatste antwoord."
    if not (comment or "").strip():
        return "Schrijf eerst een toelichting."
    if turn.feedback_id is None:
        turn.feedback_id = ctx.feedback.add(
            turn.question,
            turn.answer.text,
            turn.answer.to_json()["citations"],
            turn.answer.filters,
            rating=0,
            comment=comment,
            refused=turn.answer.refused,
            session=session.id,
        )
    else:
        ctx.feedback.update(turn.feedback_id, comment=comment)
    return "Toelichting opgeslagen bij het laatste antwoord."


_SAFE = re.compile(r"[^A-Za-z0-9._-]+")


def safe_filename(name: str) -> str:
    """A file name that is safe to write in the uploads folder (no paths, no hidden files).

    >>> safe_filename("../../etc/Ondersteuningsplan 2025 (def).PDF")
    'Ondersteuningsplan-2025-def.pdf'
    """
    base = Path(name.replace("\\", "/")).name
    stem, dot, ext = base.rpartition(".")
    if not dot:
        stem, ext = base, ""
    stem = unicodedata.normalize("NFKD", stem).encode("ascii", "ignore").decode()
    stem = _SAFE.sub("-", stem).strip("-._")[:100] or "document"
    ext = _SAFE.sub("", ext.lower())[:10]
    return f"{stem}.{ext}" if ext else stem


def upload(
    ctx: AppContext, paths: list[str] | None, progress=None
) -> tuple[str, IngestReport | None]:
    """Store uploaded files under the data dir and ingest them; returns a Dutch report.

    A file that fails (bad type, too large, unreadable) is reported and removed again, and an
    earlier version of the same file is restored, so the index and the uploads folder agree.
    """
    paths = [p for p in (paths or []) if p]
    if not paths:
        return "Kies eerst een of meer bestanden (PDF, DOCX, TXT of MD).", None
    s = ctx.settings
    lines: list[str] = []
    if len(paths) > s.max_upload_files:
        lines.append(
            f"Er zijn {len(paths)} bestanden gekozen; per keer kunnen er "
            f"{s.max_upload_files}. Alleen de eerste {s.max_upload_files} worden verwerkt."
        )
        paths = paths[: s.max_upload_files]
    s.uploads_dir.mkdir(parents=True, exist_ok=True)
    placed: list[tuple[Path, Path | None]] = []  # (file in uploads, backup of an earlier version)
    for p in paths:
        src = Path(p)
        name = safe_filename(src.name)
        if Path(name).suffix not in SUPPORTED:
            lines.append(
                f"- **{_esc(name)}**: bestandstype wordt niet ondersteund "
                f"(wel: {', '.join(SUPPORTED)})."
            )
            continue
        size = src.stat().st_size if src.exists() else 0
        if size > s.max_file_bytes:
            lines.append(
                f"- **{_esc(name)}**: {size / 1048576:.1f} MB is groter dan de grens van "
                f"{s.max_file_mb:g} MB."
            )
            continue
        dest = s.uploads_dir / name
        backup = None
        if dest.exists():
            backup = dest.with_name(f".{dest.name}.{uuid.uuid4().hex[:8]}.bak")
            shutil.move(dest, backup)
        shutil.copyfile(src, dest)
        placed.append((dest, backup))
    report = None
    if placed:
        cb = (lambda frac, msg: progress(frac, desc=f"Inlezen: {msg}")) if progress else None
        report = ingest_paths(
            [d for d, _ in placed],
            s,
            progress=cb,
            embedder=ctx.assistant.embedder,
            store=ctx.assistant.store,
        )
        by_path = {r.path: r for r in report.results}
        for dest, backup in placed:
            r = by_path.get(dest)
            if r is None or r.status == "failed":
                dest.unlink(missing_ok=True)
                if backup is not None:
                    shutil.move(backup, dest)
                reason = r.message.split(": ", 1)[-1] if r else "onbekende fout"
                lines.append(f"- **{_esc(dest.name)}**: niet toegevoegd — {_esc(reason)}")
                continue
            if backup is not None:
                backup.unlink(missing_ok=True)
            label = {
                "added": "toegevoegd",
                "updated": "bijgewerkt",
                "skipped": "ongewijzigd (stond al in de index)",
            }.get(r.status, r.status)
            lines.append(f"- **{_esc(dest.name)}**: {label}, {r.chunks} passages.")
        ctx.assistant.retriever.refresh()
        lines += ["", _esc(report.summary())]
    return "\n".join(lines), report


def removable_documents(ctx: AppContext) -> list[tuple[str, str]]:
    """(label, doc_id) of every document in the index, complete or not, for the remove list."""
    states = ctx.assistant.store.doc_states().values()
    return sorted(
        ((f"{s.title or s.doc_id} — {s.doc_id}", s.doc_id) for s in states),
        key=lambda t: t[0].lower(),
    )


def remove_document(ctx: AppContext, doc_id: str | None) -> str:
    """Take one document out of the index (and its uploaded file); returns a Dutch report."""
    from ingest.pipeline import remove_documents

    if not doc_id:
        return "Geen document verwijderd."
    (r,) = remove_documents([doc_id], ctx.settings, store=ctx.assistant.store)
    if r.error:
        return f"**{_esc(doc_id)}**: {_esc(r.error)}"
    ctx.assistant.retriever.refresh()
    msg = f"**{_esc(r.title)}** is uit de index gehaald ({r.passages} passages)"
    if r.deleted_file:
        msg += f"; het geüploade bestand {_esc(r.deleted_file)} is ook verwijderd"
    return msg + "."


def documents_table(ctx: AppContext) -> list[list]:
    rows = []
    for s in sorted(ctx.assistant.store.doc_states().values(), key=lambda d: d.title.lower()):
        rows.append(
            [
                s.title,
                s.doc_kind,
                s.present,
                "ja" if s.complete else "onvolledig",
                Path(s.source).name if s.source else "",
            ]
        )
    return rows


def latest_eval(ctx: AppContext) -> tuple[str, str | None]:
    md = ctx.settings.eval_dir / "report.md"
    png = ctx.settings.eval_dir / "chart.png"
    if not md.exists():
        return (
            "Er is nog geen evaluatie gedraaid. Start er een met de knop hieronder "
            "(ongeveer een halve minuut)."
        ), None
    return md.read_text(encoding="utf-8"), str(png) if png.exists() else None


def run_evaluation(
    ctx: AppContext, progress=None, questions: Path | None = None
) -> tuple[str, str | None]:
    """Run the gold questions through all configurations and write the report."""
    from evals.gold import DEFAULT_QUESTIONS, load_questions
    from evals.report import to_markdown, write_chart
    from evals.runner import CONFIGS, run_eval, write_json

    questions = questions or DEFAULT_QUESTIONS
    if not ctx.eval_lock.acquire(blocking=False):
        return "Er loopt al een evaluatie; wacht tot die klaar is.", None
    try:
        qs = load_questions(questions)
        if progress:
            progress(0.05, desc="Evaluatie loopt")
        report = run_eval(
            ctx.settings,
            qs,
            CONFIGS,
            assistant=ctx.assistant,
            questions_path=questions,
            progress=(lambda m: progress(0.5, desc=m)) if progress else None,
        )
        out = ctx.settings.eval_dir
        out.mkdir(parents=True, exist_ok=True)
        write_json(report, out / "report.json")
        (out / "report.md").write_text(to_markdown(report), encoding="utf-8")
        write_chart(report, out / "chart.png")
    except ValueError as e:
        return f"De evaluatie kon niet draaien: {_esc(str(e))}", None
    finally:
        ctx.eval_lock.release()
    return latest_eval(ctx)


# -- talking points (Gespreksvoorbereiding) ------------------------------------------------------
BRIEFINGS_KEEP_SECONDS = 24 * 3600


def briefings_dir(settings: Settings) -> Path:
    """Where the tab writes its downloads: one fresh folder per request."""
    return settings.data_dir / "briefings"


def _prune_briefings(root: Path) -> None:
    import time

    if not root.is_dir():
        return
    for d in root.iterdir():
        try:
            if d.is_dir() and time.time() - d.stat().st_mtime > BRIEFINGS_KEEP_SECONDS:
                shutil.rmtree(d, ignore_errors=True)
        except OSError:
            pass


def make_briefing(
    ctx: AppContext,
    school: str,
    region: str | None,
    themes: list[str] | None,
    notes: str,
    letterlijk: bool = False,
) -> tuple[str, str | None, str | None]:
    """Talking points for a school visit: (Markdown preview, .md file, .docx file).

    Bad input gives a Dutch message as the preview and no files. The preview's document text is
    HTML-escaped like the chat's; the files are written to a fresh folder under the data dir.
    """
    from assistant.talking_points import (
        BriefingError,
        build_briefing,
        to_docx,
        to_markdown,
        write_markdown,
    )

    if not themes:
        return "Kies minstens één thema.", None, None
    try:
        b = build_briefing(
            ctx.assistant,
            school,
            region=(region or "").strip() or None,
            themes=list(themes),
            notes=notes or "",
            use_llm=not letterlijk,
        )
    except (BriefingError, IndexUnavailable) as e:
        return _esc(str(e)), None, None
    root = briefings_dir(ctx.settings)
    _prune_briefings(root)
    folder = root / uuid.uuid4().hex
    stem = "gespreksvoorbereiding-" + safe_filename(b.school.replace(".", " "))
    try:
        folder.mkdir(parents=True)
        md = write_markdown(b, folder / f"{stem}.md")
        docx = to_docx(b, folder / f"{stem}.docx")
    except (BriefingError, OSError) as e:
        shutil.rmtree(folder, ignore_errors=True)
        return _esc(f"De bestanden konden niet worden gemaakt: {e}"), None, None
    preview = to_markdown(b, html_escape=True)
    if b.notice:  # for the user only: the files say what they are without it
        preview = f"> ⚠ {_esc(b.notice)}\n\n{preview}"
    return preview, str(md), str(docx)


# -- the Gradio app ----------------------------------------------------------------------------
def build_app(ctx: AppContext) -> gr.Blocks:
    tx = ctx.taxonomy
    theme_choices = [(t.label, t.key) for t in tx.themes]
    region_choices = [name for name, _ in tx.regions]
    kind_choices = [(KIND_LABELS[k], k) for k in KINDS]

    with gr.Blocks(title="Inclusie-assistent", analytics_enabled=False) as app:
        session = gr.State(Session())
        gr.Markdown(
            "# Inclusie-assistent\nVragen over inclusief onderwijs, beantwoord met de "
            "passages uit handreikingen, praktijkvoorbeelden en beleidsplannen waarop het "
            "antwoord steunt. U mag ook in het Engels vragen."
        )
        with gr.Tabs():
            with gr.Tab("Vragen", id="vragen"):
                with gr.Row(equal_height=False):
                    with gr.Column(scale=3):
                        chat = gr.Chatbot(
                            label="Gesprek",
                            height=520,
                            elem_id="gesprek",
                            feedback_options=("Like", "Dislike"),
                            buttons=["copy", "copy_all"],
                            placeholder="Stel hieronder een vraag. Elk antwoord "
                            "verwijst met [n] naar een bron rechts.",
                        )
                        with gr.Row():
                            msg = gr.Textbox(
                                label="Uw vraag",
                                elem_id="vraag",
                                scale=5,
                                placeholder="Bijvoorbeeld: Wat kan de gemeente doen "
                                "aan leerlingenvervoer?",
                                autofocus=True,
                                lines=1,
                                max_lines=4,
                            )
                            send = gr.Button(
                                "Versturen", variant="primary", scale=1, elem_id="versturen"
                            )
                        with gr.Row():
                            clear = gr.Button("Nieuw gesprek", elem_id="nieuw-gesprek", size="sm")
                        if ctx.examples:
                            gr.Markdown("**Voorbeeldvragen per thema**")
                            example_buttons = []
                            with gr.Row(elem_id="voorbeelden"):
                                for theme, q in ctx.examples.items():
                                    example_buttons.append(
                                        (gr.Button(f"{tx.label(theme)}: {q}", size="sm"), q)
                                    )
                        else:
                            example_buttons = []
                        with gr.Accordion("Filters", open=False, elem_id="filters"):
                            f_theme = gr.Dropdown(
                                theme_choices,
                                multiselect=True,
                                label="Thema",
                                elem_id="filter-thema",
                            )
                            f_kind = gr.CheckboxGroup(
                                kind_choices, label="Soort passage", elem_id="filter-soort"
                            )
                            f_region = gr.Dropdown(
                                region_choices,
                                multiselect=True,
                                label="Regio",
                                elem_id="filter-regio",
                            )
                            f_doc = gr.Dropdown(
                                ctx.documents(),
                                multiselect=True,
                                label="Document",
                                elem_id="filter-document",
                            )
                        with gr.Accordion(
                            "Feedback op het laatste antwoord", open=False, elem_id="feedback"
                        ) as feedback_box:
                            gr.Markdown(
                                "Gebruik duim omhoog of omlaag bij een antwoord. Licht "
                                "een fout antwoord hier toe; het helpt de evaluatie."
                            )
                            comment = gr.Textbox(
                                label="Toelichting (optioneel)", lines=2, elem_id="toelichting"
                            )
                            save_comment = gr.Button("Toelichting opslaan", size="sm")
                            feedback_msg = gr.Markdown(elem_id="feedback-melding")
                    with gr.Column(scale=2):
                        sources = gr.HTML(
                            render_sources(None, tx), label="Bronnen", elem_id="bronnen"
                        )

            with gr.Tab("Gespreksvoorbereiding", id="gespreksvoorbereiding"):
                from assistant.talking_points import DEFAULT_THEMES

                gr.Markdown(
                    "Voorbereiding op een schoolbezoek: per thema kernpunten uit de "
                    "documenten, tips, praktijkvoorbeelden (eerst uit de eigen regio) en "
                    "gespreksvragen. Elk punt verwijst met [n] naar de bronnenlijst."
                )
                with gr.Row(equal_height=False):
                    with gr.Column(scale=2):
                        b_school = gr.Textbox(
                            label="School",
                            elem_id="briefing-school",
                            placeholder="Bijvoorbeeld: OBS De Regenboog, Roosendaal",
                        )
                        b_region = gr.Dropdown(
                            region_choices,
                            value=None,
                            label="Regio",
                            allow_custom_value=True,
                            elem_id="briefing-regio",
                            info="Kies of typ de regio of gemeente; "
                            "voorbeelden uit die regio komen eerst.",
                        )
                        b_themes = gr.CheckboxGroup(
                            theme_choices,
                            value=[t for t in DEFAULT_THEMES if t in tx.theme_keys],
                            label="Thema's",
                            elem_id="briefing-themas",
                        )
                        b_notes = gr.Textbox(
                            label="Notities voor de aanleiding (eigen woorden)",
                            lines=3,
                            elem_id="briefing-notities",
                        )
                        b_literal = gr.Checkbox(
                            False,
                            label="Alleen letterlijke citaten",
                            info="Zonder vinkje formuleert het taalmodel de punten korter; "
                            "elke formulering wordt gecontroleerd tegen de bron.",
                            visible=ctx.assistant.llm is not None,
                            elem_id="briefing-letterlijk",
                        )
                        b_make = gr.Button(
                            "Briefing maken", variant="primary", elem_id="briefing-maken"
                        )
                        with gr.Row():
                            b_md = gr.DownloadButton(
                                "Markdown downloaden (.md)",
                                value=None,
                                interactive=False,
                                elem_id="briefing-md",
                            )
                            b_docx = gr.DownloadButton(
                                "Word downloaden (.docx)",
                                value=None,
                                interactive=False,
                                elem_id="briefing-docx",
                            )
                    with gr.Column(scale=3):
                        b_preview = gr.Markdown(
                            "Vul de school in en kies de thema's; de briefing verschijnt hier.",
                            elem_id="briefing-preview",
                        )

            with gr.Tab("Documenten", id="documenten"):
                gr.Markdown(
                    f"Voeg eigen documenten toe ({', '.join(SUPPORTED)}; hoogstens "
                    f"{ctx.settings.max_file_mb:g} MB per bestand en "
                    f"{ctx.settings.max_upload_files} bestanden per keer). Ze zijn "
                    "daarna direct doorzoekbaar."
                )
                files = gr.File(
                    label="Bestanden",
                    file_count="multiple",
                    file_types=list(SUPPORTED),
                    elem_id="upload",
                )
                add = gr.Button("Toevoegen aan de index", variant="primary", elem_id="toevoegen")
                upload_report = gr.Markdown(elem_id="upload-verslag")
                docs_table = gr.Dataframe(
                    documents_table(ctx),
                    headers=["Titel", "Soort", "Passages", "Compleet", "Bestand"],
                    interactive=False,
                    label="Documenten in de index",
                    elem_id="documenten-tabel",
                )
                with gr.Row(equal_height=True):
                    rm_doc = gr.Dropdown(
                        removable_documents(ctx),
                        value=None,
                        scale=4,
                        label="Document uit de index halen",
                        info="Een geüpload bestand wordt mee verwijderd; een "
                        "bestand elders blijft staan.",
                        elem_id="verwijder-document",
                    )
                    rm_btn = gr.Button(
                        "Verwijderen", variant="stop", scale=1, elem_id="verwijderen"
                    )
                rm_report = gr.Markdown(elem_id="verwijder-verslag")

            with gr.Tab("Evaluatie", id="evaluatie"):
                md, png = latest_eval(ctx)
                eval_md = gr.Markdown(md, elem_id="evaluatie-rapport")
                eval_png = gr.Image(
                    png,
                    label="Vergelijking per configuratie",
                    type="filepath",
                    interactive=False,
                    elem_id="evaluatie-grafiek",
                )
                run_eval_btn = gr.Button("Nieuwe evaluatie starten", elem_id="evaluatie-start")

        # -- wiring ----------------------------------------------------------------------------
        def _respond(message, history, sess, themes, kinds, regions, docs):
            filters = make_filters(ctx, themes, kinds, regions, docs)
            for h, s, src in respond(ctx, message, history, sess, filters):
                yield h, s, src, ""

        ask_inputs = [msg, chat, session, f_theme, f_kind, f_region, f_doc]
        ask_outputs = [chat, session, sources, msg]
        msg.submit(_respond, ask_inputs, ask_outputs)
        send.click(_respond, ask_inputs, ask_outputs)

        def _ask_example(question):
            def run(history, sess, themes, kinds, regions, docs):
                yield from _respond(question, history, sess, themes, kinds, regions, docs)

            return run

        for btn, q in example_buttons:
            btn.click(
                _ask_example(q), [chat, session, f_theme, f_kind, f_region, f_doc], ask_outputs
            )
        clear.click(lambda: new_conversation(ctx), None, [chat, session, sources, msg])

        def _like(data: gr.LikeData, sess):
            # The confirmation (and the comment box it points to) sits in a closed accordion,
            # whose content is not even rendered until opened: open it, or the click looks lost.
            return record_like(
                ctx, sess, data.index if isinstance(data.index, int) else data.index[0], data.liked
            ), gr.Accordion(open=True)

        chat.like(_like, [session], [feedback_msg, feedback_box])
        save_comment.click(
            lambda sess, c: (record_comment(ctx, sess, c), ""),
            [session, comment],
            [feedback_msg, comment],
        )

        def _upload(paths, progress=gr.Progress()):
            text, _ = upload(ctx, paths, progress)
            return (
                text,
                documents_table(ctx),
                gr.update(choices=ctx.documents()),
                None,
                gr.update(choices=removable_documents(ctx)),
            )

        add.click(_upload, [files], [upload_report, docs_table, f_doc, files, rm_doc])

        def _remove(doc_id):
            return (
                remove_document(ctx, doc_id),
                documents_table(ctx),
                gr.update(choices=ctx.documents(), value=[]),
                gr.update(choices=removable_documents(ctx), value=None),
            )

        # Ask first, in the browser: a cancelled confirmation sends no document.
        rm_btn.click(
            _remove,
            [rm_doc],
            [rm_report, docs_table, f_doc, rm_doc],
            js="(d) => (d && window.confirm('Dit document uit de index halen? Het "
            "kan daarna niet meer als bron worden gebruikt.')) ? d : null",
        )

        def _run_eval(progress=gr.Progress()):
            return run_evaluation(ctx, progress)

        run_eval_btn.click(_run_eval, None, [eval_md, eval_png])

        def _briefing(school, region, themes, notes, literal):
            preview, md, docx = make_briefing(ctx, school, region, themes, notes, bool(literal))
            return (
                preview,
                gr.update(value=md, interactive=md is not None),
                gr.update(value=docx, interactive=docx is not None),
            )

        briefing_io = (
            [b_school, b_region, b_themes, b_notes, b_literal],
            [b_preview, b_md, b_docx],
        )
        b_make.click(_briefing, *briefing_io)
        b_school.submit(_briefing, *briefing_io)
    return app


def launch(
    ctx: AppContext,
    host: str,
    port: int,
    auth: str | None = None,
    prevent_thread_lock: bool = False,
):
    """Start the app (the caller warns when it listens beyond this machine without a login)."""
    app = build_app(ctx)
    app.queue(default_concurrency_limit=8)
    auth_pair = None
    if auth:
        user, _, password = auth.partition(":")
        if not user or not password:
            raise ValueError("INCLUSIE_AUTH moet de vorm 'gebruiker:wachtwoord' hebben.")
        auth_pair = (user, password)
    allowed = [str(ctx.settings.corpus_dir.resolve()), str(ctx.settings.uploads_dir.resolve())]
    allowed.append(str(briefings_dir(ctx.settings).resolve()))  # talking-points downloads
    theme = gr.themes.Soft(
        font=["system-ui", "Segoe UI", "Helvetica", "Arial", "sans-serif"],
        font_mono=["ui-monospace", "Consolas", "monospace"],
    )
    return app.launch(
        server_name=host,
        server_port=port,
        auth=auth_pair,
        auth_message="Log in om de Inclusie-assistent te gebruiken.",
        # bytes, not f"{mb}mb": Gradio's parser took "0.5mb" for an unknown unit
        allowed_paths=allowed,
        max_file_size=ctx.settings.max_file_bytes,
        app_kwargs={"middleware": [upload_middleware(ctx.settings)]},
        prevent_thread_lock=prevent_thread_lock,
        show_error=False,
        quiet=True,
        footer_links=[],
        theme=theme,
        css=CSS,
        share=False,
    )


def is_loopback(host: str) -> bool:
    return host in ("127.0.0.1", "localhost", "::1") or host.startswith("127.")


def bind_warning(host: str, auth: str | None) -> str | None:
    """The warning shown when the app would be reachable from other machines without a login."""
    if is_loopback(host) or auth:
        return None
    return (
        f"WAARSCHUWING: de app luistert op {host} zonder login; iedereen die deze computer "
        "kan bereiken kan vragen stellen en documenten toevoegen. Zet "
        "INCLUSIE_AUTH=gebruiker:wachtwoord of gebruik --host 127.0.0.1."
    )
