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

from ingest.loaders import SUPPORTED
from ingest.passage import KINDS

from .handlers import (
    DOCUMENT_COLUMNS,
    NO_FILES,
    AppContext,
    Session,
    briefing_regions,
    briefings_dir,
    documents_table,
    latest_eval,
    make_briefing,
    make_filters,
    new_conversation,
    record_comment,
    record_like,
    removable_documents,
    remove_document,
    respond,
    run_evaluation,
    start_upload,
    upload_view,
)
from .limits import upload_middleware
from .render import CSS, KIND_LABELS, render_sources

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
            index = data.index if isinstance(data.index, int) else data.index[0]
            liked = None if data.liked is None else bool(data.liked)
            return record_like(ctx, sess, index, liked), gr.Accordion(open=True)

        chat.like(_like, [session], [feedback_msg, feedback_box])
        save_comment.click(
            lambda sess, c: (record_comment(ctx, sess, c), ""),
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
    return app


def _auth_pair(auth: str | None) -> tuple[str, str] | None:
    if not auth:
        return None
    user, _, password = auth.partition(":")
    if not user or not password:
        raise ValueError("INCLUSIE_AUTH moet de vorm 'gebruiker:wachtwoord' hebben.")
    return user, password


def build_server(ctx: AppContext, host: str, port: int, auth: str | None = None) -> FastAPI:
    """One FastAPI app: the API (``ui.api``) with the web app mounted at ``/``.

    The web app keeps what ``Blocks.launch`` gave it: the login (which guards only the web app's
    own routes; the API has tokens), the folders it may serve files from, the upload limits, the
    queue, the theme and the CSS.
    """
    from .api import create_api

    auth_pair = _auth_pair(auth)
    # Open without tokens only where the web app is open too: a login on 127.0.0.1 usually means
    # a reverse proxy in front, and the API must not be the unguarded way in.
    server = create_api(ctx, open_without_tokens=is_loopback(host) and not auth_pair)
    app = build_app(ctx)
    app.queue(default_concurrency_limit=8)
    allowed = [str(ctx.settings.corpus_dir.resolve()), str(ctx.settings.uploads_dir.resolve())]
    allowed.append(str(briefings_dir(ctx.settings).resolve()))  # talking-points downloads
    theme = gr.themes.Soft(
        font=["system-ui", "Segoe UI", "Helvetica", "Arial", "sans-serif"],
        font_mono=["ui-monospace", "Consolas", "monospace"],
    )
    return gr.mount_gradio_app(
        server,
        app,
        path="/",
        server_name=host,
        server_port=port,
        auth=auth_pair,
        auth_message="Log in om de Inclusie-assistent te gebruiken.",
        allowed_paths=allowed,
        # bytes, not f"{mb}mb": Gradio's parser took "0.5mb" for an unknown unit
        max_file_size=ctx.settings.max_file_bytes,
        app_kwargs={"middleware": [upload_middleware(ctx.settings)]},
        show_error=False,
        footer_links=[],
        theme=theme,
        css=CSS,
    )


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


def bind_refusal(host: str, auth: str | None, tokens: int) -> str | None:
    """Why the app may not listen on ``host``: beyond this machine it needs both the web
    login and at least one API token (the API would otherwise be open to the network)."""
    if is_loopback(host):
        return None
    missing = []
    if not auth:
        missing.append("een login voor de webapp (INCLUSIE_AUTH=gebruiker:wachtwoord)")
    if tokens == 0:
        missing.append("minstens één API-token (inclusie token create NAAM)")
    if not missing:
        return None
    return (
        f"De app start niet op {host}: daar is hij bereikbaar voor andere computers, en dan "
        f"zijn nodig: {' en '.join(missing)}. Of gebruik --host 127.0.0.1 (alleen deze computer)."
    )
