"""The web app's handler functions, without a browser."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assistant.answer import Assistant
from ingest.passage import Passage
from ingest.settings import BUNDLED_TAXONOMY, Settings
from ingest.tags import Taxonomy
from ingest.uploads import safe_filename
from ui.app import is_loopback
from ui.feedback import export_drafts
from ui.handlers import (
    AppContext,
    Session,
    active_filters,
    answerable_examples,
    drop_filter,
    make_filters,
    new_conversation,
    record_comment,
    record_like,
    respond,
    sources_of,
    upload,
)
from ui.render import answer_key, esc, render_sources

from .conftest import CORPUS, run_cli


@pytest.fixture(scope="module")
def ctx(indexed_settings, assistant, tmp_path_factory):
    # Feedback goes to a private data dir; the index is the shared read-only one.
    fb_dir = tmp_path_factory.mktemp("fb")
    settings = indexed_settings.model_copy(update={})
    c = AppContext.create(settings, assistant, check_examples=False)
    from ui.feedback import FeedbackStore

    c.feedback = FeedbackStore(fb_dir / "feedback.sqlite")
    return c


def _run(ctx, question, session=None, filters=None):
    session = session or Session()
    steps = list(respond(ctx, question, [], session, filters or make_filters(ctx, [], [], [], [])))
    history, session, html = steps[-1]
    return steps, history, session, html


def test_answer_streams_and_ends_with_sources(ctx):
    steps, history, session, html = _run(ctx, "Wat kan de gemeente doen aan leerlingenvervoer?")
    assert len(steps) >= 3, "the answer arrives in several steps"
    lengths = [len(h[-1]["content"]) for h, _, _ in steps]
    assert lengths == sorted(lengths)
    assert history[0] == {
        "role": "user",
        "content": "Wat kan de gemeente doen aan leerlingenvervoer?",
    }
    assert "[1]" in history[-1]["content"]
    assert 'data-n="1"' in html and "<mark>" in html
    assert session.last.answer.citations
    # while streaming, the panel does not show stale sources
    assert 'data-n="1"' not in steps[1][2]


def test_conversation_history_is_kept_per_session(ctx):
    s = Session()
    _, h1, s, _ = _run(ctx, "Wat is het doel van het stappenplan?", session=s)
    steps = list(
        respond(
            ctx, "Welke tips zijn er over huisvesting?", h1, s, make_filters(ctx, [], [], [], [])
        )
    )
    history, s, _ = steps[-1]
    assert len(history) == 4 and len(s.turns) == 2
    other = Session()
    assert other.turns == [] and other.id != s.id
    cleared = new_conversation(ctx)
    assert cleared[0] == [] and cleared[1].turns == [] and "Bronnen" not in cleared[2]


def test_document_text_is_escaped_in_the_sources_panel(ctx):
    ans = ctx.assistant.ask("Wat kan de gemeente doen aan leerlingenvervoer?")
    evil = Passage.create(
        doc_id="x",
        title="<b>Titel</b>",
        start=0,
        end=40,
        text='Tekst <script>alert(1)</script> <img src=x onerror="alert(2)">',
    )
    ans.citations = [evil]
    ans.sentences = []
    html = render_sources(ans, ctx.taxonomy)
    assert "<script>" not in html and "<img" not in html and "<b>Titel" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "onerror=&quot;alert(2)&quot;" in html


def test_user_input_is_escaped_in_the_chat(ctx):
    _, history, _, _ = _run(ctx, "<img src=x onerror=alert(1)> leerlingenvervoer?")
    assert "<img" not in history[0]["content"] and "&lt;img" in history[0]["content"]


def test_refusal_shows_nearest_passages(ctx):
    _, history, _, html = _run(ctx, "Wat is het recept voor appeltaart?")
    assert "De documenten geven geen antwoord" in history[-1]["content"]
    assert "Misschien relevant" in html and 'class="bron"' in html


def test_filters_reach_retrieval(ctx):
    f = make_filters(ctx, ["jeugdhulp en zorg", "onbekend"], ["tip", "x"], [], [])
    assert f.themes == ["jeugdhulp en zorg"] and f.kinds == ["tip"]
    _, _, session, html = _run(ctx, "Wat kan de gemeente doen aan jeugdhulp?", filters=f)
    cites = session.last.answer.citations
    assert cites and all(p.kind == "tip" and "jeugdhulp en zorg" in p.themes for p in cites)


def test_citations_of_an_earlier_answer_bring_back_its_sources(ctx):
    s = Session()
    _, h1, s, first_panel = _run(ctx, "Wat kan de gemeente doen aan leerlingenvervoer?", session=s)
    steps = list(
        respond(ctx, "Hoe kan jeugdhulp in de school?", h1, s, make_filters(ctx, [], [], [], []))
    )
    history, s, second_panel = steps[-1]
    first, second = (answer_key(t.answer) for t in s.turns)
    # each answer's [n] point at its own cards; the panel shows the latest answer's
    assert f'href="#bron-{first}-1"' in history[1]["content"]
    assert f'href="#bron-{second}-1"' in history[3]["content"]
    assert f'id="bron-{second}-1"' in second_panel and f"bron-{first}-" not in second_panel
    assert sources_of(ctx, s, {"answer": first, "n": 1}) == first_panel
    assert sources_of(ctx, s, {"answer": "onbekend", "n": 1}) is None
    assert sources_of(ctx, Session(), {"answer": first}) is None  # another tab's answer


def test_filter_chips_name_the_chosen_filters_and_drop_one(ctx):
    doc_title, doc_id = ctx.documents()[0]
    chips = active_filters(ctx, ["jeugdhulp en zorg"], ["tip"], [], [doc_id])
    assert "Thema: Jeugdhulp en zorg in de ondersteuningsstructuur" in chips
    assert "Soort: tip" in chips and f"Document: {esc(doc_title)}" in chips
    assert active_filters(ctx, [], None, [], []) == ""
    left = drop_filter(
        {"field": "themes", "value": "jeugdhulp en zorg"},
        ["jeugdhulp en zorg"],
        ["tip"],
        [],
        [doc_id],
    )
    assert left == [[], ["tip"], [], [doc_id]]


def test_feedback_is_stored_and_exported(ctx, tmp_path):
    _, history, session, _ = _run(
        ctx, "Hoe werken gemeente en samenwerkingsverband samen in het OOGO?"
    )
    idx = session.last.message_index
    assert "opgeslagen als fout" in record_like(ctx, session, idx, False)
    assert "opgeslagen" in record_comment(ctx, session, "Mist het praktijkvoorbeeld uit Oss.")
    assert "alleen op een antwoord" in record_like(ctx, session, 0, True)  # the user's message
    rows = ctx.feedback.rows()
    row = rows[-1]
    assert row["rating"] == -1 and row["comment"] == "Mist het praktijkvoorbeeld uit Oss."
    assert json.loads(row["citations"]) and row["question"].startswith("Hoe werken")
    n = export_drafts(ctx.feedback, tmp_path / "drafts.jsonl")
    drafts = [json.loads(x) for x in (tmp_path / "drafts.jsonl").read_text().splitlines()]
    assert n == len(drafts) >= 1
    d = drafts[-1]
    assert d["question"] == row["question"] and d["lang"] == "nl" and d["draft"] is True
    assert d["evidence"] == [] and set(d) >= {
        "id",
        "question",
        "lang",
        "answerable",
        "evidence",
        "themes",
        "must_contain",
    }
    # thumbs up afterwards turns the same row positive, so it leaves the export
    record_like(ctx, session, idx, True)
    assert ctx.feedback.rows()[-1]["rating"] == 1


def test_feedback_export_cli(tmp_path):
    from ui.feedback import FeedbackStore

    data = tmp_path / "data"
    FeedbackStore(data / "feedback.sqlite").add(
        "Vraag over vervoer?", "Antwoord", [], {}, rating=-1, comment="fout"
    )
    out = tmp_path / "fb.jsonl"
    res = run_cli("feedback", "export", "--out", str(out), env={"INCLUSIE_DATA_DIR": str(data)})
    assert res.returncode == 0, res.stderr
    assert "1 concept-vragen" in res.stdout
    assert json.loads(out.read_text().splitlines()[0])["question"] == "Vraag over vervoer?"


@pytest.mark.parametrize(
    "raw, safe",
    [
        ("../../etc/passwd", "passwd"),
        ("Ondersteuningsplan 2025 (def).PDF", "Ondersteuningsplan-2025-def.pdf"),
        (".verborgen.txt", "verborgen.txt"),
        ("C:\\Users\\x\\notitie ëén.docx", "notitie-een.docx"),
        ("<script>.md", "script.md"),
    ],
)
def test_safe_filename(raw, safe):
    assert safe_filename(raw) == safe


def test_examples_are_only_offered_when_answerable(assistant):
    ex = answerable_examples(assistant)
    assert len(ex) >= 5
    for theme, q in ex.items():
        ans = assistant.ask(q)
        assert not ans.refused and any(theme in p.themes for p in ans.citations)


def test_loopback_detection():
    assert is_loopback("127.0.0.1") and is_loopback("localhost")
    assert not is_loopback("0.0.0.0") and not is_loopback("192.168.1.5")


@pytest.fixture
def upload_ctx(tmp_path):
    settings = Settings(data_dir=tmp_path / "data", max_file_mb=1, max_upload_files=3)
    from ingest.pipeline import ingest_paths

    ingest_paths([CORPUS / "stappenplan-inclusief-onderwijs-2025-2027.txt"], settings)
    return AppContext.create(settings, Assistant(settings), check_examples=False)


def test_upload_adds_documents_and_reports_bad_ones(upload_ctx, tmp_path):
    before = upload_ctx.assistant.store.count()
    src = tmp_path / "in"
    src.mkdir()
    good = src / "Notitie Zwaluwnest (concept).txt"
    good.write_text(
        "Het project Zwaluwnest brengt kinderen uit het speciaal onderwijs naar de "
        "reguliere basisschool in Voorbeeldstad. De gemeente betaalt het vervoer.",
        encoding="utf-8",
    )
    broken = src / "kapot.pdf"
    broken.write_bytes(b"%PDF-1.4 dit is geen echte pdf")
    big = src / "groot.txt"
    big.write_bytes(b"a" * (2 * 1024 * 1024))
    odd = src / "tabel.xlsx"
    odd.write_bytes(b"PK")
    text, report = upload(upload_ctx, [str(good), str(broken), str(big), str(odd)])
    assert "alleen de eerste 3" in text.lower()  # more files than allowed per upload
    assert "Notitie-Zwaluwnest-concept.txt**: toegevoegd" in text
    assert "kapot.pdf**: niet toegevoegd" in text and "PDF" in text
    assert "groot.txt**: 2.0 MB is groter dan de grens van 1 MB" in text
    uploads = upload_ctx.settings.uploads_dir
    assert sorted(p.name for p in uploads.iterdir()) == ["Notitie-Zwaluwnest-concept.txt"]
    assert upload_ctx.assistant.store.count() > before
    ans = upload_ctx.assistant.ask("Wat is het project Zwaluwnest?")
    assert not ans.refused and ans.citations[0].doc_id == "notitie-zwaluwnest-concept"
    # the same file again: recognised, nothing duplicated
    count = upload_ctx.assistant.store.count()
    text, _ = upload(upload_ctx, [str(good)])
    assert "ongewijzigd" in text and upload_ctx.assistant.store.count() == count


def test_failed_reupload_keeps_the_earlier_version(upload_ctx, tmp_path):
    f = tmp_path / "plan.txt"
    f.write_text(
        "Het Kraanvogelplan zorgt voor thuisnabij onderwijs voor ieder kind in Testdorp.",
        encoding="utf-8",
    )
    upload(upload_ctx, [str(f)])
    f.write_bytes(b"")  # an empty new version is refused
    text, _ = upload(upload_ctx, [str(f)])
    assert "niet toegevoegd" in text and "leeg" in text
    kept = upload_ctx.settings.uploads_dir / "plan.txt"
    assert kept.read_text(encoding="utf-8").startswith("Het Kraanvogelplan")
    assert not upload_ctx.assistant.ask("Wat is het Kraanvogelplan?").refused


def test_a_document_can_be_taken_out_of_the_index(upload_ctx, tmp_path):
    from ui.handlers import removable_documents, remove_document

    f = tmp_path / "Zwaluwnest.txt"
    f.write_text(
        "Het project Zwaluwnest brengt kinderen uit het speciaal onderwijs naar de "
        "reguliere basisschool in Voorbeeldstad.",
        encoding="utf-8",
    )
    upload(upload_ctx, [str(f)])
    a = upload_ctx.assistant
    plan = "stappenplan-inclusief-onderwijs-2025-2027"
    plan_ids = sorted(p.id for p in a.store.all_passages() if p.doc_id == plan)
    assert ("Zwaluwnest — zwaluwnest", "zwaluwnest") in removable_documents(upload_ctx)
    assert a.ask("Wat doet het project Zwaluwnest?").citations[0].doc_id == "zwaluwnest"

    text = remove_document(upload_ctx, "zwaluwnest")
    assert text.startswith("**Zwaluwnest** is uit de index gehaald (")
    assert "Zwaluwnest.txt is ook verwijderd" in text
    assert not (upload_ctx.settings.uploads_dir / "Zwaluwnest.txt").exists()
    assert "zwaluwnest" not in {d for _, d in removable_documents(upload_ctx)}
    ans = a.ask("Wat doet het project Zwaluwnest?")
    assert all(c.doc_id != "zwaluwnest" for c in ans.citations + ans.related)
    assert "zwaluwnest" not in {p.doc_id for p in a.retriever.lexical().passages}
    assert sorted(p.id for p in a.store.all_passages() if p.doc_id == plan) == plan_ids

    # A file outside the uploads folder stays on disk; unknown ids and no choice are reported.
    assert "uit de index gehaald" in remove_document(upload_ctx, plan)
    assert (CORPUS / f"{plan}.txt").exists() and a.store.count() == 0
    assert "staat niet in de index" in remove_document(upload_ctx, "zwaluwnest")
    assert remove_document(upload_ctx, None) == "Geen document verwijderd."


def test_evaluation_tab_runs_and_shows_a_report(tmp_path, indexed_settings, assistant):
    from ui.feedback import FeedbackStore
    from ui.handlers import latest_eval, run_evaluation

    settings = indexed_settings.model_copy(update={"data_dir": tmp_path / "d"})
    ctx = AppContext(
        settings, assistant, Taxonomy.load(BUNDLED_TAXONOMY), FeedbackStore(tmp_path / "fb.sqlite")
    )
    summary, chart, tables = latest_eval(ctx)
    assert "nog geen evaluatie" in summary and chart is None and tables == ""
    q = tmp_path / "q.jsonl"
    q.write_text(
        json.dumps(
            {
                "id": "a",
                "question": "Welke tips zijn er over leerlingenvervoer?",
                "lang": "nl",
                "evidence": ["vervoersstromen"],
            }
        )
        + "\n",
        "utf-8",
    )
    summary, chart, tables = run_evaluation(ctx, questions=q)
    assert "Bij 1 van de 1 testvragen stond het juiste fragment bij de eerste vijf" in summary
    assert "Gemeten op de meegeleverde documenten: 5 documenten" in summary
    assert chart and chart.endswith("grafiek.png") and Path(chart).stat().st_size > 1000
    assert "| Juiste fragment bij de eerste vijf | 100% |" in tables
    assert "hit@5" not in summary + tables
    # the CLI's technical report is written as well
    assert (settings.eval_dir / "report.md").read_text("utf-8").startswith("# Eval report")
    assert (settings.eval_dir / "report.json").exists()


def test_evaluation_leaves_uploads_out_unless_asked(upload_ctx, tmp_path):
    from ui.handlers import run_evaluation

    src = tmp_path / "in"
    src.mkdir()
    doc = src / "zwaluwnest.txt"
    doc.write_text(
        "Het project Zwaluwnest brengt kinderen uit het speciaal onderwijs naar de reguliere "
        "basisschool in Voorbeeldstad. De gemeente betaalt het vervoer van de kinderen.",
        encoding="utf-8",
    )
    upload(upload_ctx, [str(doc)])
    q = tmp_path / "q.jsonl"
    rows = [
        {"id": "s", "question": "Wat is het doel van het stappenplan?", "lang": "nl",
         "answerable": False, "evidence": []},
        {"id": "z", "question": "Wat doet het project Zwaluwnest?", "lang": "nl",
         "answerable": False, "evidence": []},
    ]  # fmt: skip
    q.write_text("".join(json.dumps(r) + "\n" for r in rows), "utf-8")
    report_file = upload_ctx.settings.eval_dir / "report.json"

    summary, _, _ = run_evaluation(upload_ctx, questions=q)
    report = json.loads(report_file.read_text("utf-8"))
    assert list(report["corpus"]["documents"]) == ["stappenplan-inclusief-onderwijs-2025-2027"]
    assert report["corpus"]["scope"] == "shipped"
    retrieved = {
        p["title"] for r in report["sets"]["q"]["per_question"]["hybrid"] for p in r["retrieved"]
    }
    assert retrieved and not any("Zwaluwnest" in t for t in retrieved), retrieved
    assert "op de meegeleverde documenten: 1 document," in summary

    summary, _, _ = run_evaluation(upload_ctx, questions=q, include_uploads=True)
    report = json.loads(report_file.read_text("utf-8"))
    assert "zwaluwnest" in report["corpus"]["documents"] and report["corpus"]["scope"] == "all"
    assert "ook de eigen (geüploade) documenten: 2 documenten" in summary


def test_follow_up_shows_the_rewritten_question(ctx):
    s = Session()
    _, h1, s, _ = _run(ctx, "Wat doet de gemeente aan huisvesting?", session=s)
    steps = list(respond(ctx, "en in Lelystad?", h1, s, make_filters(ctx, [], [], [], [])))
    history, s, html = steps[-1]
    assert "Gezocht op: Wat doet de gemeente aan huisvesting in Lelystad?" in html
    assert s.last.answer.rewritten.endswith("in Lelystad?")
    assert "Porteum" in html


ZWALUWNEST = (
    "Project Zwaluwnest in Voorbeeldstad\n\nHet project Zwaluwnest in gemeente Voorbeeldstad "
    "zorgt dat leerlingen met een lichamelijke beperking gewoon naar de basisschool in hun eigen "
    "wijk kunnen. De gemeente betaalt de aanpassing van het schoolgebouw en het "
    "samenwerkingsverband zorgt voor een vaste onderwijsassistent.\n"
)


def test_upload_report_says_what_a_document_was_recognised_as(upload_ctx, tmp_path):
    from ui.handlers import documents_table

    f = tmp_path / "zwaluwnest.txt"
    f.write_text(ZWALUWNEST, encoding="utf-8")
    text, _ = upload(upload_ctx, [str(f)])
    # one passage, in the singular; the kind, region and theme the text gave it
    assert "**zwaluwnest.txt**: toegevoegd, 1 passage — herkend als praktijkvoorbeeld" in text
    assert "regio Voorbeeldstad" in text and "Inclusieve onderwijshuisvesting" in text
    row = next(
        r for r in documents_table(upload_ctx) if r[0] == "Project Zwaluwnest in Voorbeeldstad"
    )
    assert row[1:5] == [
        "praktijkvoorbeelden",
        "Inclusieve onderwijshuisvesting",
        "Voorbeeldstad",
        1,
    ]
    (p,) = [p for p in upload_ctx.assistant.store.all_passages() if p.doc_id == "zwaluwnest"]
    assert (p.kind, p.regions) == ("praktijkvoorbeeld", ["Voorbeeldstad"])


def test_an_upload_runs_in_the_background_and_reports_when_done(upload_ctx, tmp_path):
    import time

    from ui.handlers import briefing_regions, start_upload, upload_view

    words = " ".join(["De gemeente Voorbeeldstad en de scholen werken samen aan vervoer."] * 12)
    f = tmp_path / "Verslag Voorbeeldstad.txt"
    f.write_text("\n\n".join([words] * 12), encoding="utf-8")
    seen: list[str] = []
    job = start_upload(upload_ctx, [str(f)], owner="ana")
    assert job is not None and job.names == ["Verslag-Voorbeeldstad.txt"]
    assert upload_ctx.uploads.running("ana") is job and upload_ctx.uploads.running("bram") is None
    deadline = time.monotonic() + 300
    while not job.done and time.monotonic() < deadline:
        seen.append(upload_view(upload_ctx, job)[0])
        time.sleep(0.2)
    assert job.done, "the upload did not finish within 5 minutes"
    progress, report = upload_view(upload_ctx, job)
    assert progress == "" and "Verslag-Voorbeeldstad.txt**: toegevoegd, " in report
    bars = [v for v in seen if "<progress" in v]
    # the bar named the file while it was read (the last one may be the index update after it)
    assert any("Bezig met Verslag-Voorbeeldstad.txt" in b for b in bars)
    assert "U kunt intussen gewoon vragen stellen" in bars[-1]
    assert upload_ctx.uploads.running("ana") is None
    assert not (upload_ctx.settings.uploads_dir / ".binnenkomend" / job.id).exists()
    assert "Voorbeeldstad" in briefing_regions(upload_ctx)
    assert start_upload(upload_ctx, [], owner="ana") is None


def test_progress_shows_the_time_left_of_the_current_file():
    from ui.uploading import UploadJob

    job = UploadJob("j", "", ["a.pdf", "b.pdf"], started=90.0)
    # the small first file went fast; the second is read at 0.02 of the file per second
    job.samples.extend([(90.0, 0.0), (95.0, 0.45), (100.0, 0.5), (110.0, 0.6), (120.0, 0.7)])
    job.frac, job.message, job.reported = 0.7, "b.pdf", True
    assert job.seconds_left(now=120.0) == pytest.approx(30.0)  # 0.6 of b.pdf left
    html = job.view(now=120.0)
    assert 'value="70"' in html and "Bezig met b.pdf (bestand 2 van 2): 70%" in html
    assert "nog ongeveer 30 seconden" in html and "30 seconden bezig" in html
    first = UploadJob("k", "", ["a.pdf", "b.pdf"], started=0.0)
    first.samples.extend([(0.0, 0.0), (10.0, 0.25)])
    first.frac, first.reported = 0.25, True
    assert "nog ongeveer 10 seconden voor dit bestand" in first.view(now=10.0)
    fresh = UploadJob("m", "", ["a.pdf"], started=0.0)
    assert fresh.seconds_left(now=1.0) is None and "nog ongeveer" not in fresh.view(now=1.0)
    assert "Wacht tot een andere upload klaar is" in fresh.view(waiting=True, now=1.0)
    fresh.progress(1.0, "klaar")  # ingest is done; the search index is being updated
    assert "de zoekindex wordt bijgewerkt" in fresh.view(now=2.0)


def test_progress_counts_passages_when_ingest_counts_them():
    from ui.uploading import UploadJob

    job = UploadJob("j", "", ["Handboek.pdf"], started=0.0)
    # ingest's callback stays (fraction, message); a message may count passages after the name
    job.progress(0.1, "Handboek.pdf")
    assert "passages" not in job.view(now=1.0)
    calls = [(0.2, "Handboek.pdf: 100/1500 passages"), (0.4, "Handboek.pdf: 400/1500 passages")]
    for frac, msg in calls:
        job.progress(frac, msg)
    # the counts and their rate: 300 passages in the 10 seconds between the two calls
    job.counts.clear()
    job.counts.extend([(10.0, 100, 1500), (20.0, 400, 1500)])
    html = job.view(now=20.0)
    assert "Bezig met Handboek.pdf: 40%" in html
    assert "400 van 1500 passages" in html and "30 per seconde" in html
    one = UploadJob("k", "", ["kort.txt"], started=0.0)
    one.progress(0.5, "kort.txt — 1 van 1 passage")
    html = one.view(now=1.0)
    assert "Bezig met kort.txt: 50% · 1 van 1 passage " in html and "1 passages" not in html


def test_source_card_shows_headings_as_headings_and_escapes_the_text():
    from ingest.passage import Passage
    from ingest.settings import BUNDLED_TAXONOMY
    from ingest.tags import Taxonomy
    from ui.render import passage_card

    text = "# Aanleiding\nDe gemeente <b>Voorbeeldstad</b> betaalt.\n## Aanpak & plan\nZo ging het."
    p = Passage.create(
        doc_id="zwaluwnest",
        title="Zwaluwnest",
        text=text,
        start=0,
        end=len(text),
        kind="praktijkvoorbeeld",
        regions=["Voorbeeldstad"],
    )
    quoted = text.index("De gemeente")
    html = passage_card(1, p, [(quoted, quoted + 41)], Taxonomy.load(BUNDLED_TAXONOMY))
    # a reader sees the heading words as a heading, never the Markdown "#"
    assert '<span class="kop kop-1">Aanleiding</span>' in html
    assert '<span class="kop kop-2">Aanpak &amp; plan</span>' in html
    assert "#" not in html.split('class="bron-tekst">')[1]
    # document text stays text: the quoted sentence is marked, its markup escaped
    assert "<mark>De gemeente &lt;b&gt;Voorbeeldstad&lt;/b&gt; betaalt.</mark>" in html
    assert "<b>" not in html
