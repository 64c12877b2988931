"""Hybrid retrieval: dense passages and dense sentences (Chroma, multilingual e5) fused with BM25.

Three signals are gathered for a pool of candidates: the passage's cosine similarity to the
question, the best similarity of any of its sentences (a precise fact in a long passage), and
BM25 with Dutch stemming. Each is standardised within the pool (z-scores) and summed.

BM25 only understands Dutch words. An English question over Dutch documents shares almost no
terms with them, and plain rank fusion lets BM25's noise pull good dense hits down. So BM25's
weight in the fusion is scaled by how much of the question BM25 can actually see: the share of
the question's content words that occur in the index vocabulary. A Dutch question keeps full
weight; "What did Lelystad do?" lets BM25 contribute through the name.

English questions are translated term by term through the glossary (``assistant.glossary``):
"How do we approach pupil transport?" searches BM25 for "leerlingenvervoer" too, and the words a
Dutch term stands for ("pupil", "transport") count as seen, so that question gets full weight.
Dutch terms in most passages ("gemeente") are not added: they cannot tell passages apart. An
English question none of whose words map still gives BM25 (almost) nothing to say. A Dutch
question is searched exactly as without a glossary.

>>> r = HybridRetriever(getfixture("indexed_settings"))   # an index of the bundled corpus
>>> [p.kind for p in r.search("Wat kan de gemeente doen aan leerlingenvervoer?", k=3).passages][:1]
['tekst']
>>> english = r.search("How do we approach pupil transport?", k=3)
>>> english.expanded_terms, english.bm25_weight
(['leerlingenvervoer'], 1.0)
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import threading
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path

import numpy as np

from ingest.embeddings import Embedder, get_embedder
from ingest.passage import Passage
from ingest.sentences import lexical_text
from ingest.settings import Settings
from ingest.store import Store, open_store
from ingest.tags import Taxonomy

from .glossary import Glossary, Match
from .text import analyze, content_word_spans, detect_language, stem, surface_words, words

log = logging.getLogger(__name__)


@dataclass
class Filters:
    """Restrict retrieval to themes, passage kinds, regions or documents (any of each list)."""

    themes: list[str] = field(default_factory=list)
    kinds: list[str] = field(default_factory=list)
    regions: list[str] = field(default_factory=list)
    doc_ids: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.themes or self.kinds or self.regions or self.doc_ids)

    def where(self) -> dict | None:
        """The same restriction as a Chroma ``where`` clause."""
        clauses: list[dict] = []
        for key, values in (("themes", self.themes), ("regions", self.regions)):
            if values:
                parts = [{key: {"$contains": v}} for v in values]
                clauses.append(parts[0] if len(parts) == 1 else {"$or": parts})
        for key, values in (("kind", self.kinds), ("doc_id", self.doc_ids)):
            if values:
                clauses.append({key: {"$in": list(values)}})
        if not clauses:
            return None
        return clauses[0] if len(clauses) == 1 else {"$and": clauses}

    def match(self, p: Passage) -> bool:
        return (
            (not self.themes or bool(set(self.themes) & set(p.themes)))
            and (not self.kinds or p.kind in self.kinds)
            and (not self.regions or bool(set(self.regions) & set(p.regions)))
            and (not self.doc_ids or p.doc_id in self.doc_ids)
        )

    def as_dict(self) -> dict:
        return {
            "themes": self.themes,
            "kinds": self.kinds,
            "regions": self.regions,
            "doc_ids": self.doc_ids,
        }


class LexicalIndex:
    """BM25 over the passages' section + text, Dutch-analysed; can be saved and loaded.

    Saved to ``<cache>/<collection>/<revision hash>/``: the bm25s matrices, the passages, the
    vocabularies and a manifest with the SHA-256 of every file, written last. A folder whose
    manifest is missing or whose files do not match it (a half-written or damaged cache) is not
    trusted: the index is rebuilt from the store.
    """

    FORMAT = 1

    def __init__(
        self,
        passages: list[Passage],
        bm25=None,
        vocab: set[str] | None = None,
        surface: set[str] | None = None,
    ):
        import bm25s

        self.passages = passages
        self.ids = [p.id for p in passages]
        if bm25 is None:
            tokens = [analyze(lexical_text(p)) for p in passages]
            vocab = {t for toks in tokens for t in toks}
            # Unstemmed folded words too, for coverage of names like "Lelystad" or "OOGO".
            surface = (
                set().union(*(surface_words(lexical_text(p)) for p in passages))
                if passages
                else set()
            )
            bm25 = bm25s.BM25(method="lucene", k1=1.2, b=0.75)
            if passages:
                bm25.index([t or [""] for t in tokens], show_progress=False)
        self.bm25 = bm25
        self.vocab = vocab or set()
        self.surface = surface or set()
        self._df: dict[str, int] | None = None  # document frequencies, on first use

    def coverage(self, question: str, translated: Sequence[tuple[int, int]] = ()) -> float:
        """Share of the question's content words BM25 can match (0 for English over Dutch).

        ``translated``: spans of ``fold(question)`` whose words BM25 matches through the Dutch
        terms they stand for (the glossary matches of an English question). Such a word counts
        like a word BM25 matches itself: "pupil transport" is as visible as "leerlingenvervoer".
        """
        cw = content_word_spans(question)
        if not cw:
            return 0.0
        return sum(
            1
            for w, start, end in cw
            if stem(w) in self.vocab
            or w in self.surface
            or any(start < e and s < end for s, e in translated)
        ) / len(cw)

    def distinctive(self, dutch: str) -> list[str]:
        """The BM25 tokens of a Dutch term that can tell passages apart.

        Those in the index and in at most half of the passages: a word in most passages
        ("gemeente", "onderwijs" in the bundled corpus) ranks them by little more than length,
        and the z-score fusion would blow that noise up to a full signal (classic BM25 gives
        such words an idf of zero or less for the same reason).
        """
        return [
            t
            for t in dict.fromkeys(analyze(dutch))
            if 0 < self.document_frequency(t) <= len(self.passages) / 2
        ]

    def document_frequency(self, token: str) -> int:
        """In how many passages an (analysed) token occurs."""
        if self._df is None:
            # bm25s keeps one sparse column per token; its length is the token's passage count.
            # (Its vocabulary also holds "", which has no column.)
            indptr = self.bm25.scores["indptr"] if self.passages else np.zeros(1)
            self._df = {
                t: int(indptr[i + 1] - indptr[i])
                for t, i in (self.bm25.vocab_dict.items() if self.passages else ())
                if i + 1 < len(indptr)
            }
        return self._df.get(token, 0)

    def scores(self, question: str, extra: Sequence[str] = ()) -> np.ndarray:
        """BM25 scores of every passage; ``extra``: BM25 tokens searched along with the question
        (the Dutch terms of an English question)."""
        q = analyze(question)
        if extra:
            # Each added token once: a term named by two phrasings is not worth twice as much.
            q += [t for t in dict.fromkeys(extra) if t not in q]
        if not q or not self.passages:
            return np.zeros(len(self.passages))
        return np.asarray(self.bm25.get_scores(q), dtype=float)

    # -- persistence ---------------------------------------------------------------------------
    def save(self, folder: Path, revision: str) -> None:
        """Write atomically: a temp folder that is renamed into place when complete."""
        folder.parent.mkdir(parents=True, exist_ok=True)
        tmp = folder.parent / f".tmp-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        tmp.mkdir()
        try:
            if self.passages:
                self.bm25.save(str(tmp / "bm25"), show_progress=False)
            with open(tmp / "passages.jsonl", "w", encoding="utf-8") as fh:
                for p in self.passages:
                    fh.write(
                        json.dumps(
                            {"id": p.id, "text": p.text, "meta": p.to_metadata()},
                            ensure_ascii=False,
                        )
                        + "\n"
                    )
            (tmp / "terms.json").write_text(
                json.dumps(
                    {"vocab": sorted(self.vocab), "surface": sorted(self.surface)},
                    ensure_ascii=False,
                ),
                encoding="utf-8",
            )
            manifest = {
                "format": self.FORMAT,
                "revision": revision,
                "passages": len(self.passages),
                "files": {
                    str(f.relative_to(tmp)): _sha256(f)
                    for f in sorted(tmp.rglob("*"))
                    if f.is_file()
                },
            }
            (tmp / "manifest.json").write_text(json.dumps(manifest, indent=1), encoding="utf-8")
            if folder.exists():
                shutil.rmtree(folder, ignore_errors=True)
            os.rename(tmp, folder)
        except OSError:
            shutil.rmtree(tmp, ignore_errors=True)
            raise

    @classmethod
    def load(cls, folder: Path, revision: str) -> LexicalIndex | None:
        """The saved index, or None when it is missing, stale, half-written or damaged."""
        import bm25s

        try:
            manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
            if manifest.get("format") != cls.FORMAT or manifest.get("revision") != revision:
                return None
            # A manifest must vouch for every file that is read below, not just for some.
            listed = set(manifest["files"])
            if not {"passages.jsonl", "terms.json"} <= listed or (
                manifest["passages"] and not any(n.startswith("bm25/") for n in listed)
            ):
                return None
            for name, digest in manifest["files"].items():
                if _sha256(folder / name) != digest:
                    return None
            passages = []
            with open(folder / "passages.jsonl", encoding="utf-8") as fh:
                for line in fh:
                    rec = json.loads(line)
                    passages.append(Passage.from_record(rec["id"], rec["text"], rec["meta"]))
            if len(passages) != manifest["passages"]:
                return None
            terms = json.loads((folder / "terms.json").read_text(encoding="utf-8"))
            bm25 = (
                bm25s.BM25.load(str(folder / "bm25"), show_progress=False)
                if passages
                else bm25s.BM25()
            )
            return cls(passages, bm25, set(terms["vocab"]), set(terms["surface"]))
        except (OSError, ValueError, KeyError, TypeError):
            return None


def _abandoned(tmp: Path, max_age: float = 3600.0) -> bool:
    """A ``.tmp-<pid>-<id>`` folder left by a save that died (its process is gone, or it is old).

    A live process may still be writing it (another thread, or another `inclusie serve` on the
    same data dir), so only folders of dead processes, or older than ``max_age``, are removed.
    """
    try:
        if time.time() - tmp.stat().st_mtime > max_age:
            return True
        os.kill(int(tmp.name.split("-")[1]), 0)
    except ProcessLookupError:
        return True
    except (OSError, ValueError, IndexError):
        return False
    return False


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


@dataclass
class Retrieval:
    question: str
    lang: str
    passages: list[Passage]  # ranked, fused score in .score
    query_vector: list[float]
    dense_best: float  # best cosine similarity among candidates (evidence strength)
    bm25_weight: float
    similarity: dict[str, float] = field(default_factory=dict)  # passage id -> cosine (dense)
    # English question: the glossary's Dutch terms added to the BM25 query ([] for Dutch).
    expanded_terms: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)


def _shingles(text: str, n: int = 3) -> set[tuple[str, ...]]:
    ws = words(text)
    return {tuple(ws[i : i + n]) for i in range(max(1, len(ws) - n + 1))}


@lru_cache(maxsize=20_000)
def _passage_shingles(passage_id: str, text: str) -> frozenset[tuple[str, ...]]:
    # A passage id is a hash of its text, so the id alone would do; the text keeps it honest.
    return frozenset(_shingles(text))


def dedupe(
    passages: list[Passage], threshold: float = 0.8, limit: int | None = None
) -> list[Passage]:
    """Drop passages whose word 3-grams overlap an earlier (better) one by more than threshold.

    Stops once ``limit`` passages are kept: the rest of the ranking is not shown. Shingles are
    remembered per passage (they cost a fifth of a question's time when recomputed each time).
    """
    kept: list[tuple[Passage, frozenset]] = []
    for p in passages:
        if limit is not None and len(kept) >= limit:
            break
        sh = _passage_shingles(p.id, p.text)
        if any(len(sh & s) / max(1, min(len(sh), len(s))) > threshold for _, s in kept):
            continue
        kept.append((p, sh))
    return [p for p, _ in kept]


class HybridRetriever:
    """Dense passages + dense sentences + coverage-weighted BM25, z-score fusion in a pool.

    ``glossary``: the English-to-Dutch terms for English questions (the one the Assistant loaded;
    by default ``Settings.glossary_file`` with the shipped one). ``Glossary()`` switches the
    expansion off.
    """

    REVISION_TTL = 2.0  # seconds between checks whether another process changed the index
    SENTENCE_CANDIDATES = 80

    def __init__(
        self,
        settings: Settings,
        store: Store | None = None,
        embedder: Embedder | None = None,
        bm25_weight: float = 1.0,
        taxonomy: Taxonomy | None = None,
        glossary: Glossary | None = None,
    ):
        self.settings = settings
        self.embedder = embedder or get_embedder(settings)
        self.store = store or open_store(settings, self.embedder.id, taxonomy)
        self.bm25_weight = bm25_weight
        # Glossary() is empty and so falsy: only None means "load the configured one".
        self.glossary = glossary if glossary is not None else Glossary.load(settings.glossary_file)
        self._lexical: LexicalIndex | None = None
        self._revision: str | None = None
        self._checked = 0.0
        self._lock = threading.Lock()  # guards the fields above; held only for moments
        self._build_lock = threading.Lock()  # one BM25 load/build at a time
        self._refreshing = False

    @property
    def cache_dir(self) -> Path:
        return self.settings.data_dir / "cache" / "bm25" / self.store.name

    # The BM25 side follows the store's revision (which every ingest changes): it is loaded from
    # the cache when that matches, rebuilt and saved otherwise, and never rebuilt per request.
    # When another process changed the index, the rebuild runs in a background thread and
    # questions go on with the previous index until the new one is swapped in (at 100x the
    # bundled corpus a rebuild takes about 1.5 s, which every question used to wait for).
    def lexical(self) -> LexicalIndex:
        with self._lock:
            if self._lexical is not None and time.monotonic() - self._checked <= self.REVISION_TTL:
                return self._lexical
        rev = self.store.revision()
        with self._lock:
            self._checked = time.monotonic()
            if self._lexical is not None:
                if rev != self._revision:
                    self._refresh_in_background(rev)
                return self._lexical
        return self.refresh(rev)

    def refresh(self, revision: str | None = None) -> LexicalIndex:
        """Bring the BM25 side up to the store's revision now; questions meanwhile use the old one.

        Called after this process wrote (an upload), so the writer's next question sees its own
        document in both signals. One build at a time per retriever.
        """
        with self._build_lock:
            rev = revision or self.store.revision()
            with self._lock:
                if self._lexical is not None and rev == self._revision:
                    return self._lexical
            lex = self._load_or_build(rev)
            with self._lock:
                self._lexical, self._revision = lex, rev
                self._checked = time.monotonic()
            return lex

    def _refresh_in_background(self, revision: str) -> None:
        """Start one background rebuild (call with ``self._lock`` held)."""
        if self._refreshing:
            return
        self._refreshing = True

        def run() -> None:
            try:
                self.refresh(revision)
            except Exception as e:  # the store may be away; the next check tries again
                log.warning("BM25-index kon niet worden vernieuwd: %s", e)
                with self._lock:
                    self._checked = 0.0
            finally:
                with self._lock:
                    self._refreshing = False

        threading.Thread(target=run, name="bm25-refresh", daemon=True).start()

    def _load_or_build(self, revision: str) -> LexicalIndex:
        folder = self.cache_dir / hashlib.sha1(revision.encode()).hexdigest()[:16]
        lex = LexicalIndex.load(folder, revision)
        if lex is not None:
            return lex
        if folder.exists():
            log.warning(
                "BM25-cache %s is onvolledig of beschadigd; wordt opnieuw opgebouwd", folder
            )
        lex = LexicalIndex(self.store.all_passages())
        try:
            lex.save(folder, revision)
            for old in self.cache_dir.iterdir():  # earlier revisions are of no use any more
                if old.name != folder.name and (
                    not old.name.startswith(".tmp-") or _abandoned(old)
                ):
                    shutil.rmtree(old, ignore_errors=True)
        except OSError as e:  # a read-only data dir still answers questions, just slower to start
            log.warning("BM25-cache kan niet worden opgeslagen: %s", e)
        return lex

    def search(
        self,
        question: str,
        k: int | None = None,
        filters: Filters | None = None,
        mode: str = "hybrid",
    ) -> Retrieval:
        """Rank passages for a question. ``mode``: hybrid (default), dense or bm25."""
        k = k or self.settings.top_k
        filters = filters or Filters()
        where = filters.where()
        t0 = time.perf_counter()
        lex = self.lexical()
        t1 = time.perf_counter()
        # The query vector is needed even for BM25-only ranking: answers and refusals use it.
        qvec = self.embedder.embed_query(question)
        t2 = time.perf_counter()

        by_id: dict[str, Passage] = {}
        dense: dict[str, float] = {}
        sent: dict[str, float] = {}
        if mode != "bm25":
            for p in self.store.query(qvec, self.settings.dense_candidates, where):
                dense[p.id] = float(p.score or 0.0)
                by_id[p.id] = p
            sent = self.store.query_sentences(qvec, self.SENTENCE_CANDIDATES, where)
        t3 = time.perf_counter()

        expansion = self.expand(question, lex)
        spans = [(m.start, m.end) for m, _ in expansion]
        coverage = lex.coverage(question, spans)
        w_bm25 = {"hybrid": self.bm25_weight * coverage, "dense": 0.0, "bm25": 1.0}[mode]
        bm25: dict[str, float] = {}
        if w_bm25 > 0:
            scores = lex.scores(question, [t for _, tokens in expansion for t in tokens])
            for i in np.argsort(-scores):
                if scores[i] <= 0 or len(bm25) >= self.settings.bm25_candidates:
                    break
                p = lex.passages[i]
                if filters.match(p):
                    bm25[p.id] = float(scores[i])
                    by_id.setdefault(p.id, p)

        if mode == "bm25":
            pool = list(bm25)
            fused = {pid: bm25[pid] for pid in pool}
        else:
            pool = list(dict.fromkeys([*dense, *sent, *bm25]))
            pool = self._complete(pool, qvec, by_id, dense, sent, lex)
            if mode == "dense":
                fused = {pid: dense[pid] for pid in pool}
            else:
                fused = _zsum(pool, [(1.0, dense), (1.0, sent), (w_bm25, bm25)])
        ranked = sorted(pool, key=lambda pid: -fused[pid])
        out = dedupe(
            [by_id[pid].model_copy(update={"score": fused[pid]}) for pid in ranked], limit=k
        )
        if out and mode == "bm25":  # similarity of the returned passages, for answers/refusals
            vectors = self.store.passage_vectors([p.id for p in out])
            out = [p for p in out if p.id in vectors]
            for pid, vec in vectors.items():
                dense[pid] = float(np.dot(qvec, vec))
        t4 = time.perf_counter()
        return Retrieval(
            question=question,
            lang=detect_language(question),
            passages=out,
            query_vector=qvec,
            dense_best=max(dense.values(), default=0.0),
            bm25_weight=w_bm25,
            similarity=dense,
            expanded_terms=list(dict.fromkeys(t.nl for m, _ in expansion for t in m.terms)),
            timings={
                "bm25_load": t1 - t0,
                "embed": t2 - t1,
                "dense": t3 - t2,
                "fuse": t4 - t3,
                "total": t4 - t0,
            },
        )

    def expand(self, question: str, lex: LexicalIndex) -> list[tuple[Match, list[str]]]:
        """The glossary matches of an English question, each with the BM25 tokens it adds.

        Only matches that add a distinctive token (``LexicalIndex.distinctive``) are kept, with
        only the terms that do: a term BM25 cannot find (a user glossary's word of documents that
        are not indexed) or that is in most passages would add weight without adding signal.
        A Dutch question has no matches, so its BM25 query and weight are exactly what they were
        without a glossary.
        """
        out = []
        for m in self.glossary.matches(question):
            kept = [(t, [tok for f in t.dutch for tok in lex.distinctive(f)]) for t in m.terms]
            kept = [(t, tokens) for t, tokens in kept if tokens]
            if kept:
                terms = tuple(t for t, _ in kept)
                tokens = list(dict.fromkeys(tok for _, ts in kept for tok in ts))
                out.append((m if terms == m.terms else replace(m, terms=terms), tokens))
        return out

    def _complete(
        self,
        pool: list[str],
        qvec: list[float],
        by_id: dict[str, Passage],
        dense: dict[str, float],
        sent: dict[str, float],
        lex: LexicalIndex,
    ) -> list[str]:
        """Fill in the signals a pool member lacks (found by one side but not the other).

        Returns the pool without passages the store no longer has: BM25 may still be the
        previous index while its successor is built (another process deleted a document).
        """
        q = np.asarray(qvec, dtype=np.float32)
        missing = [pid for pid in pool if pid not in dense]
        vectors = self.store.passage_vectors(missing)
        gone = set(missing) - set(vectors)
        if gone:
            pool = [pid for pid in pool if pid not in gone]
        for pid, vec in vectors.items():
            dense[pid] = float(np.dot(q, np.asarray(vec, dtype=np.float32)))
        missing = [pid for pid in pool if pid not in sent]
        for pid, rows in self.store.sentence_vectors(missing).items():
            sent[pid] = max(float(np.dot(q, s.vector)) for s in rows)
        lex_ids = {p.id: i for i, p in enumerate(lex.passages)}
        for pid in pool:
            if pid not in by_id and pid in lex_ids:
                by_id[pid] = lex.passages[lex_ids[pid]]
            dense.setdefault(pid, min(dense.values(), default=0.0))
            sent.setdefault(pid, min(sent.values(), default=0.0))
        return pool


def _zsum(pool: list[str], signals: list[tuple[float, dict[str, float]]]) -> dict[str, float]:
    """Weighted sum of z-scores over the pool; a missing value counts as the pool minimum."""
    total = np.zeros(len(pool))
    for weight, values in signals:
        if weight <= 0 or not values:
            continue
        floor = min(values.values())
        x = np.array([values.get(pid, floor) for pid in pool], dtype=float)
        std = x.std()
        if std > 1e-9:
            total += weight * (x - x.mean()) / std
    return dict(zip(pool, total.tolist()))
