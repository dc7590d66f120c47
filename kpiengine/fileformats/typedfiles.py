"""Typed files, whose columns and types DuckDB knows: Parquet, JSON lines and JSON arrays.

`typed_table` opens one: its columns, types and a sample. Two columns of one name (any case)
are an error naming both: DuckDB would read the second as `rev_1` and a source's `rev` would
miss it. A `.json` file is JSON lines or an array of objects, told by its first character.
`retyped` reads a JSON column as text when a cell past DuckDB's type sample is not of the type
the sample gave it (`"1,234.50"` after 30,000 numbers): the cell then meets the number grammar.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from kpiengine.errors import KpiError, Location
from kpiengine.runcache import active, duckdb_error

from .rows import same_names
from .sql import quote_text, shown

__all__ = ["json_error", "json_shape", "retyped", "typed_table"]

_RENAMED = re.compile(r"(.+)_[0-9]+")  # DuckDB's name for a second column of one name
_CAST = re.compile(r'JSON transform error in file "[^\n]*?", in line ([0-9]+): Failed to cast')
_MALFORMED = re.compile(r"Malformed JSON|JSON transform error|duplicate key", re.IGNORECASE)
_NUMBERS = frozenset(["BIGINT", "DOUBLE", "UBIGINT", "HUGEINT"])


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
    if table.kind == "json" and odd:  # see `FileTable.reader`: read as written, as text
        table.as_text = frozenset(odd)
        table.native = {c: "VARCHAR" if c in odd else t for c, t in table.native.items()}
        try:
            again = active().duckdb.sql(f"SELECT * FROM {table.reader()} LIMIT {sample_rows}")
            rows = again.fetchall()
        except duckdb_error() as exc:
            raise unreadable(exc) from None
    return rows


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
    that column text from now on (`native` changed in place, shared by the table's copies)."""
    found = _CAST.search(str(exc)) if table.kind == "json" else None
    if found is None or str(table.path) not in str(exc):  # another file's cell
        return False
    line = int(found.group(1))
    with table.path.open(encoding="utf-8-sig", errors="replace") as handle:
        text = next((t for n, t in enumerate(handle, start=1) if n == line), "")
    try:
        cells = dict(json.loads(text))
    except (ValueError, TypeError):
        return False
    wrong = [c for c, t in table.native.items() if c in cells and not _fits(cells[c], t)]
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
    return isinstance(value, str)
