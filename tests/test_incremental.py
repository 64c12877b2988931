"""Re-ingesting is incremental, exact and crash-safe; a changed tag vocabulary rebuilds the index.

The reference for "correct" is always a clean ingest of the same files into a fresh data dir.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import pytest

from ingest.pipeline import ingest_paths
from ingest.settings import Settings
from ingest.store import open_store

from .conftest import CORPUS, REPO, run_cli
from .docgen import filler, write_notes


def env_for(data: Path) -> dict:
    return {"INCLUSIE_DATA_DIR": str(data)}


def passages(settings: Settings):
    return open_store(settings).all_passages()


def sentence_count(settings: Settings) -> int:
    _, sentences = open_store(settings)._collections()
    return sentences.count()


def clean_build(folder: Path, data: Path, **settings_kw) -> Settings:
    settings = Settings(data_dir=data, **settings_kw)
    report = ingest_paths([folder], settings)
    assert report.ok and report.count("added") == len(report.results)
    return settings


def assert_no_duplicates(ps) -> None:
    assert len({p.id for p in ps}) == len(ps)
    dup = [t for t, n in Counter((p.doc_id, p.text) for p in ps).items() if n > 1]
    assert not dup, dup[:3]


def assert_same_index(settings: Settings, reference: Settings) -> None:
    got, want = passages(settings), passages(reference)
    assert_no_duplicates(got)
    assert sorted(p.id for p in got) == sorted(p.id for p in want)
    assert sentence_count(settings) == sentence_count(reference)


def status(data: Path, **env) -> dict:
    r = run_cli("status", "--json", env={**env_for(data), **env})
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


# -- unchanged, changed, removed --------------------------------------------------------------
@pytest.mark.slow
def test_second_ingest_skips_everything_and_writes_nothing(tmp_path):
    folder = tmp_path / "docs"
    write_notes(folder, 3, seed=1)
    settings = Settings(data_dir=tmp_path / "data")
    first = ingest_paths([folder], settings)
    assert first.count("added") == 3
    before = passages(settings)
    sentences_before = sentence_count(settings)

    r = run_cli("ingest", str(folder), env=env_for(settings.data_dir))
    assert r.returncode == 0, r.stderr
    assert len(re.findall(r"^ongewijzigd\s+notitie-\d\.txt", r.stdout, re.M)) == 3
    assert "3 ongewijzigd" in r.stdout and "Passages geschreven: 0;" in r.stdout
    after = passages(settings)
    assert_no_duplicates(after)
    assert [p.id for p in after] == [p.id for p in before]
    assert f"passages in de index: {len(before)}." in r.stdout
    assert sentence_count(settings) == sentences_before


@pytest.mark.slow
def test_changed_document_is_replaced_without_leftovers(tmp_path):
    folder = tmp_path / "docs"
    a, b = write_notes(folder, 2, tips=4, seed=2)
    settings = Settings(data_dir=tmp_path / "data")
    ingest_paths([folder], settings)
    old_tip = next(
        p.text for p in passages(settings) if p.doc_id == "notitie-0" and p.kind == "tip"
    )
    b_before = [p.id for p in passages(settings) if p.doc_id == "notitie-1"]

    # shorter, with one new sentence: fewer passages than before
    a.write_text(
        f"Notitie herzien\n\n{filler(40, 99)}\n\nTIP: Spreek een vaste contactpersoon "
        "per school af.\n",
        encoding="utf-8",
    )
    r = run_cli("ingest", str(folder), env=env_for(settings.data_dir))
    assert r.returncode == 0, r.stderr
    assert re.search(r"^bijgewerkt\s+notitie-0\.txt", r.stdout, re.M)
    assert re.search(r"^ongewijzigd\s+notitie-1\.txt", r.stdout, re.M)

    now = passages(settings)
    assert not any(old_tip in p.text for p in now)
    assert sum("vaste contactpersoon per school" in p.text for p in now) == 1
    assert [p.id for p in now if p.doc_id == "notitie-1"] == b_before
    assert_same_index(settings, clean_build(folder, tmp_path / "fresh"))


@pytest.mark.slow
def test_prune_removes_documents_whose_file_is_gone(tmp_path):
    folder = tmp_path / "docs"
    keep, gone = write_notes(folder, 2, seed=3)
    settings = Settings(data_dir=tmp_path / "data")
    ingest_paths([folder], settings)
    kept_ids = [p.id for p in passages(settings) if p.doc_id == "notitie-0"]
    gone.unlink()

    report = ingest_paths([folder], settings)  # without --prune the passages stay
    assert report.pruned == []
    assert any(p.doc_id == "notitie-1" for p in passages(settings))

    r = run_cli("ingest", str(folder), "--prune", env=env_for(settings.data_dir))
    assert r.returncode == 0, r.stderr
    assert re.search(r"^verwijderd\s+notitie-1$", r.stdout, re.M)
    assert [d["doc_id"] for d in status(settings.data_dir)["docs"]] == ["notitie-0"]
    assert [p.id for p in passages(settings)] == kept_ids
    assert_same_index(settings, clean_build(folder, tmp_path / "fresh"))


@pytest.mark.slow
def test_same_file_name_from_another_folder_does_not_replace_a_stored_document(tmp_path):
    """Two municipalities' "verslag.txt", ingested in separate runs, are two documents."""
    (a,) = write_notes(tmp_path / "gemeente-a", 1, seed=21, prefix="verslag")
    (b,) = write_notes(tmp_path / "gemeente-b", 1, seed=22, prefix="verslag")
    settings = Settings(data_dir=tmp_path / "data")
    ingest_paths([a.parent], settings)
    a_ids = sorted(p.id for p in passages(settings))

    r = run_cli("ingest", str(b.parent), env=env_for(settings.data_dir))
    assert r.returncode == 0, r.stderr
    assert re.search(r"^nieuw\s+verslag-0\.txt", r.stdout, re.M), r.stdout
    now = passages(settings)
    assert_no_duplicates(now)
    assert {p.source for p in now} == {str(a.resolve()), str(b.resolve())}
    assert sorted(p.id for p in now if p.source == str(a.resolve())) == a_ids

    # Both stay put on re-ingest, and a change to one replaces only that one.
    r = run_cli("ingest", str(a.parent), str(b.parent), env=env_for(settings.data_dir))
    assert r.returncode == 0, r.stderr
    assert len(re.findall(r"^ongewijzigd\s+verslag-0\.txt", r.stdout, re.M)) == 2, r.stdout
    b.write_text(f"Verslag herzien\n\n{filler(40, 77)}\n", encoding="utf-8")
    report = ingest_paths([a.parent, b.parent], settings)
    assert [r.status for r in report.results] == ["skipped", "updated"]
    now = passages(settings)
    assert_no_duplicates(now)
    assert sorted(p.id for p in now if p.source == str(a.resolve())) == a_ids
    assert any("Verslag herzien" in p.text for p in now if p.source == str(b.resolve()))

    # The same file moved to a new place (old place gone) is still the same document.
    moved = tmp_path / "archief" / a.name
    moved.parent.mkdir()
    a.rename(moved)
    report = ingest_paths([moved.parent], settings)
    assert [r.status for r in report.results] == ["skipped"]
    assert len(passages(settings)) == len(now)


@pytest.mark.slow
def test_catalog_edit_reaches_the_index_on_the_next_ingest(tmp_path):
    folder = tmp_path / "docs"
    write_notes(folder, 2, seed=8)
    catalog = folder / "catalog.yaml"
    catalog.write_text("notitie-0.txt:\n  title: Concepttitel\n  kind: overig\n", encoding="utf-8")
    settings = Settings(data_dir=tmp_path / "data")
    ingest_paths([folder], settings)

    catalog.write_text(
        "notitie-0.txt:\n  title: Stappenplan thuiszitters\n  kind: stappenplan\n", encoding="utf-8"
    )
    r = run_cli("ingest", str(folder), env=env_for(settings.data_dir))
    assert r.returncode == 0, r.stderr
    assert re.search(r"^bijgewerkt\s+notitie-0\.txt", r.stdout, re.M)
    assert re.search(r"^ongewijzigd\s+notitie-1\.txt", r.stdout, re.M)
    docs = {d["doc_id"]: d for d in status(settings.data_dir)["docs"]}
    assert (docs["notitie-0"]["title"], docs["notitie-0"]["kind"]) == (
        "Stappenplan thuiszitters",
        "stappenplan",
    )
    assert {p.title for p in passages(settings) if p.doc_id == "notitie-0"} == {
        "Stappenplan thuiszitters"
    }
    assert_same_index(settings, clean_build(folder, tmp_path / "fresh"))


# -- crash safety ---------------------------------------------------------------------------
@pytest.mark.slow
def test_ingest_interrupted_mid_document_is_completed_by_the_next_run(tmp_path, monkeypatch):
    folder = tmp_path / "docs"
    write_notes(folder, 3, seed=4)
    settings = Settings(data_dir=tmp_path / "data")
    monkeypatch.setattr("ingest.store.BATCH", 2)
    store = open_store(settings)
    coll, _ = store._collections()
    real_upsert = coll.upsert
    batches: list[list[str]] = []

    def dying_upsert(*args, **kwargs):
        ids = kwargs["ids"]
        if ids[0].startswith("notitie-1") and any(b[0].startswith("notitie-1") for b in batches):
            raise KeyboardInterrupt  # the process is stopped after the first batch of document 2
        batches.append(ids)
        return real_upsert(*args, **kwargs)

    monkeypatch.setattr(coll, "upsert", dying_upsert)
    with pytest.raises(KeyboardInterrupt):
        ingest_paths([folder], settings, store=store)
    monkeypatch.undo()

    states = open_store(settings).doc_states()
    assert states["notitie-0"].complete
    assert not states["notitie-1"].complete  # half written, and known to be
    assert 0 < states["notitie-1"].present < states["notitie-1"].expected

    report = ingest_paths([folder], settings)
    assert report.ok
    assert {r.path.name: r.status for r in report.results} == {
        "notitie-0.txt": "skipped",
        "notitie-1.txt": "updated",
        "notitie-2.txt": "added",
    }
    assert_same_index(settings, clean_build(folder, tmp_path / "fresh"))
    assert all(d["complete"] for d in status(settings.data_dir)["docs"])


def _inclusie() -> str:
    return shutil.which("inclusie", path=str(Path(sys.executable).parent)) or "inclusie"


def _kill_mid_run(folder: Path, data: Path, names: list[str], timeout: float = 120) -> bool:
    """Start `inclusie ingest`, SIGKILL it when the third file is (almost) embedded.

    Returns False when the run finished before it could be killed.
    """
    proc = subprocess.Popen(
        [_inclusie(), "ingest", str(folder)],
        cwd=REPO,
        env={**os.environ, **env_for(data)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    seen = bytearray()

    def reader():
        while chunk := proc.stderr.read1(4096):
            seen.extend(chunk)

    t = threading.Thread(target=reader, daemon=True)
    t.start()
    target = names[2]
    threshold = int(100 * 2.7 / len(names))  # most of the third file's share of the bar
    deadline = time.monotonic() + timeout
    killed = False
    try:
        while time.monotonic() < deadline and proc.poll() is None:
            text = seen.decode("utf-8", "replace")
            if any(
                int(pct) >= threshold for pct in re.findall(re.escape(target) + r"\s+(\d+)%", text)
            ):
                proc.send_signal(signal.SIGKILL)
                killed = True
                break
            time.sleep(0.02)
    finally:
        if proc.poll() is None and not killed:
            proc.kill()
        proc.wait(timeout=30)
        t.join(timeout=10)
    assert killed or proc.returncode == 0, seen.decode("utf-8", "replace")[-2000:]
    return killed and proc.returncode == -signal.SIGKILL


@pytest.mark.slow
def test_ingest_killed_by_the_os_recovers_on_the_next_run(tmp_path):
    folder = tmp_path / "docs"
    n = 6
    for _attempt in range(3):
        shutil.rmtree(folder, ignore_errors=True)
        shutil.rmtree(tmp_path / "data", ignore_errors=True)
        paths = write_notes(folder, n, words=100, seed=5)
        if _kill_mid_run(folder, tmp_path / "data", [p.name for p in paths]):
            break
        n *= 2  # finished before the kill: give it more to do
    else:
        pytest.fail("ingest always finished before it could be killed")

    # killed mid-run: the documents before the third are in, the rest is not
    docs = {d["doc_id"]: d for d in status(tmp_path / "data")["docs"]}
    assert docs["notitie-0"]["complete"] and docs["notitie-1"]["complete"]
    assert sum(d["complete"] for d in docs.values()) < n

    # the two documents finished before the kill are kept, not redone
    r = run_cli("ingest", str(folder), env=env_for(tmp_path / "data"))
    assert r.returncode == 0, r.stderr
    assert re.search(r"^ongewijzigd\s+notitie-0\.txt", r.stdout, re.M)
    assert re.search(r"^ongewijzigd\s+notitie-1\.txt", r.stdout, re.M)
    assert_same_index(Settings(data_dir=tmp_path / "data"), clean_build(folder, tmp_path / "fresh"))
    docs = status(tmp_path / "data")["docs"]
    assert len(docs) == n and all(d["complete"] for d in docs)


# -- index fingerprint ----------------------------------------------------------------------
@pytest.mark.slow
def test_changed_taxonomy_rebuilds_the_index_and_drops_the_old_one(tmp_path):
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    taxonomy = tmp_path / "taxonomy.yaml"
    shutil.copy(CORPUS / "taxonomy.yaml", taxonomy)
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "vervoer.txt").write_text(
        f"Thuissituatie\n\nDe thuissituatie van de leerling bepaalt mee waar hij naar school gaat. "
        f"{filler(60, 6)}\n\nTIP: {filler(25, 61)}\n",
        encoding="utf-8",
    )
    write_notes(folder, 1, seed=7)
    settings = Settings(data_dir=tmp_path / "data", taxonomy_file=taxonomy)
    ingest_paths([folder], settings)
    old_name = open_store(settings).name
    home = next(p for p in passages(settings) if "thuissituatie van de leerling" in p.text)
    assert "leerlingenvervoer" not in home.themes

    text = taxonomy.read_text(encoding="utf-8")
    assert "      - reistijd\n" in text
    taxonomy.write_text(
        text.replace("      - reistijd\n", "      - reistijd\n      - thuissituatie\n"),
        encoding="utf-8",
    )
    report = ingest_paths([folder], settings)
    new_name = open_store(settings).name
    assert new_name != old_name
    assert report.dropped_collections == [old_name, old_name + "-zinnen"]
    assert report.count("added") == 2  # everything re-tagged, nothing reused from the old index
    client = chromadb.PersistentClient(
        path=str(settings.chroma_path), settings=ChromaSettings(anonymized_telemetry=False)
    )
    names = {c if isinstance(c, str) else c.name for c in client.list_collections()}
    assert names == {new_name, new_name + "-zinnen"}
    # what a new process (the CLI, the app after a restart) opens
    assert status(settings.data_dir, INCLUSIE_TAXONOMY_FILE=str(taxonomy))["collection"] == new_name

    rebuilt = passages(settings)
    home = next(p for p in rebuilt if "thuissituatie van de leerling" in p.text)
    assert "leerlingenvervoer" in home.themes
    fresh = clean_build(folder, tmp_path / "fresh", taxonomy_file=taxonomy)
    assert sorted((p.id, tuple(p.themes)) for p in rebuilt) == sorted(
        (p.id, tuple(p.themes)) for p in passages(fresh)
    )
    assert report.total_passages == len(rebuilt)
