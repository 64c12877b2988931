"""English renderings of Dutch quotes, for English askers, when a language model is configured.

The quote stays the answer; the rendering is a reading aid under it. Every rendering is checked
by the citation support check against the quote it renders, and one that fails the check is
dropped (the quote stays), so a reader never sees an English sentence the Dutch does not carry.
"""

from __future__ import annotations

from .llm import LLMAnswerer, LLMUnavailable
from .records import Answer, CitedSentence
from .render import render_answer
from .support import SupportChecker
from .wording import TEXTS, why


def add_english(answer: Answer, llm: LLMAnswerer, support: SupportChecker) -> Answer:
    """Fill ``english`` of the answer's quotes with checked renderings; returns the answer.

    One request for all quotes. When the model cannot be used the answer is unchanged apart from
    a notice; a rendering the support check does not mark "supported" is left out.
    """
    from ingest.passage import Passage

    quotes = [s for s in answer.sentences if s.quoted]
    if answer.refused or not quotes:
        return answer
    try:
        lines = llm.translate([s.text for s in quotes])
    except LLMUnavailable as e:
        answer.notice = TEXTS[answer.lang]["no_english"].format(why=why(e.reason, answer.lang))
        return answer
    for n, s in enumerate(quotes, 1):
        english = lines.get(n, "")
        if not english:
            continue
        # The quote itself is the evidence the rendering is checked against.
        quote = Passage.create(doc_id="quote", title="", text=s.text, start=0, end=len(s.text))
        claim = CitedSentence.generated(english, [1])
        support.check([claim], [quote])
        if claim.support == "supported":
            s.english = english
    answer.text = render_answer(answer)
    return answer
