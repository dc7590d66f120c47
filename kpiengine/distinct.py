"""Distinct counts (users, active customers) as the source gives them, never added up.

A distinct count exists only for a period and segment the source counted it for: the rows at
exactly the requested grain and dimensions, and the rows that total every dimension. Anything
else is undefined, with the reason, never a sum of days or of channels.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np

from .errors import KpiError, Location


class Rows(Protocol):
    """What a distinct count is read from (a `kpiengine.table.Frame`)."""

    dims: dict[str, np.ndarray]
    values: dict[str, np.ndarray]
    grain: str | None
    totals: np.ndarray | None

    def __len__(self) -> int: ...


def distinct(
    frame: Rows,
    name: str,
    grain: str,
    segments: list[dict[str, str]],
    period: np.ndarray,
    shape: tuple[int, int],
    note: str | None = None,
) -> tuple[np.ndarray, str | None]:
    """A distinct count as the source gives it, never added up: each cell is the one row for
    exactly that period and segment (the total from the rows that total every dimension).
    `note`: the source's own reason why some of its rows are empty (`Frame.notes`)."""
    out = np.full(shape, np.nan)
    by = list(segments[1].keys()) if len(segments) > 1 else []
    by_period = frame.grain or "day"
    if by_period != grain:
        return out, (
            f"`{name}` counts distinct entities: the source gives it by {by_period}, and "
            f"distinct counts do not add up to a {grain}"
        )
    inside = (period >= 0) & (period < shape[0])
    column = np.where(inside, np.asarray(frame.values[name], dtype=float), np.nan)
    period = np.clip(period, 0, shape[0] - 1).astype(np.int64)
    totals = np.zeros(len(frame), bool) if frame.totals is None else frame.totals
    reasons = [note] if note else []
    extra = sorted(set(frame.dims) - set(by))
    detail = ~totals & ~np.isnan(column)
    if by and not extra:
        column_of = {tuple(s[d] for d in by): j for j, s in enumerate(segments[1:], 1)}
        rows = np.flatnonzero(detail)
        keys = [tuple(str(frame.dims[d][i]) for d in by) for i in rows]
        _place(out, period[rows], [column_of[k] for k in keys], column[rows])
    elif by:
        reasons.append(f"by {', '.join(by)} it cannot be added up across {', '.join(extra)}")
    given = totals & ~np.isnan(column) if frame.dims else ~np.isnan(column)
    if given.any():
        _place(out, period[given], [0] * int(given.sum()), column[given])
    else:
        reasons.append("the source gives no total of it (distinct counts do not add up)")
    text = f"`{name}` counts distinct entities: " + "; ".join(reasons) if reasons else None
    return out, text


def _place(out: np.ndarray, rows: np.ndarray, columns: list[int], values: np.ndarray) -> None:
    """Put one value per cell; a cell given twice is undefined (NaN)."""
    flat = rows * out.shape[1] + np.asarray(columns, dtype=np.int64)
    seen = np.bincount(flat, minlength=out.size).reshape(out.shape)
    out[rows, columns] = values
    out[seen > 1] = np.nan


def given(values: np.ndarray, rows: np.ndarray, grain: str) -> tuple[np.ndarray, str | None]:
    """A distinct count read from a column of counts the export made (users by month and
    channel), its cells' values and row counts: a cell is its one row's count; a cell several
    rows fall in (days of a month, segments not asked for) is undefined, with the reason
    (`Frame.notes`). Counting rows or distinct values of such a column would be wrong."""
    out = np.where(rows == 1, values, np.nan)
    if not (rows > 1).any():
        return out, None
    return out, (
        f"the source has several rows of counts in a {grain} (of days, or of segments not "
        f"asked for), which do not add up: export it by {grain}, or map `distinct:` to a "
        "column of ids"
    )


def rows_counted(variable: str, at: Location) -> KpiError:
    """The error of `count:` mapped to a distinct count: rows are no distinct entities."""
    return KpiError(
        f"`{variable}` counts distinct entities (`aggregate: distinct`): counting rows would "
        "count an entity once per row",
        at,
        "map the column naming each one (`distinct: user_id`), or a column of counts",
    )
