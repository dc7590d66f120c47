"""The date columns of a `sql` source, checked before its first query (not a plugin module).

The query takes a row's day as `CAST(column AS DATE)` and leaves out a row whose day is NULL.
Once per source, before its first aggregation:

- a date column of numbers (yyyymmdd keys such as 20250105, spreadsheet serial days, epoch
  seconds or milliseconds), which the databases refuse to cast (ClickHouse reads it as days
  since 1970), is an error at its `date:` saying what its values look like, with a `query:`
  converting them in the database's SQL when they read as one of those;
- one scan of the relation counts, per date column, the rows with values but no date (NULL,
  or a blank text cell), the `csv` connector's error, with how many and the first one's values
  (a table's row has no line). A row's values are those of the columns its mappings read
  (value, `where:`, `count:` and `distinct:` columns), in a row its `where:` takes: a pending
  order without a `paid_at` is no row of a mapping of paid orders. On a mapping's own `date:`
  only a row its `where:` takes must hold a date (a won deal's close date; an open deal has
  none yet, and an empty cancel date is a cancellation not happened). The same scan finds a
  text date cell that is not ISO (`_sql_textdates`).
"""

from __future__ import annotations

import datetime as dt
import math
import re
from decimal import Decimal
from typing import Any
from weakref import WeakSet

from kpiengine.connector import Mapping
from kpiengine.errors import KpiError
from kpiengine.sqlgen import quote_ident, translate

from ._sql_numeric import is_number
from ._sql_rows import present_sql
from ._sql_textdates import (
    blank_as_null,
    cell_sql,
    is_text,
    iso_sql,
    located,
    not_iso_sql,
    text_error,
)
from ._sql_types import _bare, refuse_money

_checked: WeakSet[Any] = WeakSet()
#: a `query:` converting a column of numbers to dates, per kind and dialect (`{c}`: the column)
_CONVERT = {
    "yyyymmdd": {
        "duckdb": "CAST(STRPTIME(CAST({c} AS VARCHAR), '%Y%m%d') AS DATE)",
        "postgres": "TO_DATE(CAST({c} AS TEXT), 'YYYYMMDD')",
        "clickhouse": "toDate(parseDateTime(toString({c}), '%Y%m%d'))",
        "spark": "TO_DATE(CAST({c} AS STRING), 'yyyyMMdd')",
        "snowflake": "TO_DATE(TO_VARCHAR({c}), 'YYYYMMDD')",
    },
    "serial days": {
        "duckdb": "CAST(DATE '1899-12-30' + CAST(FLOOR({c}) AS INTEGER) AS DATE)",
        "postgres": "DATE '1899-12-30' + CAST(FLOOR({c}) AS INTEGER)",
        "clickhouse": "addDays(toDate('1970-01-01'), toInt32(floor({c})) - 25569)",
        "spark": "DATE_ADD(DATE '1899-12-30', CAST(FLOOR({c}) AS INT))",
        "snowflake": "DATEADD(DAY, FLOOR({c}), DATE '1899-12-30')",
    },
    "epoch seconds": {
        "duckdb": "TO_TIMESTAMP({c})",
        "postgres": "TO_TIMESTAMP({c})",
        "clickhouse": "toDateTime({c}, 'UTC')",
        "spark": "TIMESTAMP_SECONDS({c})",
        "snowflake": "TO_TIMESTAMP({c})",
    },
    "epoch milliseconds": {
        "duckdb": "EPOCH_MS(CAST({c} AS BIGINT))",
        "postgres": "TO_TIMESTAMP({c} / 1000.0)",
        "clickhouse": "fromUnixTimestamp64Milli(toInt64({c}), 'UTC')",
        "spark": "TIMESTAMP_MILLIS(CAST({c} AS BIGINT))",
        "snowflake": "TO_TIMESTAMP({c}, 3)",
    },
}
#: a yyyymmdd key of a float or DECIMAL column as a whole number (its text would be `2.02E7`)
_WHOLE = {
    "duckdb": "CAST({c} AS BIGINT)",
    "postgres": "CAST({c} AS BIGINT)",
    "clickhouse": "toInt64({c})",
    "spark": "CAST({c} AS BIGINT)",
    "snowflake": "CAST({c} AS BIGINT)",
}
_INTEGER = re.compile(r"u?(?:tiny|small|big|huge)?int(?:eger)?|u?int\d+|int[248]")
_EPOCH = dt.datetime(1970, 1, 1)
#: what each kind's numbers are from 1990 to 2100, as `_read_as` reads them
_RANGES = {
    "serial days": (32874, 73415),
    "epoch seconds": (631152000, 4102444800),
    "epoch milliseconds": (631152000000, 4102444800000),
}


def check_dates(source: Any) -> None:
    """Raise KpiError for a date column of `source` (a SqlConnector) that holds numbers, a
    text date that is not ISO, or rows with values but no date (see the module; once)."""
    if source in _checked or not source.runnable:
        return
    refuse_money(source)  # a value column of PostgreSQL's `money` (`_sql_types`)
    default = str(source.option("date"))
    roles: dict[str, list[Mapping]] = {}
    for mapping in source._mappings().values():
        roles.setdefault(mapping.date or default, []).append(mapping)
    roles = roles or {default: []}
    wheres = {c: "date" if c == default else ms[0].location for c, ms in roles.items()}
    for column in roles:
        source._column(column)  # it exists (its type known)
        type_name = source._types.get(column, "")
        if is_number(type_name) or _bare(type_name) in ("bool", "boolean"):
            raise _numbers(source, column, type_name, wheres[column])
    # an empty own `date:` is an event not (yet) happened (a cancel date), unless the mapping's
    # `where:` says it happened (a won deal without its close date), as in the `csv` connector
    held = {c: [m for m in ms if c == default or m.where] for c, ms in roles.items()}
    parts, undated = {}, {}  # one scan: each part's name and SQL
    for i, column in enumerate(roles):
        undated[column] = _undated_sql(source, column, held[column], column == default)
        parts[f"u{i}"] = f"SUM(CASE WHEN {undated[column]} THEN 1 ELSE 0 END)"
        if is_text(source._types.get(column, "")):
            parts[f"x{i}"] = f"SUM(CASE WHEN {not_iso_sql(column)} THEN 1 ELSE 0 END)"
            parts[f"i{i}"] = f"SUM(CASE WHEN {iso_sql(column)} THEN 1 ELSE 0 END)"
    sql = f"SELECT {', '.join(parts.values())} FROM {source.relation}"
    _, rows, _ = source._run(translate(sql, source.dialect))
    found = dict(zip(parts, rows[0] if rows else (), strict=False))
    for i, column in enumerate(roles):
        if found.get(f"x{i}"):  # the first such cell, as the table's order gives it
            cell_, where_ = cell_sql(column), not_iso_sql(column)
            sql = f"SELECT {cell_} FROM {source.relation} WHERE {where_} LIMIT 1"
            _, rows, _ = source._run(translate(sql, source.dialect))
            cell = str(rows[0][0]) if rows else ""
            raise text_error(source, column, cell, bool(found[f"i{i}"]), wheres[column])
    for i, column in enumerate(roles):
        if found.get(f"u{i}"):
            own = [m.variable for m in held[column]] if column != default else []
            count = int(found[f"u{i}"])
            where = wheres[column] if column == default else held[column][0].location
            raise _undated(source, column, undated[column], count, own, where, held[column])
    _checked.add(source)


def _columns_read(mappings: list[Mapping]) -> list[str]:
    """The columns the mappings read, in their order."""
    columns = [c for m in mappings for c in (m.column, *m.where, m.distinct, m.present) if c]
    return list(dict.fromkeys(columns))


def _undated_sql(source: Any, column: str, mappings: list[Mapping], main: bool) -> str:
    """SQL true on a row with values but no date in `column`: of the columns a mapping reads,
    one holds a value, in a row that mapping takes (its `where:`; on a mapping's own `date:`,
    not `main`, only mappings with one are given)."""
    day = source._column(column)
    if is_text(source._types.get(column, "")):
        day = blank_as_null(day)
    files = bool(source.files)
    held = []
    for mapping in mappings:
        text = [f"CAST({source._column(c)} AS VARCHAR)" for c in _columns_read([mapping])]
        values = " OR ".join(present_sql(t, source.dialect, files) for t in text)
        if values:  # a row a `where:` leaves out is no row of that mapping's (a pending order)
            taken = mapping.where or not main
            held.append(f"({source._takes(mapping)} AND ({values}))" if taken else f"({values})")
    return f"{day} IS NULL AND ({' OR '.join(held)})" if held else "FALSE"


def _undated(
    source: Any,
    column: str,
    condition: str,
    count: int,
    own: list[str],
    where: Any,
    mappings: list[Mapping],
) -> KpiError:
    """The error of `count` rows with values but no date, the first one's values shown."""
    read = _columns_read(mappings)
    picked = ", ".join(source._column(c) for c in [column, *read])
    sql = f"SELECT {picked} FROM {source.relation} WHERE {condition} LIMIT 1"
    _, rows, _ = source._run(translate(sql, source.dialect))
    day, *cells = rows[0] if rows else (None,)
    first = ", ".join(
        f"`{c}` {'empty' if v is None else _shown(v)}" for c, v in zip(read, cells, strict=False)
    )
    missing = "an empty date cell" if day is not None else "no date"  # a blank text cell
    dates = f", which dates {', '.join(f'`{v}`' for v in own)}" if own else ""
    rows_ = "a row" if count == 1 else f"{count:,} rows"
    message = (
        f"{rows_} of {source._named()} {'has' if count == 1 else 'have'} values but {missing} "
        f"in column `{column}`{dates} (the first: {first}): no period can count "
        f"{'it' if count == 1 else 'them'}"
    )
    name = _plain(column)
    kept = (
        f"TRIM({name}) <> ''" if is_text(source._types.get(column, "")) else f"{name} IS NOT NULL"
    )
    fix = f"fill in the dates, or leave those rows out in a `query:` (`... WHERE {kept}`)"
    return located(source, message, where, fix)


def _plain(column: str) -> str:
    """A column's name as a fix writes it: quoted only when it must be."""
    return column if re.fullmatch(r"[a-z_][a-z0-9_]*", column) else quote_ident(column)


def _numbers(source: Any, column: str, type_name: str, where: Any) -> KpiError:
    """The error of a date column of numbers (or true/false): what they read as, and the
    `query:` converting them when they read as dates of one kind (from the first and last)."""
    name = quote_ident(column)
    sql = f"SELECT MIN({name}), MAX({name}) FROM {source.relation}"
    _, rows, _ = source._run(translate(sql, source.dialect))
    low, high = rows[0] if rows else (None, None)
    expected = (
        "where dates are expected: kpiengine reads a DATE or TIMESTAMP column, or text holding "
        "ISO dates (`2024-01-05`)"
    )
    held = f"holds {'numbers' if is_number(type_name) else 'values'} ({type_name})"
    if low is not None:
        held += f", such as {_shown(low)}"
    kind = _kind(low, high) if is_number(type_name) and low is not None else None
    if kind is None:
        return located(
            source,
            f"column `{column}` of {source._named()} {held}, {expected}; they read as no date "
            "kpiengine knows (yyyymmdd, spreadsheet serial days, epoch seconds or milliseconds)",
            where,
            "name the column of the rows' dates, or convert this one to a DATE in a `query:`",
        )
    plain = _plain(column)
    whole = plain
    if kind == "yyyymmdd" and not _INTEGER.fullmatch(_bare(type_name)):
        whole = _WHOLE[source.dialect].format(c=plain)
    convert = _CONVERT[kind][source.dialect].format(c=whole)
    return located(
        source,
        f"column `{column}` of {source._named()} {held}, {expected}. They read as {kind}: "
        f"{_shown(low)} is {_read_as(kind, low)}",
        where,
        f"convert the column in a `query:`, e.g. `{convert} AS {plain}`",
    )


def _kind(low: Any, high: Any) -> str | None:
    """What the numbers from `low` to `high` are: yyyymmdd keys, serial days (1990 to 2100),
    epoch seconds or milliseconds (whole numbers, 1990 to 2100), or None."""
    values = [float(low), float(high)]
    whole = all(math.isfinite(v) and v == int(v) for v in values)
    if whole and all(_yyyymmdd(int(v)) is not None for v in values):
        return "yyyymmdd"
    for kind, (first, last) in _RANGES.items():
        if (whole or kind == "serial days") and all(first <= v <= last for v in values):
            return kind
    return None


def _yyyymmdd(value: int) -> dt.date | None:
    if not 19000101 <= value <= 21001231:
        return None
    try:
        return dt.date(value // 10000, value // 100 % 100, value % 100)
    except ValueError:
        return None


def _read_as(kind: str, value: Any) -> str:
    number = float(value)
    if kind == "yyyymmdd":
        return str(_yyyymmdd(int(number)))
    if kind == "serial days":
        return str(dt.date(1899, 12, 30) + dt.timedelta(days=math.floor(number)))
    seconds = number / (1000 if kind == "epoch milliseconds" else 1)
    return f"{_EPOCH + dt.timedelta(seconds=seconds):%Y-%m-%d %H:%M:%S} UTC"


def _shown(value: Any) -> str:
    """A cell as a message shows it: a whole number without `.0`."""
    if isinstance(value, float | Decimal) and math.isfinite(value) and value == int(value):
        return str(int(value))
    return str(value)
