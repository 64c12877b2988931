"""Follow-up questions are rewritten with the vocabulary the installation is configured with."""

from __future__ import annotations

from assistant.answer import Assistant
from ingest.settings import BUNDLED_TAXONOMY, Settings

PREVIOUS = ["Wat deed Lelystad aan onderwijshuisvesting?"]


def _custom_taxonomy(tmp_path):
    """The bundled vocabulary plus a region of the user's own, Zonnedorp."""
    text = BUNDLED_TAXONOMY.read_text(encoding="utf-8")
    path = tmp_path / "mijn-taxonomie.yaml"
    path.write_text(text.replace("regions:\n", "regions:\n  Zonnedorp:\n    - Zonnedorp\n", 1))
    return path


def test_a_custom_taxonomy_file_reaches_follow_up_rewriting(tmp_path):
    custom = Settings(data_dir=tmp_path / "data", taxonomy_file=_custom_taxonomy(tmp_path))
    bundled = Settings(data_dir=tmp_path / "data")
    # Zonnedorp is a region of the custom vocabulary, so it takes Lelystad's place ...
    assert (
        Assistant(custom).standalone("en Zonnedorp?", PREVIOUS)
        == "Wat deed Zonnedorp aan onderwijshuisvesting?"
    )
    # ... while with the bundled vocabulary it is just another word added to the question.
    assert "Lelystad" in Assistant(bundled).standalone("en Zonnedorp?", PREVIOUS)
