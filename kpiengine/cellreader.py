"""How a column's cells are read in a scan: the SQL of a cell's value and of its bad-cell
test, and Python's reading of one cell (the same grammar) to say why it is bad.

A number column's reader may say what the column holds (`quantity`: `amount`, `count`,
`plain`, `rate`; see `fileformats.quantities`): a percentage in a column of amounts or counts,
a currency in a column of counts or rates, is then a bad cell at its `file:line:column`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .errors import KpiError
from .fileformats import CellError, DateFormat, read_number
from .fileformats.dateformat import is_typed_day
from .fileformats.durations import bad_duration_sql, duration_sql, parse_duration
from .fileformats.missing import ERROR_PATTERN, is_spreadsheet_error
from .fileformats.numbers import bad_number_sql, number_sql
from .fileformats.quantities import QUANTITIES
from .fileformats.sql import WHITESPACE, Expr, anchored, shown
from .sqlgen import quote_ident, quote_text

if TYPE_CHECKING:
    from .fileformats.tables import FileTable

__all__ = [
    "Reader",
    "as_text",
    "number_readers",
    "raise_spreadsheet_errors",
    "spaced",
    "trim_sql",
    "trimmed_sql",
]


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
    #: a cell of the file telling its decimal mark (`23.01`), asked for on the error path only
    told: Callable[[], str | None] | None = field(default=None, compare=False, repr=False)

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
                return _number_error(text, self.decimal, self.quantity, self.told)
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


def trim_sql(text: str, full: bool = True) -> str:
    """SQL for text SQL trimmed of the reading layer's whitespace (`sql.WHITESPACE`: tab,
    no-break and zero-width spaces, a stray BOM), as every cell is; `full=False`: DuckDB's own
    `trim` (spaces), a twelfth of the cost, for a column whose cells hold no other
    (`spaced`)."""
    return f"trim({text}, {quote_text(WHITESPACE)})" if full else f"trim({text})"


def trimmed_sql(text: str, empty: str, full: bool = False) -> str:
    """SQL for text SQL trimmed, `empty` when nothing is left (dimensions, `where` tests);
    `full`: of every whitespace (`trim_sql`)."""
    return f"coalesce(nullif({trim_sql(text, full)}, ''), {quote_text(empty)})"


#: Whitespace DuckDB's `trim` may leave at the ends of a cell: all of it but the space.
_OTHER_SPACES = WHITESPACE.replace(" ", "")


def spaced(table: FileTable, column: str) -> bool:
    """Whether a text column's cells need the full trim (`trim_sql`): a sampled cell begins or
    ends with whitespace other than a space (`paid\\t`, `\\u200bpaid`; an export that writes
    one writes it throughout). The sample decides: the full trim costs a second a million
    rows, which no row past the sample is made to pay."""
    if column not in table.columns or table.type_of(column).upper() != "VARCHAR":
        return False
    return any(c[:1] in _OTHER_SPACES or c[-1:] in _OTHER_SPACES
               for c in table.cells(column) if c)  # fmt: skip


def number_readers(
    decimals: dict[str, str],
    quantity: str,
    told: Callable[[FileTable], str | None] | None = None,
) -> Callable[[FileTable], Reader]:
    """The reader of each file's number column holding `quantity`: the file's decimal mark
    (`told`: a cell of the file telling it, for the error of a cell in the other mark)."""
    return lambda t: Reader(
        "number", decimals[t.name], quantity=quantity, told=told and (lambda: told(t))
    )


def raise_spreadsheet_errors(tables: list[FileTable], columns: list[str]) -> None:
    """The error of the first spreadsheet error value (`#N/A`) in the first of `columns` (the
    ids of `count:` and `distinct:`, which the scan found holding one): the row's id is
    unknown, so it can be neither counted nor left out."""
    pattern = quote_text(anchored(ERROR_PATTERN))
    for column in columns:
        for table in tables:
            if column not in table.columns:
                continue
            bad = f"regexp_full_match(CAST({quote_ident(column)} AS VARCHAR), {pattern})"
            cell = table.first_cell(column, bad, is_spreadsheet_error)
            if cell is not None:
                raise KpiError(
                    f"`{shown(cell[1].strip(WHITESPACE))}` in column `{column}` is a spreadsheet "
                    "error value (a formula failed): the row cannot be counted, nor left out",
                    cell[0],
                    "fix the formula and export again, or empty the cells of rows without one",
                )


def _number_error(
    text: str, decimal: str, quantity: str, told: Callable[[], str | None] | None
) -> CellError | None:
    """Why a number cell is bad; one that reads with the other decimal mark says so (as the
    sample's guess does, `decimals.guess_decimal`), wherever its row."""
    try:
        read_number(text, decimal, quantity)
    except CellError as exc:
        other = "," if decimal == "." else "."
        try:
            read_number(text, other, quantity)
        except CellError:
            return exc
        example = told() if told is not None else None
        numbers = f"`{shown(example)}`" if example else "the file's numbers"
        return CellError(
            text,
            f"{exc.expected.partition(': ')[0]}: written with `{other}` as the decimal mark "
            f"where {numbers} {'has' if example else 'have'} `{decimal}`: the cells mix "
            "decimal marks",
            "export the file again in one number format, or set the source's `decimal:`",
        )
    return None
