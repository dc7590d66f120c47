"""A change involving a partial period, compared to date: the same first days of each period.

When the data stops inside its last period (Feb 1-15 of a 29-day month), explaining a change
between that period and another compares their first `covered` days (Feb 1-15 with Jan 1-15), as
the records' "vs previous" does (`compared` = `to_date`, see `kpiengine.todatevalues`). The
values come from the context's daily inputs (`Context.daily`). Without them, or when they do not
reach back to a period compared, the change is of part of a period against a whole one: it is
labelled (`15/29 d`) and comes with a warning, never shown as if the KPI had moved.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

import sympy

from ..errors import KpiError
from ..evaluation import reads_earlier
from ..model import DISTINCT
from ..pacing import elapsed_days, stops_inside
from ..todatevalues import same_days, to_date_table
from .expand import Context, display_name, input_names, split_name

PERIOD, TO_DATE = "period", "to_date"


@dataclass
class Partial:
    """The period the data stops inside, for one KPI's inputs."""

    index: int
    label: str
    covered: int  # its days the KPI's inputs all cover
    days: int  # its length in days
    last_day: dt.date  # the last day with data

    def to_dict(self) -> dict:
        """`period`, `covered`, `days`, `last_day` (ISO): plain data for JSON."""
        return {"period": self.label, "covered": self.covered, "days": self.days,
                "last_day": self.last_day.isoformat()}  # fmt: skip


@dataclass
class Basis:
    """What a change between periods i and j compares: whole periods or their days to date."""

    ctx: Context  # whose values are compared: `ctx` itself, or its to-date context
    compared: str  # `period` or `to_date`
    partial: Partial | None  # the partial period, when it is one of the two
    start_days: tuple[dt.date, dt.date]  # the days of period i compared
    end_days: tuple[dt.date, dt.date]
    warning: str | None = None  # a partial period compared with a whole one: why, and so what

    def days(self) -> dict[str, list[str]]:
        """The compared days as ISO dates, for JSON."""
        return {
            "start_days": [d.isoformat() for d in self.start_days],
            "end_days": [d.isoformat() for d in self.end_days],
        }


def partial_period(ctx: Context, kpi_id: str) -> Partial | None:
    """The last period when the KPI's inputs stop inside it (as `evaluation` decides)."""
    table = ctx.table
    if not table.n_periods:
        return None
    last = table.n_periods - 1
    inputs = ctx.ws.inputs_of(kpi_id)
    if not (table.coverage_of(inputs)[last] > 0 and stops_inside(table, inputs, last)):
        return None
    covered = elapsed_days(table, inputs, last)
    start, end = table.period_start(last), table.period_end(last)
    last_day = start + dt.timedelta(days=covered - 1)
    return Partial(last, ctx.labels[last], covered, (end - start).days + 1, last_day)


def to_date_context(ctx: Context, covered: int) -> Context | None:
    """A context whose periods hold only their first `covered` days, read as the evaluation
    reads values to date (`ToDateComputer`); None without daily inputs."""
    if covered not in ctx.to_date:
        daily = ctx.daily
        found = None
        if daily is not None and daily.n_periods:
            table = to_date_table(daily, ctx.table, ctx.ws, covered)
            found = Context(ctx.ws, table, full=ctx.table)
        ctx.to_date[covered] = found
    return ctx.to_date[covered]


def cell_context(ctx: Context, kpi_id: str, i: int) -> Context:
    """The context whose values at period i are those the evaluation gives the KPI: in the
    partial period, a KPI that reads an earlier period (`prev`, `last_year`) reads the same
    days of it (`evaluation.reads_earlier`), so its drivers and needs are those of its value."""
    partial = partial_period(ctx, kpi_id)
    if partial is None or partial.index != i or reads_earlier(ctx.ws, kpi_id) is None:
        return ctx
    found = to_date_context(ctx, partial.covered)
    if found is None:
        raise KpiError(
            f"`{kpi_id}` reads an earlier period to the same day as {partial.label}'s "
            f"{partial.covered} of {partial.days} days, and the data gives no daily values for that"
        )
    return found


def days_of(ctx: Context, index: int, covered: int | None = None) -> tuple[dt.date, dt.date]:
    """The first and last day of period `index` (its first `covered` days, when given)."""
    start, end = ctx.table.period_start(index), ctx.table.period_end(index)
    if covered is not None:  # to the same date as the partial period's `covered` days
        end = start + dt.timedelta(days=same_days(ctx.table, index, covered) - 1)
    return start, end


def change_basis(
    ctx: Context, kpi_id: str, expr: sympy.Expr, i: int, j: int, s: int = 0, segments: bool = False
) -> Basis:
    """What the change of `expr` from period i to j compares (segment `s`; every segment too
    when `segments`): the days to date when one of them is the partial period and the daily
    inputs give both its values, else whole periods (with a warning when one is partial)."""
    partial = partial_period(ctx, kpi_id)
    if partial is None or partial.index not in (i, j):
        return Basis(ctx, PERIOD, None, days_of(ctx, i), days_of(ctx, j))
    covered = partial.covered
    td = to_date_context(ctx, covered)
    lacking = _lacking(ctx, td, expr, (i, j), s)
    if td is not None and not lacking and (not segments or _by_segment(ctx)):
        return Basis(td, TO_DATE, partial, days_of(ctx, i, covered), days_of(ctx, j, covered))
    ends = [partial.last_day if k == partial.index else days_of(ctx, k)[1] for k in (i, j)]
    other = ctx.labels[j if partial.index == i else i]
    if td is None:
        why = "its values to date, by day, are not available"
    elif lacking:
        why = "; ".join(lacking)
    else:
        why = "the daily values hold the total only, not each segment"
    warning = (
        f"{partial.label} holds {covered} of {partial.days} days of data (to "
        f"{partial.last_day.isoformat()}) and is compared with the whole of {other} ({why}): "
        "a change between part of a period and a whole one, not a movement of the KPI"
    )
    return Basis(
        ctx, PERIOD, partial, (days_of(ctx, i)[0], ends[0]), (days_of(ctx, j)[0], ends[1]), warning
    )


def _lacking(
    ctx: Context, td: Context | None, expr: sympy.Expr, pair: tuple[int, int], s: int
) -> list[str]:
    """Why inputs of `expr` have no value to date in one of the periods (segment `s`)."""
    if td is None:
        return []
    out = []
    for name in input_names(expr):
        array = td.array(name)
        missing = [ctx.labels[k] for k in pair if not math.isfinite(float(array[k, s]))]
        if not missing:
            continue
        base = split_name(name)[0]
        variable = ctx.ws.variables.get(base)
        if variable is not None and variable.aggregate.time == DISTINCT:
            out.append(f"`{base}` is a distinct count, which has no value to date")
        else:
            where = " or ".join(missing)
            out.append(f"the daily values do not give `{display_name(name)}` for {where} to date")
    return out


def _by_segment(ctx: Context) -> bool:
    """True when the daily inputs have the table's segments (past MAX_PACED_SEGMENTS segments
    they hold the total only, and every segment's value to date would look missing)."""
    return ctx.daily is not None and (len(ctx.table.segments) == 1 or len(ctx.daily.segments) > 1)
