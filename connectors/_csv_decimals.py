"""Which cells of a `csv` source's files tell their decimal mark (not a plugin module)."""

from __future__ import annotations

from collections.abc import Callable

from kpiengine.fileformats.decimals import deciding
from kpiengine.fileformats.tables import FileTable


def telling(decimals: dict[str, str], columns: list[str]) -> Callable[[FileTable], str | None]:
    """A sampled cell of a file's number `columns` telling its decimal mark (error path)."""
    return lambda t: deciding([c for n in columns if n in t.columns for c in t.cells(n)],
                              decimals[t.name])  # fmt: skip


def other_export(table: FileTable, tellers: list[FileTable]) -> bool:
    """Whether a file is another export than the files telling the decimal mark: its delimiter
    differs from theirs (`;` where a locale writes `,` as the decimal mark, `,` where `.`)."""
    own = table.sniffed.delimiter if table.sniffed else None
    others = [t.sniffed.delimiter if t.sniffed else None for t in tellers]
    return own is not None and bool(others) and own not in others


def voting(table: FileTable, column: str) -> list[str]:
    """The cells of a column that `decimal_of` samples: the sampled rows', then the totals'."""
    if column not in table.columns:  # as `decimal_of`: another file's spelling is not sampled
        return []
    index = table.columns.index(column)
    totals = [t.cells[index] if index < len(t.cells) else "" for t in table.totals]
    return table.cells(column) + totals
