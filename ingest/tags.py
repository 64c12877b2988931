"""Theme and region tags from the taxonomy file (corpus/taxonomy.yaml).

>>> from ingest.settings import BUNDLED_TAXONOMY
>>> tx = Taxonomy.load(BUNDLED_TAXONOMY)
>>> tx.themes_for("Maak een analyse van de vervoersstromen van leerlingen.")
['leerlingenvervoer']
>>> tx.regions_for("Bij de bouw van schoolcampus Porteum heeft de gemeente Lelystad ...")
['Lelystad']
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml


@dataclass(frozen=True)
class Theme:
    key: str
    label: str
    pattern: re.Pattern[str]


@dataclass(frozen=True)
class Taxonomy:
    themes: tuple[Theme, ...]
    regions: tuple[tuple[str, re.Pattern[str]], ...]
    fingerprint: str  # hash of the file: part of the index fingerprint

    @classmethod
    def load(cls, path: Path) -> Taxonomy:
        """The vocabulary in ``path`` (``Settings.taxonomy_file``); there is no implicit default,
        so a custom file cannot be bypassed by a call site that forgot to pass it."""
        # Keyed on the content, not the path: an edited file must change the fingerprint (and so
        # rebuild the index) in a long-running process too, e.g. the app between two uploads.
        raw = Path(path).read_bytes()
        return _load(raw)

    @property
    def theme_keys(self) -> list[str]:
        return [t.key for t in self.themes]

    def label(self, key: str) -> str:
        return next((t.label for t in self.themes if t.key == key), key)

    def themes_for(self, text: str, section: str = "") -> list[str]:
        """Themes whose patterns occur in the text or in the section heading above it."""
        return [
            t.key
            for t in self.themes
            if t.pattern.search(text) or (section and t.pattern.search(section))
        ]

    def regions_for(self, text: str) -> list[str]:
        return [name for name, pat in self.regions if pat.search(text)]

    def match_theme(self, value: str) -> str | None:
        """Resolve user input ('huisvesting', 'Leerlingenvervoer') to a theme key."""
        v = value.strip().lower()
        for t in self.themes:
            if v in (t.key.lower(), t.label.lower()):
                return t.key
        hits = [t.key for t in self.themes if v and (v in t.key.lower() or v in t.label.lower())]
        return hits[0] if len(hits) == 1 else None

    def match_region(self, value: str) -> str | None:
        v = value.strip().lower()
        for name, pat in self.regions:
            if v == name.lower() or pat.search(value):
                return name
        return None


@lru_cache(maxsize=8)
def _load(raw: bytes) -> Taxonomy:
    data = yaml.safe_load(raw) or {}
    themes = []
    for key, spec in (data.get("themes") or {}).items():
        pats = list(spec.get("patterns", []))
        # Acronyms (all caps in the file) match case-sensitively as whole words, so "OZA" does
        # not fire inside other words; other patterns match case-insensitively at a word start
        # ("huisvesting" finds "huisvestingsplan" but not "onderwijshuisvesting").
        alts = []
        for p in pats:
            if re.fullmatch(r"[A-Z]{2,6}", p):
                alts.append(rf"(?-i:\b{p}\b)")
            else:
                alts.append(rf"\b{p}")
        themes.append(Theme(key, spec.get("label", key), re.compile("|".join(alts), re.I)))
    regions = []
    for name, aliases in (data.get("regions") or {}).items():
        alts = [re.escape(a) for a in (aliases or [name])]
        regions.append((name, re.compile(r"(?<!\w)(?:" + "|".join(alts) + r")(?!\w)", re.I)))
    return Taxonomy(tuple(themes), tuple(regions), hashlib.sha256(raw).hexdigest()[:12])
