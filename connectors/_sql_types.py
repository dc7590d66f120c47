"""The column types of a `sql` source's relation, and its text cells that are no numbers (not a
plugin module).

- Exact sums: a mapped column of integers or DECIMAL/NUMERIC is aggregated in its own type and
  converted to DOUBLE once aggregated (`kpiengine.sqlgen.Measure.exact`), as the `csv` connector
  sums a typed Parquet column: 100,001 x 0.10 is 10000.1, not 10000.10000002 (per-row DOUBLE).
  Only types whose sum cannot overflow silently: ClickHouse sums Int64 (Spark BIGINT) with
  wrap-around, so those are read as DOUBLE (exact anyway below 2**53). A float column keeps its
  NaN and infinity checks (`_sql_floats`); an exact one holds neither.
- Text cells that are no numbers (`1,234.50`, `—`, `12,5`, `45%`) in a column mapped as a
  number: the database's conversion error becomes one naming the column and the cell
  (`conversion_error`, `not_a_number`), after the column is found by casting each mapped text
  column alone (on that error only).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any

from kpiengine.connector import Mapping
from kpiengine.errors import KpiError
from kpiengine.sqlgen import quote_ident, translate

#: Integer types whose sum each engine keeps exact without wrapping around
_WHOLE = {
    "duckdb": {"tinyint", "smallint", "integer", "int", "bigint", "utinyint", "usmallint"}
    | {"uinteger", "ubigint"},
    "postgres": {"smallint", "integer", "bigint", "int2", "int4", "int8"},
    "clickhouse": {"int8", "int16", "int32", "uint8", "uint16", "uint32"},
    "spark": {"tinyint", "smallint", "int", "integer"},
    "snowflake": set(),
}
#: The most digits of a DECIMAL each engine sums without overflow (into its widest DECIMAL)
_DIGITS = {"duckdb": 18, "postgres": 1000, "clickhouse": 18, "spark": 28, "snowflake": 38}
_DECIMAL = re.compile(r"(?:decimal|numeric|number)(?:\((\d+)(?:,\s*\d+)?\))?")
_CLICKHOUSE_DECIMAL = re.compile(r"decimal(32|64|128|256)\(\d+\)")


def _bare(type_name: str) -> str:
    """A type's name lower-cased, without ClickHouse's Nullable(...) and LowCardinality(...)."""
    name = type_name.strip().lower()
    while found := re.fullmatch(r"(?:nullable|lowcardinality)\((.*)\)", name):
        name = found[1]
    return name


def exact_type(type_name: str, dialect: str) -> bool:
    """Whether the dialect's engine sums a column of this type exactly in its own type."""
    name = _bare(type_name)
    if name in _WHOLE.get(dialect, set()):
        return True
    if dialect == "clickhouse" and (found := _CLICKHOUSE_DECIMAL.fullmatch(name)):
        return found[1] in ("32", "64")
    found = _DECIMAL.fullmatch(name)
    if found is None or dialect not in _DIGITS:
        return False
    if found[1] is None:  # PostgreSQL's unconstrained NUMERIC; DuckDB's DECIMAL is (18,3)
        return dialect in ("postgres", "duckdb")
    return int(found[1]) <= _DIGITS[dialect]


#: The start of each engine's error for a text that is no number (`CAST(text AS DOUBLE)`)
_CONVERSION = re.compile(
    r"Conversion Error|invalid input syntax for type|CAST_INVALID_INPUT|Cannot parse"
    r"|CANNOT_PARSE|is not recognized|Numeric value",
    re.I,
)
#: The cell in the message: DuckDB `string '1,234.50' to`, PostgreSQL `: "1,234.50"`, Spark
#: `The value '1,234.50' of the type`, ClickHouse `Cannot parse string '1,234.50'`, Snowflake
#: `Numeric value '1,234.50' is not recognized`
_CELL = re.compile(
    r"(?:string|value)\s+'((?:[^']|'')*)'"
    r'|type [a-z ]+: "((?:[^"]|"")*)"'
    r"|input: '((?:[^']|'')*)'",
    re.I,
)


def conversion_error(message: str) -> bool:
    """Whether a database's message is about a text that is no number (or date)."""
    return _CONVERSION.search(message) is not None


def offending_cell(message: str) -> str | None:
    """The cell the database's conversion error names, or None."""
    found = _CELL.search(message)
    if found is None:
        return None
    quote = "'" if found[2] is None else '"'
    return next(g for g in found.groups() if g is not None).replace(quote * 2, quote)


def not_a_number(
    column: str, named: str, message: str, reads_files: bool, dialect: str = "duckdb"
) -> tuple[str, str]:
    """(message, fix) for a text column mapped as a number holding a cell that is no number;
    `named`: `table `deals`` or `the query`; `message`: the database's (for the cell). The
    fix's cast is in the `dialect` (PostgreSQL's DOUBLE PRECISION), an empty cell as NULL."""
    cell = offending_cell(message)
    found = f", such as `{cell}`," if cell is not None else ""
    if cell is not None and not cell.strip():
        found = ", such as an empty text cell,"
    text = (
        f"column `{column}` of {named} is text, and holds cells{found} that the database cannot "
        "read as numbers: it reads plain numbers such as `1234.5`, not thousands separators "
        "(`1,234.50`), decimal commas (`12,5`), percentages (`45%`) or dashes (`—`)"
    )
    name = column if re.fullmatch(r"[a-z_][a-z0-9_]*", column) else quote_ident(column)
    cleaned = f"CAST(NULLIF(NULLIF(REPLACE({name}, ',', ''), '—'), '') AS DOUBLE) AS {name}"
    cleaned = translate(f"SELECT {cleaned}", dialect).removeprefix("SELECT ")
    fix = (
        f"clean or cast the column in a `query:` (e.g. `{cleaned}` where `,` separates "
        "thousands), or export the table to CSV and read it with `files:` (or the `csv` "
        "connector), whose number reading reads such cells"
    )
    if reads_files:
        fix = (
            f"clean or cast the column in the `query:` (e.g. `{cleaned}` where `,` separates "
            "thousands), or read the file as CSV: `files:` reads a CSV file's `1,234.50`, "
            "`12,5`, `45%` and `—` cells as the `csv` connector does"
        )
    return text, fix


def first_not_a_number(
    mappings: Iterable[Mapping], cast_sum: Callable[[str], None]
) -> tuple[Mapping, str] | None:
    """The first mapped value column holding a cell that is no number, and the database's
    message about it: `cast_sum(column)` runs `SUM(CAST(column AS DOUBLE))` over the relation
    (raising KpiError as the source does). Run after a conversion error only."""
    for mapping in mappings:
        if mapping.column is None or mapping.count or mapping.distinct is not None:
            continue
        try:
            cast_sum(mapping.column)
        except KpiError as exc:
            if conversion_error(str(exc)):
                return mapping, str(exc)
    return None


def refuse_money(source: Any) -> None:
    """Raise KpiError for a value column of PostgreSQL's `money` type (`source`: a
    SqlConnector), which PostgreSQL does not cast to a float: its fix casts it to NUMERIC."""
    for mapping in source._mappings().values():
        if mapping.column is None or mapping.count or mapping.distinct is not None:
            continue
        if source.dialect != "postgres" or _bare(source._type(mapping)) != "money":
            continue
        column = quote_ident(mapping.column)
        sql = f"SELECT {column} FROM {source.relation} WHERE {column} IS NOT NULL LIMIT 1"
        _, rows, _ = source._run(translate(sql, source.dialect))
        such = f" (such as `{rows[0][0]}`)" if rows else ""
        name = mapping.column
        name = name if re.fullmatch(r"[a-z_][a-z0-9_]*", name) else column
        raise KpiError(
            f"source `{source.config.name}`: column `{mapping.column}` of {source._named()} is "
            f"of PostgreSQL's type money{such}, which kpiengine does not read as a number "
            "(PostgreSQL casts it to NUMERIC only)",
            mapping.location,
            f"cast it to NUMERIC in a `query:`, e.g. `CAST({name} AS NUMERIC) AS {name}` (the "
            "amount without its currency symbol, in the database's `lc_monetary` currency)",
        )


def raise_not_a_number(source: Any) -> None:
    """After the database's conversion error: raise the error naming the mapped column cast
    from text and its cell (`source`: a SqlConnector); nothing when none is found."""

    def cast_sum(column: str) -> None:  # raises the source's KpiError
        cast = f"CAST({source._column(column)} AS DOUBLE)"
        source._run(translate(f"SELECT SUM({cast}) FROM {source.relation}", source.dialect))

    source._probing = True
    try:
        found = first_not_a_number(source._mappings().values(), cast_sum)
    finally:
        source._probing = False
    if found is not None:
        column, files = str(found[0].column), bool(source.files)
        message, fix = not_a_number(column, source._named(), found[1], files, source.dialect)
        raise KpiError(f"source `{source.config.name}`: {message}", found[0].location, fix)
