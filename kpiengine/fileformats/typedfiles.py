"""Typed files, whose columns and types DuckDB knows: Parquet, JSON lines and JSON arrays.

`typed_table` opens one: its columns, types and a sample. Two columns of one name (any case)
are an error naming both: DuckDB would read the second as `rev_1` and a source's `rev` would
miss it. A `.json` file is JSON lines or an array of objects, told by its first character.
`retyped` reads a JSON column as text when a cell past DuckDB's type sample is not of the type
the sample gave it (`"1,234.50"` after 30,000 numbers): the cell then meets the number grammar.
JSON integer columns are read as written, so a late fraction is not rounded (`_WHOLE`).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from kpiengine.errors import KpiError, Location
from kpiengine.runcache import active, duckdb_error

from .rows import same_names
from .sql import quote_ident, quote_text, shown

__all__ = ["json_error", "json_numbers", "json_shape", "numeric_days", "retyped", "typed_table"]

_RENAMED = re.compile(r"(.+)_[0-9]+")  # DuckDB's name for a second column of one name
_TRANSFORM = re.compile(r"JSON transform error in file")
_LINE = re.compile(r'JSON transform error in file "[^\n]*?", in line ([0-9]+):')
_DAYS = {
    "DATE": re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}"),
    "TIMESTAMP": re.compile(
        r"[0-9]{4}-[0-9]{2}-[0-9]{2}([T ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]+)?)?)?"
    ),
}
_MALFORMED = re.compile(r"Malformed JSON|JSON transform error|duplicate key", re.IGNORECASE)
_NUMBERS = frozenset(["BIGINT", "DOUBLE", "UBIGINT", "HUGEINT"])
#: JSON integer types, as DuckDB's sample gives them: read as written (text, then the number
#: grammar), so a fraction past the sample (`0.75` after 30,000 `10`s) is kept, not rounded,
#: and a whole-number id or dimension still reads `17` (as DOUBLE it would read `17.0`)
_WHOLE = frozenset(["BIGINT", "UBIGINT", "HUGEINT"])


def json_shape(path: Path) -> str:
    """`json` (lines, or an array of objects: DuckDB's read_json tells) for a `.json` file whose
    first character is `{` or `[`; `csv` otherwise (a delimited export named `.json`)."""
    with path.open("rb") as handle:
        start = handle.read(4096).lstrip(b"\xef\xbb\xbf \t\r\n")
    return "json" if start[:1] in (b"{", b"[") else "csv"


def typed_table(
    table: Any, sample_rows: int, plain: frozenset[str], unreadable: Callable[[Exception], KpiError]
) -> list:
    """A `tables.FileTable`'s columns and types (set in place) and its sample's rows (see the
    module); `unreadable(exc)`: the error of a file DuckDB cannot read."""
    if not table.path.is_file():
        raise KpiError("file not found", Location(table.name))
    if table.path.stat().st_size == 0 or (table.kind == "json" and not _text(table.path)):
        raise KpiError("the file is empty", Location(table.name), "export the report again")
    try:  # one query gives the columns, their types and the sample
        sampled = active().duckdb.sql(f"SELECT * FROM {table.reader()} LIMIT {sample_rows}")
        rows = sampled.fetchall()
    except duckdb_error() as exc:
        raise unreadable(exc) from None
    table.columns = [str(c) for c in sampled.columns]
    table.native = {str(c): str(t) for c, t in zip(sampled.columns, sampled.types, strict=True)}
    folded = {c.casefold() for c in table.columns}
    renamed = [m[1].casefold() for m in map(_RENAMED.fullmatch, table.columns) if m]
    if any(base in folded for base in renamed):  # `rev_1` beside `rev`: read the names
        _duplicates(table)
    odd = {c for c, t in table.native.items() if t not in plain}
    whole = {c for c, t in table.native.items() if t in _WHOLE}
    if table.kind == "json" and (odd or whole):  # see `FileTable.reader`: the types given
        table.as_text = frozenset(odd | whole)
        table.native = {c: _json_type(c, t, odd) for c, t in table.native.items()}
        try:
            again = active().duckdb.sql(f"SELECT * FROM {table.reader()} LIMIT {sample_rows}")
            rows = again.fetchall()
        except duckdb_error() as exc:
            raise unreadable(exc) from None
    return rows


def json_numbers(table: Any, column: str) -> str | None:
    """The type DuckDB's sample gave a JSON column of numbers read as text (`BIGINT`: a date
    column of epoch milliseconds, see `numeric_days`), None for a column of text: one query,
    for the error path (a date column whose first cell is all digits)."""
    if table.kind != "json" or column not in table.columns:
        return None
    sql = f"SELECT typeof({quote_ident(column)}) FROM read_json_auto({quote_text(str(table.path))})"
    try:
        found = active().duckdb.sql(f"{sql} WHERE {quote_ident(column)} IS NOT NULL LIMIT 1")
        rows = found.fetchall()
    except duckdb_error():
        return None
    type_ = str(rows[0][0]) if rows else ""
    return type_ if type_ in _NUMBERS or type_.startswith("DECIMAL") else None


#: Seconds since 1970 as exports write them: digits (beyond seconds) and the unit's name.
_EPOCHS = {10: (1, "seconds"), 13: (1000, "milliseconds"), 16: (10**6, "microseconds")}


def numeric_days(first: str, kind: str) -> tuple[str, str]:
    """(what the numbers may be, how to write dates) for a date column of numbers whose first
    cell is `first` (`kind`: Parquet or JSON): spreadsheet serial days (`45306`) or epoch
    seconds or milliseconds (`1706743800000`: pandas' `to_json` writes datetimes so)."""
    epoch = _EPOCHS.get(len(first)) if re.fullmatch(r"[0-9]+", first) else None
    if epoch is not None:
        scale, unit = epoch
        moment = dt.datetime(1970, 1, 1) + dt.timedelta(seconds=int(first) / scale)
        if 1990 <= moment.year <= 2100:
            text = f"{moment:%Y-%m-%d %H:%M:%S}"
            pandas = ' (pandas: `to_json(..., date_format="iso")`)' if kind == "JSON" else ""
            return (
                f" (epoch {unit}? {first} would be {text} UTC)",
                f"write the dates as ISO text like 2024-01-15 or {text}{pandas}"
                if kind == "JSON"
                else "write the dates as a DATE or TIMESTAMP column",
            )
    serial = ""
    if re.fullmatch(r"[0-9]{5}(\.[0-9]+)?", first):  # days since 1899-12-30, as Excel counts
        day = dt.date(1899, 12, 30) + dt.timedelta(days=int(float(first)))
        serial = f" (spreadsheet serial days? {first} would be {day})"
    return serial, (
        f"write the dates as {'a DATE column' if kind == 'Parquet' else 'text'} like "
        "2024-01-15 (serial days: 1899-12-30 + the number of days)"
    )


def _json_type(column: str, type_: str, odd: set[str]) -> str:
    return "VARCHAR" if column in odd or type_ in _WHOLE else type_


def _text(path: Path) -> bool:
    with path.open("rb") as handle:
        return bool(handle.read(65536).strip(b"\xef\xbb\xbf \t\r\n"))


def _duplicates(table: Any) -> None:
    """Two columns of one name (any case), as the file names them: an error naming both."""
    if table.kind == "parquet":
        sql = (
            "SELECT name, num_children FROM parquet_schema("
            f"{quote_text(str(table.path))})"
        )  # depth first: the root, then each top-level column and its children
        rows = active().duckdb.sql(sql).fetchall()[1:]
        names, skip = [], 0
        for name, children in rows:
            if skip:
                skip += (children or 0) - 1
                continue
            names.append(str(name))
            skip = children or 0
        _raise_same(names, Location(table.name), "columns", "of the file")
        return
    with table.path.open(encoding="utf-8-sig", errors="replace") as handle:
        first: dict[str, tuple[str, int]] = {}
        for number, line in enumerate(handle, start=1):
            try:
                pairs = json.loads(line, object_pairs_hook=lambda p: p)
            except ValueError:
                continue
            if not isinstance(pairs, list):
                continue
            keys = [str(k) for k, _ in pairs]
            _raise_same(keys, Location(table.name, number, 1), "keys", "of the object")
            for key in keys:
                seen, at = first.setdefault(key.casefold(), (key, number))
                if seen != key:
                    raise KpiError(
                        f"{same_names(seen, key)}: `{shown(seen)}` on line {at}, `{shown(key)}` "
                        "on this one",
                        Location(table.name, number, 1),
                        "write each key in one spelling in every line",
                    )


def _raise_same(names: list[str], where: Location, what: str, of: str) -> None:
    seen: dict[str, int] = {}
    for index, name in enumerate(names):
        before = seen.setdefault(name.casefold(), index)
        if before != index:
            raise KpiError(
                f"{same_names(names[before], name)}: {what} {before + 1} and {index + 1} {of}",
                where,
                "rename one of them, or export the report again with distinct columns",
            )


def json_error(table: Any, exc: Exception) -> KpiError | None:
    """A JSON file DuckDB cannot read: the first line Python's json cannot read either, or
    whose key is repeated; None when every line reads (another failure)."""
    if table.kind != "json" or not _MALFORMED.search(str(exc)):
        return None
    with table.path.open(encoding="utf-8-sig", errors="replace") as handle:
        start = handle.read(4096).lstrip()
        if start.startswith("["):
            return None  # an array: no lines to tell
        handle.seek(0)
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                value = json.loads(line, object_pairs_hook=lambda p: p)
            except json.JSONDecodeError as error:
                at = "" if error.msg.endswith(" at") else " at"
                return KpiError(
                    f"cannot read this line as JSON: {error.msg}{at} column {error.colno}",
                    Location(table.name, number, error.colno),
                    "each line of a JSON lines file is one complete object: export it again",
                )
            if not isinstance(value, list):
                return KpiError(
                    "this line is not a JSON object", Location(table.name, number, 1),
                    "each line of a JSON lines file is one object: `{\"date\": …, …}`",
                )  # fmt: skip
            _raise_same(
                [str(k) for k, _ in value], Location(table.name, number, 1), "keys", "of the object"
            )
    return None


def retyped(table: Any, exc: Exception) -> bool:
    """Whether a JSON cell DuckDB could not read as its column's type (past the type sample) made
    that column text from now on (`native` changed in place, shared by the table's copies).
    DuckDB's line is approximate (`invalid date field format: ""` names line 1): when its line
    shows no such cell, every typed column is read as text, so the reading layer's grammar finds
    the cell and names its line (the error path only)."""
    said = str(exc)
    if table.kind != "json" or not _TRANSFORM.search(said) or str(table.path) not in said:
        return False  # another failure, or another file's cell
    found = _LINE.search(said)
    cells: dict[str, object] = {}
    if found is not None:
        line = int(found.group(1))
        with table.path.open(encoding="utf-8-sig", errors="replace") as handle:
            text = next((t for n, t in enumerate(handle, start=1) if n == line), "")
        try:
            cells = dict(json.loads(text))
        except (ValueError, TypeError):
            cells = {}
    wrong = [c for c, t in table.native.items() if c in cells and not _fits(cells[c], t)]
    if not wrong:
        wrong = [c for c, t in table.native.items() if t != "VARCHAR"]
    if not wrong:
        return False
    for column in wrong:
        table.native[column] = "VARCHAR"
    table.as_text = table.as_text | frozenset(wrong)
    return True


def _fits(value: object, type_: str) -> bool:
    if value is None or type_ == "VARCHAR":
        return True
    if type_ in _NUMBERS:
        return isinstance(value, int | float) and not isinstance(value, bool)
    if type_ in _DAYS:  # the ISO day (and time) DuckDB reads
        return isinstance(value, str) and _DAYS[type_].fullmatch(value) is not None
    return isinstance(value, str)
