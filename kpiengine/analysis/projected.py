"""Goal-seek in the period the data stops inside: the whole period's value needed, by its end.

A value needed "by the end of March" is set against the other inputs at the end of March too:
they are held at their projections (`kpiengine.pacing`, the values the period's status is
judged on), never at their values to date, and so is the input solved for's value "now" (its
projection; its value to date is given beside it). A KPI without a projection there (too few
days of history, a stock beside a summed input, monthly rows beside daily ones) cannot be
solved against projections: without one, a ratio whose value to date stands for the period
(its status is judged on it) is solved on the values to date, and an additive KPI (its status
judged pro rata) for the whole period's target by its end, the others held at their values to
date (a target pro rata would answer a question the caller did not ask); a KPI whose status
cannot be judged says why. What has happened cannot be undone: a summed input
(or a maximum, a distinct count) cannot end the period below its value to date, a minimum above
it, a period's first value other than it.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import numpy as np

from ..errors import KpiError
from ..evaluation import KpiResult
from ..model import DISTINCT
from ..pacing import project, project_inputs
from ..recordfields import PRO_RATA, PROJECTION, UNJUDGED, VALUE
from ..refs import display_ref, split_ref
from .expand import Context, segment_text
from .shown import input_value
from .todate import partial_period


@dataclass
class AtEnd:
    """What a solve in the partial period holds the inputs at, as its status is judged."""

    ctx: Context  # `projection`: period i holds every input's projection to its end
    basis: str  # `projection`, `pro_rata` or `value` (see `recordfields.BASES`)
    label: str
    covered: int
    days: int
    last_day: str
    why: str = ""  # why there is no projection, when there is none


def at_end(ctx: Context, kpi_id: str, i: int, s: int) -> AtEnd | None:
    """How to solve the KPI in its partial period i (None when period i is whole), as its
    status is judged there (`KpiResult.basis`): against the inputs' projections to the period's
    end; without a projection, on the values to date (a ratio whose value to date stands for
    the period; an additive KPI, judged pro rata, for the whole period's target by its end; a
    KPI undefined to date, to date); KpiError when its status cannot be judged."""
    partial = partial_period(ctx, kpi_id)
    if partial is None or partial.index != i:
        return None
    where = partial.label + ("" if s == 0 else f" ({segment_text(ctx.table.segments[s])})")
    head = f"{partial.label} holds {partial.covered} of {partial.days} days"
    result = ctx.results.kpis.get(kpi_id) if ctx.results is not None else None
    daily = ctx.daily
    if result is not None:
        basis, why = _basis(result, s)
    elif daily is not None and daily.n_periods:
        found = project(ctx.ws, [kpi_id], daily, ctx.table, i)[kpi_id]
        ok = math.isfinite(float(found.value[s]))
        basis, why = (PROJECTION if ok else UNJUDGED), found.reason or ""
    else:
        basis, why = UNJUDGED, "the data gives no daily values to project its inputs from"
    end = AtEnd(
        ctx, basis, partial.label, partial.covered, partial.days, str(partial.last_day), why
    )  # fmt: skip
    undefined = result is not None and not math.isfinite(float(result.values[i][s]))
    if basis == UNJUDGED and not undefined:
        raise KpiError(
            f"{head} and `{kpi_id}` has no projection in {where}"
            + (f" ({why})" if why else "")
            + ": its value to date does not stand for the period, and the value needed by its "
            "end cannot be set against inputs to date"
        )
    if basis != PROJECTION:
        return end
    assert daily is not None  # a projection was made from it
    inputs = project_inputs(ctx.ws, daily, ctx.table, i)
    values = {}
    for name, array in ctx.table.values.items():
        values[name] = np.array(array, dtype=float, copy=True)
        if name in inputs.point:
            values[name][i] = inputs.point[name]
    end.ctx = Context(ctx.ws, dataclasses.replace(ctx.table, values=values), ctx.results, None)
    return end


def _basis(result: KpiResult, s: int) -> tuple[str, str]:
    """What the KPI's status in its partial period rests on in segment s (whatever its target
    there: `KpiResult.basis` says `value` for a KPI without one), and why it has no
    projection."""
    found = result.projection
    if found is not None and math.isfinite(float(found.value[s])):
        return PROJECTION, ""
    why = found.reason if found is not None and found.reason else ""
    if result.undated:
        inputs = ", ".join(f"`{n}`" for n in result.undated)
        return UNJUDGED, f"{inputs} in one row for the period, beside inputs to date"
    if result.additive:
        return PRO_RATA, why
    free = result.scale_free() if result.scale_free is not None else None
    return (VALUE if free is not None and bool(free[s]) else UNJUDGED), why


def note(end: AtEnd, name: str | None = None, to_date: float | None = None) -> str:
    """What the values of a solve in the partial period are (with input `name`, an internal
    name such as `revenue__ytd`, and its value to date in its unit, when given)."""
    ws = end.ctx.ws
    head = f"{end.label} holds {end.covered} of {end.days} days (to {end.last_day})"
    if end.basis == PROJECTION:
        so_far = ""
        if name is not None:
            shown = input_value(ws, name, to_date) if to_date is not None else "—"
            so_far = f" (`{display_ref(name)}` to date: {shown})"
        return (
            f"{head}: the value needed is the whole period's, by its end; `now` is the "
            f"projection to its end, as the status is judged, and the other inputs are held at "
            f"theirs{so_far}"
        )
    why = f" ({end.why})" if end.why else ""
    if end.basis == UNJUDGED:  # undefined to date: no status says what it stands for
        return (
            f"{head}, has no projection{why} and no value to date: the values and the value "
            "needed are to date"
        )
    if end.basis == PRO_RATA:  # the whole period's target still holds by its end
        return (
            f"{head} and has no projection{why}: its status is judged pro rata (its value to "
            "date against the target for those days); the values now are to date, and the "
            "value needed is the whole period's, by its end"
        )
    return (
        f"{head} and has no projection{why}: its status is judged on its value to date, which "
        "stands for the period, so the values and the value needed are to date"
    )


def floor_problem(end: AtEnd, name: str, needed: float, to_date: float) -> list[str]:
    """Why `needed` cannot be the period's value of input `name` when `to_date` has happened:
    a sum (a maximum, a distinct count) cannot end below it, a minimum above it, a first value
    differ from it; empty when it can (a stock, a mean, a KPI)."""
    ws = end.ctx.ws
    base = split_ref(name)[0]
    variable = ws.variables.get(base)
    if variable is None or not math.isfinite(to_date) or not ws.is_data(base):
        return []
    rule = variable.aggregate.time
    slack = 1e-9 * max(1.0, abs(to_date))
    if rule in ("sum", "max", DISTINCT):
        bad = needed < to_date - slack
    elif rule == "min":
        bad = needed > to_date + slack
    else:  # a period's first value has happened; a stock or a mean may still end anywhere
        bad = rule == "first" and abs(needed - to_date) > slack
    if not bad:
        return []
    held, shown = input_value(ws, name, to_date), display_ref(name)
    if rule == "first":
        return [f"`{shown}` is its first value in {end.label}, {held}, which has happened"]
    which = "above" if rule == "min" else "below"
    return [
        f"`{shown}` is already {held} by {end.last_day}: {end.label} cannot end {which} it "
        f"({input_value(ws, name, needed)} needed)"
    ]
