"""Fixtures shared by the tests in tests/ and the doctests in the packages.

Doctests reach these with ``getfixture("indexed_settings")``. Tests that need the indexed corpus
or a model are marked ``slow`` here, so ``pytest -m "not slow"`` is a quick loop.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from _pytest.doctest import DoctestItem

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

CORPUS = Path(__file__).resolve().parent / "corpus"

# The `inclusie` command started by tests imports this checkout's code, not whatever checkout
# the virtualenv's editable install points at (a git worktree shares the main checkout's venv).
os.environ["PYTHONPATH"] = os.pathsep.join(
    [str(CORPUS.parent), *filter(None, [os.environ.get("PYTHONPATH")])]
)

# Fixtures that build an index or load a model: a test that uses one takes seconds, not ms
# (measured with --durations; the rest of the suite runs in well under a minute).
SLOW_FIXTURES = {
    "indexed_settings",  # the bundled corpus, ingested once per session
    "assistant",
    "llm_assistant",
    "e5",  # tests/test_chunk.py: the e5 engine
    "run",  # tests/test_bad_input.py: an index of generated bad and good files
    "ingested",  # tests/test_loaders.py: an index of generated PDFs and DOCX
    "small_index",  # tests/test_cache.py
    "upload_ctx",  # tests/test_ui_handlers.py: a fresh index behind the upload handler
}


def pytest_collection_modifyitems(config, items):
    for item in items:
        if isinstance(item, DoctestItem):
            source = "".join(ex.source for ex in item.dtest.examples)
            if "getfixture(" in source or "Assistant(" in source or "embed_query" in source:
                item.add_marker(pytest.mark.slow)
        elif SLOW_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.slow)


@pytest.fixture(scope="session")
def indexed_settings(tmp_path_factory):
    """Settings whose data dir holds an index of the bundled corpus (built once per session)."""
    from ingest.pipeline import ingest_paths
    from ingest.settings import Settings

    data = tmp_path_factory.mktemp("index")
    settings = Settings(data_dir=data)
    report = ingest_paths([CORPUS], settings)
    assert report.ok, report.summary()
    return settings


@pytest.fixture(scope="session")
def assistant(indexed_settings):
    from assistant.answer import Assistant

    return Assistant(indexed_settings)
