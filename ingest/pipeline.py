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
import logging
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
from .errors import IndexUnavailable, IngestError, UnsupportedFile
from .loaders import RawDocument, file_sha256, iter_files, parse_file, read_checked
from .passage import Passage
from .sentences import Sentence, embed_text, passage_sentences
from .settings import Settings
from .store import Store, open_store
from .tags import Taxonomy

# ``progress(fraction, message)``: fraction of the whole run done (0..1), and a Dutch line for
# people. Called when a file starts and after every batch of passages embedded within a file, so a
# large file shows movement; ``message`` is a ``ProgressMessage`` (a str with the figures behind
# it: file, passages done/total, rate, seconds left). Called from the ingesting thread.
Progress = Callable[[float, str], None]

log = logging.getLogger(__name__)

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
    kind = str(entry.get("kind", ""))
    return chunk_document(
        clean,
        doc_id=doc_id,
        title=_title(doc, clean.text, entry),
        # Without a (valid) catalog kind the chunker reads the kind from the text itself.
        doc_kind=kind if kind in DOC_KINDS else None,
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
        cache: dict[str, list[float]] = {}
        for n, (path, explicit) in enumerate(files):
            progress(
                n / max(len(files), 1),
                ProgressMessage.make(f"{path.name}: lezen", path.name, n, len(files)),
            )
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
                    passages, embedder, progress, n, len(files), path.name, cache
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
            except IndexUnavailable:
                raise  # the store is down: no later file can be stored either
            except Exception as e:  # a defect or a library's surprise on this one file
                log.exception("ingest of %s failed", path)
                reason = f"onverwachte fout bij het inlezen ({type(e).__name__}: {e})"
                report.results.append(
                    FileResult(path, "failed", doc_id, 0, str(IngestError(path, reason)))
                )
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
    progress(1.0, ProgressMessage.make("klaar", "", len(files), len(files)))
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


class ProgressMessage(str):
    """The ``message`` passed to an ingest ``Progress`` callback: a Dutch line for people, with the
    figures behind it as attributes for a page that draws its own progress.

    It is a ``str``, so a callback written as ``progress(fraction: float, message: str)`` keeps
    working. ``fraction`` (0..1) covers the whole run; within a file it moves after every batch of
    passages embedded (a few seconds of work), not only when a file is done.

    >>> m = ProgressMessage.embedding("plan.pdf", 1, 3, done=40, total=120, seconds=10.0)
    >>> str(m)
    'plan.pdf: 40/120 passages, 4.0 per seconde, nog ongeveer 20 s'
    >>> m.file, m.done, m.total, m.rate, m.eta
    ('plan.pdf', 40, 120, 4.0, 20.0)
    """

    file: str
    file_no: int  # 0-based position of the file in this run
    n_files: int
    done: int  # passages of this file embedded so far (0 while loading and chunking)
    total: int  # passages of this file (0 until it is chunked)
    rate: float  # passages per second within this file so far (0 until the first batch)
    eta: float | None  # seconds left for this file, None while unknown

    @classmethod
    def make(
        cls,
        text: str,
        file: str,
        file_no: int,
        n_files: int,
        done: int = 0,
        total: int = 0,
        rate: float = 0.0,
        eta: float | None = None,
    ) -> ProgressMessage:
        m = cls(text)
        m.file, m.file_no, m.n_files = file, file_no, n_files
        m.done, m.total, m.rate, m.eta = done, total, rate, eta
        return m

    @classmethod
    def embedding(
        cls, file: str, file_no: int, n_files: int, *, done: int, total: int, seconds: float
    ) -> ProgressMessage:
        rate = done / seconds if seconds > 0 and done else 0.0
        eta = (total - done) / rate if rate else None
        text = f"{file}: {done}/{total} passages"
        if rate:
            text += f", {rate:.1f} per seconde, nog ongeveer {_duration(eta or 0.0)}"
        return cls.make(text, file, file_no, n_files, done, total, rate, eta)


def _duration(seconds: float) -> str:
    s = round(seconds)
    return f"{s} s" if s < 90 else f"{s // 60} min {s % 60:02d} s"


# Passages embedded per call into the model, with their sentences: about 8 + 50 texts, 2,000-3,000
# tokens. Larger batches did not embed faster per token (the engine streams its weights once per
# call, which is cheap next to the work per token); smaller ones would report progress more often
# at a small cost per call. A batch takes a few seconds on one core, so progress moves visibly.
PASSAGES_PER_BATCH = 8


def _embed(
    passages: list[Passage],
    embedder: Embedder,
    progress: Progress,
    file_no: int,
    n_files: int,
    name: str,
    cache: dict[str, list[float]] | None = None,
):
    """Vectors of the passages and of their sentences, embedded a few passages at a time.

    Identical texts are embedded once (a repeated heading, a footer on every page, the unchanged
    paragraphs of a new version of a plan): the engine embeds every text on its own, so the
    vector of a repeated text is the one it would get again. ``cache`` carries vectors across
    the files of one run.
    """
    import time

    cache = {} if cache is None else cache
    sentences: list[Sentence] = []
    groups: list[tuple[list[Passage], list[Sentence]]] = []
    for i in range(0, len(passages), PASSAGES_PER_BATCH):
        group = passages[i : i + PASSAGES_PER_BATCH]
        sents = [s for p in group for s in passage_sentences(p)]
        sentences.extend(sents)
        groups.append((group, sents))
    by_id = {p.id: p for p in passages}
    vectors: list[list[float]] = []
    sent_vectors: list[list[float]] = []
    start = time.monotonic()
    done = 0
    for group, sents in groups:
        ptexts = [embed_text(p) for p in group]
        stexts = [by_id[s.passage_id].text[s.start : s.end] for s in sents]
        todo = list(dict.fromkeys(t for t in ptexts + stexts if t not in cache))
        for t, v in zip(todo, embedder.embed_documents(todo)):
            cache[t] = v
        vectors.extend(cache[t] for t in ptexts)
        sent_vectors.extend(cache[t] for t in stexts)
        done += len(group)
        if len(cache) > _CACHE_MAX:
            cache.clear()
        progress(
            (file_no + done / max(len(passages), 1)) / max(n_files, 1),
            ProgressMessage.embedding(
                name,
                file_no,
                n_files,
                done=done,
                total=len(passages),
                seconds=time.monotonic() - start,
            ),
        )
    return vectors, sentences, sent_vectors


# Vectors kept for reuse within one run (1.5 kB each): enough for a library's repeated passages
# and sentences, cleared when full so a very large run stays within ~150 MB.
_CACHE_MAX = 100_000
