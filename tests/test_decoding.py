"""Text files that are not UTF-8 (older Windows and Mac exports) are read, with a notice.

Real Windows-1252 and Latin-1 bytes: "één", "ë" and "€" come out as the user wrote them, the
ingest report names the encoding it used (CLI and upload), and a binary file under a .txt name
is still refused with the clear message.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ingest.errors import IngestError
from ingest.loaders import decode_text, parse_file
from ingest.settings import Settings
from ingest.uploads import add_uploads

from .conftest import run_cli

TEXT = (
    "Eén loket voor ouders\n\n"
    "Het samenwerkingsverband coördineert één aanspreekpunt per school. Ouders van een "
    "leerling met een ernstige beperking krijgen binnen twee weken een gesprek. De eigen "
    "bijdrage voor het leerlingenvervoer is € 35 per maand; de gemeente betaalt de rest.\n"
)


@pytest.mark.parametrize(
    ("codec", "label"),
    [("cp1252", "Windows-1252"), ("latin-1", "Windows-1252")],
)
def test_windows_and_latin1_bytes_read_as_written(codec, label):
    text = TEXT if codec == "cp1252" else TEXT.replace("€", "EUR")  # Latin-1 has no euro sign
    raw = text.encode(codec)
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    decoded, encoding = decode_text(Path("brief.txt"), raw)
    assert decoded == text
    # Latin-1's letters sit at the same bytes in Windows-1252, so either name is the truth;
    # the report names the one it used
    assert encoding == label


def test_a_single_accented_letter_is_enough():
    assert decode_text(Path("kort.txt"), "ë".encode("cp1252")) == ("ë", "Windows-1252")
    assert decode_text(Path("kort.txt"), "één".encode("cp1252"))[0] == "één"
    assert decode_text(Path("kort.txt"), "€ 12".encode("cp1252"))[0] == "€ 12"


def test_utf8_needs_no_notice():
    doc = parse_file(Path("goed.md"), TEXT.encode("utf-8"))
    assert doc.pages[0].text == TEXT and doc.notice == ""


def test_notice_in_dutch_names_the_encoding():
    doc = parse_file(Path("oud.txt"), TEXT.encode("cp1252"))
    assert doc.pages[0].text == TEXT
    assert "geen UTF-8" in doc.notice and "Windows-1252" in doc.notice


def test_binary_under_a_text_name_is_still_refused():
    raw = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(range(256)) * 8
    with pytest.raises(IngestError) as e:
        parse_file(Path("foto.txt"), raw)
    assert str(e.value) == "foto.txt: bestand lijkt binair, geen tekst"


@pytest.mark.slow
def test_cli_reports_the_encoding_and_the_text_is_searchable(tmp_path):
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "oud-export.txt").write_bytes(TEXT.encode("cp1252"))
    (folder / "nieuw.txt").write_text(
        "Studiedag\n\nHet team bespreekt de ondersteuningsbehoefte van leerlingen.\n", "utf-8"
    )
    env = {"INCLUSIE_DATA_DIR": str(tmp_path / "data")}
    r = run_cli("ingest", str(folder), env=env)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    notice = [ln for ln in lines if "let op" in ln]
    assert len(notice) == 1, lines
    assert "oud-export.txt" in notice[0] and "Windows-1252" in notice[0]
    assert "geen UTF-8" in notice[0]

    s = run_cli("search", "eigen bijdrage leerlingenvervoer", "--json", env=env)
    assert s.returncode == 0, s.stderr
    top = json.loads(s.stdout)["passages"][0]
    assert top["doc_id"] == "oud-export"
    assert "€ 35" in top["text"] and "coördineert één" in top["text"]


@pytest.mark.slow
def test_upload_report_carries_the_notice(tmp_path):
    src = tmp_path / "Brief ouders.txt"
    src.write_bytes(TEXT.encode("cp1252"))
    result = add_uploads([src], Settings(data_dir=tmp_path / "data"))
    [outcome] = result.outcomes
    assert outcome.status == "added" and outcome.passages > 0
    assert "Windows-1252" in outcome.notice
