"""Generated answers: a language model writes from the retrieved passages; we check what it wrote.

The model's text streams out as ``Token`` events. Then its sentences are parsed with their
``[n]`` markers (markers pointing at no passage are removed and reported), every sentence is
checked against the passages it cites (``assistant.support``), and the cited passages are
renumbered in order of first use. When the model cannot be reached, answers without citations
or writes mostly unsupported sentences, the ``Final`` event carries the quoted answer instead,
with a notice saying why.

>>> fallback(Answer("v", "nl", False, "citaat [1]"), "nl", "timeout").notice
'Het taalmodel reageerde niet op tijd; hieronder het antwoord met citaten uit de documenten zelf.'
"""

from __future__ import annotations

import time
from collections.abc import Iterator

from .compose import refusal
from .llm import NO_ANSWER, LLMAnswerer, LLMUnavailable
from .records import Answer, CitedSentence, Final, Token
from .render import render_generated
from .retrieve import Filters, Retrieval
from .support import SupportChecker, parse_cited
from .wording import TEXTS, why


def fallback(quoted: Answer, lang: str, reason: str) -> Answer:
    """The quoted answer, with a notice why the model's answer is not shown."""
    quoted.notice = TEXTS[lang]["fallback"].format(why=why(reason, lang))
    quoted.mode = "extractive"
    return quoted


def generate_stream(
    llm: LLMAnswerer,
    support: SupportChecker,
    question: str,
    r: Retrieval,
    filters: Filters,
    quoted: Answer,
    top_k: int,
) -> Iterator[Token | Final]:
    """Stream the model's answer for retrieved passages; the ``Final`` event is the checked one.

    ``quoted`` is the extractive answer for the same retrieval: the fallback, and the source of
    the evidence figures (the refusal gate has already let the question through).
    """
    lang = r.lang
    passages = r.passages[:top_k]
    t0 = time.perf_counter()
    chunks: list[str] = []
    try:
        for token in llm.stream(r.question, passages, lang):
            chunks.append(token)
            yield Token(token)
    except LLMUnavailable as e:
        yield Final(fallback(quoted, lang, e.reason))
        return
    text = "".join(chunks).strip()
    if NO_ANSWER in text[:40]:  # the model found no answer in the passages
        ans = refusal(
            question,
            lang,
            r.passages[:3],
            quoted.evidence,
            quoted.evidence_detail,
            filters.as_dict(),
            {"generate": time.perf_counter() - t0},
        )
        ans.mode = "llm"
        yield Final(ans)
        return
    removed, generated = parse_cited(text, len(passages))
    if not any(g.citations for g in generated):
        yield Final(fallback(quoted, lang, "no_citations"))
        return
    support.check(generated, passages)
    unsupported = sum(g.support == "unsupported" for g in generated)
    if unsupported * 2 > len(generated):
        yield Final(fallback(quoted, lang, "unsupported"))
        return
    # Number the cited passages 1..m in order of first use.
    order: list[int] = []
    for g in generated:
        order += [n for n in g.citations if n not in order]
    renumber = {old: new for new, old in enumerate(order, 1)}
    citations = [passages[old - 1] for old in order]
    sentences = []
    for g in generated:
        nums = [renumber[n] for n in g.citations]
        first = nums[0] if nums else 0
        sentences.append(
            CitedSentence(
                g.text,
                first,
                citations[first - 1].id if first else "",
                -1,
                -1,
                g.score,
                citations=nums,
                support=g.support,
                quoted=False,
            )
        )
    notice = TEXTS[lang]["removed"].format(markers=", ".join(removed)) if removed else ""
    yield Final(
        Answer(
            question=question,
            lang=lang,
            refused=False,
            text=render_generated(lang, sentences),
            sentences=sentences,
            citations=citations,
            evidence=quoted.evidence,
            evidence_detail=quoted.evidence_detail,
            filters=filters.as_dict(),
            timings={"generate": time.perf_counter() - t0},
            notice=notice,
            mode="llm",
            removed_markers=removed,
        )
    )
