"""Distinct counts (users, active customers) as the source gives them, never added up.

A distinct count exists only for a period and segment the source counted it for: the rows at
exactly the requested grain and dimensions, and the rows that total every dimension. Anything
else is undefined, with the reason, never a sum of days or of channels.

So is a window of one (`ytd(visitors)`): a source that counts the ids itself (`distinct:` in a
`csv` or `sql` source) is asked for it (`Request.windows`) and counts each id once from the
window's first day to each period's end. It answers with events, per id counted once (`Event`):
the first period of a (fiscal) year, quarter or month the id is seen in, or for rolling windows
each period it is seen in and the next one; `window_rows` turns them into one count per period
and segment. The counts are kept beside the table (`detach_windows`), not in its values: a
table derived with other values (values to date, projections) has no such counts.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any, NamedTuple, Protocol, Self, TypeVar

import numpy as np

from .errors import KpiError, Location
from .periods import Calendar
from .refs import ref_name, split_ref, window_of

DISTINCT = "distinct"  # kpiengine.model.DISTINCT (the model leads to the table, which imports us)
ROLLING = "rolling"  # the events of rolling windows (as `kpiengine.sqlgen.ROLLING`)


class Rows(Protocol):
    """What a distinct count is read from (a `kpiengine.table.Frame`)."""

    dates: np.ndarray
    dims: dict[str, np.ndarray]
    values: dict[str, np.ndarray]
    grain: str | None
    totals: np.ndarray | None

    def __len__(self) -> int: ...

    def subset(self, rows: np.ndarray) -> Self: ...


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


# --- windows of a distinct count, counted by the source ------------------------------------------

#: Window -> the period whose start it accumulates from, and the grains it is defined at.
WINDOW_GRAIN = {"ytd": "year", "qtd": "quarter", "mtd": "month"}
FINER = {
    "year": ("day", "week", "month", "quarter", "year"),
    "quarter": ("day", "week", "month", "quarter"),
    "month": ("day", "week", "month"),
}
R = TypeVar("R", bound=Rows)


class Asked(Protocol):
    """What `windows_asked` reads of a plan (a `kpiengine.plan.Plan`)."""

    @property
    def workspace(self) -> Any: ...  # a `kpiengine.model.Workspace`

    @property
    def needed(self) -> tuple[str, ...]: ...

    @property
    def kpis(self) -> tuple[str, ...]: ...

    @property
    def window(self) -> str | None: ...

    @property
    def grain(self) -> str: ...


class Table(Protocol):
    """Where counted windows are put and read (a `kpiengine.table.InputTable`)."""

    grain: str
    first: int
    values: dict[str, np.ndarray]
    segments: list[dict[str, str]]
    calendar: Calendar
    counted_windows: dict[str, np.ndarray]

    @property
    def n_periods(self) -> int: ...


class Event(NamedTuple):
    """Ids of a distinct count (`ids` of them) counted in the windows from `start` (a period's
    first day): to the end of its `kind` period (`year`, `quarter`, `month`: the first period
    of it the ids are seen in), or, for `rolling` windows, until `following` (the next period
    the same ids are seen in, None when none is)."""

    variable: str
    kind: str
    start: dt.date
    following: dt.date | None
    segment: tuple[str, ...]
    total: bool
    ids: float


def outer_of(calendar: Calendar, ordinal: int, grain: str, outer: str) -> int:
    """The `outer` period (year, quarter, month) of the period `ordinal`: the one it starts in;
    a week's is the one its Thursday is in, as ISO weeks belong to the year of their Thursday."""
    day = calendar.start_date(ordinal, grain)
    if grain == "week":
        day += dt.timedelta(days=4 if calendar.week_start == "sunday" else 3)
    return calendar.ordinal_of(day, outer)


def window_kind(token: str, grain: str) -> str | None:
    """The `Event.kind` a window is counted from (None: the window is not defined at `grain`)."""
    found = window_of(token)
    if found is None or grain == "range":
        return None
    if found[0] == ROLLING:
        return ROLLING
    outer = WINDOW_GRAIN[found[0]]
    return outer if grain in FINER[outer] else None


def windows_asked(plan: Asked, wanted: Mapping[str, Any]) -> dict[str, tuple[str, ...]]:
    """The windows each distinct count of `wanted` (variable -> `Aggregate`) is read over by
    the plan: `ytd(x)` in the formula of a KPI it needs (`x` a variable, or a KPI: its inputs),
    and its `window` (`--window`) over its KPIs' inputs; those defined at its grain."""
    counted = [v for v, rule in wanted.items() if rule.time == DISTINCT]
    if not counted:
        return {}
    ws, tokens = plan.workspace, dict[str, set[str]]()

    def read(name: str, token: str) -> None:
        for variable in ws.inputs_of(name) if name in ws.kpis else {name}:
            tokens.setdefault(variable, set()).add(token)

    for kpi in plan.needed:
        formula = ws.kpis[kpi].formula
        for name in formula.input_names if formula is not None else ():
            base, chain = split_ref(name)
            if chain and window_of(chain[0]) is not None:
                read(base, chain[0])
    for kpi in plan.kpis if plan.window else ():
        read(kpi, plan.window or "")
    return {
        v: found
        for v in counted
        if (found := tuple(sorted(t for t in tokens.get(v, ()) if window_kind(t, plan.grain))))
    }


def window_names(windows: Mapping[str, Iterable[str]]) -> list[str]:
    """The columns of the windows asked for: `visitors__ytd`."""
    return [ref_name(v, (t,)) for v, tokens in windows.items() for t in tokens]


def window_rows(
    frame: Rows,
    events: list[Event],
    windows: Mapping[str, tuple[str, ...]],
    grain: str,
    calendar: Calendar,
) -> None:
    """Add to `frame` (a connector's answer at `grain`) rows of its own for the windows: for
    each period from its first row's to its last row's, each segment and the total, the ids of
    `events` that count in the window ending with that period (of the variables they count:
    another's windows are not answered)."""
    dates = frame.dates[~np.isnat(frame.dates)]
    if not len(dates) or not events:
        return
    lo = calendar.ordinal_of(dates.min().item(), grain)
    n = calendar.ordinal_of(dates.max().item(), grain) - lo + 1
    ends = {
        kind: _run_ends([outer_of(calendar, lo + i, grain, kind) for i in range(n)])
        for kind in {e.kind for e in events} - {ROLLING}
    }
    at = [calendar.ordinal_of(e.start, grain) - lo for e in events]
    following = [n if e.following is None else calendar.ordinal_of(e.following, grain) - lo
                 for e in events]  # fmt: skip
    changes: dict[tuple[tuple[str, ...], bool], dict[str, np.ndarray]] = {}
    for variable, tokens in windows.items():
        for token in tokens:
            kind, count = window_of(token) or (ROLLING, 0)
            kind = ROLLING if kind == ROLLING else WINDOW_GRAIN[kind]
            name = ref_name(variable, (token,))
            for event, start, after in zip(events, at, following, strict=True):
                if event.variable != variable or event.kind != kind or not 0 <= start < n:
                    continue
                # rolling: seen again `after`, the ids count in the windows from there
                stop = min(start + count, after) if kind == ROLLING else ends[kind][start] + 1
                cell = changes.setdefault((event.segment, event.total), {})
                change = cell.setdefault(name, np.zeros(n + 1))
                change[start] += event.ids
                change[min(stop, n)] -= event.ids
    names = window_names({v: t for v, t in windows.items() if v in {e.variable for e in events}})
    keys = sorted(changes)
    rows, added = len(frame), n * len(keys)
    starts = [np.datetime64(calendar.start_date(lo + i, grain), "D") for i in range(n)]
    frame.dates = np.concatenate([frame.dates, np.array(starts * len(keys), "datetime64[D]")])
    for j, (d, column) in enumerate(list(frame.dims.items())):
        added_dims = np.array([k[0][j] for k in keys for _ in range(n)], dtype=object)
        frame.dims[d] = np.concatenate([np.asarray(column, dtype=object), added_dims])
    for v, column in list(frame.values.items()):
        frame.values[v] = np.concatenate([np.asarray(column, float), np.full(added, np.nan)])
    for name in names:
        counts = [np.cumsum(changes[k].get(name, np.zeros(n + 1)))[:n] for k in keys]
        frame.values[name] = np.concatenate([np.full(rows, np.nan), *counts])
    totals = np.zeros(rows, bool) if frame.totals is None else frame.totals
    frame.totals = np.concatenate([totals, np.repeat([k[1] for k in keys], n).astype(bool)])


def _run_ends(groups: list[int]) -> list[int]:
    """For each position, the last position of its run of equal values."""
    out = list(range(len(groups)))
    for i in range(len(groups) - 2, -1, -1):
        if groups[i] == groups[i + 1]:
            out[i] = out[i + 1]
    return out


def split_windows(frame: R, windows: Mapping[str, Iterable[str]]) -> tuple[R, R | None]:
    """A connector's answer as its rows of variables and its rows of windows (`Request.windows`:
    a row holding a window's value is read for windows only); None without window rows."""
    names = [n for n in window_names(windows) if n in frame.values]
    if not names:
        return frame, None
    rows = np.zeros(len(frame), bool)
    for name in names:
        rows |= ~np.isnan(np.asarray(frame.values[name], dtype=float))
    main, counted = frame.subset(~rows), frame.subset(rows)
    main.values = {k: v for k, v in main.values.items() if k not in names}
    counted.values = {k: v for k, v in counted.values.items() if k in names}
    return main, counted if rows.any() else None


def place_windows(counted: Rows | None, table: Table) -> None:
    """The windows of `counted` (see `split_windows`) put in `table`'s values beside the
    variables they count, one row per cell (as `distinct` reads the source's counts; a row of
    a segment the table lacks is left out), until `detach_windows` takes them out of the
    merged table."""
    if counted is None:
        return
    by = list(table.segments[1]) if len(table.segments) > 1 else []
    known = {tuple(s[d] for d in by) for s in table.segments[1:]} if by else {()}
    totals = np.zeros(len(counted), bool) if counted.totals is None else counted.totals
    kept = totals | np.array(
        [tuple(str(counted.dims[d][i]) for d in by) in known for i in range(len(counted))], bool
    )
    counted = counted.subset(kept)
    ordinals = table.calendar.ordinals(counted.dates, table.grain) - table.first
    shape = (table.n_periods, len(table.segments))
    for name in counted.values:
        table.values[name] = distinct(counted, name, table.grain, table.segments, ordinals, shape)[
            0
        ]


def detach_windows(table: Table) -> None:
    """Move the counted windows out of the table's values (which hold variables only): they
    are read by `counted_window`, on this table alone (not on one `dataclasses.replace` makes
    of it with other values: values to date, projections, scaled values)."""
    names = [n for n in table.values if split_ref(n)[1]]
    if names:
        table.counted_windows = {n: table.values.pop(n) for n in names}


def counted_window(table: Table, name: str, token: str) -> np.ndarray | None:
    """`name` over the window `token` as its source counted it, None when it did not."""
    return table.counted_windows.get(ref_name(name, (token,)))
