"""How a column's cells are read in a scan: the SQL of a cell's value and of its bad-cell
test, and Python's reading of one cell (the same grammar) to say why it is bad.

A number column's reader may say what the column holds (`quantity`: `amount`, `count`,
`plain`, `rate`; see `fileformats.quantities`): a percentage in a column of amounts or counts,
a currency in a column of counts or rates, is then a bad cell at its `file:line:column`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .fileformats import CellError, DateFormat, read_number
from .fileformats.dateformat import is_typed_day
from .fileformats.durations import bad_duration_sql, duration_sql, parse_duration
from .fileformats.numbers import bad_number_sql, number_sql
from .fileformats.quantities import QUANTITIES
from .fileformats.sql import Expr
from .sqlgen import quote_ident, quote_text

if TYPE_CHECKING:
    from .fileformats.tables import FileTable

__all__ = ["Reader", "as_text", "number_readers", "trimmed_sql"]


@dataclass(frozen=True)
class Reader:
    """How a column's cells are read: `number` (a decimal mark; what the column holds,
    `quantity`, "" for any number), `date` (a format), `duration` (seconds) or `text`
    (trimmed)."""

    kind: str
    decimal: str = "."
    fmt: DateFormat | None = None
    what: str = ""  # what a cell should be, for messages (default: by the kind)
    quantity: str = ""

    def __post_init__(self) -> None:
        if self.quantity not in QUANTITIES:
            raise ValueError(f"a number column holds one of {sorted(QUANTITIES)}")

    def sql(self, column: str, type_: str, signs: bool = True) -> str:
        """SQL for a cell's value (`signs`: see `numbers.number_sql`)."""
        if self.kind == "number":
            return number_sql(column, self.decimal, type_, signs, self.quantity)
        if self.kind == "duration":
            return duration_sql(as_text(column, type_), self.decimal)
        if self.kind == "date":
            assert self.fmt is not None
            return self.fmt.sql(column, type_)
        return f"trim({as_text(column, type_)})"

    def bad_sql(self, column: str, type_: str, value: str) -> str:
        if self.kind == "number":
            return bad_number_sql(column, self.decimal, type_, value, self.quantity)
        if self.kind == "duration":
            return bad_duration_sql(as_text(column, type_), self.decimal, value)
        if self.kind == "date":
            assert self.fmt is not None
            if is_typed_day(type_):
                return self.fmt.bad_sql(column, type_, value)  # beyond the grammar's years
            return self.fmt.bad_sql(as_text(column, type_), "VARCHAR", value)
        return "FALSE"  # text is never bad

    def error(self, text: str) -> CellError | None:
        """Why a cell is bad (Python's reading, the same grammar), or None when it is good."""
        try:
            if self.kind == "number":
                read_number(text, self.decimal, self.quantity)
            elif self.kind == "duration":
                parse_duration(text, self.decimal)
            elif self.kind == "date":
                assert self.fmt is not None
                self.fmt.read(text)
        except CellError as exc:
            return exc
        return None

    @property
    def expected(self) -> str:
        if self.what:
            return self.what
        if self.kind == "date":
            assert self.fmt is not None
            if self.fmt.kind == "excel":
                return self.fmt.expected  # `excel` is no pattern to show
            return f"a date like {self.fmt.written}"
        if self.kind == "duration":
            return "a duration like 00:02:13 (or seconds)"
        return QUANTITIES[self.quantity][0]


def as_text(column: str, type_: str) -> str:
    """SQL for a column as text (a typed column cast to VARCHAR)."""
    col = str(column) if isinstance(column, Expr) else quote_ident(column)
    return Expr(col if type_.upper() == "VARCHAR" else f"CAST({col} AS VARCHAR)")


def trimmed_sql(text: str, empty: str) -> str:
    """SQL for text SQL trimmed, `empty` when nothing is left (dimensions, `where` tests)."""
    return f"coalesce(nullif(trim({text}), ''), {quote_text(empty)})"


def number_readers(decimals: dict[str, str], quantity: str) -> Callable[[FileTable], Reader]:
    """The reader of each file's number column holding `quantity`: the file's decimal mark."""
    return lambda t: Reader("number", decimals[t.name], quantity=quantity)
