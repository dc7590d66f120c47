"""Number columns of a `sql` source's database table as numbers (not a plugin module).

- PostgreSQL's NUMERIC holds `NaN` and the infinities, which its own-type (exact) sum carries
  (`_sql_types`): a NaN made a whole month's sum NaN, read as a month without data. Its NaN
  is a missing value (`NULLIF(x, 'NaN')`, as `_sql_floats` does for floats: NaN equals itself
  in PostgreSQL's NUMERIC) and its infinity the error a float's is (`holds_infinity`).
- `where:` on a number column compares numbers: `where: {prob: [0.5]}` keeps the rows whose
  NUMERIC(3,2) holds 0.50, which the text `0.50` would not equal; a value that is no number
  is an error. When the column's type is unknown (the generated-only dialects) a value that
  is a number keeps the rows whose text reads as that number too.
"""

from __future__ import annotations

import re
from typing import Any

from kpiengine.connector import Mapping
from kpiengine.errors import KpiError
from kpiengine.sqlgen import quote_text

from ._sql_types import _bare

#: Number types of DuckDB, PostgreSQL, ClickHouse, Spark and Snowflake (lower-cased, bare)
_NUMBER = re.compile(
    r"u?(?:tiny|small|big|huge)?int(?:eger)?|u?int\d+|int[248]|float\d*|double(?: precision)?"
    r"|real|fixed|(?:decimal|numeric|number)\d*(?:\(.*\))?"
)
_NUMERIC = re.compile(r"(?:decimal|numeric)(?:\(.*\))?")
_LITERAL = re.compile(r"[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?")


def is_number(type_name: str) -> bool:
    """Whether a column of this type (as the engine names it) holds numbers."""
    return _NUMBER.fullmatch(_bare(type_name)) is not None


def holds_nan(type_name: str, dialect: str) -> bool:
    """Whether an exact column of this type can hold NaN and the infinities: PostgreSQL's
    NUMERIC (the other engines' DECIMALs and every integer type hold neither)."""
    return dialect == "postgres" and _NUMERIC.fullmatch(_bare(type_name)) is not None


def exact_sql(column: str, type_name: str, dialect: str) -> str:
    """An exact column's value: NaN (PostgreSQL's NUMERIC) as NULL, a missing value."""
    return f"NULLIF({column}, 'NaN')" if holds_nan(type_name, dialect) else column


def condition_sql(source: Any, mapping: Mapping) -> str:
    """The rows a mapping's `where:` keeps (`source`: the SqlConnector): a number column's
    cells compared as numbers, any other's as text; TRUE without `where:`."""
    parts = []
    for name, values in mapping.where.items():
        column = source._column(name)
        text = f"CAST({column} AS VARCHAR) IN ({', '.join(map(quote_text, values))})"
        numbers = [v.strip().lstrip("+") for v in values if _LITERAL.fullmatch(v.strip())]
        listed = ", ".join(f"CAST({n} AS DOUBLE)" for n in numbers)
        if not source.runnable:  # its type unknown: as text, or as the number it reads as
            number = f"TRY_CAST(CAST({column} AS VARCHAR) AS DOUBLE) IN ({listed})"
            parts.append(f"({text} OR {number})" if numbers else text)
            continue
        source.columns()  # their types
        if not is_number(source._types.get(name, "")):
            parts.append(text)
            continue
        bad = next((v for v in values if not _LITERAL.fullmatch(v.strip())), None)
        if bad is not None:
            raise KpiError(
                f"source `{source.config.name}`: `where:` compares column `{name}` of "
                f"{source._named()}, a number column ({source._types[name]}), with `{bad}`, "
                "which is no number",
                mapping.location,
                f"give numbers such as `{name}: [0.5]`, or compare its text in a `query:`",
            )
        parts.append(f"CAST({column} AS DOUBLE) IN ({listed})")
    return " AND ".join(parts) or "TRUE"
