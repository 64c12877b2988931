"""Bad files: one clear line each, the rest of the run goes on, nothing stored earlier is lost.

A user runs `inclusie ingest` on a folder holding an empty file, a corrupt PDF, a password-protected
PDF, a binary file named .txt and a 50 MB file, plus an .xlsx and a missing file named on the
command line. Earlier, document A was ingested.
"""

from __future__ import annotations

import json
import re

import pytest

from ingest.settings import Settings
from ingest.store import open_store

from .conftest import run_cli
from .docgen import filler, write_pdf

# tqdm's progress bar on stderr ("{desc:<40.40} {percentage:3.0f}% |{bar}| {elapsed}{postfix}",
# the postfix counting passages within a file, spaces over a longer earlier line); every other
# stderr line is a message for the user.
_PROGRESS = re.compile(r"^.{40} +\d{1,3}% \|[^|]*\| \d\d:\d\d(,? +\d+/\d+ passages.*)? *$")


def messages(stderr: str) -> list[str]:
    return [ln.strip() for ln in stderr.splitlines() if ln.strip() and not _PROGRESS.match(ln)]


# file name -> words the reason must contain
BAD_FILES = {
    "leeg.txt": ["leeg"],
    "kapot.pdf": ["beschadigd"],
    "verslag.pdf": ["beschadigd"],  # truncated; same name as the stored document A
    "beveiligd.pdf": ["beveiligd", "wachtwoord"],
    "foto.txt": ["binair"],
    "groot.txt": ["50.0 MB", "25 MB"],
    "tabel.xlsx": ["niet ondersteund", ".xlsx"],
}


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    root = tmp_path_factory.mktemp("bad")
    data = root / "data"
    env = {"INCLUSIE_DATA_DIR": str(data)}

    first = root / "eerder"
    first.mkdir()
    doc_a = first / "verslag.txt"
    doc_a.write_text(f"Verslag van het OOGO\n\n{filler(400, 7)}\n", encoding="utf-8")
    r = run_cli("ingest", str(doc_a), env=env)
    assert r.returncode == 0, r.stderr
    settings = Settings(data_dir=data)
    a_before = [p.id for p in open_store(settings).all_passages() if p.doc_id == "verslag"]
    status_before = json.loads(run_cli("status", "--json", env=env).stdout)

    folder = root / "map"
    folder.mkdir()
    (folder / "goed.txt").write_text(
        f"Goed document\n\nDe gemeente regelt het leerlingenvervoer. {filler(60, 8)}\n",
        encoding="utf-8",
    )
    (folder / "leeg.txt").write_bytes(b"")
    (folder / "kapot.pdf").write_bytes(bytes(range(256)) * 20)
    good_pdf = write_pdf(root / "heel.pdf", [[("p", filler(200, 9))], [("p", filler(200, 10))]])
    (folder / "verslag.pdf").write_bytes(good_pdf.read_bytes()[: good_pdf.stat().st_size // 2])
    write_pdf(
        folder / "beveiligd.pdf",
        [[("p", "Vertrouwelijke notitie over de zorgplicht.")]],
        password="geheim",
    )
    # a JPEG's first bytes and noise under a .txt name: no text encoding explains them
    (folder / "foto.txt").write_bytes(b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(range(256)) * 8)
    with open(folder / "groot.txt", "wb") as fh:
        fh.truncate(50 * 1024 * 1024)  # sparse: the size check comes before any reading
    xlsx = root / "tabel.xlsx"
    xlsx.write_bytes(b"PK\x03\x04 geen echte spreadsheet")
    missing = root / "nergens.txt"

    r = run_cli("ingest", str(folder), str(xlsx), str(missing), env=env)
    status_after = json.loads(run_cli("status", "--json", env=env).stdout)
    a_after = [p.id for p in open_store(settings).all_passages() if p.doc_id == "verslag"]
    return {
        "result": r,
        "folder": folder,
        "status_before": status_before,
        "status_after": status_after,
        "a_before": a_before,
        "a_after": a_after,
    }


def test_encrypted_pdf_really_needs_the_password(run):
    from pypdf import PdfReader

    reader = PdfReader(run["folder"] / "beveiligd.pdf")
    assert reader.is_encrypted and not reader.decrypt("")
    assert reader.decrypt("geheim")
    assert "zorgplicht" in reader.pages[0].extract_text()


def test_exit_code_says_something_failed(run):
    r = run["result"]
    assert r.returncode != 0
    assert f"{len(BAD_FILES)} mislukt" in r.stdout


def test_one_line_per_bad_file_naming_file_and_reason(run):
    lines = messages(run["result"].stderr)
    for name, words in BAD_FILES.items():
        mine = [ln for ln in lines if name in ln]
        assert len(mine) == 1, (name, lines)
        assert mine[0].startswith("MISLUKT"), mine[0]
        for w in words:
            assert w in mine[0], (name, w, mine[0])
    missing = [ln for ln in lines if "nergens.txt" in ln]
    assert len(missing) == 1 and "bestaat niet" in missing[0]
    # nothing else: no stray library warnings, no tracebacks, no line without a file name
    assert len(lines) == len(BAD_FILES) + 1, lines
    assert not any("goed.txt" in ln for ln in lines)


def test_good_file_in_the_same_run_is_ingested(run):
    docs = {d["doc_id"]: d for d in run["status_after"]["docs"]}
    assert docs["goed"]["complete"] and docs["goed"]["passages"] > 0
    assert re.search(r"^nieuw\s+goed\.txt", run["result"].stdout, re.M)
    # failed files leave no trace in the index
    assert set(docs) == {"verslag", "goed"}


def test_document_stored_earlier_is_untouched(run):
    before = {d["doc_id"]: d for d in run["status_before"]["docs"]}["verslag"]
    after = {d["doc_id"]: d for d in run["status_after"]["docs"]}["verslag"]
    assert before["passages"] >= 2
    assert after["passages"] == before["passages"] and after["complete"]
    assert after["source"].endswith(
        "eerder/verslag.txt"
    )  # not taken over by the broken verslag.pdf
    assert run["a_after"] == run["a_before"]


@pytest.mark.slow
def test_unsupported_file_inside_a_folder_is_skipped_not_failed(tmp_path):
    folder = tmp_path / "map"
    folder.mkdir()
    (folder / "notitie.txt").write_text(
        f"Notitie\n\nHet samenwerkingsverband plant een studiedag. {filler(40, 5)}\n",
        encoding="utf-8",
    )
    (folder / "plaatje.png").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(64))
    r = run_cli("ingest", str(folder), env={"INCLUSIE_DATA_DIR": str(tmp_path / "data")})
    assert r.returncode == 0, r.stderr
    lines = messages(r.stderr)
    assert len(lines) == 1 and lines[0].startswith("overgeslagen") and "plaatje.png" in lines[0]
    assert "niet ondersteund" in lines[0]
    assert "0 mislukt" in r.stdout and "1 overgeslagen" in r.stdout
    assert re.search(r"^nieuw\s+notitie\.txt", r.stdout, re.M)
