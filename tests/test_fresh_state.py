"""Fresh state: what a page load reads of the index and the eval report, also after changes
made by another process on the same data dir. The browser side is in test_ui_conversations.py."""

from __future__ import annotations

import pytest

from ui.handlers import AppContext, fresh_state, upload

from .conftest import CORPUS


# -- fresh state --------------------------------------------------------------------------------
@pytest.fixture
def two_processes(tmp_path):
    """Two app contexts over one data dir, as two `inclusie serve` processes would have."""
    from assistant.answer import Assistant
    from ingest.pipeline import ingest_paths
    from ingest.settings import Settings

    settings = Settings(data_dir=tmp_path / "data")
    ingest_paths([CORPUS / "stappenplan-inclusief-onderwijs-2025-2027.txt"], settings)
    first = AppContext.create(settings, Assistant(settings), check_examples=False)
    second = AppContext.create(settings, Assistant(settings), check_examples=False)
    return first, second


@pytest.mark.slow  # an ingest and two models' worth of start-up
def test_a_page_load_reads_documents_and_eval_report_as_they_are_now(two_processes, tmp_path):
    first, second = two_processes
    table, docs, removable, md, png = fresh_state(first)
    assert len(table) == 1 and "zwaluwnest" not in [d for _, d in docs]
    assert "nog geen evaluatie" in md and png is None

    f = tmp_path / "zwaluwnest.txt"
    f.write_text(
        "Project Zwaluwnest\n\nHet project Zwaluwnest in Voorbeeldstad brengt leerlingen uit "
        "het speciaal onderwijs naar de basisschool in hun wijk.\n",
        encoding="utf-8",
    )
    assert "toegevoegd" in upload(second, [str(f)])[0]
    eval_dir = first.settings.eval_dir
    eval_dir.mkdir(parents=True)
    (eval_dir / "report.md").write_text("# Eval report\n\nNieuw rapport.", encoding="utf-8")

    table, docs, removable, md, _ = fresh_state(first)
    assert "Project Zwaluwnest" in [r[0] for r in table]
    assert "zwaluwnest" in [d for _, d in docs]
    assert "zwaluwnest" in [d for _, d in removable]
    assert "Nieuw rapport." in md
