"""Checks of a `sql` source's `files:` answer that the `csv` connector makes too, read from the
answer first (not a plugin module): a file is read again only when the answer shows a problem.

- A `where:` value no cell holds: a variable with `where:` whose answer is 0 (or missing) in
  every period has its file's column read again (`unmatched`): a value matching no cell while
  one differs from it only in case is an error at the mapping naming the cell to write; one
  matching nothing a warning (KPI016) with the closest cell, as `kpiengine.scanerrors` gives
  them. (A value among several that matches nothing while another does is not seen.)
- A day outside years 1000 to 2999 (a Parquet DATE the reading layer did not read from text):
  the answer's first and last days say so (`out_of_years`), as the `csv` connector refuses it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np

from kpiengine.connector import Mapping, Request
from kpiengine.errors import KpiError, Location
from kpiengine.filesource import display
from kpiengine.runcache import active
from kpiengine.scanerrors import unmatched_value
from kpiengine.sqlgen import quote_ident, quote_text
from kpiengine.table import Frame

_SEEN = 1000  # distinct cells read for the closest one


def unmatched(
    frame: Frame, mappings: Iterable[Mapping], parquet: Path, name: str, columns: Iterable[str]
) -> list[KpiError]:
    """The warnings of `where:` values no cell of the table (its typed `parquet` file, `name`
    in messages, with `columns`) holds; KpiError when a cell differs only in case."""
    known = set(columns)
    warnings = []
    for mapping in mappings:
        values = frame.values.get(mapping.variable)
        if not mapping.where or values is None or np.any(np.nan_to_num(values)):
            continue
        for column, wanted in mapping.where.items():
            if column not in known:
                continue  # the database's error names it
            for value in wanted:
                warning = _unmatched(parquet, name, column, value, mapping)
                warnings += [warning] if warning is not None else []
    return warnings


def _unmatched(
    parquet: Path, name: str, column: str, value: str, mapping: Mapping
) -> KpiError | None:
    text = f"trim(CAST({quote_ident(column)} AS VARCHAR))"
    source = f"read_parquet({quote_text(str(parquet))})"
    wanted = quote_text(value)
    held, other = (
        active()
        .duckdb.execute(
            f"SELECT count(*) FILTER (WHERE {text} = {wanted}), "
            f"min(CASE WHEN lower({text}) = lower({wanted}) THEN {text} END) FROM {source}"
        )
        .fetchall()[0]
    )
    if held:
        return None
    seen = (
        []
        if other is not None
        else (
            active()
            .duckdb.execute(
                f"SELECT DISTINCT {text} FROM {source} WHERE {text} <> '' LIMIT {_SEEN}"
            )
            .fetchall()
        )
    )
    return unmatched_value(value, column, name, other, [str(s) for (s,) in seen], mapping.location)


def out_of_years(span: tuple[dt.date, dt.date] | None, name: str, column: str) -> KpiError | None:
    """The error of rows dated outside years 1000 to 2999 (`span`: their first and last days)."""
    if span is None:
        return None
    day = next((d for d in span if not 1000 <= d.year <= 2999), None)
    if day is None:
        return None
    return KpiError(
        f"expected a date in column `{column}`, found {day.isoformat()}: years 1000 to 2999 "
        "are read as dates",
        Location(name),
        "correct the dates (a year typed with a digit missing or too many?)",
    )


def checked(conn: Any, frame: Frame, request: Request) -> None:
    """The checks of a `files:` answer of `conn` (the `sql.SqlConnector`): grand totals'
    warnings (`_sql_totals`), and the table `table:` names' years and `where:` values."""
    files = conn._engine_files()
    frame.warnings += [w for f in files for w in f.warnings]
    for original, file in zip(conn.files, files, strict=True):
        if file.name == conn.option("table"):
            name = display(original.path, conn.config.root.resolve())
            error = out_of_years(frame.span, name, str(conn.option("date")))
            if error is not None:
                raise error
            mapped = [m for v, m in conn.config.mappings.items() if v in request.variables]
            frame.warnings += unmatched(frame, mapped, file.path, name, conn.columns())
