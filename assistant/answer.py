"""The assistant: a question in, a cited answer out (quoted by default, generated with an LLM).

``Assistant`` wires the parts together once per process: the embedder, the hybrid retriever,
the quote composer with its refusal model, the taxonomy (for follow-up rewriting), the glossary
(English questions to Dutch terms, and glosses of Dutch terms) and, when
``INCLUSIE_LLM_BASE_URL`` is set, the language model and the citation support check.

>>> settings = getfixture("indexed_settings")   # Settings whose index holds the bundled corpus
>>> a = Assistant(settings).ask("Wat kan de gemeente doen aan leerlingenvervoer?")
>>> a.refused, a.citations[0].themes[:1]
(False, ['leerlingenvervoer'])
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING

from ingest.embeddings import Embedder, get_embedder
from ingest.settings import Settings
from ingest.store import Store
from ingest.tags import Taxonomy

from .compose import ANSWERS_V2, Calibration, ComposeParams, QuoteComposer
from .glossary import Glossary
from .records import Answer, Final, Rewritten, StreamEvent
from .retrieve import Filters, HybridRetriever, Retrieval
from .specifics import IndexFacts, Specific, folded
from .text import words

if TYPE_CHECKING:
    from datetime import date

    from .briefing import Briefing
    from .llm import LLMAnswerer
    from .support import SupportChecker


class Assistant:
    """Retrieval plus cited answers: quoted by default, generated when an LLM is configured.

    One instance per process is enough. With ``INCLUSIE_LLM_BASE_URL`` set, answers are written
    by the language model from the same passages, every sentence is checked against the passages
    it cites, and anything that goes wrong falls back to the quoted answer with a short notice.
    """

    def __init__(
        self,
        settings: Settings,
        retriever: HybridRetriever | None = None,
        embedder: Embedder | None = None,
        calibration: Calibration | None = None,
        llm: LLMAnswerer | None = None,
        taxonomy: Taxonomy | None = None,
        compose: ComposeParams = ANSWERS_V2,
        glossary: Glossary | None = None,
    ):
        self.settings = settings
        self.taxonomy = taxonomy or Taxonomy.load(settings.taxonomy_file)
        self.glossary = glossary if glossary is not None else Glossary.load(settings.glossary_file)
        self.embedder = embedder or get_embedder(settings)
        self.retriever = retriever or HybridRetriever(
            settings, embedder=self.embedder, taxonomy=self.taxonomy, glossary=self.glossary
        )
        calibration = calibration or Calibration.load()
        if settings.refuse_below:
            calibration.threshold_nl = calibration.threshold_en = settings.refuse_below
        self.composer = QuoteComposer(
            self.retriever.store,
            calibration,
            compose,
            self.retriever.bm25_weight,
            embedder=self.embedder,
            index_facts=self._index_facts,
            aliases=self._aliases,
            known_words=self.glossary.english_words,
            glossary=self.glossary,
        )
        self._facts: tuple[object, IndexFacts] | None = None
        if llm is None and settings.llm_base_url:
            from .llm import LLMAnswerer

            llm = LLMAnswerer(settings)
        self.llm = llm
        self._support: SupportChecker | None = None

    def _index_facts(self) -> IndexFacts:
        """What the whole index holds, rebuilt when the BM25 side follows a new revision."""
        lex = self.retriever.lexical()
        facts = self._facts
        if facts is None or facts[0] is not lex:
            texts = (f"{p.title}\n{p.section}\n{p.text}" for p in lex.passages)
            facts = (lex, IndexFacts(texts))
            self._facts = facts
        return facts[1]

    def _aliases(self, s: Specific) -> list[str]:
        """A region named by one of its aliases ("Den Bosch") is known by its taxonomy name."""
        for name, pattern in self.taxonomy.regions:
            if pattern.fullmatch(s.text) or pattern.fullmatch(s.key):
                return [folded(name)]
        return []

    @property
    def store(self) -> Store:
        return self.retriever.store

    @property
    def calibration(self) -> Calibration:
        return self.composer.calibration

    @calibration.setter
    def calibration(self, value: Calibration) -> None:
        self.composer.calibration = value

    @property
    def support(self) -> SupportChecker:
        """The citation support check (built on first use: only generated text needs it)."""
        if self._support is None:
            from .support import SupportChecker

            self._support = SupportChecker(self.embedder, self.store)
        return self._support

    def search(
        self,
        question: str,
        k: int | None = None,
        filters: Filters | None = None,
        mode: str = "hybrid",
    ) -> Retrieval:
        return self.retriever.search(question, k=k, filters=filters, mode=mode)

    def standalone(self, question: str, history: list[str] | None) -> str:
        """The question rewritten to stand on its own, given the earlier questions."""
        from .followup import is_follow_up, rewrite_rule

        question = question.strip()
        if not history:
            return question
        if self.llm is not None and (
            is_follow_up(question, self.taxonomy) or len(words(question)) <= 8
        ):
            from .llm import LLMUnavailable

            try:
                return self.llm.rewrite(question, history)
            except LLMUnavailable:
                pass  # the rule below still handles the common cases
        return rewrite_rule(question, history, self.taxonomy)

    def ask(
        self,
        question: str,
        k: int | None = None,
        filters: Filters | None = None,
        mode: str = "hybrid",
        history: list[str] | None = None,
        quotes_only: bool = False,
    ) -> Answer:
        """Answer a question with cited sentences (or a plain refusal)."""
        final = None
        for event in self.ask_stream(question, k, filters, mode, history, quotes_only):
            if isinstance(event, Final):
                final = event.answer
        assert final is not None  # ask_stream always ends with Final
        return final

    def ask_stream(
        self,
        question: str,
        k: int | None = None,
        filters: Filters | None = None,
        mode: str = "hybrid",
        history: list[str] | None = None,
        quotes_only: bool = False,
    ) -> Iterator[StreamEvent]:
        """``Rewritten`` (for a follow-up), ``Token``s while a model writes, then ``Final``.

        Tokens are only produced on the language-model path; the final answer always comes last
        and may replace what was streamed (when the model failed or its answer did not hold up).
        ``quotes_only`` keeps the quoted answer even with a model configured; an English
        question then gets a checked English rendering under each Dutch quote.
        """
        t0 = time.perf_counter()
        question = question.strip()
        filters = filters or Filters()
        standalone = self.standalone(question, history)
        if standalone != question:
            yield Rewritten(standalone)
        r = self.search(standalone, k=k, filters=filters, mode=mode)
        ans = None
        if self.llm is not None and not quotes_only:
            for event in self._generate(question, r, filters):
                if isinstance(event, Final):
                    ans = event.answer
                else:
                    yield event
        else:
            ans = self.answer(question, r, filters)
            if self.llm is not None and ans.lang == "en" and not ans.refused:
                from .translate import add_english

                ans = add_english(ans, self.llm, self.support)
        assert ans is not None
        ans.question = question
        ans.rewritten = standalone if standalone != question else ""
        ans.timings = {
            "retrieve": r.timings.get("total", 0.0),
            **ans.timings,
            "total": time.perf_counter() - t0,
        }
        yield Final(ans)

    def answer(self, question: str, r: Retrieval, filters: Filters | None = None) -> Answer:
        """The quoted answer for retrieved passages (``ask`` without the search)."""
        return self.composer.answer(question, r, filters)

    def generate(self, question: str, r: Retrieval, filters: Filters | None = None) -> Answer:
        """The language-model answer for retrieved passages (falls back like ``ask``)."""
        if self.llm is None:
            raise ValueError("no language model configured")
        final = None
        for event in self._generate(question, r, filters or Filters()):
            if isinstance(event, Final):
                final = event.answer
        assert final is not None
        return final

    def _generate(self, question: str, r: Retrieval, filters: Filters) -> Iterator[StreamEvent]:
        from .generate import generate_stream

        quoted = self.answer(question, r, filters)
        if quoted.refused:  # the evidence gate holds for generated answers too
            yield Final(quoted)
            return
        assert self.llm is not None
        yield from generate_stream(
            self.llm, self.support, question, r, filters, quoted, self.settings.top_k
        )

    def briefing(
        self,
        school: str,
        region: str | None = None,
        themes: list[str] | None = None,
        notes: str = "",
        today: date | None = None,
        use_llm: bool = True,
        detailed: bool = False,
    ) -> Briefing:
        """Talking points for a school visit (see ``assistant.briefing``); with a language model
        configured and ``use_llm``, bullets get checked shorter wording. Short unless
        ``detailed``."""
        from .briefing import Phraser, build_briefing

        phraser = Phraser(self.llm, self.support) if use_llm and self.llm is not None else None
        return build_briefing(
            self.retriever,
            self.taxonomy,
            school,
            region,
            themes,
            notes,
            today,
            phraser,
            detailed=detailed,
        )


def verify(answer: Answer) -> list[str]:
    """Problems with an answer's citations; empty when every claim checks out.

    Every [n] in the text must resolve to a citation, every sentence must cite a passage, and
    every quoted sentence must occur verbatim in the passage it cites.
    """
    problems = []
    for m in re.finditer(r"\[(\d+)\]", answer.text):
        n = int(m.group(1))
        if not 1 <= n <= len(answer.citations):
            problems.append(f"[{n}] verwijst naar geen bron")
    for s in answer.sentences:
        bad = [n for n in s.numbers if not 1 <= n <= len(answer.citations)]
        if bad or not s.numbers:
            problems.append(f"zin zonder geldige bron: {s.text[:60]}")
        elif s.quoted and s.text not in answer.citations[s.n - 1].text:
            problems.append(f"zin staat niet letterlijk in bron [{s.n}]: {s.text[:60]}")
    return problems
