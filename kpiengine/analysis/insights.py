"""What a report shows in a KPI's section: top drivers, the change explained, target needs.

`kpi_insights` never raises for a KPI it cannot analyse: each part is None with the reason in
`unavailable`, so a report renders what exists.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..errors import KpiError
from ..targets import AT_RISK, OFF_TRACK, status
from .drivers import driver_tree, drivers, effect_basis
from .expand import Context, expand, latest_defined, plain, resolve_kpi
from .explain import contributions_to_dict, explain_change
from .goalseek import solve_each, target_at
from .todate import cell_context


def kpi_insights(
    ctx: Context,
    kpi_id: str,
    period: str | None = None,
    segment: dict[str, str] | None = None,
    top: int = 3,
) -> dict[str, Any]:
    """Plain data for one KPI at one period: `period`, `value`, `target`, `status`,
    `drivers` (the `top` ranked) with `drivers_basis` (how to show their effects: `relative`
    elasticities or `absolute` changes, see `drivers.effect_basis`), `tree`, `change` (the
    explanation against the previous period, with its `waterfall`), `needs` (each input's
    value to reach the target, when the KPI is at risk or off track; `needs_note` says what
    its values are in the period the data stops inside) and `unavailable` (part -> why it is
    missing)."""
    out: dict[str, Any] = {"kpi": kpi_id, "unavailable": {}}
    try:
        kpi_id = resolve_kpi(ctx.ws, kpi_id)
        s = ctx.segment_index(segment)
        i = ctx.period_index(period, latest_defined(ctx, expand(ctx.ws, kpi_id), s))
    except KpiError as exc:
        out["unavailable"]["kpi"] = str(exc)
        return out
    label = ctx.labels[i]
    try:
        value = float(cell_context(ctx, kpi_id, i).series(expand(ctx.ws, kpi_id))[i, s])
    except KpiError:  # no daily values to read an earlier period to date: as evaluated
        value = math.nan
    target = target_at(ctx, kpi_id, i, s)
    kpi = ctx.ws.kpis[kpi_id]
    state = status(
        np.array([value]),
        np.array([math.nan if target is None else target]),
        kpi.direction,
        ctx.ws.at_risk_band(kpi),
    )[0]
    out.update(kpi=kpi_id, period=label, segment=segment or {}, value=value, target=target)
    out["status"] = state
    out["drivers_basis"] = effect_basis(kpi, value)

    def top_drivers() -> list[dict]:
        found = drivers(ctx, kpi_id, label, segment)
        out["drivers_basis"] = found.basis
        return found.to_dict()["drivers"][:top]

    parts = {
        "drivers": top_drivers,
        "tree": lambda: driver_tree(ctx, kpi_id, label, segment).to_dict(),
        "change": lambda: _change(ctx, kpi_id, i, segment),
        "needs": lambda: _needs(ctx, kpi_id, label, segment, state),
    }
    for name, build in parts.items():
        try:
            out[name] = build()
        except KpiError as exc:
            out[name] = None
            out["unavailable"][name] = str(exc)
    out["needs_note"] = needs_note(out.get("needs"))
    return plain(out)


def _change(ctx: Context, kpi_id: str, i: int, segment: dict[str, str] | None) -> dict:
    if i == 0:
        raise KpiError(f"no period before {ctx.labels[i]}")
    return contributions_to_dict(
        explain_change(ctx, kpi_id, ctx.labels[i - 1], ctx.labels[i], segment)
    )


def _needs(ctx: Context, kpi_id: str, label: str, segment, state: str) -> list[dict]:
    if state not in (AT_RISK, OFF_TRACK):
        return []
    return [r.to_dict() for r in solve_each(ctx, kpi_id, None, label, segment)]


def needs_note(needs: list[dict] | None) -> str | None:
    """What the needs' values are in the period the data stops inside (see `GoalSeek`)."""
    return next((n["period_note"] for n in needs or [] if n.get("period_note")), None)
