"""A table of a Google Analytics export read for a request, for `ga_export` (not a plugin module).

One DuckDB scan per table reads every cell with the reading layer, derives the counts, sums the
columns the totals rows total, and groups the rows by the request's periods and segments. Users
(a count of distinct people) are given as the export has them: per row, when a row is exactly a
period and segment of the request; the totals row as the total, when the export is one period.
Rows dated by periods (`Year month`) are dated by their first day (`_ga_periods`).
An export without dates is one period: of the request's grain when its date range is one, whole
or from its first day on (`kpiengine.rowdates.period_so_far`: a month-to-date download is the
month so far), else of the `range` grain (its date range, which the engine labels: 8 to 31 July
is not July).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np

from kpiengine.connector import Request
from kpiengine.errors import KpiError, Location
from kpiengine.fileformats import CellError, read_number
from kpiengine.filescan import Scan
from kpiengine.model import DISTINCT, Aggregate
from kpiengine.periods import RANGE
from kpiengine.rowdates import period_so_far
from kpiengine.table import Frame
from kpiengine.undatedfiles import undatable

from ._ga_counts import check_signs
from ._ga_dates import check_days, raise_days
from ._ga_peers import check_peers, peer_checks
from ._ga_rates import checked
from ._ga_segments import keep_sql, other_segment
from ._ga_tables import Table
from ._ga_unknown import raise_unknown


def one_period(span: tuple[dt.date, dt.date], request: Request) -> bool:
    """Whether one period of the request's grain holds the whole date range."""
    if request.grain == RANGE:
        return True
    days = np.array(span, dtype="datetime64[D]")
    first, last = request.calendar.ordinals(days, request.grain)
    return bool(first == last)


def own_range(
    span: tuple[dt.date, dt.date] | None, request: Request, together: bool = False
) -> bool:
    """Whether an undated table over `span` is a `range` period of its own: its range is not
    one period of the grain asked for, whole or so far (and the request is not for that range),
    nor, `together` (the source's files roll up into the grain: `kpiengine.undatedfiles`),
    within one."""
    if span is None or request.grain == RANGE or together:
        return False
    return not period_so_far(span, request.grain, request.calendar)


def scan_table(
    table: Table,
    variables: dict[str, str],
    request: Request,
    dimensions: dict[str, str | None],
    source: str,
    renames: dict[str, dict[str, str]] | None = None,
) -> Frame:
    """The frame of a table: `variables` maps each variable to its SQL maker's key (a recipe,
    or `map:` for a mapping; see `measure`); `renames` the source's `values:` per dimension."""
    how, _ = table.dating
    undated(table)
    span = table.export.date_range
    grain, calendar = request.grain, request.calendar
    if how == "range" and span is not None and own_range(span, request, table.export.together):
        grain, calendar = RANGE, calendar.for_range(*span)
    while True:  # once more only when a rate column turns out to hold percentages
        scan = Scan([table.file], grain, calendar, request.start, request.end, source,
                    keep=keep_sql(table))  # fmt: skip
        table.read.clear()  # what this scan reads, for the totals checks
        table.derived.clear()  # the counts from rates it derives (`_ga_unknown`)
        day = table.day(scan)
        measures: dict[str, tuple[str, Aggregate]] = {}
        for variable, make in variables.items():
            sql = make(scan) if callable(make) else table.derive(scan, make)
            rule = request.variables[variable]
            if rule.time == DISTINCT:  # the row's own count, and how many rows a cell has
                measures[variable] = (sql, Aggregate())
                measures[f"__rows {variable}"] = ("1.0", Aggregate())
            else:
                measures[variable] = (sql, rule)
        scan.role(day, measures)
        for dim, column in dimensions.items():
            scan.dimension(dim, table.dimension(scan, column, dim), (renames or {}).get(dim))
        check_days(table, scan, day)  # rows outside the stated range, bad `Nth day` cells
        if how == "day":  # a data row whose Date is empty elsewhere than in its first field
            scan.check("undated", "count", f"{day} IS NULL")
        totalled = table.totals_checks(scan)
        peered = peer_checks(table, scan)  # several tables: their totals
        scanned = scan.run()
        if scanned.checks.get("undated"):
            undated(table, scanned=True)
        rescale = checked(table, scanned.checks)  # rates without `%` above 1: percentages
        if not rescale:
            break
        table.percent.update(dict.fromkeys(rescale, 0.01))
    raise_days(table, scanned.checks)
    check_signs(table, scanned.checks)
    raise_unknown(table, scanned.checks)
    table.check_totals(scanned.checks, totalled)
    why = check_peers(table, scanned.checks, peered, grain)
    frame = scanned.frame
    if why is not None:  # a chart's top rows: no period of the grain counts them
        frame.values.update({v: np.full(len(frame), np.nan) for v in variables})
        frame.missing.update(dict.fromkeys(variables, why))
    if how == "range" and span is not None:
        frame.span = span
    if how == "period":
        # the rows' days, cut to the export's range, and the whole range (GA leaves out
        # periods without sessions)
        frame.span = table.periods.span()
        whole = table.periods.whole_months and span is None
        frame.date_grain = "month" if whole else "day"
    elif how != "range" and span is not None and frame.span is not None:
        # the export's date range says how far the data goes: GA4 leaves out days without
        # sessions, so rows ending on the 20th of a range ending on the 29th are a whole month
        frame.span = (min(frame.span[0], span[0]), max(frame.span[1], span[1]))
    distinct = [v for v in variables if request.variables[v].time == DISTINCT]
    if distinct:
        frame = _distinct(table, frame, distinct, request, dimensions, grain)
    return frame


def undated(table: Table, scanned: bool = False) -> None:
    """A row with values but no date is an error, as the `csv` connector gives it: a row whose
    first field, its date, is empty but another dimension filled (`,Direct,656,834`) is a
    data row that lost its date, not a totals row (`Grand total,,...`, UA's `,"2,000",...`,
    every dimension empty), and must not reach the totals check. `scanned`: the scan found a
    data row without a date (its date elsewhere than in the first field)."""
    how, header = table.dating
    if scanned and header is not None:
        empty = f"{table.format_of(header).sql(header, 'VARCHAR')} IS NULL"
        found = table.file.first_cell(header, empty, lambda _: False)
        raise _undated(header, found[0] if found else table.file.header(header))
    if how == "range" or header is None or table.headers.index(header) != 0:
        return
    segment = table.columns.get("segment")  # UA's totals row of each segment names it
    dimensions = [i for i, h in enumerate(table.headers)
                  if i and h in table.dimension_fields and h != segment]  # fmt: skip
    for total in table.file.totals:
        if total.label or total.beyond:
            continue
        if any(i < len(total.cells) and total.cells[i].strip() for i in dimensions):
            raise _undated(header, table.file.location(total.line, header))


def _undated(header: str, where: Location) -> KpiError:
    return KpiError(
        f"a row has values but no date in column `{header}`: no period can count it",
        where,
        "fill in the dates, or remove those rows (a subtotal, a note?)",
    )


def _distinct(
    table: Table,
    frame: Frame,
    names: list[str],
    request: Request,
    dimensions: dict[str, str | None],
    grain: str,
) -> Frame:
    """Users per row only where a row is exactly a cell of the request; the totals row as the
    total when the export is one period of it."""
    how, _ = table.dating
    own = {"day": "day", "nth": "day"}.get(how, grain)  # period rows are periods of the grain
    wanted = {c for d, col in dimensions.items() for c in table.dimension_columns(col, d) or ()}
    whole = own == grain and table.dimension_fields <= wanted
    for name in names:
        rows = frame.values.pop(f"__rows {name}")
        frame.values[name] = np.where(whole & (rows == 1), frame.values[name], np.nan)
    span = table.export.date_range
    one = how == "range" or (span is not None and one_period(span, request))
    totals = [_total(table, name) for name in names] if one and table.file.totals else []
    if not totals or not len(frame):
        return frame
    start = frame.dates.min()
    row = Frame(
        np.array([start], dtype="datetime64[D]"),
        {d: np.array([""], dtype=object) for d in frame.dims},
        {v: np.array([totals[names.index(v)] if v in names else np.nan]) for v in frame.values},
        totals=np.array([True]),
    )
    out = Frame.concat([frame, row])
    out.source, out.span, out.grain, out.date_grain = (
        frame.source, frame.span, frame.grain, frame.date_grain
    )  # fmt: skip
    return out


def _total(table: Table, name: str) -> float:
    """A distinct count's value in the (first) totals row."""
    recipe = {"visitors": "visitors", "new_visitors": "new_visitors"}.get(name, name)
    step = table._step(recipe) if recipe in ("visitors", "new_visitors") else None
    if step is None or step[0] != "column":
        return np.nan
    header = table.columns[step[1]]
    total = next((t for t in table.file.totals if not other_segment(table, t.cells)), None)
    if total is None:
        return np.nan
    index = table.headers.index(header)
    try:
        return read_number(total.cells[index], table.export.decimal).value
    except (CellError, IndexError):
        raise KpiError(
            f"expected a number in the totals row's `{header}`",
            table.file.location(total.line, header),
        ) from None


def combine(frames: list[Frame], names: list[str], dims: list[str], source: str) -> Frame:
    """One frame from the tables' (absent variables NaN); a `range` period is every one's."""
    if not frames:
        return Frame(
            np.array([], dtype="datetime64[D]"),
            {d: np.array([], dtype=object) for d in dims},
            {v: np.array([], dtype=float) for v in names},
            source,
        )
    grains = {f.grain for f in frames}
    if RANGE in grains and len(grains) > 1:  # no period counts the undated rows: a finding
        why = _mixed(frames).message  # and every period the source covers without a value
        frames = [_blank(f, names, why, next(g for g in grains if g != RANGE)) for f in frames]
    aligned = []
    for frame in frames:
        values: dict[str, Any] = {
            v: frame.values.get(v, np.full(len(frame), np.nan)) for v in names
        }
        aligned.append(
            Frame(
                frame.dates,
                frame.dims,
                values,
                frame.source,
                frame.span,
                frame.grain,
                frame.date_grain,
                frame.totals,
            )  # fmt: skip
        )
    out = Frame.concat(aligned)
    out.source = source
    out.date_grain = "month" if all(f.date_grain == "month" for f in frames) else "day"
    out.missing = {v: why for f in frames for v, why in f.missing.items()}
    return out


def _blank(frame: Frame, names: list[str], why: str, grain: str | None) -> Frame:
    """The frame without values (NaN: its KPIs undefined, never counted short), and `why`."""
    out = Frame(frame.dates, frame.dims, {v: np.full(len(frame), np.nan) for v in names},
                frame.source, frame.span, grain, frame.date_grain)  # fmt: skip
    out.missing = dict.fromkeys(names, why)
    return out


def _mixed(frames: list[Frame]) -> KpiError:
    """A table without dates over a range that no period of the grain holds, beside data
    dated by that grain (a month's exports and one of 15 May to 15 June): no period counts it."""
    ranged = next(f for f in frames if f.grain == RANGE)
    dated = next(f for f in frames if f.grain != RANGE)
    return undatable(ranged.source, ranged.span or (None, None), dated.source, str(dated.grain))
