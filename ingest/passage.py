"""The one record that flows from the chunker to the UI.

A ``Passage`` is produced by the chunker, stored as a Chroma record (text + flat metadata), returned
by retrieval with a score, cited in answers and rendered by the UI and exports.

>>> p = Passage.create(doc_id="d", title="T", text="Tekst.", start=0, end=6)
>>> Passage.from_record(p.id, p.text, p.to_metadata()) == p
True
"""

from __future__ import annotations

import hashlib
import json
from typing import Literal

from pydantic import BaseModel, Field

Kind = Literal["tekst", "tip", "praktijkvoorbeeld"]
KINDS: tuple[str, ...] = ("tekst", "tip", "praktijkvoorbeeld")


class Passage(BaseModel):
    id: str = Field(description="Hash of doc id, offsets and text; stable across re-ingests.")
    doc_id: str
    title: str = Field(description="Title of the document the passage comes from.")
    text: str = Field(description="Exactly cleaned_text[start:end] of the document.")
    section: str = Field("", description="Nearest heading above the passage.")
    page: int | None = Field(None, description="PDF page where the passage starts (1-based).")
    page_end: int | None = Field(None, description="PDF page where the passage ends.")
    page_marks: list[tuple[int, int]] = Field(
        default_factory=list,
        description="(offset in the passage text, page) where a new PDF page begins inside it.",
    )
    start: int = Field(description="Character offset into the document's cleaned text.")
    end: int
    kind: Kind = "tekst"
    doc_kind: str = Field("overig", description="Kind of document: handreiking, nieuws, ...")
    themes: list[str] = Field(default_factory=list)
    regions: list[str] = Field(default_factory=list)
    source: str = Field("", description="File the document was read from.")
    score: float | None = Field(None, description="Retrieval score (set by retrieval only).")

    @staticmethod
    def make_id(doc_id: str, start: int, end: int, text: str) -> str:
        h = hashlib.sha256(f"{doc_id}\x00{start}\x00{end}\x00{text}".encode()).hexdigest()
        return f"{doc_id[:40]}-{h[:16]}"

    @classmethod
    def create(cls, **fields) -> Passage:
        fields["id"] = cls.make_id(fields["doc_id"], fields["start"], fields["end"], fields["text"])
        return cls(**fields)

    def page_at(self, offset: int) -> int | None:
        """PDF page of a character offset in the passage text (e.g. of a quoted sentence)."""
        page = self.page
        for off, pg in self.page_marks:
            if off <= offset:
                page = pg
        return page

    @property
    def location(self) -> str:
        """Human-readable place in the document: page and/or section."""
        parts = []
        if self.page is not None:
            parts.append(
                f"p. {self.page}"
                if self.page_end in (None, self.page)
                else f"p. {self.page}-{self.page_end}"
            )
        if self.section:
            parts.append(self.section)
        return ", ".join(parts)

    def to_metadata(self, extra: dict | None = None) -> dict:
        """Flat metadata for Chroma: scalars, and non-empty lists of strings only."""
        meta: dict = {
            "doc_id": self.doc_id,
            "title": self.title,
            "section": self.section,
            "start": self.start,
            "end": self.end,
            "kind": self.kind,
            "doc_kind": self.doc_kind,
            "source": self.source,
            # Chroma refuses empty lists, so lists are also kept as JSON for a lossless round trip.
            "themes_json": json.dumps(self.themes, ensure_ascii=False),
            "regions_json": json.dumps(self.regions, ensure_ascii=False),
        }
        if self.themes:
            meta["themes"] = list(self.themes)
        if self.regions:
            meta["regions"] = list(self.regions)
        if self.page is not None:
            meta["page"] = self.page
            meta["page_end"] = self.page_end if self.page_end is not None else self.page
        if self.page_marks:
            meta["page_marks_json"] = json.dumps(self.page_marks)
        if extra:
            meta.update(extra)
        return meta

    @classmethod
    def from_record(cls, id: str, text: str, meta: dict, score: float | None = None) -> Passage:
        return cls(
            id=id,
            doc_id=meta["doc_id"],
            title=meta.get("title", ""),
            text=text,
            section=meta.get("section", ""),
            page=meta.get("page"),
            page_end=meta.get("page_end"),
            page_marks=[tuple(x) for x in json.loads(meta.get("page_marks_json", "[]"))],
            start=int(meta["start"]),
            end=int(meta["end"]),
            kind=meta.get("kind", "tekst"),
            doc_kind=meta.get("doc_kind", "overig"),
            themes=json.loads(meta.get("themes_json", "[]")),
            regions=json.loads(meta.get("regions_json", "[]")),
            source=meta.get("source", ""),
            score=score,
        )

    def public_dict(self) -> dict:
        """The JSON shape of a passage in `search --json` / `ask --json` (a contract: extend
        only)."""
        return {
            "id": self.id,
            "doc_id": self.doc_id,
            "title": self.title,
            "page": self.page,
            "section": self.section,
            "kind": self.kind,
            "themes": self.themes,
            "regions": self.regions,
            "text": self.text,
            "score": None if self.score is None else round(float(self.score), 4),
            "start": self.start,
            "end": self.end,
            "doc_kind": self.doc_kind,
            "source": self.source,
        }
