"""A deals export's outcome column beside its stage column (not a plugin module).

Pipedrive and other CRMs export a deal's last pipeline stage (`Negotiation`, `Proposal`,
`Qualified`) and, in another column, whether it was won, lost or is still open (`Status`,
`Deal - Status`): the stage of a won deal is the stage it was won in, so classing deals by it
counts won deals as open. A column whose sampled cells are all outcome words (`Won`, `Lost`,
`Open` and their forms in the main CRM languages, `_crm_hints.guess`'s won and lost words), at
least one won or lost, is that column: the `status` role. A generic export's is found by its
cells (HubSpot's and Salesforce's exports class deals by their stages and flags, unchanged); any
export's is named with `columns: {status: COLUMN}`. A deal is classed by its status first, by
its stage when the status says nothing (an empty cell, Pipedrive's `Deleted`). An export
without a stage column reads the status column as its stage.

Every test reads the sample only; the scan reads the status with one MAP lookup per row, on the
exports that have one.
"""

from __future__ import annotations

from collections.abc import Sequence

from kpiengine.fileformats.tables import FileTable
from kpiengine.sqlgen import quote_text

from . import _crm_hints as hints

#: Outcome words as exports write them (lower case): English, German, French, Spanish,
#: Portuguese, Italian, Dutch, Swedish, Danish, Norwegian, Polish.
WORDS = {
    "won": ("won", "win", "closed won", "gewonnen", "gagné", "gagnée", "ganado", "ganada",
            "ganho", "ganha", "vinto", "vinta", "vunnen", "vundet", "wygrana", "wygrany"),
    "lost": ("lost", "closed lost", "verloren", "perdu", "perdue", "perdido", "perdida",
             "perso", "persa", "förlorad", "förlorat", "tabt", "tapt", "przegrana",
             "przegrany"),
    "open": ("open", "offen", "ouvert", "ouverte", "en cours", "abierto", "abierta", "aberto",
             "aberta", "aperto", "aperta", "öppen", "öppet", "åben", "åpen", "otwarta",
             "otwarty"),
}  # fmt: skip
VOCABULARY = {word: klass for klass, words in WORDS.items() for word in words}
#: Pipedrive's fourth status, in those languages: no outcome (the stage classes the deal), but
#: no sign that the column is not one of outcomes either.
NEUTRAL = frozenset(
    ("deleted", "gelöscht", "supprimé", "supprimée", "eliminado", "eliminada", "excluído",
     "excluída", "eliminato", "eliminata", "verwijderd", "borttagen", "slettet", "usunięta")
)  # fmt: skip


def outcome(cell: str) -> str | None:
    """won, lost or open when a cell is an outcome word, else None."""
    text = cell.strip()
    if not text:
        return None
    return VOCABULARY.get(text.lower()) or hints.guess(text)


def _cells(tables: Sequence[FileTable], column: str) -> list[str]:
    return [c.strip() for t in tables if column in t.columns for c in t.cells(column)]


def _share(cells: list[str], loose: bool) -> float:
    """The share of the filled cells that are outcome words (or `NEUTRAL`), 0 without a won or
    lost one; not `loose`: 0 at the first other one (most columns stop at their first cell)."""
    filled = [c for c in cells if c]
    known, decisive = set(), False
    for cell in dict.fromkeys(filled):
        klass = outcome(cell)
        if klass or cell.lower() in NEUTRAL:
            known.add(cell)
            decisive = decisive or klass in ("won", "lost")
        elif not loose:
            return 0.0
    return sum(c in known for c in filled) / len(filled) if decisive else 0.0


def outcome_columns(tables: Sequence[FileTable], taken: set[str], loose: bool = False) -> list[str]:
    """The columns, but those `taken`, whose sampled cells are all outcome words (empty cells
    aside), at least one won or lost; `loose`: at least half of them (for a hint)."""
    out = []
    for column in tables[0].columns:
        if column not in taken and _share(_cells(tables, column), loose) >= (0.5 if loose else 1.0):
            out.append(column)
    if len(out) > 1:  # a column named so first (`Status` beside `Previous status`?)
        out.sort(key=lambda c: "status" not in c.casefold())
    return out


def status_sql(text: str, tables: Sequence[FileTable], column: str) -> str:
    """SQL for a deal's class by its status (`text`: its trimmed cell), NULL when the cell is
    no outcome word: the sample's cells as written, then the vocabulary in lower case."""
    seen = {c: outcome(c) for c in dict.fromkeys(_cells(tables, column)) if c}
    pairs = ", ".join(f"{quote_text(c)}: {quote_text(k)}" for c, k in seen.items() if k)
    vocabulary = ", ".join(f"{quote_text(w)}: {quote_text(k)}" for w, k in VOCABULARY.items())
    lowered = f"MAP {{{vocabulary}}}[lower({text})]"
    return f"coalesce(MAP {{{pairs}}}[{text}], {lowered})" if pairs else lowered
