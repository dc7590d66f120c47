"""Read a plain data CSV (`date`, dimension columns, one column per variable) into a Frame."""

from __future__ import annotations

import csv
import datetime as dt
import math
import re
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from .errors import KpiError, Location, did_you_mean
from .table import Frame

_DATE = re.compile(r"^(\d{4})-(\d{1,2})(?:-(\d{1,2}))?$")


def _parse_date(text: str, location: Location) -> dt.date:
    match = _DATE.match(text.strip())
    try:
        if match:
            return dt.date(int(match[1]), int(match[2]), int(match[3] or 1))
    except ValueError as exc:
        raise KpiError(f"invalid date `{text}`: {exc}", location) from None
    raise KpiError(f"expected a date as YYYY-MM-DD (or YYYY-MM), found `{text}`", location)


def _parse_number(text: str, column: str, location: Location) -> float:
    cleaned = text.strip().replace(",", "").replace("_", "")
    if not cleaned:
        return math.nan
    try:
        value = float(cleaned)
    except ValueError:
        raise KpiError(
            f"expected a number in column `{column}`, found `{text}`", location
        ) from None
    if not math.isfinite(value):
        raise KpiError(f"expected a finite number in column `{column}`, found `{text}`", location)
    return value


def _char_column(row: list[str], field: int) -> int:
    """1-based character column where a field starts (exact for unquoted fields)."""
    return sum(len(f) + 1 for f in row[:field]) + 1


def read_data_csv(path: str | Path, variables: Iterable[str]) -> Frame:
    """Columns named like a variable are values; `date` is the date; the rest are dimensions."""
    path = Path(path)
    name = str(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise KpiError("data file not found", Location(name)) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise KpiError(f"cannot read the data file: {exc}", Location(name)) from None
    lines = text.splitlines()
    if not lines or not lines[0].strip():
        raise KpiError(
            "the data file is empty: expected a header row with `date`", Location(name, 1, 1)
        )
    delimiter = max(",;\t", key=lines[0].count)
    rows = list(csv.reader(lines, delimiter=delimiter))
    header = [h.strip() for h in rows[0]]
    if "date" not in header:
        close = did_you_mean("date", header)
        hint = f"; did you mean `{close}`?" if close else f" (columns: {', '.join(header)})"
        raise KpiError(f"the data has no `date` column{hint}", Location(name, 1, 1))
    known = set(variables)
    value_columns = [h for h in header if h in known]
    for h in header:
        close = did_you_mean(h, known) if h not in known and h != "date" else None
        if close and close not in header:
            raise KpiError(
                f"column `{h}` is not a variable; did you mean `{close}`?",
                Location(name, 1, _char_column(rows[0], header.index(h))),
                "rename the column, or declare the variable in definitions/",
            )
    dim_columns = [h for h in header if h not in known and h != "date"]
    index = {h: i for i, h in enumerate(header)}
    dates: list[dt.date] = []
    dims: dict[str, list[str]] = {d: [] for d in dim_columns}
    values: dict[str, list[float]] = {v: [] for v in value_columns}
    for line_no, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            raise KpiError(
                f"expected {len(header)} fields, found {len(row)}", Location(name, line_no, 1)
            )
        col = index["date"]
        dates.append(_parse_date(row[col], Location(name, line_no, _char_column(row, col))))
        for d in dim_columns:
            dims[d].append(row[index[d]].strip())
        for v in value_columns:
            col = index[v]
            location = Location(name, line_no, _char_column(row, col))
            values[v].append(_parse_number(row[col], v, location))
    if not dates:
        raise KpiError("the data file has a header but no rows", Location(name, 2, 1))
    return Frame(
        np.array(dates, dtype="datetime64[D]"),
        {d: np.array(c, dtype=object) for d, c in dims.items()},
        {v: np.array(c, dtype=float) for v, c in values.items()},
        source=name,
    )


def load_data(workspace, path: str | Path | None = None) -> Frame:
    """The workspace's data: `path` if given, else the `data:` file named in kpi.yaml."""
    path = path or workspace.settings.data
    if path is None:
        raise KpiError(
            "no data: pass --data FILE.csv or set `data:` in kpi.yaml",
            fix="the CSV needs a `date` column and one column per variable",
        )
    return read_data_csv(path, workspace.variables)
