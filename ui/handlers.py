"""What the web app does, as plain functions of an ``AppContext`` (testable without a browser).

``build_app`` in ``ui.app`` wires these to Gradio components; the HTML they return comes from
``ui.render``.
"""

from __future__ import annotations

import datetime as dt
import logging
import shutil
import sqlite3
import threading
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from assistant.answer import Assistant
from assistant.records import Answer, Final, Rewritten, Token
from assistant.retrieve import Filters
from ingest.errors import IndexUnavailable
from ingest.passage import KINDS
from ingest.pipeline import Progress
from ingest.settings import Settings
from ingest.tags import Taxonomy
from ingest.uploads import UploadResult, add_uploads, safe_filename

from .conversations import ID, LOCAL_USER, ConversationStore
from .feedback import FeedbackStore

if TYPE_CHECKING:
    from ingest.pipeline import Removal
from .render import (
    FILTER_FIELDS,
    answer_key,
    answer_markdown,
    chat_markdown,
    esc,
    filter_chips,
    render_sources,
)
from .uploading import UploadJob, UploadJobs, count, report_markdown

log = logging.getLogger("inclusie.web")

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


@dataclass
class Turn:
    question: str
    answer: Answer
    message_index: int  # index of the assistant message in the chat history
    feedback_id: int | None = None
    row: int | None = None  # the turn in the conversation store, once stored


def new_conversation_id() -> str:
    return uuid.uuid4().hex


class Session:
    """One browser tab's conversation (kept in gr.State) and whose it is.

    ``id`` is the conversation's id in the store (the tab keeps it across reloads, see
    ``ui.app``); ``user`` the login name, or ``LOCAL_USER`` without a login.
    """

    def __init__(self, conversation_id: str | None = None, user: str = LOCAL_USER) -> None:
        # An id that is not ours in form (a tampered tab) is replaced, never used as a key.
        ok = conversation_id is not None and ID.match(conversation_id) is not None
        self.id: str = conversation_id if ok and conversation_id else new_conversation_id()
        self.user = user
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
    uploads: UploadJobs = field(default_factory=UploadJobs)
    conversations: ConversationStore = field(init=False)

    def __post_init__(self) -> None:
        self.conversations = ConversationStore(self.settings.conversations_db)

    @classmethod
    def create(
        cls, settings: Settings, assistant: Assistant | None = None, check_examples: bool = True
    ) -> AppContext:
        assistant = assistant or Assistant(settings)
        ctx = cls(settings, assistant, assistant.taxonomy, FeedbackStore(settings.feedback_db))
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
        history.append({"role": "user", "content": esc(message[:200]) + " …"})
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
    history.append({"role": "user", "content": esc(message)})
    history.append({"role": "assistant", "content": ""})
    empty = render_sources(None, ctx.taxonomy)
    yield history, session, empty
    earlier = [t.answer.rewritten or t.question for t in session.turns]
    answer, streamed, rewritten = None, "", ""
    try:
        for event in ctx.assistant.ask_stream(message, filters=filters, history=earlier):
            if isinstance(event, Rewritten):
                rewritten = event.question
                empty = render_sources(None, ctx.taxonomy, rewritten)
                yield history, session, empty
            elif isinstance(event, Token):
                streamed += event.text
                history[-1]["content"] = esc(streamed)
                yield history, session, empty
            elif isinstance(event, Final):
                answer = event.answer
    except IndexUnavailable as e:
        history[-1]["content"] = esc(str(e))
        yield history, session, empty
        return
    assert answer is not None  # ask_stream always ends with Final
    if answer.mode != "llm" and not streamed:  # quoted answers stream line by line
        text = ""
        for line in answer.text.split("\n"):
            text = f"{text}\n{line}" if text else line
            history[-1]["content"] = chat_markdown(text)
            yield history, session, empty
    history[-1]["content"] = answer_markdown(answer)
    turn = Turn(message, answer, len(history) - 1)
    session.turns.append(turn)
    try:
        turn.row = ctx.conversations.add_turn(session.user, session.id, message, answer)
    except sqlite3.Error:  # the answer is there; only keeping it failed
        log.exception("Gesprek %s kon niet worden bewaard", session.id)
        history[-1]["content"] += (
            "\n\n_Dit antwoord kon niet worden bewaard; na herladen is het weg._"
        )
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


def active_filters(
    ctx: AppContext,
    themes: list[str] | None,
    kinds: list[str] | None,
    regions: list[str] | None,
    docs: list[str] | None,
) -> str:
    """The chosen filters as chips under the question box ("" when none is chosen)."""
    values = {"themes": themes, "kinds": kinds, "regions": regions, "docs": docs}
    titles = {doc_id: title for title, doc_id in ctx.documents()} if docs else None
    return filter_chips(ctx.taxonomy, values, titles)


def drop_filter(
    chip: object,
    themes: list[str] | None,
    kinds: list[str] | None,
    regions: list[str] | None,
    docs: list[str] | None,
) -> list[list[str]]:
    """The four filter values without the one of a clicked chip (``{"field", "value"}``).

    >>> drop_filter({"field": "kinds", "value": "tip"}, ["a"], ["tip", "tekst"], None, [])
    [['a'], ['tekst'], [], []]
    """
    field, value = (chip.get("field"), chip.get("value")) if isinstance(chip, dict) else ("", "")
    values = {"themes": themes, "kinds": kinds, "regions": regions, "docs": docs}
    return [
        [v for v in values[name] or [] if not (name == field and v == value)]
        for name, _ in FILTER_FIELDS
    ]


def sources_of(ctx: AppContext, session: Session, chosen: object) -> str | None:
    """The sources panel of an earlier answer of this conversation, chosen by its key (a click
    on one of its ``[n]``); None when the conversation has no such answer."""
    key = chosen.get("answer") if isinstance(chosen, dict) else None
    turn = next((t for t in session.turns if answer_key(t.answer) == key), None)
    if turn is None:
        return None
    return render_sources(turn.answer, ctx.taxonomy, turn.answer.rewritten or "")


def new_conversation(
    ctx: AppContext, user: str = LOCAL_USER, conversation_id: str | None = None
) -> tuple[list, Session, str, str]:
    """Empty chat, fresh session state, empty sources panel, empty input.

    Nothing of the previous conversation carries over (its questions no longer rewrite a
    follow-up); it stays in the store and in the list. The new one is stored with its first
    answered question.
    """
    return [], Session(conversation_id, user), render_sources(None, ctx.taxonomy), ""


def open_conversation(
    ctx: AppContext, user: str, conversation_id: str | None
) -> tuple[list[dict], Session, str]:
    """The user's stored conversation as (chat history, session, sources of the last answer).

    An id the user has no conversation under gives an empty conversation with that id: a new
    tab, or one whose conversation was deleted; another user's id finds nothing (the store is
    keyed by user and id).
    """
    session = Session(conversation_id, user)
    history: list[dict] = []
    for t in ctx.conversations.turns(user, session.id):
        history.append({"role": "user", "content": esc(t.question)})
        history.append({"role": "assistant", "content": answer_markdown(t.answer)})
        session.turns.append(Turn(t.question, t.answer, len(history) - 1, t.feedback_id, t.row))
    last = session.last
    html = render_sources(
        last.answer if last else None, ctx.taxonomy, last.answer.rewritten if last else ""
    )
    return history, session, html


_MONTHS = ("jan", "feb", "mrt", "apr", "mei", "jun", "jul", "aug", "sep", "okt", "nov", "dec")


def _when(iso: str) -> str:
    try:
        t = dt.datetime.fromisoformat(iso)
    except ValueError:
        return iso
    return f"{t.day} {_MONTHS[t.month - 1]} {t:%H:%M}"


def conversation_choices(ctx: AppContext, user: str) -> list[tuple[str, str]]:
    """(label, id) of the user's conversations, the most recent first, for "Eerdere gesprekken"."""
    return [(f"{c.title} — {_when(c.updated)}", c.id) for c in ctx.conversations.recent(user)]


def conversation_title(ctx: AppContext, session: Session) -> str:
    info = ctx.conversations.get(session.user, session.id)
    return info.title if info else ""


def rename_conversation(ctx: AppContext, session: Session, title: str) -> str:
    """Give the tab's conversation a name of the user's choosing; returns a Dutch message."""
    if not (title or "").strip():
        return "Typ eerst een naam voor dit gesprek."
    if not ctx.conversations.rename(session.user, session.id, title):
        return "Stel eerst een vraag; daarna kunt u het gesprek een naam geven."
    return "De naam van het gesprek is opgeslagen."


def delete_conversation(ctx: AppContext, session: Session) -> str:
    """Remove the tab's conversation from the store; returns a Dutch message."""
    if not ctx.conversations.delete(session.user, session.id):
        return "Dit gesprek was nog niet bewaard; er is niets verwijderd."
    return "Het gesprek is verwijderd."


def exports_dir(settings: Settings) -> Path:
    """Where conversation downloads are written: one fresh folder per download."""
    return settings.data_dir / "exports"


def export_conversation(ctx: AppContext, session: Session, fmt: str) -> str | None:
    """The tab's conversation as a file (``fmt``: ``md`` or ``docx``) with its sources; None
    while it has no answer yet."""
    from .conversation_export import file_stem, write_docx, write_markdown

    if not session.turns:
        return None
    title = conversation_title(ctx, session) or session.turns[0].question
    turns = [(t.question, t.answer) for t in session.turns]
    root = exports_dir(ctx.settings)
    _prune_briefings(root)  # the same rule: a download folder older than a day goes
    folder = root / uuid.uuid4().hex
    folder.mkdir(parents=True)
    path = folder / f"{file_stem(title)}.{fmt}"
    write = write_docx if fmt == "docx" else write_markdown
    return str(write(title, turns, path))


def _keep_feedback_id(ctx: AppContext, session: Session, turn: Turn) -> None:
    # After a reload a second thumb updates the same feedback row instead of adding one.
    if turn.row is not None and turn.feedback_id is not None:
        try:
            ctx.conversations.set_feedback(session.user, turn.row, turn.feedback_id)
        except sqlite3.Error:
            log.exception("Feedback-id van gesprek %s niet bewaard", session.id)


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
        _keep_feedback_id(ctx, session, turn)
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
        _keep_feedback_id(ctx, session, turn)
    else:
        ctx.feedback.update(turn.feedback_id, comment=comment)
    return "Toelichting opgeslagen bij het laatste antwoord."


def upload(
    ctx: AppContext, paths: Sequence[str | Path] | None, progress: Progress | None = None
) -> tuple[str, UploadResult | None]:
    """Store uploaded files under the data dir and ingest them; returns a Dutch report.

    A file that fails (bad type, too large, unreadable) is reported and removed again, and an
    earlier version of the same file is restored, so the index and the uploads folder agree
    (``ingest.uploads``). ``progress`` is ingest's callback, ``(fraction, message)``.
    """
    paths = [p for p in (paths or []) if p]
    if not paths:
        return NO_FILES, None
    result = add_uploads(
        [Path(p) for p in paths],
        ctx.settings,
        embedder=ctx.assistant.embedder,
        store=ctx.assistant.store,
        progress=progress,
    )
    if result.report is not None:
        ctx.assistant.retriever.refresh()
    states = ctx.assistant.store.doc_states() if result.report is not None else {}
    return report_markdown(result, states, ctx.taxonomy), result


NO_FILES = "Kies eerst een of meer bestanden (PDF, DOCX, TXT of MD)."


def start_upload(ctx: AppContext, paths: list[str] | None, owner: str = "") -> UploadJob | None:
    """Start reading in uploaded files in the background (see ``ui.uploading``); None when no
    file was chosen."""
    chosen = [Path(p) for p in (paths or []) if p]
    if not chosen:
        return None
    staging = ctx.settings.uploads_dir / ".binnenkomend"  # hidden: ingest of the folder skips it
    return ctx.uploads.start(
        chosen, staging, lambda files, progress: upload(ctx, files, progress)[0], owner
    )


def briefing_regions(ctx: AppContext) -> list[str]:
    """Regions to choose for a briefing: the taxonomy's, then places uploaded documents named."""
    known = [name for name, _ in ctx.taxonomy.regions]
    found = {r for s in ctx.assistant.store.doc_states().values() for r in s.regions}
    return known + sorted(found - set(known), key=str.lower)


def upload_view(ctx: AppContext, job: UploadJob | None) -> tuple[str, str]:
    """(progress HTML, report Markdown) of an upload; the progress is empty once it is done."""
    if job is None:
        return "", ""
    if job.done:
        return "", job.report
    return job.view(waiting=ctx.uploads.waiting(job)), ""


def removable_documents(ctx: AppContext) -> list[tuple[str, str]]:
    """(label, doc_id) of every document in the index, complete or not, for the remove list."""
    states = ctx.assistant.store.doc_states().values()
    return sorted(
        ((f"{s.title or s.doc_id} — {s.doc_id}", s.doc_id) for s in states),
        key=lambda t: t[0].lower(),
    )


def remove(ctx: AppContext, doc_id: str) -> Removal:
    """Take one document out of the index (and its uploaded file); ``error`` says why not."""
    from ingest.pipeline import remove_documents

    (r,) = remove_documents([doc_id], ctx.settings, store=ctx.assistant.store)
    if not r.error:
        ctx.assistant.retriever.refresh()
    return r


def remove_document(ctx: AppContext, doc_id: str | None) -> str:
    """Take one document out of the index (and its uploaded file); returns a Dutch report."""
    if not doc_id:
        return "Geen document verwijderd."
    r = remove(ctx, doc_id)
    if r.error:
        return f"**{esc(doc_id)}**: {esc(r.error)}"
    msg = f"**{esc(r.title)}** is uit de index gehaald ({count(r.passages, 'passage', 'passages')})"
    if r.deleted_file:
        msg += f"; het geüploade bestand {esc(r.deleted_file)} is ook verwijderd"
    return msg + "."


DOCUMENT_COLUMNS = ["Titel", "Soort", "Thema's", "Regio's", "Passages", "Compleet", "Bestand"]
TABLE_TAGS = 3  # a handbook touches every theme and many regions: the table names the main ones


def _most(values: list[str]) -> str:
    more = f", +{len(values) - TABLE_TAGS}" if len(values) > TABLE_TAGS else ""
    return ", ".join(values[:TABLE_TAGS]) + more


def documents_table(ctx: AppContext) -> list[list]:
    """One row per document (``DOCUMENT_COLUMNS``): what it is and what it was tagged with."""
    rows = []
    for s in sorted(ctx.assistant.store.doc_states().values(), key=lambda d: d.title.lower()):
        rows.append(
            [
                s.title,
                s.doc_kind,
                _most([ctx.taxonomy.label(t) for t in s.themes]),
                _most(list(s.regions)),
                s.present,
                "ja" if s.complete else "onvolledig",
                Path(s.source).name if s.source else "",
            ]
        )
    return rows


def latest_eval(ctx: AppContext) -> tuple[str, str | None, str]:
    """The Evaluatie tab from the latest report: Dutch summary, chart file, tables."""
    from .eval_view import eval_view

    return eval_view(ctx.settings.eval_dir)


def shipped_documents(ctx: AppContext) -> tuple[list[str], bool]:
    """Ids of the shipped documents in the index (those of the corpus folder, not uploaded),
    and whether the index holds other documents as well."""
    shipped_files = {f.name for f in ctx.settings.corpus_dir.glob("*") if f.is_file()}
    uploads = ctx.settings.uploads_dir.resolve()
    shipped, others = [], False
    for s in ctx.assistant.store.doc_states().values():
        source = Path(s.source) if s.source else None
        uploaded = source is not None and source.resolve().is_relative_to(uploads)
        if source is not None and source.name in shipped_files and not uploaded:
            shipped.append(s.doc_id)
        else:
            others = True
    return sorted(shipped), others


def fresh_state(ctx: AppContext) -> tuple[list[list], list, list, str, str | None, str]:
    """What a page shows of the index and the evals, read now (on every page load): the
    documents table, the document filter's choices, the remove list, and the Evaluatie tab's
    summary, chart and tables.
    """
    summary, chart, tables = latest_eval(ctx)
    return documents_table(ctx), ctx.documents(), removable_documents(ctx), summary, chart, tables


def run_evaluation(
    ctx: AppContext,
    progress=None,
    questions: Path | list[Path] | None = None,
    include_uploads: bool = False,
) -> tuple[str, str | None, str]:
    """Run the held-out sets (or ``questions``) through all configurations; write the report.

    By default only the shipped documents are searched: the test questions are about them, and
    a user's uploads would change the figures without anything getting better or worse.
    """
    from evals.gold import HELD_OUT, load_sets
    from evals.report import write_report
    from evals.runner import CONFIGS, run_eval

    paths = [questions] if isinstance(questions, Path) else list(questions or HELD_OUT)
    if not ctx.eval_lock.acquire(blocking=False):
        return "Er loopt al een evaluatie; wacht tot die klaar is.", None, ""
    try:
        filters = None
        shipped, others = shipped_documents(ctx)
        if not include_uploads:
            if not shipped:
                return (
                    "De meegeleverde documenten staan niet in de index, dus de testvragen "
                    "hebben niets om op te zoeken. Vink “Ook eigen documenten meenemen” aan, "
                    "of lees de meegeleverde documenten in met `inclusie ingest`.",
                    None,
                    "",
                )
            filters = Filters(doc_ids=shipped) if others else None
        sets = load_sets(paths)
        if progress:
            progress(0.05, desc="Evaluatie loopt")
        report = run_eval(
            ctx.settings,
            sets,
            CONFIGS,
            assistant=ctx.assistant,
            progress=(lambda m: progress(0.5, desc=m)) if progress else None,
            filters=filters,
        )
        report["corpus"]["scope"] = "all" if include_uploads and others else "shipped"
        write_report(report, ctx.settings.eval_dir)
    except ValueError as e:
        return f"De evaluatie kon niet draaien: {esc(str(e))}", None, ""
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
    detailed: bool = False,
) -> tuple[str, str | None, str | None]:
    """Talking points for a school visit: (Markdown preview, .md file, .docx file); short
    unless ``detailed`` ("Uitgebreid").

    Bad input gives a Dutch message as the preview and no files. The preview's document text is
    HTML-escaped like the chat's; the files are written to a fresh folder under the data dir.
    """
    from assistant.briefing import BriefingError, to_docx, to_markdown, write_markdown

    if not themes:
        return "Kies minstens één thema.", None, None
    try:
        b = ctx.assistant.briefing(
            school,
            region=(region or "").strip() or None,
            themes=list(themes),
            notes=notes or "",
            use_llm=not letterlijk,
            detailed=detailed,
        )
    except (BriefingError, IndexUnavailable) as e:
        return esc(str(e)), None, None
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
        return esc(f"De bestanden konden niet worden gemaakt: {e}"), None, None
    preview = to_markdown(b, html_escape=True)
    if b.notice:  # for the user only: the files say what they are without it
        preview = f"> ⚠ {esc(b.notice)}\n\n{preview}"
    return preview, str(md), str(docx)
