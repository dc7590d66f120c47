"""What every file connector does the same way: export profiles, files of one layout, columns by
role, a file's decimal mark and date formats, typed columns.

An export is described by a `Profile`, data in the way sqlglot describes SQL dialects: its
column roles (the headers that play each, any case, the first present wins), its totals rule
(which rows total the others), its currency rule (where the currency is written) and its date
rule (a format, or detected with a day/month preference). A connector keeps a table of profiles
and overrides what differs in a few methods. (A little longer than 420 lines: the rules that
read a source's files alike, layout, decimal mark and date format, are kept together.)
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from .connector import Option
from .errors import KpiError, Location, did_you_mean
from .fileformats import CellError, DateFormat, detect_date_format, guess_decimal, read_number
from .fileformats.dates import DECIDING, AmbiguousDates
from .fileformats.decimals import deciding
from .fileformats.percents import is_percent, mixed, mixed_message
from .fileformats.quantities import reads
from .fileformats.sql import quote_ident, quote_text
from .fileformats.tables import FileTable, open_tables, run_sql
from .fileformats.typedfiles import json_numbers, numeric_days
from .sourceconfig import Mapping as Mapped
from .sourceconfig import SourceConfig

#: Distinct cells of a column that decide its decimal mark or date format.
SAMPLE = 300
DECIDING_CELLS = 20  # cells of the whole file that may tell day/month (`_deciding_days`)
_MARK = re.compile("[.,\uff0c\uff0e]")  # a cell `guess_decimal` reads both ways

__all__ = [
    "Profile",
    "count_columns",
    "date_format_of",
    "decimal_of",
    "find",
    "no_rows",
    "open_files",
    "require",
    "require_rows",
    "same_layout_of",
    "typed",
]


@dataclass(frozen=True)
class Profile:
    """How one kind of export is written (see the module)."""

    name: str
    roles: dict[str, tuple[str, ...]] = field(default_factory=dict)
    totals: str = "label"  # label: a `Total` label in the first field; empty: or an empty one
    currency: str = "cells"  # cells: marks in the amounts; column: a code column; header: `(EUR)`
    day_first: bool | None = None  # the date order when the dates themselves do not tell
    date_format: str | None = None  # a fixed format (None: detected)


def display(path: Path, root: Path) -> str:
    """A file as messages name it: relative to the workspace when inside it."""
    try:
        return str(path.relative_to(root))
    except ValueError:
        return str(path)


def open_files(
    config: SourceConfig,
    *,
    delimiter: str | None = None,
    header_line: int | None = None,
    encoding: str | None = None,
    empty_label_is_total: bool = False,
    every_table: bool = False,
    same_layout: bool = True,
) -> list[FileTable]:
    """The tables of the files a source's `path` names; with `same_layout`, every file must
    have the first one's columns, in any order (exports of one report whose columns were
    moved): names compared as `find` compares them, without case or surrounding spaces. The
    readers read every file's columns by name (`FileTable.cells`, the scan's `UNION ALL BY
    NAME`), never by position."""
    tables = []
    for path in config.paths():
        tables += open_tables(
            path,
            display(path, config.root),
            delimiter=delimiter,
            header_line=header_line,
            encoding=encoding,
            empty_label_is_total=empty_label_is_total,
            every_table=every_table,
        )
    return same_layout_of(tables) if same_layout else tables


def same_layout_of(tables: list[FileTable], read: Iterable[str] | None = None) -> list[FileTable]:
    """The tables, each with the first one's columns, spelt as it spells them; `read`: only
    those must be in every file, the others may differ (a rate column added to a saved report
    between two monthly downloads)."""
    first, out = tables[0], tables[:1]
    names = sorted(_name(c) for c in first.columns)
    wanted = None if read is None else {_name(c) for c in read}
    for other in tables[1:]:
        mine = sorted(_name(c) for c in other.columns)
        if mine != names if wanted is None else not wanted <= set(mine):
            raise KpiError(
                f"the columns differ from {first.name}'s ({', '.join(first.columns)}): "
                f"{_difference(first, other)}",
                other.header(),
                "export the files with the same columns (their order does not matter): the "
                "files of a source are one report's",
            )
        out.append(_spelt(other, first))
    return out


def _spelt(table: FileTable, first: FileTable) -> FileTable:
    """A delimited file's table with its columns named as the first file spells them (`Close
    Date` for its `close date`), each where the file has it: every reader names them so."""
    spelling = {_name(c): c for c in first.columns}
    columns = [spelling.get(_name(c), c) for c in table.columns]
    if columns == table.columns:
        return table
    if table.sniffed is None:  # Parquet, JSON: DuckDB matches their names without case
        return dataclasses.replace(table, columns=columns)  # `native`: as the file has them
    sniffed = dataclasses.replace(table.sniffed, columns=columns)
    return dataclasses.replace(table, columns=sniffed.column_names(), sniffed=sniffed)


def _name(column: str) -> str:
    return column.strip().lower()


def _difference(first: FileTable, other: FileTable) -> str:
    """What a file's columns have that the first file's lack, and the other way round."""
    mine, theirs = Counter(map(_name, other.columns)), Counter(map(_name, first.columns))
    extra = [c for c in other.columns if (mine - theirs)[_name(c)]]
    missing = [c for c in first.columns if (theirs - mine)[_name(c)]]
    parts = [f"it has {', '.join(extra)} besides"] if extra else []
    parts += [f"it lacks {', '.join(missing)}"] if missing else []
    return f"{other.name}: {'; '.join(parts) or 'the same names, repeated otherwise'}"


def find(table: FileTable, names: Iterable[str]) -> str | None:
    """The first of `names` that is a column of the table (any case), as the file spells it."""
    lowered = {c.strip().lower(): c for c in table.columns}
    return next((lowered[n.lower()] for n in names if n.lower() in lowered), None)


def require(table: FileTable, column: str, what: str = "column") -> str:
    """The column as the file spells it; an error with the closest name otherwise."""
    found = find(table, [column])
    if found is not None:
        return found
    close = did_you_mean(column, table.columns)
    hint = f"; did you mean `{close}`?" if close else ""
    raise KpiError(
        f"no {what} `{column}`{hint} (columns: {', '.join(table.columns)})", table.header()
    )


def _cell_location(table: FileTable, column: str, text: str, scan: bool = False) -> Location:
    """Where a cell is (its first occurrence), for an error about it: in the sample, a totals
    row, or (`scan`: a cell of the whole file, `FileTable.marked_cells`) found by reading the
    file (never on the way to a result: `date_format_of` places its first cell eagerly)."""
    if table.sniffed is not None:
        index = table.columns.index(column)
        for record in table.sniffed.sample:
            if index < len(record.fields) and record.fields[index] == text:
                return table.location(record.line, column)
        for total in table.totals:
            if index < len(total.cells) and total.cells[index] == text:
                return table.location(total.line, column)
    if scan and not table.complete:
        bad = f"{quote_ident(column)} = {quote_text(text)}"
        found = table.first_cell(column, bad, lambda cell: cell == text)
        if found is not None:
            return found[0]
    return table.header(column)


def count_columns(read: Iterable[tuple[str | None, Mapped]], counts: frozenset[str]) -> set[str]:
    """The value columns of whole counts, for `decimal_of(whole=...)`: every mapping reading the
    column (`read`: column, mapping) is of a variable in `counts` (`SourceConfig.counts`),
    without `currency:` or `scale:`; a column one mapping reads as an amount stays one."""
    counted: dict[str, bool] = {}
    for column, m in read:
        if column:
            count = m.variable in counts and not m.currency and m.scale == 1.0
            counted[column] = counted.get(column, True) and count
    return {column for column, count in counted.items() if count}


def decimal_of(
    table: FileTable,
    columns: Iterable[str],
    option: str | None = None,
    default: str | None = None,
    whole: Iterable[str] = (),
    currency: str | Mapping[str, str] | None = None,
    quantities: Mapping[str, str] | None = None,
) -> str:
    """The decimal mark of a table's number columns: the `decimal:` option, else the sampled
    cells' (`guess_decimal`, over the cells of every column at once: `whole` columns hold
    counts, `currency` is the amounts' currency, one code or a code by column), else
    `default`. Every cell votes together, so that the mark does not depend on the columns a
    request reads: a count voting for `,` beside an amount voting for `.` is an error. When
    no sampled cell votes (the mark would be `default`'s or the grouping rule's), the marked
    cells of the whole table vote too (`FileTable.marked_cells`, one query on a file larger
    than its sample): a cell means the same whatever its row, `1.000` at line 5000 as at line
    5. A sampled column mixing percentages with plain numbers beyond ±1 is an error too
    (`percents.mixed`; a scan counts every cell), but in a column whose kind refuses
    percentages (`whole` counts, `quantities`: column -> `Request.quantities` kind such as
    `amount`): the scan's error names its `45%` cell. Typed columns (Parquet, JSON numbers)
    have no decimal mark: only text columns are sampled."""
    present = [c for c in columns if c in table.columns and table.type_of(c) == "VARCHAR"]
    counts = {c for c in whole if c in table.columns}
    kinds = quantities or {}
    rated = [c for c in present if c not in counts and reads(kinds.get(c, ""))[0]]
    if option:
        _check_percents(table, rated, option)
        return option
    cells = [(c, t) for c in present for t in _spread(table.cells(c))[:100]]
    cells += [(c, t.cells[table.columns.index(c)]) for c in present for t in table.totals]

    def guess(cells: list[tuple[str, str]], default: str | None) -> str:
        amounts: str | dict[str, str] | None = None
        if isinstance(currency, Mapping):
            amounts = {t: currency[c] for c, t in cells if currency.get(c)}
        elif currency:
            amounts = {t: currency for c, t in cells if c not in counts}
        try:
            return guess_decimal(
                [t for _, t in cells],
                whole={t for c, t in cells if c in counts},
                default=default,
                currency=amounts,
            )
        except CellError as exc:
            column = next((c for c, t in cells if t == exc.text), present[0] if present else None)
            where = _cell_location(table, column, exc.text, True) if column else table.header()
            raise exc.at(where) from None

    mark = guess(cells, ".")
    if mark == "." and guess(cells, ",") == ",":  # the default's mark, or grouping's: ask all
        cells += _marked(table, present, cells)
        mark = guess(cells, default)
    _check_percents(table, rated, mark)
    return mark


def own_decimal(
    table: FileTable, columns: list[str], **guessing: object
) -> tuple[str, str, Location] | None:
    """A file's decimal mark by its own cells alone (`decimal_of` without a default: the
    grouping rule reads `1.500 €` as 1500), the cell telling it and its place; None when no
    cell's value depends on the mark (or the cells cannot tell: an error of `decimal_of`)."""
    try:
        mark = decimal_of(table, columns, **guessing)  # type: ignore[arg-type]
    except KpiError:
        return None
    present = [c for c in columns if c in table.columns and table.type_of(c) == "VARCHAR"]
    cells = [(c, t) for c in present for t in table.cells(c)] + _marked(table, present, [])
    text = deciding([t for _, t in cells], mark)
    if text is None:
        return None
    column = next(c for c, t in cells if t == text)
    return mark, text, _cell_location(table, column, text, True)


def _marked(
    table: FileTable, columns: list[str], seen: list[tuple[str, str]]
) -> list[tuple[str, str]]:
    """The table's distinct cells with a mark beyond `seen`: every sampled one when the sample
    is the whole table, else the file's (`FileTable.marked_cells`)."""
    if table.complete:
        found = [(c, t) for c in columns for t in table.cells(c) if _MARK.search(t)]
    else:
        found = table.marked_cells(columns)
    known = set(seen)
    return [cell for cell in dict.fromkeys(found) if cell not in known]


def _check_percents(table: FileTable, columns: list[str], decimal: str) -> None:
    """The error of a sampled column mixing percentages with plain numbers beyond ±1."""
    for column in columns:
        cells = table.cells(column)
        if not any(map(is_percent, cells)):
            continue
        found = mixed(cells, decimal)
        if found is not None:
            plain, percent = found
            message, fix = mixed_message(
                column,
                (plain, read_number(plain, decimal).value),
                (percent, read_number(percent, decimal).value),
                _cell_location(table, column, percent).line,
            )
            raise KpiError(message, _cell_location(table, column, plain), fix)


def require_rows(tables: list[FileTable]) -> None:
    """KpiError naming the first file when no table has a data row (a header alone, or
    with its preamble and totals rows): an empty export says neither which days it covers
    nor that its values are zero, so it is not read as an empty period. A file without rows
    beside files with rows adds nothing."""
    if tables and not any(t.sample for t in tables):
        raise no_rows(tables[0])


def no_rows(table: FileTable) -> KpiError:
    """The error of a table without data rows, at its header."""
    if table.sniffed is None:
        return KpiError("the file has no rows", table.header())
    totals = ", only totals rows" if table.totals else ""
    return KpiError(
        f"no data rows under the header{totals}: the export is empty",
        table.header(),
        "export the report again over a period with data, or leave the file out of the "
        "source's `path:`",
    )


def date_format_of(
    tables: list[FileTable],
    column: str,
    option: str | None = None,
    *,
    within: tuple[dt.date, dt.date] | None = None,
    day_first: bool | None = None,
    extra: Iterable[str] = (),
) -> DateFormat:
    """The format of a date column from the sampled cells of every table (and `extra` cells
    of other date columns that settle day/month), or the `date_format:` option."""
    table = tables[0]
    require_rows(tables)
    for typed_ in (t for t in tables if t.sniffed is None and column in t.columns):
        _numeric_days(typed_, column)
    cells = [(t, c) for t in tables if column in t.columns for c in _spread(t.cells(column))]
    texts = [c for _, c in cells] + _spread(list(extra))
    scanned = len(cells)  # the cells from here on are found in the files (placed by a query)

    def locate(i: int) -> Location:
        if i >= len(cells):
            return table.header(column)
        where, text = cells[i]
        return _cell_location(where, column, text, scan=i >= scanned)

    def detect() -> DateFormat:
        return detect_date_format(
            texts,
            date_format=option,
            excel_serials=True,
            day_first=day_first,
            within=within,
            column=column,
            locate=locate,
        )

    try:
        return detect()
    except ValueError as exc:  # a `date_format:` this reader cannot use
        raise KpiError(f"`date_format`: {exc}", table.header(column)) from None
    except AmbiguousDates:  # the sample reads either way (no `date_format:`): the rest may not
        deciding = [(t, c) for t in tables for c in _deciding_days(t, column)]
        if not deciding:
            raise
        texts[len(cells) : len(cells)] = [c for _, c in deciding]
        cells.extend(deciding)
        return detect()


def _deciding_days(table: FileTable, column: str) -> list[str]:
    """Cells of a date column beyond the table's sample with a field of 13 to 31 (`13/01/2024`),
    which tell day/month from month/day: one query, only when the sample cannot tell."""
    if table.complete or column not in table.columns:
        return []
    text = table.typed({column: "VARCHAR"}) if table.kind == "csv" else table
    cell = f"CAST({quote_ident(column)} AS VARCHAR)"
    sql = (
        f"SELECT DISTINCT {cell} FROM {text.reader()} WHERE {text.keep_sql()} AND "
        f"regexp_matches({cell}, {quote_text(DECIDING)}) LIMIT {DECIDING_CELLS}"
    )
    return [str(row[0]) for row in run_sql(sql, table)]


def _numeric_days(table: FileTable, column: str) -> None:
    """A Parquet or JSON date column of numbers: an error (spreadsheet serials, epoch times)."""
    type_ = table.type_of(column)
    first = next((c for c in table.cells(column) if c), "")
    if type_ == "VARCHAR" and re.fullmatch(r"-?[0-9]+(\.[0-9]+)?", first):
        type_ = json_numbers(table, column) or type_  # JSON integers are read as text
    if not re.fullmatch(r"U?(TINY|SMALL|BIG|HUGE)?INT(EGER)?|DOUBLE|FLOAT|DECIMAL.*", type_):
        return
    kind = "Parquet" if table.kind == "parquet" else "JSON"
    serial, fix = numeric_days(first, kind)
    raise KpiError(
        f"the date column `{column}` is a {kind} {type_} column ({first or 'empty'}), where dates "
        f"were expected{serial}",
        Location(table.name),
        fix,
    )


def _spread(cells: list[str]) -> list[str]:
    """At most `SAMPLE` distinct cells, spread over the sample (detection reads each one)."""
    distinct = list(dict.fromkeys(cells))
    step = max(1, len(distinct) // SAMPLE)
    return distinct[::step][:SAMPLE]


def typed(
    table: FileTable, numbers: Iterable[str], decimal: str, dates: dict[str, str]
) -> FileTable:
    """The table with the columns DuckDB can parse itself typed: plain numbers (with `.` as the
    decimal mark) as DOUBLE, ISO days (with or without a time) as TIMESTAMP, which DuckDB
    reads strictly (its DATE reads `2024-01-01 junk` as a day). A later cell DuckDB cannot
    parse makes the scan read that column as text again (see `Scan.run`). Differences with
    the grammar are known, in cells after the sample of a column typed by it: DuckDB reads
    `24:00` as the next day's start, as ISO 8601 says, where the grammar rejects the hour, and
    `1_000` and `+-5` as numbers (1000, -5), where the grammar rejects them."""
    types: dict[str, str] = {}
    if decimal == ".":
        types |= {c: "DOUBLE" for c in numbers if table.suits(c, "DOUBLE")}
    iso = ("%Y-%m-%d", "%Y-%m-%d%~")
    types |= {
        c: "TIMESTAMP" for c, spec in dates.items() if spec in iso and table.suits(c, "TIMESTAMP")
    }
    return table.typed(types) if types else table


def date_format_option(example: str = "%d/%m/%Y") -> Option:
    """The `date_format` option of a file connector (its dates in one strptime format)."""
    help_text = f"strptime format of the dates, e.g. '{example}' (default: detected)"
    return Option("date_format", help_text, kind="text", expected="is a strptime format (text)")


def decimal_option(default: str = "detected per file") -> Option:
    """The `decimal` option of a file connector (the decimal mark of its numbers)."""
    help_text = f"decimal separator, `.` or `,` (default: {default})"
    return Option("decimal", help_text, kind="text", choices=(".", ","))
