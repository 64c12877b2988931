"""load -> clean -> chunk -> tag -> embed -> store, incrementally and crash-safe.

>>> from ingest.settings import BUNDLED_CORPUS
>>> plan = BUNDLED_CORPUS / "stappenplan-inclusief-onderwijs-2025-2027.txt"
>>> report = ingest_paths([plan], Settings(data_dir=getfixture("tmp_path")))
>>> report.ok
True
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import re
import threading
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from .chunk import chunk_document
from .clean import clean_pages
from .embeddings import Embedder, get_embedder
from .errors import IngestError, UnsupportedFile
from .loaders import RawDocument, file_sha256, iter_files, parse_file, read_checked
from .passage import Passage
from .sentences import Sentence, embed_text, passage_sentences
from .settings import Settings
from .store import Store, open_store
from .tags import Taxonomy

Progress = Callable[[float, str], None]

DOC_KINDS = ("handreiking", "praktijkvoorbeelden", "nieuws", "stappenplan", "overig")

_ingest_lock = threading.Lock()


@dataclass
class FileResult:
    path: Path
    status: str  # added | updated | skipped | failed | unsupported
    doc_id: str = ""
    chunks: int = 0
    message: str = ""
    notice: str = ""  # Dutch: how the file was read, when worth knowing (e.g. its encoding)


@dataclass
class IngestReport:
    results: list[FileResult] = field(default_factory=list)
    pruned: list[str] = field(default_factory=list)
    dropped_collections: list[str] = field(default_factory=list)
    total_passages: int = 0

    def count(self, status: str) -> int:
        return sum(r.status == status for r in self.results)

    @property
    def chunks_written(self) -> int:
        return sum(r.chunks for r in self.results if r.status in ("added", "updated"))

    @property
    def ok(self) -> bool:
        return self.count("failed") == 0

    def summary(self) -> str:
        parts = [
            f"{self.count('added')} toegevoegd",
            f"{self.count('updated')} bijgewerkt",
            f"{self.count('skipped')} ongewijzigd",
            f"{self.count('failed')} mislukt",
        ]
        if self.count("unsupported"):
            parts.append(f"{self.count('unsupported')} overgeslagen (type)")
        if self.pruned:
            parts.append(f"{len(self.pruned)} verwijderd")
        return (
            f"Documenten: {', '.join(parts)}. Passages geschreven: {self.chunks_written}; "
            f"passages in de index: {self.total_passages}."
        )


def slugify(text: str) -> str:
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "document"


def _same_file(a: str | Path, b: Path) -> bool:
    try:
        return Path(a).resolve() == b.resolve() or Path(a).samefile(b)
    except OSError:
        return False


def _doc_id(path: Path, states: dict, seen: dict[str, Path]) -> str:
    """A stable document id for a file: its name, unless another live file already has that id.

    Re-ingesting the same file (or its replacement at the same place, or a moved file whose old
    place is gone) keeps its id, so the new version replaces the old one. A different file that
    happens to share the name (``a/verslag.pdf`` after ``b/verslag.pdf``, in this run or an
    earlier one) gets the folder name added, then a short hash of its path, instead of silently
    replacing the other document.
    """
    digest = hashlib.sha1(str(path.resolve()).encode()).hexdigest()[:8]
    candidates = [
        slugify(path.stem),
        slugify(f"{path.parent.name}-{path.stem}"),
        slugify(f"{path.stem}-{digest}"),
    ]
    for cand in candidates:
        if cand in seen and not _same_file(seen[cand], path):
            continue
        state = states.get(cand)
        if (
            state is not None
            and state.source
            and not _same_file(state.source, path)
            and Path(state.source).exists()
        ):
            continue
        return cand
    return candidates[-1]


def _catalog_for(path: Path, roots: list[Path]) -> dict:
    """Catalog entry for a file: catalog.yaml next to it, else in the folder given on the CLI."""
    for folder in [path.parent, *roots]:
        cat = folder / "catalog.yaml"
        if cat.is_file():
            try:
                data = yaml.safe_load(cat.read_text(encoding="utf-8")) or {}
            except (yaml.YAMLError, UnicodeDecodeError):
                continue
            entry = data.get(path.name)
            if isinstance(entry, dict):
                return entry
    return {}


def _doc_sha(data: bytes, entry: dict) -> str:
    """What decides whether a stored document is current: the file and its catalog title/kind.

    Passages carry the title and kind from catalog.yaml, so an edited entry must re-ingest the
    document even when the file is unchanged. Without an entry this is the plain file hash.
    """
    sha = file_sha256(data)
    meta = {k: str(entry[k]) for k in ("title", "kind") if entry.get(k)}
    if not meta:
        return sha
    return file_sha256(f"{sha}\x00{json.dumps(meta, sort_keys=True)}".encode())


def _title(doc: RawDocument, text: str, entry: dict) -> str:
    if entry.get("title"):
        return str(entry["title"])
    if doc.title_hint:
        return doc.title_hint
    first = text.strip().split("\n", 1)[0].lstrip("# ").strip() if text.strip() else ""
    if 0 < len(first.split()) <= 14 and not first.endswith("."):
        return first
    return doc.path.stem.replace("_", " ").replace("-", " ").strip().capitalize()


@contextlib.contextmanager
def _exclusive(settings: Settings) -> Iterator[None]:
    """One ingest at a time: threads of this process, and processes sharing the data dir."""
    with _ingest_lock:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        with open(settings.data_dir / "ingest.lock", "w") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)


def prepare_document(
    doc: RawDocument, doc_id: str, entry: dict, embedder: Embedder, taxonomy: Taxonomy
) -> list[Passage]:
    """Clean, chunk and tag one loaded document."""
    clean = clean_pages([(pg.number, pg.text) for pg in doc.pages])
    if not clean.text.strip():
        raise IngestError(doc.path, "na opschonen bleef geen tekst over")
    kind = str(entry.get("kind", "overig"))
    return chunk_document(
        clean,
        doc_id=doc_id,
        title=_title(doc, clean.text, entry),
        doc_kind=kind if kind in DOC_KINDS else "overig",
        source=str(doc.path.resolve()),
        taxonomy=taxonomy,
        count_tokens=embedder.count_tokens,
        max_tokens=embedder.max_tokens,
    )


def ingest_paths(
    paths: list[Path],
    settings: Settings,
    *,
    prune: bool = False,
    progress: Progress | None = None,
    embedder: Embedder | None = None,
    store: Store | None = None,
    taxonomy: Taxonomy | None = None,
) -> IngestReport:
    """Ingest files and folders (recursively). Unchanged documents are skipped.

    Bad files are reported in the result and do not stop the run; nothing stored for other
    documents is touched. With ``prune``, documents whose source file is gone are removed.
    """
    embedder = embedder or get_embedder(settings)
    # Read here, at the start of every run: an edited vocabulary changes the index fingerprint.
    taxonomy = taxonomy or Taxonomy.load(settings.taxonomy_file)
    store = store or open_store(settings, embedder.id, taxonomy)
    report = IngestReport()
    roots = [p for p in paths if p.is_dir()]
    files = list(iter_files(paths))
    progress = progress or (lambda frac, msg: None)

    with _exclusive(settings):
        # Notice what another process wrote since this Store last looked (an embedded store is
        # reopened then), so this run neither redoes nor writes through a stale view.
        store.revision()
        states = store.doc_states()
        seen_ids: dict[str, Path] = {}
        for n, (path, explicit) in enumerate(files):
            progress(n / max(len(files), 1), path.name)
            doc_id = _doc_id(path, states, seen_ids)
            seen_ids[doc_id] = path
            try:
                data = read_checked(path, settings.max_file_bytes)
                entry = _catalog_for(path, roots)
                sha = _doc_sha(data, entry)
                state = states.get(doc_id)
                if state and state.complete and state.sha == sha:
                    report.results.append(FileResult(path, "skipped", doc_id, state.present))
                    continue
                doc = parse_file(path, data)
                passages = prepare_document(doc, doc_id, entry, embedder, taxonomy)
                vectors, sentences, sent_vectors = _embed(
                    passages, embedder, progress, n, len(files), path.name
                )
                store.replace_document(doc_id, sha, passages, vectors, sentences, sent_vectors)
                status = "updated" if state else "added"
                report.results.append(
                    FileResult(path, status, doc_id, len(passages), notice=doc.notice)
                )
            except UnsupportedFile as e:
                status = "failed" if explicit else "unsupported"
                report.results.append(FileResult(path, status, doc_id, 0, str(e)))
            except IngestError as e:
                report.results.append(FileResult(path, "failed", doc_id, 0, str(e)))
        if prune:
            for doc_id, state in store.doc_states().items():
                if doc_id not in seen_ids and state.source and not Path(state.source).exists():
                    store.delete_document(doc_id)
                    report.pruned.append(doc_id)
        stale = store.stale_collections()
        if stale:
            store.drop_collections(stale)
            report.dropped_collections = stale
        report.total_passages = store.count()
    progress(1.0, "klaar")
    return report


@dataclass
class Removal:
    doc_id: str
    title: str = ""
    passages: int = 0
    deleted_file: str = ""  # an uploaded copy that was deleted with it
    error: str = ""  # Dutch, for the user


def remove_documents(
    doc_ids: list[str], settings: Settings, *, store: Store | None = None
) -> list[Removal]:
    """Take documents out of the index (passages and sentences), one result per id.

    A copy in the web app's uploads folder goes with it; a file anywhere else is left on disk,
    so ingesting its folder again brings the document back. Unknown ids get an error message and
    do not stop the others. Runs under the ingest lock, so never halfway through an ingest.
    """
    store = store or open_store(settings)
    out: list[Removal] = []
    with _exclusive(settings):
        store.revision()  # see what another process wrote since this Store last looked
        states = store.doc_states()
        uploads = settings.uploads_dir.resolve()
        for doc_id in dict.fromkeys(d.strip() for d in doc_ids if d and d.strip()):
            state = states.get(doc_id)
            if state is None:
                out.append(
                    Removal(
                        doc_id,
                        error="staat niet in de index (zie `inclusie status` "
                        "voor de document-id's)",
                    )
                )
                continue
            store.delete_document(doc_id)
            r = Removal(doc_id, state.title or doc_id, state.present)
            src = Path(state.source) if state.source else None
            if src is not None and src.resolve().parent == uploads and src.exists():
                src.unlink()
                r.deleted_file = src.name
            out.append(r)
    return out


def _embed(
    passages: list[Passage],
    embedder: Embedder,
    progress: Progress,
    file_no: int,
    n_files: int,
    name: str,
):
    sentences: list[Sentence] = []
    texts: list[str] = []
    for p in passages:
        for s in passage_sentences(p):
            sentences.append(s)
            texts.append(p.text[s.start : s.end])
    total = len(passages) + len(sentences)
    done = 0

    def step(k: int) -> None:
        nonlocal done
        done += k
        progress((file_no + done / max(total, 1)) / max(n_files, 1), name)

    vectors = embedder.embed_passages([embed_text(p) for p in passages], step)
    sent_vectors = embedder.embed_passages(texts, step, batch_size=32)
    return vectors, sentences, sent_vectors
