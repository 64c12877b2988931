"""Chroma storage of passages and their sentences.

One collection holds passages (text, ``Passage`` metadata, embedding); a second one holds the
embeddings of every sentence, which extractive answers use to pick the sentences that answer a
question. The collection names carry a fingerprint of the embedder, the chunker version and the
tag vocabulary: change any of them and a new index is built next to the old one, never mixed.

Each passage also carries ``doc_sha`` (hash of the source file and its catalog title/kind) and
``doc_chunks`` (how many passages the document has). A document is complete when exactly that
many passages with that hash are stored, so an ingest killed halfway is detected and redone by
the next run.

>>> store = Store(Settings(data_dir=getfixture("tmp_path")), embedder_id="x")
>>> store.count()
0
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlparse

import numpy as np

from .chunk import CHUNKER_VERSION
from .errors import IndexUnavailable
from .passage import Passage
from .sentences import Sentence
from .settings import Settings
from .tags import Taxonomy

BATCH = 256


@dataclass
class DocState:
    doc_id: str
    title: str
    source: str
    doc_kind: str
    sha: str
    expected: int
    present: int
    # What the document's passages were tagged with, most frequent first (for the documents list).
    themes: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()
    kinds: tuple[tuple[str, int], ...] = ()  # (passage kind, passages of that kind)

    @property
    def complete(self) -> bool:
        return self.present == self.expected and self.expected > 0


def _most_common(lists: Iterable[list[str]]) -> tuple[str, ...]:
    """The values of all lists, the most frequent first (ties in order of first appearance)."""
    return tuple(v for v, _ in Counter(v for values in lists for v in values).most_common())


def _sentence_metadata(p: Passage, s: Sentence) -> dict:
    """Sentence metadata carries the passage's filter fields, so filters apply to it too."""
    meta: dict = {
        "passage_id": p.id,
        "doc_id": p.doc_id,
        "kind": p.kind,
        "start": s.start,
        "end": s.end,
    }
    if p.themes:
        meta["themes"] = list(p.themes)
    if p.regions:
        meta["regions"] = list(p.regions)
    return meta


def index_fingerprint(embedder_id: str, taxonomy_fp: str) -> str:
    raw = f"{embedder_id}|chunker-{CHUNKER_VERSION}|tags-{taxonomy_fp}"
    return hashlib.sha1(raw.encode()).hexdigest()[:10]


def _unavailable(settings: Settings, err: Exception) -> IndexUnavailable:
    where = settings.chroma_url or str(settings.chroma_path)
    return IndexUnavailable(
        f"De documentenindex is niet bereikbaar ({where}). Probeer het zo opnieuw; "
        f"blijft dit zo, vraag de beheerder de Chroma-server te controleren. [{type(err).__name__}]"
    )


class Store:
    """Passages and sentence vectors in Chroma (embedded, or a server via INCLUSIE_CHROMA_URL)."""

    def __init__(self, settings: Settings, embedder_id: str, taxonomy_fp: str = "none"):
        self.settings = settings
        self.embedder_id = embedder_id
        self.taxonomy_fp = taxonomy_fp
        self.fingerprint = index_fingerprint(embedder_id, taxonomy_fp)
        self.name = f"{settings.collection_prefix}-{self.fingerprint}"
        self._client: Any = None  # chromadb's client and collections (untyped library)
        self._passages: Any = None
        self._sentences: Any = None
        self._lock = threading.RLock()
        self._seen_revision: str | None = None  # last revision read from the store
        self._own_revision: str | None = None  # last revision written by this Store

    # -- connection -------------------------------------------------------------------------
    def _connect(self):
        import chromadb
        from chromadb.config import Settings as ChromaSettings

        chroma_settings = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
        if self.settings.chroma_url:
            import httpx

            u = urlparse(self.settings.chroma_url)
            host = u.hostname or "127.0.0.1"
            port = u.port or (443 if u.scheme == "https" else 8000)
            # chromadb's HttpClient constructor already talks to the server with no timeout, so a
            # hung server (accepts, never answers) blocked every caller forever. A bounded
            # heartbeat first turns that into IndexUnavailable after chroma_timeout seconds.
            httpx.get(
                f"{'https' if u.scheme == 'https' else 'http'}://{host}:{port}/api/v2/heartbeat",
                timeout=self.settings.chroma_timeout,
            ).raise_for_status()
            client = chromadb.HttpClient(
                host=host, port=port, ssl=u.scheme == "https", settings=chroma_settings
            )
            session = getattr(getattr(client, "_server", None), "_session", None)
            if session is not None:  # chromadb's HTTP client waits forever by default
                session.timeout = httpx.Timeout(self.settings.chroma_timeout)
            return client
        self.settings.chroma_path.mkdir(parents=True, exist_ok=True)
        return chromadb.PersistentClient(
            path=str(self.settings.chroma_path), settings=chroma_settings
        )

    def _collections(self):
        with self._lock:
            if self._passages is None:
                try:
                    self._client = self._client or self._connect()
                    meta = {
                        "embedder": self.embedder_id,
                        "chunker_version": CHUNKER_VERSION,
                        "taxonomy": self.taxonomy_fp,
                        "created": time.strftime("%Y-%m-%dT%H:%M:%S"),
                        "revision": uuid.uuid4().hex,
                    }
                    cfg = {"hnsw": {"space": "cosine"}}
                    self._passages = self._client.get_or_create_collection(
                        self.name, embedding_function=None, metadata=meta, configuration=cfg
                    )
                    self._sentences = self._client.get_or_create_collection(
                        self.name + "-zinnen",
                        embedding_function=None,
                        metadata={k: v for k, v in meta.items() if k != "revision"},
                        configuration=cfg,
                    )
                except IndexUnavailable:
                    raise
                except Exception as e:
                    self._client = None
                    raise _unavailable(self.settings, e) from e
            return self._passages, self._sentences

    def _call(self, fn, *args, **kwargs):
        """Run a Chroma call; a lost server becomes IndexUnavailable and is retried next time."""
        try:
            return fn(*args, **kwargs)
        except (ValueError, TypeError, KeyError):
            raise
        except Exception as e:
            if self.settings.chroma_url:
                with self._lock:  # reconnect on the next call: the server may be back
                    self._client = self._passages = self._sentences = None
            raise _unavailable(self.settings, e) from e

    # -- reading ----------------------------------------------------------------------------
    def count(self) -> int:
        p, _ = self._collections()
        return self._call(p.count)

    def revision(self) -> str:
        """Changes whenever documents are written or deleted (BM25 caches key on it).

        Reading it also notices writes by another process; an embedded store is then reopened
        (see ``_reload_local``), so this process reads what the other one wrote.
        """
        with self._lock:
            p, _ = self._collections()
            client = self._client
        # A handle's metadata is a snapshot: read it through a fresh one. The cached handles stay
        # (data calls go by collection id), so a revision check never swaps them mid-ingest.
        fresh = self._call(client.get_collection, self.name, embedding_function=None)
        rev = str((fresh.metadata or {}).get("revision", ""))
        if (
            not self.settings.chroma_url
            and self._seen_revision is not None
            and rev not in (self._seen_revision, self._own_revision)
        ):
            self._reload_local()
            p, _ = self._collections()
            rev = str((p.metadata or {}).get("revision", ""))
        self._seen_revision = rev
        return rev + f":{self._call(p.count)}"

    def _reload_local(self) -> None:
        """Forget this process's view of the embedded store after another process wrote to it.

        chromadb keeps one ``System`` per path per process, with in-memory vector segments that do
        not see writes made by another process: after an ``inclusie ingest`` next to a running
        ``inclusie serve``, a ``get`` of a new passage failed with "Error finding id" (reported as
        "index niet bereikbaar") until the app was restarted. Dropping the cached System makes the
        next client open a fresh one; every client on this path looks its System up by the same
        identifier, so they all move to the fresh one. The old System is left to the garbage
        collector rather than stopped, because another thread may still be using it.
        """
        from chromadb.api.shared_system_client import SharedSystemClient

        with self._lock:
            ident = getattr(self._client, "_identifier", None)
            if ident is not None:
                SharedSystemClient._identifier_to_system.pop(ident, None)
            self._client = self._passages = self._sentences = None

    def info(self) -> dict[str, Any]:
        p, _ = self._collections()
        return {"collection": self.name, **(p.metadata or {})}

    def _get_all(self, coll, include: list[str], where: dict | None = None) -> dict:
        out: dict[str, list] = {"ids": []}
        for k in include:
            out[k] = []
        offset = 0
        while True:
            res = self._call(coll.get, where=where, include=include, limit=2000, offset=offset)
            ids = res["ids"]
            if not ids:
                break
            out["ids"].extend(ids)
            for k in include:
                vals = res.get(k)
                out[k].extend(list(vals) if vals is not None else [None] * len(ids))
            offset += len(ids)
            if len(ids) < 2000:
                break
        return out

    def doc_states(self) -> dict[str, DocState]:
        p, _ = self._collections()
        res = self._get_all(p, ["metadatas"])
        groups: dict[str, list[dict]] = defaultdict(list)
        for meta in res["metadatas"]:
            groups[meta["doc_id"]].append(meta)
        states = {}
        for doc_id, metas in groups.items():
            shas = {m.get("doc_sha", "") for m in metas}
            first = metas[0]
            states[doc_id] = DocState(
                doc_id=doc_id,
                title=first.get("title", ""),
                source=first.get("source", ""),
                doc_kind=first.get("doc_kind", ""),
                sha=first.get("doc_sha", "") if len(shas) == 1 else "",
                expected=int(first.get("doc_chunks", 0)) if len(shas) == 1 else -1,
                present=len(metas),
                themes=_most_common(json.loads(m.get("themes_json", "[]")) for m in metas),
                regions=_most_common(json.loads(m.get("regions_json", "[]")) for m in metas),
                kinds=tuple(Counter(m.get("kind", "tekst") for m in metas).most_common()),
            )
        return states

    def all_passages(self) -> list[Passage]:
        p, _ = self._collections()
        res = self._get_all(p, ["documents", "metadatas"])
        out = [
            Passage.from_record(i, d, m)
            for i, d, m in zip(res["ids"], res["documents"], res["metadatas"])
        ]
        out.sort(key=lambda x: (x.doc_id, x.start))
        return out

    def document_passages(self, doc_id: str) -> list[Passage]:
        """The passages of one document in text order (the web app's document view)."""
        p, _ = self._collections()
        res = self._get_all(p, ["documents", "metadatas"], where={"doc_id": doc_id})
        out = [
            Passage.from_record(i, d, m)
            for i, d, m in zip(res["ids"], res["documents"], res["metadatas"])
        ]
        out.sort(key=lambda x: x.start)
        return out

    def get_passages(self, ids: list[str]) -> list[Passage]:
        if not ids:
            return []
        p, _ = self._collections()
        res = self._call(p.get, ids=list(ids), include=["documents", "metadatas"])
        by_id = {
            i: Passage.from_record(i, d, m)
            for i, d, m in zip(res["ids"], res["documents"], res["metadatas"])
        }
        return [by_id[i] for i in ids if i in by_id]

    def passage_vectors(self, ids: list[str]) -> dict[str, list[float]]:
        if not ids:
            return {}
        p, _ = self._collections()
        res = self._call(p.get, ids=list(ids), include=["embeddings"])
        return {i: list(e) for i, e in zip(res["ids"], res["embeddings"])}

    def query(self, vector: list[float], k: int, where: dict | None = None) -> list[Passage]:
        """Nearest passages by cosine similarity (score = 1 - cosine distance)."""
        p, _ = self._collections()
        n = self._call(p.count)
        if n == 0:
            return []
        res = self._call(
            p.query,
            query_embeddings=[vector],
            n_results=min(k, n),
            where=where,
            include=["documents", "metadatas", "distances"],
        )
        return [
            Passage.from_record(i, d, m, score=1.0 - float(dist))
            for i, d, m, dist in zip(
                res["ids"][0], res["documents"][0], res["metadatas"][0], res["distances"][0]
            )
        ]

    def query_sentences(
        self, vector: list[float], k: int, where: dict | None = None
    ) -> dict[str, float]:
        """Best sentence similarity per passage among the k nearest sentences."""
        _, s = self._collections()
        n = self._call(s.count)
        if n == 0:
            return {}
        res = self._call(
            s.query,
            query_embeddings=[vector],
            n_results=min(k, n),
            where=where,
            include=["metadatas", "distances"],
        )
        best: dict[str, float] = {}
        for meta, dist in zip(res["metadatas"][0], res["distances"][0]):
            pid = meta["passage_id"]
            best[pid] = max(best.get(pid, -1.0), 1.0 - float(dist))
        return best

    def sentence_vectors(self, passage_ids: Iterable[str]) -> dict[str, list[Sentence]]:
        """Per passage: its sentences with their embeddings (float32), in text order."""
        ids = list(dict.fromkeys(passage_ids))
        if not ids:
            return {}
        _, s = self._collections()
        res = self._call(
            s.get, where={"passage_id": {"$in": ids}}, include=["metadatas", "embeddings"]
        )
        rows: dict[str, list[tuple[int, int, Any]]] = defaultdict(list)
        for meta, emb in zip(res["metadatas"], res["embeddings"]):
            rows[meta["passage_id"]].append((int(meta["start"]), int(meta["end"]), emb))
        out: dict[str, list[Sentence]] = {}
        for pid, found in rows.items():
            found.sort(key=lambda t: t[0])
            out[pid] = [
                Sentence(pid, i, a, b, np.asarray(v, dtype=np.float32))
                for i, (a, b, v) in enumerate(found)
            ]
        return out

    # -- writing ----------------------------------------------------------------------------
    def replace_document(
        self,
        doc_id: str,
        doc_sha: str,
        passages: list[Passage],
        vectors: list[list[float]],
        sentences: list[Sentence],
        sentence_vectors: list[list[float]],
    ) -> None:
        """Swap a document's stored passages for new ones.

        Order matters for crash safety: old records go first, sentences next, passages last, so
        a document is only complete (``DocState.complete``) once its final passage is written.
        """
        p, s = self._collections()
        self._call(p.delete, where={"doc_id": doc_id})
        self._call(s.delete, where={"doc_id": doc_id})
        by_id = {x.id: x for x in passages}
        for i in range(0, len(sentences), BATCH):
            rows = sentences[i : i + BATCH]
            self._call(
                s.upsert,
                ids=[r.id for r in rows],
                embeddings=sentence_vectors[i : i + BATCH],
                metadatas=[_sentence_metadata(by_id[r.passage_id], r) for r in rows],
            )
        extra = {"doc_sha": doc_sha, "doc_chunks": len(passages)}
        for i in range(0, len(passages), BATCH):
            batch = passages[i : i + BATCH]
            self._call(
                p.upsert,
                ids=[x.id for x in batch],
                embeddings=vectors[i : i + BATCH],
                documents=[x.text for x in batch],
                metadatas=[x.to_metadata(extra) for x in batch],
            )
        self.touch()

    def delete_document(self, doc_id: str) -> None:
        p, s = self._collections()
        self._call(p.delete, where={"doc_id": doc_id})
        self._call(s.delete, where={"doc_id": doc_id})
        self.touch()

    def touch(self) -> None:
        """Record that the collection changed, so other processes reload their BM25 index."""
        p, _ = self._collections()
        meta = dict(p.metadata or {})
        meta["revision"] = uuid.uuid4().hex
        meta.pop("hnsw:space", None)
        self._call(p.modify, metadata=meta)
        self._own_revision = meta["revision"]

    def stale_collections(self) -> list[str]:
        """Collections of earlier index builds (other embedder, chunker or tags)."""
        self._collections()
        names = [
            c if isinstance(c, str) else c.name for c in self._call(self._client.list_collections)
        ]
        prefix = self.settings.collection_prefix + "-"
        mine = {self.name, self.name + "-zinnen"}
        return sorted(n for n in names if n.startswith(prefix) and n not in mine)

    def drop_collections(self, names: list[str]) -> None:
        for n in names:
            self._call(self._client.delete_collection, n)


def open_store(
    settings: Settings, embedder_id: str | None = None, taxonomy: Taxonomy | None = None
) -> Store:
    """The store of the index built with this embedder and vocabulary; by default the ones the
    settings name. Nothing is loaded or connected until the first call that needs Chroma.

    >>> open_store(Settings(data_dir=getfixture("tmp_path"))).name.startswith("inclusie-")
    True
    """
    if embedder_id is None:
        from .embeddings import get_embedder

        embedder_id = get_embedder(settings).id
    if taxonomy is None:
        taxonomy = Taxonomy.load(settings.taxonomy_file)
    return Store(settings, embedder_id, taxonomy.fingerprint)
