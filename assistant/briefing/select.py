"""Choosing the sentences of a briefing: per theme and subsection, by the shared scorer.

For every theme the selector searches the theme's passages of one kind (running text, TIP
blocks, practice examples), scores their sentences against a theme question with the shared
scorer (``assistant.quotes``, the ``BRIEFING`` parameters), and fills the subsections in order:
kernpunten, tips, praktijkvoorbeelden, then gespreksvragen for all themes. A sentence used once
is not used again, and a bullet never overlaps another.
"""

from __future__ import annotations

import re

from assistant.question import fits
from assistant.quotes import BRIEFING, Quote, score_sentences
from assistant.retrieve import Filters, HybridRetriever
from assistant.text import words
from ingest.passage import Passage
from ingest.sentences import looks_like_heading
from ingest.tags import Taxonomy

from .model import SEARCH_K, SHORT, Bullet, BulletKind, Length

# Question frames around a quoted point (used only when the passages hold too few real
# questions). They follow the quote, so the quote reads first and the frame asks about it.
_QUESTION_FRAME = {
    "tip": "Gebeurt dit hier al?",
    "tekst": "Hoe is dat hier geregeld?",
    "praktijkvoorbeeld": "Speelt dit hier ook?",
    "eigen regio": "Hoe staat het hier nu mee?",  # a practice example of the visited region
}

# A sentence that starts with one of these leans on the sentence before it ("Deze middelen ...").
_ANAPHORIC = {
    "dit",
    "deze",
    "dat",
    "die",
    "zo",
    "daarnaast",
    "daarmee",
    "daarbij",
    "daardoor",
    "daarom",
    "hierbij",
    "hiermee",
    "hierdoor",
    "ook",
    "en",
    "maar",
    "bovendien",
    "tevens",
    "hun",
    "ze",
    "zij",
    "vervolgens",
    "toch",
}
# Questions addressed to the reader of a web page ("Heb je aanvullingen?") are no visit questions.
_READER = re.compile(r"\b(je|jij|jou|jouw|jullie)\b", re.I)
_TIP_PREFIX = re.compile(r"^\s*TIP\s*:\s*", re.I)


def _on_theme(s: Quote) -> bool:
    """The theme's vocabulary occurs in the sentence or in its section heading."""
    return s.pattern_hit or s.section_hit


def _leans_back(text: str) -> bool:
    """Does the text open by pointing back ("Deze middelen ...", "Zo ...")?"""
    ws = words(_TIP_PREFIX.sub("", text))
    return bool(ws) and ws[0] in _ANAPHORIC


def _starts_well(text: str) -> bool:
    """A capital, digit or quote first: not a fragment cut out of a longer sentence."""
    t = _TIP_PREFIX.sub("", text).lstrip("“„\"‘'(")
    return bool(t) and (t[0].isupper() or t[0].isdigit())


def norm(text: str) -> str:
    return " ".join(words(_TIP_PREFIX.sub("", text)))


class UsedSpans:
    """Spans and texts already in the briefing: no bullet may repeat or overlap another."""

    def __init__(self) -> None:
        self.spans: dict[str, list[tuple[int, int]]] = {}
        self.texts: set[str] = set()

    def free(self, p: Passage, a: int, b: int) -> bool:
        if norm(p.text[a:b]) in self.texts:
            return False
        return all(b <= x or a >= y for x, y in self.spans.get(p.id, []))

    def take(self, p: Passage, a: int, b: int) -> None:
        self.spans.setdefault(p.id, []).append((a, b))
        self.texts.add(norm(p.text[a:b]))


class Selector:
    """Chooses the bullets of one briefing (it remembers what it has used)."""

    def __init__(
        self,
        retriever: HybridRetriever,
        tx: Taxonomy,
        region_key: str | None,
        length: Length = SHORT,
    ):
        self.retriever = retriever
        self.tx = tx
        self.region_key = region_key
        self.length = length
        self.used = UsedSpans()

    def query(self, theme: str) -> str:
        return (
            f"Wat kunnen gemeente, samenwerkingsverband en school doen aan "
            f"{self.tx.label(theme).lower()}?"
        )

    def candidates(self, theme: str, kind: str) -> list[Quote]:
        """Sentences of the theme's passages of one kind, scored against the theme question."""
        pattern = next(t.pattern for t in self.tx.themes if t.key == theme)
        r = self.retriever.search(
            self.query(theme), k=SEARCH_K, filters=Filters(themes=[theme], kinds=[kind])
        )
        vectors = self.retriever.store.sentence_vectors([p.id for p in r.passages])
        return score_sentences(
            r.question, r.query_vector, r.passages, vectors, BRIEFING, pattern=pattern
        )

    def bullet(self, kind: BulletKind, p: Passage, a: int, b: int, score: float, **frame) -> Bullet:
        self.used.take(p, a, b)
        return Bullet(kind, p.text[a:b], p.id, a, b, score=score, **frame)

    def window(self, s: Quote) -> tuple[int, int, bool]:
        """The sentence, with the one or two before it when it starts with "Deze ..." / "Zo ...".

        Returns (start, end, clean); clean is False when the bullet still starts by pointing
        back at something it does not contain.
        """
        p, spans = s.passage, [(x.start, x.end) for x in s.siblings]
        i, a, b = s.index, s.start, s.end
        while _leans_back(p.text[a:b]) and i > 0 and s.index - i < 2:
            pa, pb = spans[i - 1]
            if (
                looks_like_heading(p.text[pa:pb])
                or "\n" in p.text[pa:a]
                or b - pa > self.length.bullet_chars
            ):
                break
            i, a = i - 1, pa
        clean = not _leans_back(p.text[a:b])
        if p.kind == "tip":
            m = _TIP_PREFIX.match(p.text[a:b])
            if m:
                a += m.end()
        return a, b, clean

    # The four subsections, in the order they are filled: later ones avoid what earlier ones used.
    def kernpunten(self, cands: list[Quote]) -> list[Bullet]:
        """The theme's best sentences from running text, at most two per passage."""
        chosen: list[Bullet] = []
        per_passage: dict[str, int] = {}
        # Readable on its own first; a thin theme may take a sentence that leans on the one
        # before it. A kernpunt is always about the theme (its words in the sentence or in the
        # heading above it): an off-theme sentence is worse than one kernpunt fewer.
        limit = self.length.bullet_chars
        for need_theme, need_clean, max_chars in (
            (True, True, limit),
            (True, True, None),
            (True, False, None),
        ):
            if len(chosen) >= self.length.min_kernpunten:
                break
            for s in cands:
                if len(chosen) >= self.length.kernpunten:
                    break
                if (
                    s.is_question
                    or looks_like_heading(s.text)
                    or len(words(s.text)) < 6
                    or not _starts_well(s.text)
                    or (need_theme and not _on_theme(s))
                    or per_passage.get(s.passage.id, 0) >= 2
                ):
                    continue
                a, b, clean = self.window(s)
                if (
                    (need_clean and not clean)
                    or (max_chars is not None and b - a > max_chars)
                    or not self.used.free(s.passage, a, b)
                ):
                    continue
                chosen.append(self.bullet("kernpunt", s.passage, a, b, s.score))
                per_passage[s.passage.id] = per_passage.get(s.passage.id, 0) + 1
        # Read in the documents' order: a passage's points together, as the handbook argues.
        rank: dict[str, int] = {}
        for c in chosen:
            rank.setdefault(c.passage_id, len(rank))
        chosen.sort(key=lambda c: (rank[c.passage_id], c.start))
        return chosen

    def tips(self, cands: list[Quote]) -> list[Bullet]:
        """One bullet per TIP block: its first sentence of advice (two when short).

        A TIP block may open with a finding ("Gemeenten en schoolbesturen zijn samen
        verantwoordelijk ...") and give its advice later ("... is het belangrijk dat ..."): the
        bullet is the advice, so "Tips" hold only advice. Questions go to the gespreksvragen.
        """
        best: dict[str, float] = {}
        for s in cands:
            best[s.passage.id] = max(best.get(s.passage.id, -1.0), s.score)
        firsts: dict[str, Quote] = {}
        for s in sorted(cands, key=lambda c: c.index):
            if (
                s.passage.id not in firsts
                and not s.is_question
                and not looks_like_heading(s.text)
                and fits("howto", s.text)
            ):
                firsts[s.passage.id] = s
        # The tip as a whole and its opening sentence (the bullet) both count.
        best = {pid: (v + firsts[pid].score) / 2 if pid in firsts else v for pid, v in best.items()}
        out: list[Bullet] = []
        for pid in sorted(best, key=lambda x: -best[x]):
            if len(out) >= self.length.tips or pid not in firsts:
                continue
            s = firsts[pid]
            p, spans = s.passage, [(x.start, x.end) for x in s.siblings]
            if s.is_question:  # a tip that opens with a question: that goes to the questions
                continue
            a, b, _ = self.window(s)
            if len(spans) > s.index + 1:
                na, nb = spans[s.index + 1]
                nxt = p.text[na:nb]
                if (
                    not nxt.rstrip().endswith("?")
                    and nb - a <= self.length.tip_chars
                    and "\n" not in p.text[b:na]
                ):
                    b = nb
            if self.used.free(p, a, b):
                out.append(self.bullet("tip", p, a, b, best[pid]))
        return out

    def _best_per_passage(self, cands: list[Quote]) -> list[tuple[float, Quote, int, int]]:
        """Per practice example its best free sentence (about the theme first), best first."""
        by_passage: dict[str, list[Quote]] = {}
        for s in cands:
            by_passage.setdefault(s.passage.id, []).append(s)
        options: list[tuple[float, Quote, int, int]] = []
        for sents in by_passage.values():
            usable = [
                s
                for s in sents
                if not looks_like_heading(s.text)
                and len(words(s.text)) >= 6
                and _starts_well(s.text)
            ]
            # about the theme first, then (in the short form) what fits in a short bullet
            ranked = sorted(
                usable,
                key=lambda s: (
                    not s.pattern_hit,
                    s.end - s.start > self.length.bullet_chars,
                    -s.score,
                ),
            )
            for s in ranked:
                a, b, _ = self.window(s)
                if not self.used.free(s.passage, a, b):  # its context is quoted elsewhere
                    a, b = s.start, s.end
                if self.used.free(s.passage, a, b):
                    options.append((s.score, s, a, b))
                    break
        return sorted(options, key=lambda o: -o[0])

    def own(self, p: Passage) -> bool:
        return bool(self.region_key) and self.region_key in p.regions

    def examples(self, cands: list[Quote]) -> list[Bullet]:
        """Per practice example its best sentence about the theme, framed with the region;
        the visited region's own examples first, and all of them."""
        options = sorted(self._best_per_passage(cands), key=lambda o: not self.own(o[1].passage))
        out: list[Bullet] = []
        for score, s, a, b in options:
            if len(out) >= self.length.examples and not self.own(s.passage):
                break
            label = " / ".join(s.passage.regions) if s.passage.regions else "Praktijkvoorbeeld"
            out.append(self.bullet("praktijkvoorbeeld", s.passage, a, b, score, lead=label))
        return out

    def region_examples(self, shown: set[str]) -> list[Bullet]:
        """The visited region's practice examples that no theme section shows (``shown``: the
        passages cited so far), whatever their theme; each framed with its themes."""
        if not self.region_key:
            return []
        r = self.retriever.search(
            f"Wat doen gemeente, samenwerkingsverband en scholen in {self.region_key}?",
            k=SEARCH_K,
            filters=Filters(regions=[self.region_key], kinds=["praktijkvoorbeeld"]),
        )
        passages = [p for p in r.passages if self.own(p) and p.id not in shown]
        if not passages:
            return []
        vectors = self.retriever.store.sentence_vectors([p.id for p in passages])
        cands = score_sentences(r.question, r.query_vector, passages, vectors, BRIEFING)
        out: list[Bullet] = []
        for score, s, a, b in self._best_per_passage(cands)[: self.length.region_examples]:
            themes = [self.tx.label(t) for t in s.passage.themes[:2]]
            label = " / ".join(themes) if themes else "Praktijkvoorbeeld"
            out.append(self.bullet("praktijkvoorbeeld", s.passage, a, b, score, lead=label))
        return out

    def questions(self, cands: list[Quote]) -> list[Bullet]:
        """Questions the passages ask themselves first; then framed questions around a point."""
        out: list[Bullet] = []
        for s in cands:
            if len(out) >= self.length.questions:
                break
            if (
                not s.is_question
                or len(words(s.text)) < 5
                or _READER.search(s.text)
                or not _starts_well(s.text)
            ):
                continue
            a, b = s.start, s.end
            m = _TIP_PREFIX.match(s.passage.text[a:b])
            if m:
                a += m.end()
            if self.used.free(s.passage, a, b):
                out.append(self.bullet("vraag", s.passage, a, b, s.score))
        order = {"tip": 0, "tekst": 1, "praktijkvoorbeeld": 2}
        framed = [
            s
            for s in cands
            if _on_theme(s)
            and not s.is_question
            and not _leans_back(s.text)
            and _starts_well(s.text)
            and not looks_like_heading(s.text)
            and 8 <= len(words(s.text)) <= 45
            and len(s.text) <= self.length.question_chars
        ]
        # Sentences that name the theme first, advice before running text before examples.
        framed.sort(key=lambda s: (not s.pattern_hit, order.get(s.passage.kind, 3), -s.score))
        for s in framed:
            if len(out) >= self.length.questions:
                break
            a, b, _ = self.window(s)
            if self.used.free(s.passage, a, b):
                kind: str = s.passage.kind
                if kind == "praktijkvoorbeeld" and self.region_key in s.passage.regions:
                    kind = "eigen regio"
                out.append(
                    self.bullet("vraag", s.passage, a, b, s.score, trail=_QUESTION_FRAME[kind])
                )
        return out
