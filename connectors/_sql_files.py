"""The `files:` of a `sql` source: CSV or Parquet files read as tables by an in-process engine.

`files: {deals: exports/deals.parquet}` names each table and its file, relative to the workspace
(or absolute), like every other file option. A CSV file is read by kpiengine's reading layer
into a typed Parquet file first (`_sql_csv`, as `Reading` says), the date range its preamble
states kept. Each
engine registers them before the aggregation: a DuckDB temporary view (file access limited to
exactly these files), a chDB `file()` table function in place of the table's name, a Spark
temporary view.
"""

from __future__ import annotations

import codecs
import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from kpiengine.connector import Mapping, SourceConfig
from kpiengine.errors import KpiError
from kpiengine.filesource import count_columns
from kpiengine.model import Aggregate

FORMATS = {".csv": "CSV", ".parquet": "Parquet"}
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class FilesError(ValueError):
    """A `files:` entry that cannot be used (the message says what was expected)."""


@dataclass(frozen=True)
class TableFile:
    """One file read as the table `name`."""

    name: str
    path: Path
    converted: bool = False  # the typed Parquet file kpiengine wrote from a CSV file
    #: the date range a CSV file states before its header (an export's `June 1, 2024 - July
    #: 31, 2024`): how far its rows go, days without activity left out (`_sql_csv`)
    stated: tuple[dt.date, dt.date] | None = None
    #: warnings of its rows beyond its grand totals row (`_sql_totals`)
    warnings: tuple[KpiError, ...] = ()

    @property
    def format(self) -> str:
        """`CSV` or `Parquet` (ClickHouse's format names)."""
        return FORMATS[self.path.suffix.lower()]


@dataclass(frozen=True)
class Reading:
    """How a source reads its CSV files: its options, and the roles its mappings give columns
    (`numbers`: a value column and the currency its amounts must be in, "" for any; `counts`:
    the value columns of whole counts, no amounts; `texts`: columns compared or shown as
    text)."""

    date_format: str | None = None
    decimal: str | None = None
    numbers: tuple[tuple[str, str], ...] = ()
    dates: tuple[str, ...] = ()
    texts: tuple[str, ...] = ()
    #: the source's date column and the columns whose cells a row can only hold with a date
    #: there (the value, `where:`, `count:` and `distinct:` columns of the mappings it dates)
    date: str | None = None
    dated: tuple[str, ...] = ()
    counts: tuple[str, ...] = ()
    #: what the variables asked for hold (`Request.quantities`, every request's so far), and
    #: so their value columns: a column the mappings of variables of one kind read
    kinds: tuple[tuple[str, str], ...] = ()
    quantities: tuple[tuple[str, str], ...] = ()
    #: the value columns a variable summed over time and segments reads plainly (no `where:`,
    #: `count:`, `distinct:`): compared with the file's grand total (`_sql_totals`)
    summed: tuple[str, ...] = ()
    #: text columns whose totals labels mark subtotal rows beyond the sample (`_sql_totals`)
    subtotals: tuple[str, ...] = ()
    encoding: str | None = None  # the `encoding:` option (None: from the bytes)


def holding(
    reading: Reading,
    mappings: Iterable[Mapping],
    asked: dict[str, str],
    rules: dict[str, Aggregate] | None = None,
) -> Reading:
    """`reading` with what the variables `asked` hold (`Request.quantities`) and the columns
    the variables summed by `rules` read (`Reading.summed`) added; the same reading when they
    add nothing (the typed file is then not written again)."""
    mappings = list(mappings)
    summed = set(reading.summed) | {
        m.column
        for m in mappings
        if m.column
        and (rule := (rules or {}).get(m.variable)) is not None
        and (rule.time, rule.segments) == ("sum", "sum")
        and not (m.count or m.distinct or m.where)
        and m.scale
    }
    if summed != set(reading.summed):
        reading = replace(reading, summed=tuple(sorted(summed)))
    kinds = dict(reading.kinds) | asked
    if kinds == dict(reading.kinds):
        return reading
    held: dict[str, set[str]] = {}
    for m in mappings:
        if m.column:
            held.setdefault(m.column, set()).add(kinds.get(m.variable, ""))
    columns = {c: k.pop() for c, k in held.items() if len(k) == 1 and "" not in k}
    return replace(
        reading, kinds=tuple(sorted(kinds.items())), quantities=tuple(sorted(columns.items()))
    )


def mapped_reading(
    config: SourceConfig, date: str, date_format: str | None, decimal: str | None
) -> Reading:
    """How the CSV file of the table `table:` names is read: the source's options, and the
    columns its mappings read as amounts (in which currency) or whole counts (every mapping of
    the column is of a variable in `config.counts`, without `currency:` or `scale:`), dates
    and text."""
    mappings = config.mappings.values()
    workspace = str(config.currency or "")
    numbers = {m.column: str(m.currency or workspace) for m in mappings if m.column}
    dates = {date, *(m.date for m in mappings if m.date)}
    texts = {*config.dimensions.values(), *(c for m in mappings for c in m.where)}
    texts |= {c for m in mappings for c in (m.present, m.distinct) if c}
    main = [m for m in mappings if m.date in (None, date)]
    dated = {c for m in main for c in (m.column, *m.where, m.distinct, m.present) if c}
    return Reading(
        date_format,
        decimal,
        tuple(sorted(numbers.items())),
        tuple(sorted(dates)),
        tuple(sorted(texts)),
        date,
        tuple(sorted(dated)),
        tuple(sorted(count_columns(((m.column, m) for m in mappings), config.counts))),
    )


def source_reading(source: Any) -> Reading:
    """How a source's CSV files are read (`source`: a SqlConnector): its options, and the
    roles its mappings give columns when `table:` names a file table, or in every file a
    `query:` reads (the columns of their names: `mapped_reading`)."""
    date_format, decimal = source.option("date_format"), source.option("decimal")
    encoding = str(source.option("encoding") or "auto")
    try:
        codecs.lookup("utf-8" if encoding == "auto" else encoding)
    except LookupError:
        raise source.config.error(
            f"unknown encoding `{encoding}`", "encoding", "e.g. utf-8, utf-16, cp1252, cp850"
        ) from None
    chosen = None if encoding == "auto" else encoding
    if source.option("table") not in {*(f.name for f in source.files), None}:
        return Reading(date_format, decimal, encoding=chosen)
    reading = mapped_reading(source.config, str(source.option("date")), date_format, decimal)
    return replace(reading, encoding=chosen)


def table_files(option: Any, root: Path) -> list[TableFile]:
    """The checked `files:` option: plain table names, existing CSV or Parquet files."""
    if option is None:
        return []
    if not isinstance(option, dict) or not option:
        raise FilesError("`files` maps table names to CSV or Parquet files, e.g. {deals: d.csv}")
    found = []
    for name, value in option.items():
        name = str(name)
        if not _NAME.fullmatch(name):
            raise FilesError(f"`files`: `{name}` is not a plain table name (letters, digits, _)")
        if not isinstance(value, str) or not value.strip():
            raise FilesError(f"`files`: `{name}` needs a file path, e.g. {name}: {name}.parquet")
        path = Path(value).expanduser()
        path = path if path.is_absolute() else root / path
        if path.suffix.lower() not in FORMATS:
            raise FilesError(f"`files`: `{value}` is neither .csv nor .parquet")
        if not path.is_file():
            raise FilesError(f"`files`: no file `{value}` (looked for {path})")
        found.append(TableFile(name, path.resolve()))
    return found


def sql_text(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "''") + "'"


def inline_clickhouse(sql: str, files: list[TableFile]) -> str:
    """The ClickHouse query with each file table read through `file(path, format)`."""
    if not files:
        return sql
    import sqlglot  # noqa: PLC0415
    from sqlglot import exp  # noqa: PLC0415

    by_name = {f.name: f for f in files}
    tree = sqlglot.parse_one(sql, read="clickhouse")
    ctes = {c.alias for c in tree.find_all(exp.CTE)}
    for table in list(tree.find_all(exp.Table)):
        file = by_name.get(table.name)
        if file is None or table.db or table.name in ctes:
            continue
        call = exp.Anonymous(
            this="file",
            expressions=[exp.Literal.string(str(file.path)), exp.Literal.string(file.format)],
        )
        alias = table.args.get("alias") or exp.TableAlias(this=exp.to_identifier(file.name))
        table.replace(exp.Table(this=call, alias=alias))
    return tree.sql(dialect="clickhouse")
