"""The built-in library as plain text (ids, aliases, titles, formulas) and title normalisation.

For the load-stage checks, which may not load a workspace (the library is loaded by the same
loader): the YAML is read as data, without locations or validation.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass

import yaml

from ..resources import builtin_definitions

PARENS = re.compile(r"[(（]([^()（）]*)[)）]")


@dataclass(frozen=True)
class LibraryKpi:
    id: str
    formula: str
    aliases: tuple[str, ...]
    title: str  # English, else any


@functools.lru_cache(maxsize=1)
def library_kpis() -> tuple[LibraryKpi, ...]:
    """Every built-in KPI with a text formula."""
    out = []
    for _name, text in builtin_definitions():
        data = yaml.safe_load(text) or {}
        for kpi_id, entry in (data.get("kpis") or {}).items():
            if not isinstance(entry, dict) or not isinstance(entry.get("formula"), str):
                continue
            title = entry.get("title")
            if isinstance(title, dict):
                title = title.get("en") or next(iter(title.values()), "")
            aliases = tuple(str(a) for a in entry.get("aliases") or ())
            out.append(LibraryKpi(str(kpi_id), entry["formula"], aliases, str(title or kpi_id)))
    return tuple(out)


def normalised(text: str) -> str:
    """Case-folded, without spaces, punctuation or symbols: `Cost-per  Lead!` -> `costperlead`."""
    text = unicodedata.normalize("NFKC", text).casefold().replace("_", " ")
    return "".join(c for c in text if unicodedata.category(c)[0] not in "PZSC")


def title_names(title: str) -> set[str]:
    """A title's normalised names: whole, without its parentheses, and each parenthesised part."""
    names = {normalised(title), normalised(PARENS.sub(" ", title))}
    names.update(normalised(part) for part in PARENS.findall(title))
    return {n for n in names if n}
