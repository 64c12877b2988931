"""Sentence splitting and chunking of long text blocks (issue 15, "the ingest hang").

pysbd's cost grows with the square of the text it is given, so a PDF or Word export without
paragraph breaks (one block of tens of thousands of words) kept ingest busy for many minutes.
``sentence_spans`` now hands pysbd pieces of at most ``SEGMENT_CAP`` characters, cut where pysbd
splits anyway. These tests watch what reaches pysbd through a wrapper around the one call into it
(pysbd itself does the splitting), and check that nothing a user sees changed for ordinary text:
the passages of the bundled corpus, with their sentences, are those recorded before the change in
tests/snapshots/corpus_passages.json.

Regenerate that file only for a deliberate chunking change (and bump CHUNKER_VERSION with it):

    PYTHONPATH=. .venv/bin/python -m tests.test_sentences --write
"""

from __future__ import annotations

import json
import re
import sys
import threading
from collections import Counter
from functools import lru_cache
from pathlib import Path

import pytest

from ingest import sentences
from ingest.chunk import CHUNKER_VERSION, chunk_document
from ingest.clean import clean_text
from ingest.embeddings import E5Embeddings
from ingest.loaders import SUPPORTED, iter_files, load_file
from ingest.pipeline import _catalog_for, prepare_document, slugify
from ingest.sentences import SEGMENT_CAP, embed_text, passage_sentences, sentence_spans
from ingest.settings import BUNDLED_CORPUS, BUNDLED_TAXONOMY
from ingest.tags import Taxonomy

SNAPSHOT = Path(__file__).parent / "snapshots" / "corpus_passages.json"

# Tricky spots for a pre-splitter: abbreviations with and without inner dots, initials, a full
# stop inside parentheses and inside a quotation, questions, numbers after a full stop.
PARAGRAPH = (
    "De gemeente en het samenwerkingsverband (SWV) maken afspraken, bijv. Utrecht en Lelystad. "
    "Zie ook de handreiking van J. Biskop e.d. Daarna volgt het stappenplan m.b.t. huisvesting. "
    "Het gaat o.a. om leerlingen (zie hoofdstuk drie. Daar staat meer.) en hun ouders. "
    "Waarom is dat zo? Omdat thuisnabij onderwijs telt! "
    "De wethouder zei: ‘Wij doen mee. Echt waar.’ en de directeur knikte. "
    "In 2025 begint de tweede fase. 12 scholen doen mee, dhr. Jansen ook. "
)


# -- helpers -------------------------------------------------------------------------------------
@lru_cache(maxsize=1)
def corpus_words() -> tuple[str, ...]:
    """The words of the bundled corpus (cleaned, in document order)."""
    words: list[str] = []
    for path in sorted(BUNDLED_CORPUS.glob("*.txt")):
        words += clean_text(path.read_text(encoding="utf-8")).text.split()
    return tuple(words)


def ordinary_block(n_words: int) -> str:
    """Ordinary sentences as one line, as a PDF without paragraph breaks delivers them."""
    words = corpus_words()
    return " ".join(words[i % len(words)] for i in range(n_words))


def block_without_full_stops(n_words: int) -> str:
    return re.sub(r"[.!?]", "", ordinary_block(n_words))


def tokens(text: str) -> list[str]:
    return re.findall(r"[^\W_]+", text)


@pytest.fixture
def segmenter_inputs(monkeypatch) -> list[int]:
    """The length of every text handed to pysbd; pysbd still does the splitting."""
    sizes: list[int] = []
    segment = sentences._segment

    def spy(text: str):
        sizes.append(len(text))
        return segment(text)

    monkeypatch.setattr(sentences, "_segment", spy)
    return sizes


@pytest.fixture(scope="module")
def e5():
    return E5Embeddings()


def corpus_snapshot(embedder) -> dict:
    """Passages (ids, offsets, kinds, sections, sentences) of every bundled document, chunked
    exactly as ingest chunks them."""
    taxonomy = Taxonomy.load(BUNDLED_TAXONOMY)
    docs = {}
    for path, _ in iter_files([BUNDLED_CORPUS]):
        if path.suffix not in SUPPORTED:
            continue  # catalog.yaml, glossary.yaml: ingest skips them too
        doc_id = slugify(path.stem)
        entry = _catalog_for(path, [BUNDLED_CORPUS])
        passages = prepare_document(load_file(path), doc_id, entry, embedder, taxonomy)
        docs[path.name] = [
            {
                "id": p.id,
                "start": p.start,
                "end": p.end,
                "kind": p.kind,
                "section": p.section,
                "sentences": [[s.start, s.end] for s in passage_sentences(p)],
            }
            for p in passages
        ]
    return {"chunker_version": CHUNKER_VERSION, "documents": docs}


# -- ordinary text is split as before ------------------------------------------------------------
def test_a_paragraph_reaches_the_segmenter_whole(segmenter_inputs):
    # A line up to the cap (nearly every paragraph) is given to pysbd as before, so it is split
    # as before.
    line = PARAGRAPH * (SEGMENT_CAP // len(PARAGRAPH))
    assert len(sentence_spans(line)) > 10
    assert segmenter_inputs == [len(line)]


def test_a_long_line_splits_into_the_sentences_of_its_paragraphs(segmenter_inputs):
    # The same paragraph 40 times in one line (~17,000 characters): the pieces pysbd sees end
    # at many different places in the paragraph, and each copy still splits exactly as the
    # paragraph does on its own — never after "e.d.", "J.", nor inside the brackets or quotes.
    alone = sentence_spans(PARAGRAPH)
    line = PARAGRAPH * 40
    segmenter_inputs.clear()
    want = [(k * len(PARAGRAPH) + a, k * len(PARAGRAPH) + b) for k in range(40) for a, b in alone]
    assert sentence_spans(line) == want
    assert len(segmenter_inputs) > 10 and max(segmenter_inputs) <= SEGMENT_CAP
    # Not only the cuts taken: every place where the line may be cut is a sentence start.
    assert set(sentences._sentence_starts(line)) <= {a for a, _ in want}


def test_corpus_passages_and_their_sentences_are_unchanged(e5):
    want = json.loads(SNAPSHOT.read_text(encoding="utf-8"))
    have = corpus_snapshot(e5)
    assert have["chunker_version"] == want["chunker_version"]
    for name, passages in want["documents"].items():
        got = have["documents"][name]
        assert [p["id"] for p in got] == [p["id"] for p in passages], name
        assert got == passages, name
    assert have["documents"].keys() == want["documents"].keys()


# -- long blocks ---------------------------------------------------------------------------------
def test_text_without_full_stops_splits_at_commas_into_bounded_sentences():
    words = re.sub(r"[^\w\s]", "", ordinary_block(1000)).split()
    text = ", ".join(" ".join(words[i : i + 40]) for i in range(0, len(words), 40))
    spans = sentence_spans(text)
    assert len(spans) > 1 and all(b - a <= SEGMENT_CAP for a, b in spans)
    assert all(text[b - 1] == "," for _, b in spans[:-1])
    assert tokens(" ".join(text[a:b] for a, b in spans)) == tokens(text)


def test_text_without_any_punctuation_is_never_cut_inside_a_word():
    text = re.sub(r"[^\w\s]", "", ordinary_block(3000))
    spans = sentence_spans(text)
    assert len(spans) > 1 and all(b - a <= SEGMENT_CAP for a, b in spans)
    assert all(text[b].isspace() for _, b in spans[:-1])
    assert " ".join(text[a:b] for a, b in spans).split() == text.split()


BLOCKS = {"ordinary": ordinary_block, "no full stop": block_without_full_stops}


@pytest.mark.slow
@pytest.mark.parametrize(("kind", "n_words"), [("ordinary", 200_000), ("no full stop", 16_000)])
def test_no_segmenter_call_sees_more_than_the_cap(kind, n_words, segmenter_inputs):
    text = BLOCKS[kind](n_words)
    spans = sentence_spans(text)
    assert max(segmenter_inputs) <= SEGMENT_CAP
    assert sum(segmenter_inputs) <= 1.5 * len(text)
    prev = 0
    for a, b in spans:
        assert prev <= a < b and text[a:b] == text[a:b].strip()
        prev = b
    assert tokens(" ".join(text[a:b] for a, b in spans)) == tokens(text)


@pytest.mark.parametrize(("kind", "n_words"), [("ordinary", 20_000), ("no full stop", 16_000)])
def test_a_long_block_chunks_into_exact_passages_that_fit(kind, n_words, e5, segmenter_inputs):
    clean = clean_text(BLOCKS[kind](n_words))
    passages = chunk_document(
        clean,
        doc_id="blok",
        title="Eén lang blok",
        taxonomy=Taxonomy.load(BUNDLED_TAXONOMY),
        count_tokens=e5.count_tokens,
        max_tokens=e5.max_tokens,
    )
    # Each character went through the segmenter once, in pieces within the cap.
    assert max(segmenter_inputs) <= SEGMENT_CAP
    assert sum(segmenter_inputs) <= 1.5 * len(clean.text)
    prev = 0
    for p in passages:
        assert clean.text[p.start : p.end] == p.text and p.start >= prev
        prev = p.end
        assert e5.count_tokens(embed_text(p)) <= e5.max_tokens
    assert Counter(t for p in passages for t in tokens(p.text)) == Counter(tokens(clean.text))


def test_threads_splitting_at_the_same_time_get_their_own_sentences():
    # The web app answers questions while an upload is being ingested; pysbd keeps the text it
    # works on in the segmenter object, so one shared segmenter mixed up the two texts' spans.
    a = "Dit is de eerste zin over leerlingen. En de tweede zin over scholen! Derde zin. " * 6
    b = "Gemeenten werken samen met het samenwerkingsverband. Ouders doen mee? Ja, zeker. " * 7
    want = {a: sentence_spans(a), b: sentence_spans(b)}
    wrong: list[str] = []

    def split(text: str) -> None:
        for _ in range(10):
            if sentence_spans(text) != want[text]:
                wrong.append(text[:20])

    threads = [threading.Thread(target=split, args=(t,)) for t in (a, b, a, b)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not wrong


if __name__ == "__main__" and "--write" in sys.argv:
    SNAPSHOT.write_text(
        json.dumps(corpus_snapshot(E5Embeddings()), ensure_ascii=False, indent=1) + "\n",
        encoding="utf-8",
    )
