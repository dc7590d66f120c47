"""What a DuckDB column type holds, for the number grammar: text, exact numbers (integers,
decimals), floats, or no numbers at all (BOOLEAN, a list, a struct)."""

from __future__ import annotations

_INTEGERS = "TINYINT SMALLINT INTEGER BIGINT HUGEINT UTINYINT USMALLINT UINTEGER UBIGINT UHUGEINT"
_EXACT_TYPES = frozenset([*_INTEGERS.split(), "DECIMAL", "NUMERIC"])
FLOAT_TYPES = frozenset(["FLOAT", "REAL", "DOUBLE", "FLOAT4", "FLOAT8"])
_TEXT_TYPES = frozenset(["VARCHAR", "TEXT", "STRING", "CHAR", "BPCHAR"])


def type_kind(type_: str | None) -> str:
    """'text', 'exact' (integers, decimals) or 'float', from a DuckDB column type."""
    name = (type_ or "VARCHAR").upper().split("(")[0].strip()
    if (type_ or "").rstrip().endswith("]"):  # a list of numbers (`DECIMAL(2,1)[]`) is none
        name = "LIST"
    if name in _TEXT_TYPES or name.strip('"') == "NULL":  # nulls only (pandas' `None`s)
        return "text"
    if name in _EXACT_TYPES:
        return "exact"
    if name in FLOAT_TYPES:
        return "float"
    raise ValueError(f"a {type_} column does not hold numbers")


def holds_numbers(type_: str | None) -> bool:
    """Whether a column of this DuckDB type holds numbers or text (not BOOLEAN, LIST ...)."""
    try:
        type_kind(type_)
    except ValueError:
        return False
    return True
