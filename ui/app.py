"""The web app (Gradio): chat with cited answers, sources, filters, uploads, feedback, evals.

``build_app`` lays out the page and wires its components to the handlers in ``ui.handlers``;
``build_server`` mounts it, with its login and request limits, into the API's FastAPI app
(``ui.api``); ``launch`` serves both on one port with uvicorn.

>>> ctx = AppContext.create(Settings())          # doctest: +SKIP
>>> launch(ctx, "127.0.0.1", 7860)               # doctest: +SKIP
"""

from __future__ import annotations

import socket

import gradio as gr
from fastapi import FastAPI
from starlette.routing import Mount

from ingest.loaders import SUPPORTED
from ingest.passage import KINDS

from .conversations import LOCAL_USER
from .handlers import (
    DOCUMENT_COLUMNS,
    NO_FILES,
    AppContext,
    Session,
    active_filters,
    briefing_regions,
    briefings_dir,
    conversation_choices,
    conversation_title,
    delete_conversation,
    documents_table,
    drop_filter,
    export_conversation,
    exports_dir,
    fresh_state,
    latest_eval,
    make_briefing,
    make_filters,
    new_conversation,
    open_conversation,
    record_comment,
    record_like,
    removable_documents,
    remove_document,
    rename_conversation,
    respond,
    run_evaluation,
    sources_of,
    start_upload,
    upload_view,
)
from .i18n import ARIA_SCRIPT, dutch_everywhere
from .limits import upload_middleware
from .render import CHIPS_JS, CSS, KIND_LABELS, SOURCES_JS, render_sources
from .users import Logins, UsersFile

# -- the tab's conversation ----------------------------------------------------------------------
# Each browser tab keeps the id of its conversation in sessionStorage: a reload of the tab keeps
# it, another tab has its own (localStorage, and Gradio's BrowserState built on it, would be
# shared by all tabs). The browser makes the id (16 random bytes; crypto.randomUUID needs
# https or localhost, getRandomValues works on a plain http address in the office network too).
# The server keys conversations by login name and id, so an id shows a user only their own.
_TAB_KEY = "inclusie-gesprek"
_NEW_ID = (
    "Array.from(crypto.getRandomValues(new Uint8Array(16)), "
    "(b) => b.toString(16).padStart(2, '0')).join('')"
)
_TAB_ID = f"""(() => {{
    let kept = sessionStorage.getItem('{_TAB_KEY}');
    if (!/^[0-9a-f]{{32}}$/.test(kept || '')) {{
        kept = {_NEW_ID};
        sessionStorage.setItem('{_TAB_KEY}', kept);
    }}
    return kept;
}})()"""
_LOAD_JS = f"(id) => {_TAB_ID}"
# A question carries the tab's id as its last input: asked before the page's load hook has
# opened the conversation (a busy server), it still lands in the tab's own conversation.
_ASK_JS = f"(...args) => [...args.slice(0, -1), {_TAB_ID}]"
_NEW_JS = f"""(id) => {{
    const fresh = {_NEW_ID};
    sessionStorage.setItem('{_TAB_KEY}', fresh);
    return fresh;
}}"""
_OPEN_JS = f"(id) => {{ if (id) sessionStorage.setItem('{_TAB_KEY}', id); return id; }}"
_DELETE_JS = f"""(id, s) => {{
    if (!window.confirm('Dit gesprek verwijderen? Het kan daarna niet meer worden geopend.')) {{
        return [null, s];
    }}
    const fresh = {_NEW_ID};
    sessionStorage.setItem('{_TAB_KEY}', fresh);
    return [fresh, s];
}}"""
# The file is made when asked for (a Word document costs ~0.1 s, too much to make after every
# answer), then handed to the browser the way Gradio's DownloadButton does it.
_DOWNLOAD_JS = """(f) => {
    if (!f || !f.url) return;
    const a = document.createElement('a');
    a.href = f.url;
    a.download = f.orig_name || '';
    document.body.appendChild(a);
    a.click();
    a.remove();
}"""


def user_of(request: gr.Request | None) -> str:
    """The login name of the request, or the one local user when the app has no login."""
    return (getattr(request, "username", None) or LOCAL_USER) if request else LOCAL_USER


def session_of(
    ctx: AppContext, sess: Session | None, request: gr.Request | None, tab_id: str | None = None
) -> Session:
    """The tab's session when it is this user's; otherwise the user's conversation ``tab_id``
    as stored (or a new one): never mix two logins."""
    user = user_of(request)
    if sess is None or sess.user != user:
        return open_conversation(ctx, user, tab_id)[1]
    return sess


# The upload's progress bar; kept with its component (the page's CSS lives in ui.render).
UPLOAD_PROGRESS_CSS = """
.upload-voortgang { margin: 6px 0; }
.upload-voortgang progress { width: 100%; height: 14px; }
.upload-voortgang-tekst { margin-top: 4px; font-weight: 600; }
.upload-voortgang-hint { color: var(--body-text-color-subdued); font-size: 0.85rem; }
"""


# -- the Gradio app ----------------------------------------------------------------------------
def build_app(ctx: AppContext) -> gr.Blocks:
    tx = ctx.taxonomy
    theme_choices = [(t.label, t.key) for t in tx.themes]
    region_choices = [name for name, _ in tx.regions]
    kind_choices = [(KIND_LABELS[k], k) for k in KINDS]

    with gr.Blocks(title="Inclusie-assistent", analytics_enabled=False) as app:
        # None until the page's load hook opens the tab's conversation (or the first question
        # makes one): a Session built here would be one object copied into every page.
        session = gr.State(None)
        gr.Markdown(
            "# Inclusie-assistent\nVragen over inclusief onderwijs, beantwoord met de "
            "passages uit handreikingen, praktijkvoorbeelden en beleidsplannen waarop het "
            "antwoord steunt. U mag ook in het Engels vragen."
        )
        # "wrap": on a phone all four tabs stay visible (a menu would hide three behind "⋯")
        with gr.Tabs(overflow_behavior="wrap", elem_id="tabbladen"):
            with gr.Tab("Vragen", id="vragen"):
                with gr.Row(equal_height=False, elem_id="vragen-indeling"):
                    with gr.Column(scale=3, elem_id="vragen-links"):
                        chat = gr.Chatbot(
                            label="Gesprek",
                            height=520,
                            elem_id="gesprek",
                            feedback_options=("Like", "Dislike"),
                            # no "copy_all": Gradio writes "Copy conversation" without a
                            # translation key, so it would stay English
                            buttons=["copy"],
                            placeholder="Stel hieronder een vraag. Elk antwoord "
                            "verwijst met [n] naar een bron; klik op [n] om die te zien.",
                        )
                        with gr.Column(elem_id="vraagblok"):
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
                            # The filters sit with the question they narrow, always in view.
                            with gr.Row(elem_id="filters"):
                                f_theme = gr.Dropdown(
                                    theme_choices,
                                    multiselect=True,
                                    label="Thema",
                                    elem_id="filter-thema",
                                    min_width=160,
                                )
                                f_kind = gr.Dropdown(
                                    kind_choices,
                                    multiselect=True,
                                    label="Soort passage",
                                    elem_id="filter-soort",
                                    min_width=160,
                                )
                                f_region = gr.Dropdown(
                                    region_choices,
                                    multiselect=True,
                                    label="Regio",
                                    elem_id="filter-regio",
                                    min_width=160,
                                )
                                f_doc = gr.Dropdown(
                                    ctx.documents(),
                                    multiselect=True,
                                    label="Document",
                                    elem_id="filter-document",
                                    min_width=160,
                                )
                            chips = gr.HTML("", elem_id="filter-chips", js_on_load=CHIPS_JS)
                        with gr.Row():
                            clear = gr.Button("Nieuw gesprek", elem_id="nieuw-gesprek", size="sm")
                            conv_md = gr.Button(
                                "Gesprek downloaden (.md)", size="sm", elem_id="gesprek-md"
                            )
                            conv_docx = gr.Button(
                                "Gesprek downloaden (.docx)", size="sm", elem_id="gesprek-docx"
                            )
                        conv_msg = gr.Markdown(elem_id="gesprek-melding")
                        with gr.Accordion(
                            "Eerdere gesprekken", open=False, elem_id="eerdere-gesprekken"
                        ) as past_box:
                            past = gr.Radio(
                                [],
                                label="Kies een gesprek om het te openen",
                                elem_id="gesprekken",
                            )
                            with gr.Row(equal_height=False):
                                conv_name = gr.Textbox(
                                    label="Naam van dit gesprek",
                                    max_lines=1,
                                    scale=3,
                                    elem_id="gesprek-naam",
                                )
                                with gr.Column(scale=1, min_width=180):
                                    rename_btn = gr.Button(
                                        "Naam opslaan", size="sm", elem_id="gesprek-hernoemen"
                                    )
                                    delete_btn = gr.Button(
                                        "Dit gesprek verwijderen",
                                        variant="stop",
                                        size="sm",
                                        elem_id="gesprek-verwijderen",
                                    )
                        conv_id = gr.Textbox(visible=False)  # the tab's id, filled by _LOAD_JS
                        conv_file = gr.File(visible=False)  # a download on its way out
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
                    with gr.Column(scale=2, elem_id="vragen-rechts"):
                        sources = gr.HTML(
                            render_sources(None, tx),
                            label="Bronnen",
                            elem_id="bronnen",
                            js_on_load=SOURCES_JS,
                        )

            with gr.Tab("Gespreksvoorbereiding", id="gespreksvoorbereiding"):
                from assistant.briefing import DEFAULT_THEMES

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
                            briefing_regions(ctx),
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
                        b_detailed = gr.Checkbox(
                            False,
                            label="Uitgebreid",
                            info="Standaard is de briefing kort (ongeveer twee A4). Uitgebreid: "
                            "meer kernpunten, tips, voorbeelden en vragen per thema.",
                            elem_id="briefing-uitgebreid",
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
                # An upload runs in the background: the bar shows how far it is, the page stays
                # free for questions, and the report replaces the bar when it is done.
                upload_job = gr.State(None)
                upload_timer = gr.Timer(1.0, active=False)
                upload_progress = gr.HTML(
                    "", elem_id="upload-voortgang", css_template=UPLOAD_PROGRESS_CSS
                )
                upload_report = gr.Markdown(elem_id="upload-verslag")
                docs_table = gr.Dataframe(
                    documents_table(ctx),
                    headers=DOCUMENT_COLUMNS,
                    interactive=False,
                    label="Documenten in de index",
                    elem_id="documenten-tabel",
                    # "Copy table data" and "Fullscreen" are English without a translation key
                    buttons=[],
                    wrap=True,
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
                rm_ok = gr.Checkbox(False, visible=False)  # the confirmation's answer
                rm_report = gr.Markdown(elem_id="verwijder-verslag")

            with gr.Tab("Evaluatie", id="evaluatie"):
                summary_md, chart_png, tables_md = latest_eval(ctx)
                eval_summary = gr.Markdown(summary_md, elem_id="evaluatie-samenvatting")
                with gr.Row(equal_height=True):
                    eval_uploads = gr.Checkbox(
                        False,
                        label="Ook eigen documenten meenemen",
                        info="Zonder vinkje wordt alleen in de meegeleverde documenten gezocht, "
                        "waar de testvragen over gaan.",
                        elem_id="evaluatie-uploads",
                        scale=3,
                    )
                    run_eval_btn = gr.Button(
                        "Nieuwe evaluatie starten", elem_id="evaluatie-start", scale=1
                    )
                eval_png = gr.Image(
                    chart_png,
                    visible=chart_png is not None,
                    label="Juiste fragmenten en volledige antwoorden, per manier van zoeken",
                    show_label=False,  # the chart has titles of its own
                    type="filepath",
                    interactive=False,
                    # the download and fullscreen buttons carry English labels of their own
                    buttons=[],
                    elem_id="evaluatie-grafiek",
                )
                eval_md = gr.Markdown(tables_md, elem_id="evaluatie-rapport")

        # -- wiring ----------------------------------------------------------------------------
        def _respond(
            message,
            history,
            sess,
            themes,
            kinds,
            regions,
            docs,
            tab_id="",
            request: gr.Request | None = None,
        ):
            filters = make_filters(ctx, themes, kinds, regions, docs)
            sess = session_of(ctx, sess, request, tab_id)
            for h, s, src in respond(ctx, message, history, sess, filters):
                yield h, s, src, ""

        def _past(sess: Session):
            """The "Eerdere gesprekken" list (the tab's own conversation chosen) and its count."""
            choices = conversation_choices(ctx, sess.user)
            current = sess.id if any(i == sess.id for _, i in choices) else None
            label = f"Eerdere gesprekken ({len(choices)})" if choices else "Eerdere gesprekken"
            return gr.update(choices=choices, value=current), gr.Accordion(label=label)

        def _after_answer(sess, request: gr.Request | None = None):
            sess = session_of(ctx, sess, request)
            return *_past(sess), conversation_title(ctx, sess)

        after_outputs = [past, past_box, conv_name]
        ask_inputs = [msg, chat, session, f_theme, f_kind, f_region, f_doc, conv_id]
        ask_outputs = [chat, session, sources, msg]
        msg.submit(_respond, ask_inputs, ask_outputs, js=_ASK_JS).then(
            _after_answer, [session], after_outputs, api_visibility="private"
        )
        send.click(_respond, ask_inputs, ask_outputs, js=_ASK_JS).then(
            _after_answer, [session], after_outputs, api_visibility="private"
        )

        def _ask_example(question):
            def run(
                history,
                sess,
                themes,
                kinds,
                regions,
                docs,
                tab_id="",
                request: gr.Request | None = None,
            ):
                yield from _respond(
                    question, history, sess, themes, kinds, regions, docs, tab_id, request
                )

            return run

        for btn, q in example_buttons:
            btn.click(
                _ask_example(q),
                [chat, session, f_theme, f_kind, f_region, f_doc, conv_id],
                ask_outputs,
                js=_ASK_JS,
            ).then(_after_answer, [session], after_outputs, api_visibility="private")

        # -- the tab's conversation: restore, new, open, rename, delete, download ----------------
        def _restore(conv, request: gr.Request | None = None):
            history, sess, html = open_conversation(ctx, user_of(request), conv)
            return history, sess, html, *_past(sess), conversation_title(ctx, sess)

        app.load(
            _restore,
            [conv_id],
            [chat, session, sources, past, past_box, conv_name],
            js=_LOAD_JS,
            api_visibility="private",
        )

        new_outputs = [chat, session, sources, msg, past, past_box, conv_name, conv_msg]

        def new_conversation_(conv, request: gr.Request | None = None):
            history, sess, html, box = new_conversation(ctx, user_of(request), conv)
            return history, sess, html, box, *_past(sess), "", ""

        # "Nieuw gesprek" and the chat's own clear button do the same: a new conversation.
        clear.click(
            new_conversation_, [conv_id], new_outputs, js=_NEW_JS, api_name="new_conversation"
        )
        chat.clear(new_conversation_, [conv_id], new_outputs, js=_NEW_JS, api_visibility="private")

        def _open(conv, request: gr.Request | None = None):
            history, sess, html = open_conversation(ctx, user_of(request), conv)
            return history, sess, html, "", *_past(sess), conversation_title(ctx, sess), ""

        past.input(_open, [past], new_outputs, js=_OPEN_JS, api_visibility="private")

        def _rename(title, sess, request: gr.Request | None = None):
            sess = session_of(ctx, sess, request)
            return rename_conversation(ctx, sess, title), *_past(sess)

        for trigger in (rename_btn.click, conv_name.submit):
            trigger(
                _rename,
                [conv_name, session],
                [conv_msg, past, past_box],
                api_visibility="private",
            )

        def _delete(fresh, sess, request: gr.Request | None = None):
            if not fresh:  # the confirmation was cancelled
                return [gr.skip()] * len(new_outputs)
            sess = session_of(ctx, sess, request)
            text = delete_conversation(ctx, sess)
            history, new, html, box = new_conversation(ctx, sess.user, fresh)
            return history, new, html, box, *_past(new), "", text

        delete_btn.click(
            _delete, [conv_id, session], new_outputs, js=_DELETE_JS, api_visibility="private"
        )

        def _export(fmt: str):
            def run(sess, request: gr.Request | None = None):
                path = export_conversation(ctx, session_of(ctx, sess, request), fmt)
                if path is None:
                    return None, "Stel eerst een vraag; dan is er een gesprek om te downloaden."
                return path, ""

            return run

        for btn, fmt in ((conv_md, "md"), (conv_docx, "docx")):
            btn.click(
                _export(fmt), [session], [conv_file, conv_msg], api_visibility="private"
            ).success(None, [conv_file], None, js=_DOWNLOAD_JS)

        # -- every page load reads the index and the eval report as they are now -----------------
        def _fresh_state():
            table, docs, removable, summary, chart, tables = fresh_state(ctx)
            return (
                table,
                gr.update(choices=docs),
                gr.update(choices=removable),
                gr.update(choices=briefing_regions(ctx)),
                summary,
                gr.update(value=chart, visible=chart is not None),
                tables,
            )

        # -- active filters as chips; a click on one removes that filter ---------------------
        filter_inputs = [f_theme, f_kind, f_region, f_doc]
        for f in filter_inputs:
            f.change(
                lambda *v: active_filters(ctx, *v),
                filter_inputs,
                [chips],
                show_progress="hidden",
                queue=False,
            )

        def _drop_filter(evt: gr.EventData, *values):
            return drop_filter(evt._data, *values)

        chips.click(_drop_filter, filter_inputs, filter_inputs, show_progress="hidden")

        # -- [n] of an earlier answer: show that answer's sources (see SOURCES_JS) ------------
        def _sources_of(evt: gr.EventData, sess):
            html = sources_of(ctx, sess, evt._data)
            return gr.skip() if html is None else html

        sources.select(_sources_of, [session], [sources], show_progress="hidden")

        def _like(data: gr.LikeData, sess):
            # The confirmation (and the comment box it points to) sits in a closed accordion,
            # whose content is not even rendered until opened: open it, or the click looks lost.
            index = data.index if isinstance(data.index, int) else data.index[0]
            liked = None if data.liked is None else bool(data.liked)
            return record_like(ctx, sess or Session(), index, liked), gr.Accordion(open=True)

        chat.like(_like, [session], [feedback_msg, feedback_box])
        save_comment.click(
            lambda sess, c: (record_comment(ctx, sess or Session(), c), ""),
            [session, comment],
            [feedback_msg, comment],
        )

        def _owner(request: gr.Request | None) -> str:
            return (getattr(request, "username", None) or "") if request else ""

        def _start_upload(paths, request: gr.Request):
            job = start_upload(ctx, paths, _owner(request))
            if job is None:
                return "", NO_FILES, None, gr.skip(), gr.skip(), gr.Timer(active=False)
            progress, _ = upload_view(ctx, job)
            # The button waits for this upload: a second one would only queue behind it.
            return progress, "", job.id, None, gr.Button(interactive=False), gr.Timer(active=True)

        add.click(
            _start_upload,
            [files],
            [upload_progress, upload_report, upload_job, files, add, upload_timer],
            show_progress="hidden",
        )

        def _poll_upload(job_id):
            job = ctx.uploads.get(job_id)
            progress, report = upload_view(ctx, job)
            if job is not None and not job.done:
                return (progress, *[gr.skip()] * 7)
            # Done (or unknown after a restart): the report, and every list of documents anew.
            return (
                "",
                report,
                documents_table(ctx),
                gr.update(choices=ctx.documents()),
                gr.update(choices=removable_documents(ctx)),
                gr.update(choices=briefing_regions(ctx)),
                gr.Button(interactive=True),
                gr.Timer(active=False),
            )

        upload_timer.tick(
            _poll_upload,
            [upload_job],
            [
                upload_progress,
                upload_report,
                docs_table,
                f_doc,
                rm_doc,
                b_region,
                add,
                upload_timer,
            ],
            show_progress="hidden",
        )

        def _resume_upload(request: gr.Request):
            """A reloaded (or second) page of the same user shows a running upload again."""
            job = ctx.uploads.running(_owner(request))
            if job is None:
                return gr.skip(), gr.skip(), gr.skip(), gr.skip()
            progress, _ = upload_view(ctx, job)
            return progress, job.id, gr.Button(interactive=False), gr.Timer(active=True)

        app.load(
            _resume_upload,
            None,
            [upload_progress, upload_job, add, upload_timer],
            show_progress="hidden",
        )

        def _remove(doc_id, confirmed):
            if doc_id and not confirmed:  # "Annuleren": leave the choice as it is
                return gr.skip(), gr.skip(), gr.skip(), gr.skip()
            return (
                remove_document(ctx, doc_id),
                documents_table(ctx),
                gr.update(choices=ctx.documents(), value=[]),
                gr.update(choices=removable_documents(ctx), value=None),
            )

        # Ask first, in the browser; the answer travels in the hidden rm_ok.
        rm_btn.click(
            _remove,
            [rm_doc, rm_ok],
            [rm_report, docs_table, f_doc, rm_doc],
            js="(d, ok) => [d, !!d && window.confirm('Dit document uit de index halen? Het "
            "kan daarna niet meer als bron worden gebruikt.')]",
        )

        def _run_eval(include_uploads, progress=gr.Progress()):
            summary, chart, tables = run_evaluation(
                ctx, progress, include_uploads=bool(include_uploads)
            )
            return summary, gr.update(value=chart, visible=chart is not None), tables

        run_eval_btn.click(_run_eval, [eval_uploads], [eval_summary, eval_png, eval_md])

        def _briefing(school, region, themes, notes, literal, detailed):
            preview, md, docx = make_briefing(
                ctx, school, region, themes, notes, bool(literal), detailed=bool(detailed)
            )
            return (
                preview,
                gr.update(value=md, interactive=md is not None),
                gr.update(value=docx, interactive=docx is not None),
            )

        briefing_io = (
            [b_school, b_region, b_themes, b_notes, b_literal, b_detailed],
            [b_preview, b_md, b_docx],
        )
        b_make.click(_briefing, *briefing_io)
        b_school.submit(_briefing, *briefing_io)

        app.load(
            _fresh_state,
            None,
            [docs_table, f_doc, rm_doc, b_region, eval_summary, eval_png, eval_md],
            api_visibility="private",
        )
    return app


def build_server(ctx: AppContext, host: str, port: int, auth: str | None = None) -> FastAPI:
    """One FastAPI app: the API (``ui.api``) with the web app mounted at ``/``.

    The web app keeps what ``Blocks.launch`` gave it: the login (which guards only the web app's
    own routes; the API has tokens), the folders it may serve files from, the upload limits, the
    queue, the theme and the CSS. ``auth`` is ``INCLUSIE_AUTH``; the users file of the settings
    is read at every login (``ui.users``).
    """
    from .api import create_api
    from .document_view import WebLogin, document_router

    logins = Logins(auth, UsersFile(ctx.settings.users_path))
    login = logins.enabled
    # Open without tokens only where the web app is open too: a login on 127.0.0.1 usually means
    # a reverse proxy in front, and the API must not be the unguarded way in.
    server = create_api(ctx, open_without_tokens=is_loopback(host) and not login)
    # Before the mount at "/", which would otherwise answer /document/... itself.
    web_login = WebLogin()
    server.include_router(document_router(ctx.assistant.store.document_passages, web_login))
    app = build_app(ctx)
    app.queue(default_concurrency_limit=8)
    s = ctx.settings
    # the eval dir: a page load shows the chart of the latest report, made after the start
    allowed = [str(p.resolve()) for p in (s.corpus_dir, s.uploads_dir, s.eval_dir)]
    allowed.append(str(briefings_dir(s).resolve()))  # talking-points downloads
    allowed.append(str(exports_dir(s).resolve()))  # conversation downloads
    theme = gr.themes.Soft(
        font=["system-ui", "Segoe UI", "Helvetica", "Arial", "sans-serif"],
        font_mono=["ui-monospace", "Consolas", "monospace"],
    )
    gr.mount_gradio_app(
        server,
        app,
        path="/",
        server_name=host,
        server_port=port,
        auth=logins.gradio_auth if login else None,
        auth_message="Log in om de Inclusie-assistent te gebruiken.",
        # Gradio would keep a second copy of every question and answer in the browser (its
        # run history); conversations are kept on the server, per login, instead.
        run_history=False,
        allowed_paths=allowed,
        # bytes, not f"{mb}mb": Gradio's parser took "0.5mb" for an unknown unit
        max_file_size=ctx.settings.max_file_bytes,
        app_kwargs={"middleware": [upload_middleware(ctx.settings)]},
        show_error=False,
        footer_links=[],
        theme=theme,
        css=CSS,
        i18n=dutch_everywhere(),
        head=ARIA_SCRIPT,
    )
    web_login.app = next(
        r.app for r in server.routes if isinstance(r, Mount) and r.path == ""
    )  # the document view asks the mounted web app whether a request is logged in
    return server


def listen(host: str, port: int) -> socket.socket:
    """A listening socket, bound before anything is served: a taken port is an OSError here
    (with our own message), not a log line and an exit inside uvicorn."""
    family, _, _, _, addr = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(addr)
        sock.listen(2048)
    except OSError:
        sock.close()
        raise
    sock.set_inheritable(True)
    return sock


def launch(ctx: AppContext, host: str, port: int, auth: str | None = None) -> None:
    """Serve the web app and the API on ``host:port`` until stopped (Ctrl+C or SIGTERM)."""
    import uvicorn

    server = build_server(ctx, host, port, auth)
    sock = listen(host, port)
    config = uvicorn.Config(
        server,
        log_level="warning",
        access_log=False,
        # An open event stream would otherwise hold a stop for as long as the client listens.
        timeout_graceful_shutdown=5,
    )
    uvicorn.Server(config).run(sockets=[sock])


def is_loopback(host: str) -> bool:
    return host in ("127.0.0.1", "localhost", "::1") or host.startswith("127.")


def bind_refusal(host: str, auth: str | bool | None, tokens: int) -> str | None:
    """Why the app may not listen on ``host``: beyond this machine it needs both the web
    login (``auth``: INCLUSIE_AUTH, or True when the users file has users) and at least one API
    token (the API would otherwise be open to the network)."""
    if is_loopback(host):
        return None
    missing = []
    if not auth:
        missing.append(
            "een login voor de webapp (INCLUSIE_AUTH=gebruiker:wachtwoord of "
            "inclusie user add NAAM)"
        )
    if tokens == 0:
        missing.append("minstens één API-token (inclusie token create NAAM)")
    if not missing:
        return None
    return (
        f"De app start niet op {host}: daar is hij bereikbaar voor andere computers, en dan "
        f"zijn nodig: {' en '.join(missing)}. Of gebruik --host 127.0.0.1 (alleen deze computer)."
    )
