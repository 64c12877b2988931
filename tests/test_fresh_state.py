"""Fresh state: what a page load reads of the index and the eval report, also after changes
made by another process on the same data dir. The browser side is in test_ui_conversations.py."""

from __future__ import annotations

import json

import pytest

from ui.handlers import AppContext, fresh_state, run_evaluation, upload

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
    table, docs, removable, summary, chart, tables = fresh_state(first)
    assert len(table) == 1 and "zwaluwnest" not in [d for _, d in docs]
    assert "nog geen evaluatie" in summary and chart is None and tables == ""

    f = tmp_path / "zwaluwnest.txt"
    f.write_text(
        "Project Zwaluwnest\n\nHet project Zwaluwnest in Voorbeeldstad brengt leerlingen uit "
        "het speciaal onderwijs naar de basisschool in hun wijk.\n",
        encoding="utf-8",
    )
    assert "toegevoegd" in upload(second, [str(f)])[0]
    # An eval run in the other process, on one question the stappenplan answers.
    q = tmp_path / "q.jsonl"
    q.write_text(
        json.dumps(
            {
                "id": "a",
                "question": "Wat wil het samenwerkingsverband bereiken in 2025-2027?",
                "lang": "nl",
                "evidence": ["inclusief onderwijs"],
            }
        )
        + "\n",
        "utf-8",
    )
    run_evaluation(second, questions=q, include_uploads=True)

    table, docs, removable, summary, chart, tables = fresh_state(first)
    assert "Project Zwaluwnest" in [r[0] for r in table]
    assert "zwaluwnest" in [d for _, d in docs]
    assert "zwaluwnest" in [d for _, d in removable]
    assert "van de 1 testvragen" in summary and chart is not None and tables
